# Generated from spec/data_envelope.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class DataEnvelope(KaitaiStruct):
    """An envelope datagram (spec/README.md §2): header ‖ receiver_index ‖ counter ‖ body ‖ tag. The AEAD
    nonce is receiver_index ‖ counter (the 12 bytes at offset 9) and the AAD is the 9-byte header. With
    ENCRYPTED the body is ciphertext; without it (authenticated plaintext) the body is plaintext and the
    tag is computed over header ‖ receiver_index ‖ counter ‖ body. Overhead 37 bytes.
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(DataEnvelope, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.magic = self._io.read_bytes(2)
        if not self.magic == b"\x4F\x58":
            raise kaitaistruct.ValidationNotEqualError(b"\x4F\x58", self.magic, self._io, u"/seq/0")
        self.flags = self._io.read_u1()
        _ = self.flags
        if not  ((_ & 224 == 0) and (_ & 20 != 20) and ( ((_ & 8 == 0) or (_ == 9)) )) :
            raise kaitaistruct.ValidationExprError(self.flags, self._io, u"/seq/1")
        self.seq = self._io.read_u4be()
        self.length = self._io.read_u2be()
        if not self.length >= 28:
            raise kaitaistruct.ValidationLessThanError(28, self.length, self._io, u"/seq/3")
        if not self.length <= 65526:
            raise kaitaistruct.ValidationGreaterThanError(65526, self.length, self._io, u"/seq/3")
        self.receiver_index = self._io.read_u4be()
        self.counter = self._io.read_u8be()
        _ = self.counter
        if not  ((_ & 4294967295 == self.seq) and (_ < 18446744073709543423)) :
            raise kaitaistruct.ValidationExprError(self.counter, self._io, u"/seq/5")
        self.body = self._io.read_bytes(self.length - 28)
        self.tag = self._io.read_bytes(16)


    def _fetch_instances(self):
        pass


