# Generated from spec/session_config.ksy by spec/codegen — do not edit; run `make generate`.
"""Session configuration.

What the server grants (the plaintext of HANDSHAKE_RESPONSE's payload, and the body of CONFIG_UPDATE).
An all-zero address with prefix length 0 means "none" for that family.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, truncated
from generated.codecs.constants import Cipher
from generated.codecs.ip_address import IpAddress
from generated.codecs.ip_prefix import IpPrefix

_NAME = "SessionConfig"
_RUN0 = struct.Struct('>BHHH4sB16sBB')
_RUN0_LAYOUT = (('cipher', 0, 1), ('features', 1, 2), ('mtu', 3, 2), ('keepalive_interval', 5, 2), ('ipv4_address', 7, 4), ('ipv4_prefix_length', 11, 1), ('ipv6_address', 12, 16), ('ipv6_prefix_length', 28, 1), ('dns_count', 29, 1),)
_ANY_OF_CIPHER = frozenset((1, 2,))
_RUN2 = struct.Struct('>B')
_RUN2_LAYOUT = (('route_count', 0, 1),)


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """Session configuration (session_config.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        cipher : Envelope AEAD (1 ChaCha20-Poly1305, 2 AES-256-GCM).
        features : Accepted features (a subset of the requested ones), same bits as init_payload.features.
        mtu : Tunnel MTU (largest inner IP packet), 576 … 65470.
        keepalive_interval : Seconds between keepalives the client should send when idle (0 = off).
        ipv4_address : The client's inner IPv4 address (all zero = none).
        ipv4_prefix_length : Prefix length of the client's IPv4 network, at most 32.
        ipv6_address : The client's inner IPv6 address (all zero = none).
        ipv6_prefix_length : Prefix length of the client's IPv6 network, at most 128.
        dns_count*: Number of DNS servers that follow.
        dns_servers : DNS servers the client should use inside the tunnel.
        route_count*: Number of routes that follow.
        routes : Prefixes the client routes into the tunnel (empty = full tunnel, decided by the client config).
    """

    cipher: Cipher
    features: int
    mtu: int
    keepalive_interval: int
    ipv4_address: bytes
    ipv4_prefix_length: int
    ipv6_address: bytes
    ipv6_prefix_length: int
    dns_servers: tuple[IpAddress, ...]
    routes: tuple[IpPrefix, ...]

    @property
    def dns_count(self) -> int:
        """Number of DNS servers that follow. (computed: dns_servers.size)."""
        return len(self.dns_servers)

    @property
    def route_count(self) -> int:
        """Number of routes that follow. (computed: routes.size)."""
        return len(self.routes)

    @classmethod
    def decode(cls, data: Buffer) -> SessionConfig:
        """Decode exactly one SessionConfig from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[SessionConfig, int]:
        """Decode one SessionConfig at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[SessionConfig, int]:
        """Decode one SessionConfig from buf[off:end]; return it and the offset after it."""
        if end - off < 30:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_cipher, v_features, v_mtu, v_keepalive_interval, v_ipv4_address, v_ipv4_prefix_length, v_ipv6_address, v_ipv6_prefix_length, v_dns_count = _RUN0.unpack_from(buf, off)
        if v_cipher not in _ANY_OF_CIPHER:
            raise DecodeError(_NAME, 'cipher', off, f"must be one of chacha20_poly1305, aes_256_gcm, got {v_cipher}")
        v_cipher = Cipher(v_cipher)
        if not ((v_features & 0xfff0) == 0):
            raise DecodeError(_NAME, 'features', off + 1, f"violates `(_ & 0xfff0) == 0` (value {v_features!r})")
        if v_mtu < 576:
            raise DecodeError(_NAME, 'mtu', off + 3, f"must be at least 576, got {v_mtu}")
        if v_mtu > 65470:
            raise DecodeError(_NAME, 'mtu', off + 3, f"must be at most 65470, got {v_mtu}")
        if v_ipv4_prefix_length > 32:
            raise DecodeError(_NAME, 'ipv4_prefix_length', off + 11, f"must be at most 32, got {v_ipv4_prefix_length}")
        if v_ipv6_prefix_length > 128:
            raise DecodeError(_NAME, 'ipv6_prefix_length', off + 28, f"must be at most 128, got {v_ipv6_prefix_length}")
        off += 30
        items_dns_servers = []
        count = v_dns_count
        if count * 1 > end - off:
            raise DecodeError(_NAME, 'dns_servers', off, f"{count} items need at least {count * 1} bytes, {end - off} left", truncated=True)
        for _ in range(count):
            item_dns_servers, off = IpAddress._decode(buf, off, end)
            items_dns_servers.append(item_dns_servers)
        v_dns_servers = tuple(items_dns_servers)
        if end - off < 1:
            raise truncated(_NAME, _RUN2_LAYOUT, off, end)
        v_route_count, = _RUN2.unpack_from(buf, off)
        off += 1
        items_routes = []
        count = v_route_count
        if count * 2 > end - off:
            raise DecodeError(_NAME, 'routes', off, f"{count} items need at least {count * 2} bytes, {end - off} left", truncated=True)
        for _ in range(count):
            item_routes, off = IpPrefix._decode(buf, off, end)
            items_routes.append(item_routes)
        v_routes = tuple(items_routes)
        if v_dns_count != len(v_dns_servers):
            raise DecodeError(_NAME, 'dns_count', off, f"{v_dns_count} disagrees with dns_servers.size = {len(v_dns_servers)}")
        if v_route_count != len(v_routes):
            raise DecodeError(_NAME, 'route_count', off, f"{v_route_count} disagrees with routes.size = {len(v_routes)}")
        return cls(v_cipher, v_features, v_mtu, v_keepalive_interval, v_ipv4_address, v_ipv4_prefix_length, v_ipv6_address, v_ipv6_prefix_length, v_dns_servers, v_routes), off

    def encode(self) -> bytes:
        """The wire bytes of this SessionConfig; EncodeError if a value breaks the spec."""
        v_cipher = self.cipher
        v_features = self.features
        v_mtu = self.mtu
        v_keepalive_interval = self.keepalive_interval
        v_ipv4_address = self.ipv4_address
        v_ipv4_prefix_length = self.ipv4_prefix_length
        v_ipv6_address = self.ipv6_address
        v_ipv6_prefix_length = self.ipv6_prefix_length
        v_dns_servers = self.dns_servers
        v_routes = self.routes
        b_dns_servers = b"".join(item.encode() for item in v_dns_servers)
        b_routes = b"".join(item.encode() for item in v_routes)
        v_dns_count = len(v_dns_servers)
        v_route_count = len(v_routes)
        if not 0 <= v_cipher <= 0xff:
            raise EncodeError(_NAME, 'cipher', f"{v_cipher} does not fit in 1 byte(s)")
        if v_cipher not in _ANY_OF_CIPHER:
            raise EncodeError(_NAME, 'cipher', f"must be one of chacha20_poly1305, aes_256_gcm, got {v_cipher}")
        if not 0 <= v_features <= 0xffff:
            raise EncodeError(_NAME, 'features', f"{v_features} does not fit in 2 byte(s)")
        if not ((v_features & 0xfff0) == 0):
            raise EncodeError(_NAME, 'features', f"violates `(_ & 0xfff0) == 0` (value {v_features!r})")
        if not 0 <= v_mtu <= 0xffff:
            raise EncodeError(_NAME, 'mtu', f"{v_mtu} does not fit in 2 byte(s)")
        if v_mtu < 576:
            raise EncodeError(_NAME, 'mtu', f"must be at least 576, got {v_mtu}")
        if v_mtu > 65470:
            raise EncodeError(_NAME, 'mtu', f"must be at most 65470, got {v_mtu}")
        if not 0 <= v_keepalive_interval <= 0xffff:
            raise EncodeError(_NAME, 'keepalive_interval', f"{v_keepalive_interval} does not fit in 2 byte(s)")
        if len(v_ipv4_address) != 4:
            raise EncodeError(_NAME, 'ipv4_address', f"is {len(v_ipv4_address)} bytes, must be {4}")
        if not 0 <= v_ipv4_prefix_length <= 0xff:
            raise EncodeError(_NAME, 'ipv4_prefix_length', f"{v_ipv4_prefix_length} does not fit in 1 byte(s)")
        if v_ipv4_prefix_length > 32:
            raise EncodeError(_NAME, 'ipv4_prefix_length', f"must be at most 32, got {v_ipv4_prefix_length}")
        if len(v_ipv6_address) != 16:
            raise EncodeError(_NAME, 'ipv6_address', f"is {len(v_ipv6_address)} bytes, must be {16}")
        if not 0 <= v_ipv6_prefix_length <= 0xff:
            raise EncodeError(_NAME, 'ipv6_prefix_length', f"{v_ipv6_prefix_length} does not fit in 1 byte(s)")
        if v_ipv6_prefix_length > 128:
            raise EncodeError(_NAME, 'ipv6_prefix_length', f"must be at most 128, got {v_ipv6_prefix_length}")
        if not 0 <= v_dns_count <= 0xff:
            raise EncodeError(_NAME, 'dns_count', f"{v_dns_count} does not fit in 1 byte(s)")
        if not 0 <= v_route_count <= 0xff:
            raise EncodeError(_NAME, 'route_count', f"{v_route_count} does not fit in 1 byte(s)")
        return b"".join((_RUN0.pack(v_cipher, v_features, v_mtu, v_keepalive_interval, v_ipv4_address, v_ipv4_prefix_length, v_ipv6_address, v_ipv6_prefix_length, v_dns_count), b_dns_servers, _RUN2.pack(v_route_count), b_routes))
