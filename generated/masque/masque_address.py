# Generated from spec/masque/masque_address.ksy by spec/codegen — do not edit; run `make generate`.
"""Assigned or requested address (CONNECT-IP).

One entry of ADDRESS_ASSIGN ("Assigned Address", RFC 9484 §4.7.1) or ADDRESS_REQUEST ("Requested
Address", §4.7.2); both have this layout.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from generated.codecs._runtime import (
    VARINT_MAX,
    Buffer,
    DecodeError,
    EncodeError,
    encode_varint,
    need,
    read_varint,
    truncated,
)

_NAME = "MasqueAddress"
_RUN1 = struct.Struct('>B')
_RUN1_LAYOUT = (('ip_version', 0, 1),)
_ANY_OF_IP_VERSION = frozenset((4, 6,))
_RUN3 = struct.Struct('>B')
_RUN3_LAYOUT = (('ip_prefix_length', 0, 1),)


@dataclass(frozen=True, slots=True)
class MasqueAddress:
    """Assigned or requested address (CONNECT-IP) (masque_address.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        request_id : Request ID (ADDRESS_REQUEST non-zero; ADDRESS_ASSIGN the matching request's ID or 0 if unsolicited).
        ip_version : 4 or 6.
        ip_address : The address (all zero in a request = any address of this family).
        ip_prefix_length : Prefix length, at most 32 (IPv4) or 128 (IPv6).
    """

    request_id: int
    ip_version: int
    ip_address: bytes
    ip_prefix_length: int

    @classmethod
    def decode(cls, data: Buffer) -> MasqueAddress:
        """Decode exactly one MasqueAddress from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[MasqueAddress, int]:
        """Decode one MasqueAddress at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[MasqueAddress, int]:
        """Decode one MasqueAddress from buf[off:end]; return it and the offset after it."""
        v_request_id, off = read_varint(buf, off, end, _NAME, 'request_id')
        if end - off < 1:
            raise truncated(_NAME, _RUN1_LAYOUT, off, end)
        v_ip_version, = _RUN1.unpack_from(buf, off)
        if v_ip_version not in _ANY_OF_IP_VERSION:
            raise DecodeError(_NAME, 'ip_version', off, f"must be one of 4, 6, got {v_ip_version}")
        off += 1
        n = (4 if v_ip_version == 4 else 16)
        if n < 0 or end - off < n:
            raise need(_NAME, 'ip_address', off, end, n)
        v_ip_address = buf[off:off + n]
        off += n
        if end - off < 1:
            raise truncated(_NAME, _RUN3_LAYOUT, off, end)
        v_ip_prefix_length, = _RUN3.unpack_from(buf, off)
        if not (v_ip_prefix_length <= (32 if v_ip_version == 4 else 128)):
            raise DecodeError(_NAME, 'ip_prefix_length', off, f"violates `_ <= (ip_version == 4 ? 32 : 128)` (value {v_ip_prefix_length!r})")
        off += 1
        return cls(v_request_id, v_ip_version, v_ip_address, v_ip_prefix_length), off

    def encode(self) -> bytes:
        """The wire bytes of this MasqueAddress; EncodeError if a value breaks the spec."""
        v_request_id = self.request_id
        v_ip_version = self.ip_version
        v_ip_address = self.ip_address
        v_ip_prefix_length = self.ip_prefix_length
        if not 0 <= v_request_id <= VARINT_MAX:
            raise EncodeError(_NAME, 'request_id', f"{v_request_id} outside the varint range")
        if not 0 <= v_ip_version <= 0xff:
            raise EncodeError(_NAME, 'ip_version', f"{v_ip_version} does not fit in 1 byte(s)")
        if v_ip_version not in _ANY_OF_IP_VERSION:
            raise EncodeError(_NAME, 'ip_version', f"must be one of 4, 6, got {v_ip_version}")
        if len(v_ip_address) != (4 if v_ip_version == 4 else 16):
            raise EncodeError(_NAME, 'ip_address', f"is {len(v_ip_address)} bytes, must be {(4 if v_ip_version == 4 else 16)}")
        if not 0 <= v_ip_prefix_length <= 0xff:
            raise EncodeError(_NAME, 'ip_prefix_length', f"{v_ip_prefix_length} does not fit in 1 byte(s)")
        if not (v_ip_prefix_length <= (32 if v_ip_version == 4 else 128)):
            raise EncodeError(_NAME, 'ip_prefix_length', f"violates `_ <= (ip_version == 4 ? 32 : 128)` (value {v_ip_prefix_length!r})")
        return b"".join((encode_varint(v_request_id), _RUN1.pack(v_ip_version), v_ip_address, _RUN3.pack(v_ip_prefix_length)))
