# Generated from spec/masque/ip_address_range.ksy by spec/codegen — do not edit; run `make generate`.
"""IP address range (ROUTE_ADVERTISEMENT entry).

One inclusive address range with an IP protocol (RFC 9484 §4.7.3).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, need, truncated

_NAME = "IpAddressRange"
_RUN0 = struct.Struct('>B')
_RUN0_LAYOUT = (('ip_version', 0, 1),)
_ANY_OF_IP_VERSION = frozenset((4, 6,))
_RUN3 = struct.Struct('>B')
_RUN3_LAYOUT = (('ip_protocol', 0, 1),)


@dataclass(frozen=True, slots=True)
class IpAddressRange:
    """IP address range (ROUTE_ADVERTISEMENT entry) (ip_address_range.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        ip_version : 4 or 6.
        start_address : First address of the range (inclusive).
        end_address : Last address of the range (inclusive), not below start_address.
        ip_protocol : IP protocol number the range applies to (0 = all; ICMP is always allowed).
    """

    ip_version: int
    start_address: bytes
    end_address: bytes
    ip_protocol: int

    @classmethod
    def decode(cls, data: Buffer) -> IpAddressRange:
        """Decode exactly one IpAddressRange from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[IpAddressRange, int]:
        """Decode one IpAddressRange at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[IpAddressRange, int]:
        """Decode one IpAddressRange from buf[off:end]; return it and the offset after it."""
        if end - off < 1:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_ip_version, = _RUN0.unpack_from(buf, off)
        if v_ip_version not in _ANY_OF_IP_VERSION:
            raise DecodeError(_NAME, 'ip_version', off, f"must be one of 4, 6, got {v_ip_version}")
        off += 1
        n = (4 if v_ip_version == 4 else 16)
        if n < 0 or end - off < n:
            raise need(_NAME, 'start_address', off, end, n)
        v_start_address = buf[off:off + n]
        off += n
        n = (4 if v_ip_version == 4 else 16)
        if n < 0 or end - off < n:
            raise need(_NAME, 'end_address', off, end, n)
        v_end_address = buf[off:off + n]
        if not (v_end_address >= v_start_address):
            raise DecodeError(_NAME, 'end_address', off, f"violates `_ >= start_address` (value {v_end_address!r})")
        off += n
        if end - off < 1:
            raise truncated(_NAME, _RUN3_LAYOUT, off, end)
        v_ip_protocol, = _RUN3.unpack_from(buf, off)
        off += 1
        return cls(v_ip_version, v_start_address, v_end_address, v_ip_protocol), off

    def encode(self) -> bytes:
        """The wire bytes of this IpAddressRange; EncodeError if a value breaks the spec."""
        v_ip_version = self.ip_version
        v_start_address = self.start_address
        v_end_address = self.end_address
        v_ip_protocol = self.ip_protocol
        if not 0 <= v_ip_version <= 0xff:
            raise EncodeError(_NAME, 'ip_version', f"{v_ip_version} does not fit in 1 byte(s)")
        if v_ip_version not in _ANY_OF_IP_VERSION:
            raise EncodeError(_NAME, 'ip_version', f"must be one of 4, 6, got {v_ip_version}")
        if len(v_start_address) != (4 if v_ip_version == 4 else 16):
            raise EncodeError(_NAME, 'start_address', f"is {len(v_start_address)} bytes, must be {(4 if v_ip_version == 4 else 16)}")
        if len(v_end_address) != (4 if v_ip_version == 4 else 16):
            raise EncodeError(_NAME, 'end_address', f"is {len(v_end_address)} bytes, must be {(4 if v_ip_version == 4 else 16)}")
        if not (v_end_address >= v_start_address):
            raise EncodeError(_NAME, 'end_address', f"violates `_ >= start_address` (value {v_end_address!r})")
        if not 0 <= v_ip_protocol <= 0xff:
            raise EncodeError(_NAME, 'ip_protocol', f"{v_ip_protocol} does not fit in 1 byte(s)")
        return b"".join((_RUN0.pack(v_ip_version), v_start_address, v_end_address, _RUN3.pack(v_ip_protocol)))
