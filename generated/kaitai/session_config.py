# Generated from spec/session_config.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from . import ip_prefix
from . import ip_address
from enum import IntEnum


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class SessionConfig(KaitaiStruct):
    """What the server grants (the plaintext of HANDSHAKE_RESPONSE's payload, and the body of CONFIG_UPDATE).
    An all-zero address with prefix length 0 means "none" for that family.
    """

    class Cipher(IntEnum):
        chacha20_poly1305 = 1
        aes_256_gcm = 2
    def __init__(self, _io, _parent=None, _root=None):
        super(SessionConfig, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.cipher = KaitaiStream.resolve_enum(SessionConfig.Cipher, self._io.read_u1())
        if not  ((self.cipher == SessionConfig.Cipher.chacha20_poly1305) or (self.cipher == SessionConfig.Cipher.aes_256_gcm)) :
            raise kaitaistruct.ValidationNotAnyOfError(self.cipher, self._io, u"/seq/0")
        self.features = self._io.read_u2be()
        _ = self.features
        if not _ & 65520 == 0:
            raise kaitaistruct.ValidationExprError(self.features, self._io, u"/seq/1")
        self.mtu = self._io.read_u2be()
        if not self.mtu >= 576:
            raise kaitaistruct.ValidationLessThanError(576, self.mtu, self._io, u"/seq/2")
        if not self.mtu <= 65470:
            raise kaitaistruct.ValidationGreaterThanError(65470, self.mtu, self._io, u"/seq/2")
        self.keepalive_interval = self._io.read_u2be()
        self.ipv4_address = self._io.read_bytes(4)
        self.ipv4_prefix_length = self._io.read_u1()
        if not self.ipv4_prefix_length <= 32:
            raise kaitaistruct.ValidationGreaterThanError(32, self.ipv4_prefix_length, self._io, u"/seq/5")
        self.ipv6_address = self._io.read_bytes(16)
        self.ipv6_prefix_length = self._io.read_u1()
        if not self.ipv6_prefix_length <= 128:
            raise kaitaistruct.ValidationGreaterThanError(128, self.ipv6_prefix_length, self._io, u"/seq/7")
        self.dns_count = self._io.read_u1()
        self.dns_servers = []
        for i in range(self.dns_count):
            self.dns_servers.append(ip_address.IpAddress(self._io))

        self.route_count = self._io.read_u1()
        self.routes = []
        for i in range(self.route_count):
            self.routes.append(ip_prefix.IpPrefix(self._io))



    def _fetch_instances(self):
        pass
        for i in range(len(self.dns_servers)):
            pass
            self.dns_servers[i]._fetch_instances()

        for i in range(len(self.routes)):
            pass
            self.routes[i]._fetch_instances()



