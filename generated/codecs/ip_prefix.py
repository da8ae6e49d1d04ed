# Generated from spec/ip_prefix.ksy by spec/codegen — do not edit; run `make generate`.
"""IP prefix with version.

An IPv4 or IPv6 prefix (routes in session_config).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, need, truncated

_NAME = "IpPrefix"
_RUN0 = struct.Struct('>B')
_RUN0_LAYOUT = (('version', 0, 1),)
_ANY_OF_VERSION = frozenset((4, 6,))
_RUN2 = struct.Struct('>B')
_RUN2_LAYOUT = (('prefix_length', 0, 1),)


@dataclass(frozen=True, slots=True)
class IpPrefix:
    """IP prefix with version (ip_prefix.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        version : 4 or 6.
        address : The network address, 4 or 16 bytes, network order.
        prefix_length : Prefix length, at most 32 (IPv4) or 128 (IPv6).
    """

    version: int
    address: bytes
    prefix_length: int

    @classmethod
    def decode(cls, data: Buffer) -> IpPrefix:
        """Decode exactly one IpPrefix from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[IpPrefix, int]:
        """Decode one IpPrefix at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[IpPrefix, int]:
        """Decode one IpPrefix from buf[off:end]; return it and the offset after it."""
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
        if end - off < 1:
            raise truncated(_NAME, _RUN2_LAYOUT, off, end)
        v_prefix_length, = _RUN2.unpack_from(buf, off)
        if not (v_prefix_length <= (32 if v_version == 4 else 128)):
            raise DecodeError(_NAME, 'prefix_length', off, f"violates `_ <= (version == 4 ? 32 : 128)` (value {v_prefix_length!r})")
        off += 1
        return cls(v_version, v_address, v_prefix_length), off

    def encode(self) -> bytes:
        """The wire bytes of this IpPrefix; EncodeError if a value breaks the spec."""
        v_version = self.version
        v_address = self.address
        v_prefix_length = self.prefix_length
        if not 0 <= v_version <= 0xff:
            raise EncodeError(_NAME, 'version', f"{v_version} does not fit in 1 byte(s)")
        if v_version not in _ANY_OF_VERSION:
            raise EncodeError(_NAME, 'version', f"must be one of 4, 6, got {v_version}")
        if len(v_address) != (4 if v_version == 4 else 16):
            raise EncodeError(_NAME, 'address', f"is {len(v_address)} bytes, must be {(4 if v_version == 4 else 16)}")
        if not 0 <= v_prefix_length <= 0xff:
            raise EncodeError(_NAME, 'prefix_length', f"{v_prefix_length} does not fit in 1 byte(s)")
        if not (v_prefix_length <= (32 if v_version == 4 else 128)):
            raise EncodeError(_NAME, 'prefix_length', f"violates `_ <= (version == 4 ? 32 : 128)` (value {v_prefix_length!r})")
        return b"".join((_RUN0.pack(v_version), v_address, _RUN2.pack(v_prefix_length)))
