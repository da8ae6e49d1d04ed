# Generated from spec/ip_address.ksy by spec/codegen — do not edit; run `make generate`.
"""IP address with version.

An IPv4 or IPv6 address with its version (DNS servers in session_config).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, need, truncated

_NAME = "IpAddress"
_RUN0 = struct.Struct('>B')
_RUN0_LAYOUT = (('version', 0, 1),)
_ANY_OF_VERSION = frozenset((4, 6,))


@dataclass(frozen=True, slots=True)
class IpAddress:
    """IP address with version (ip_address.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        version : 4 or 6.
        address : The address, 4 bytes for IPv4 or 16 for IPv6, network order.
    """

    version: int
    address: bytes

    @classmethod
    def decode(cls, data: Buffer) -> IpAddress:
        """Decode exactly one IpAddress from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[IpAddress, int]:
        """Decode one IpAddress at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[IpAddress, int]:
        """Decode one IpAddress from buf[off:end]; return it and the offset after it."""
        if end - off < 1:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_version, = _RUN0.unpack_from(buf, off)
        if v_version not in _ANY_OF_VERSION:
            raise DecodeError(_NAME, 'version', off, f"must be one of 4, 6, got {v_version}")
        off += 1
        n = (4 if v_version == 4 else 16)
        if n < 0 or end - off < n:
            raise need(_NAME, 'address', off, end, n)
        v_address = buf[off:off + n]
        off += n
        return cls(v_version, v_address), off

    def encode(self) -> bytes:
        """The wire bytes of this IpAddress; EncodeError if a value breaks the spec."""
        v_version = self.version
        v_address = self.address
        if not 0 <= v_version <= 0xff:
            raise EncodeError(_NAME, 'version', f"{v_version} does not fit in 1 byte(s)")
        if v_version not in _ANY_OF_VERSION:
            raise EncodeError(_NAME, 'version', f"must be one of 4, 6, got {v_version}")
        if len(v_address) != (4 if v_version == 4 else 16):
            raise EncodeError(_NAME, 'address', f"is {len(v_address)} bytes, must be {(4 if v_version == 4 else 16)}")
        return b"".join((_RUN0.pack(v_version), v_address))
