# Generated from spec/cookie_reply.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class CookieReply(KaitaiStruct):
    """Server → client under load instead of a HANDSHAKE_RESPONSE (58 bytes). encrypted_cookie =
    ChaCha20-Poly1305(key HASH("cookie--" ‖ server static public key), nonce, cookie, AAD = mac1 of the INIT).
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(CookieReply, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.magic = self._io.read_bytes(2)
        if not self.magic == b"\x4F\x58":
            raise kaitaistruct.ValidationNotEqualError(b"\x4F\x58", self.magic, self._io, u"/seq/0")
        self.flags = self._io.read_u1()
        if not self.flags == 8:
            raise kaitaistruct.ValidationNotEqualError(8, self.flags, self._io, u"/seq/1")
        self.seq = self._io.read_u4be()
        if not self.seq == 0:
            raise kaitaistruct.ValidationNotEqualError(0, self.seq, self._io, u"/seq/2")
        self.length = self._io.read_u2be()
        if not self.length == 49:
            raise kaitaistruct.ValidationNotEqualError(49, self.length, self._io, u"/seq/3")
        self.control_type = self._io.read_u1()
        if not self.control_type == 10:
            raise kaitaistruct.ValidationNotEqualError(10, self.control_type, self._io, u"/seq/4")
        self.receiver_index = self._io.read_u4be()
        self.nonce = self._io.read_bytes(12)
        self.encrypted_cookie = self._io.read_bytes(32)


    def _fetch_instances(self):
        pass


