# Generated from spec/init_payload.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from enum import IntEnum


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class InitPayload(KaitaiStruct):
    """The Noise payload of HANDSHAKE_INIT (16 bytes before encryption): the anti-replay timestamp and what
    the client supports and asks for.
    """

    class Cipher(IntEnum):
        chacha20_poly1305 = 1
        aes_256_gcm = 2
    def __init__(self, _io, _parent=None, _root=None):
        super(InitPayload, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.timestamp = self._io.read_bytes(12)
        self.supported_ciphers = self._io.read_u1()
        _ = self.supported_ciphers
        if not  ((_ != 0) and (_ & 252 == 0)) :
            raise kaitaistruct.ValidationExprError(self.supported_ciphers, self._io, u"/seq/1")
        self.preferred_cipher = KaitaiStream.resolve_enum(InitPayload.Cipher, self._io.read_u1())
        _ = self.preferred_cipher
        if not  (( ((_ == InitPayload.Cipher.chacha20_poly1305) or (_ == InitPayload.Cipher.aes_256_gcm)) ) and (self.supported_ciphers & int(_) != 0)) :
            raise kaitaistruct.ValidationExprError(self.preferred_cipher, self._io, u"/seq/2")
        self.features = self._io.read_u2be()
        _ = self.features
        if not _ & 65520 == 0:
            raise kaitaistruct.ValidationExprError(self.features, self._io, u"/seq/3")


    def _fetch_instances(self):
        pass


