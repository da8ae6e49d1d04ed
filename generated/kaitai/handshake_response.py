# Generated from spec/handshake_response.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class HandshakeResponse(KaitaiStruct):
    """Server → client (spec/README.md §3). The encrypted payload is the session_config plus a 16-byte tag;
    mac1 is keyed by HASH("mac1----" ‖ client static public key).
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(HandshakeResponse, self).__init__(_io)
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
        if not self.length >= 120:
            raise kaitaistruct.ValidationLessThanError(120, self.length, self._io, u"/seq/3")
        if not self.length <= 65526:
            raise kaitaistruct.ValidationGreaterThanError(65526, self.length, self._io, u"/seq/3")
        self.control_type = self._io.read_u1()
        if not self.control_type == 2:
            raise kaitaistruct.ValidationNotEqualError(2, self.control_type, self._io, u"/seq/4")
        self.sender_index = self._io.read_u4be()
        self.receiver_index = self._io.read_u4be()
        self.ephemeral = self._io.read_bytes(32)
        self.encrypted_payload = self._io.read_bytes(self.length - 73)
        self.mac1 = self._io.read_bytes(16)
        self.mac2 = self._io.read_bytes(16)


    def _fetch_instances(self):
        pass


