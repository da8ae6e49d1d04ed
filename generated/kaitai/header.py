# Generated from spec/header.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class Header(KaitaiStruct):
    """The 9-byte header that starts every OxTunnel v3 datagram (spec/README.md §1). `length` counts the
    bytes after the header and must equal the datagram length minus 9; a receiver checks that against the
    datagram (the datagram structures below check it by construction).
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(Header, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.magic = self._io.read_bytes(2)
        if not self.magic == b"\x4F\x58":
            raise kaitaistruct.ValidationNotEqualError(b"\x4F\x58", self.magic, self._io, u"/seq/0")
        self.flags = self._io.read_u1()
        _ = self.flags
        if not  ((_ & 224 == 0) and (_ & 20 != 20) and ( ((_ & 8 == 0) or (_ == 8) or (_ == 9)) )) :
            raise kaitaistruct.ValidationExprError(self.flags, self._io, u"/seq/1")
        self.seq = self._io.read_u4be()
        self.length = self._io.read_u2be()
        if not self.length >= 28:
            raise kaitaistruct.ValidationLessThanError(28, self.length, self._io, u"/seq/3")
        if not self.length <= 65526:
            raise kaitaistruct.ValidationGreaterThanError(65526, self.length, self._io, u"/seq/3")


    def _fetch_instances(self):
        pass


