# Generated from spec/batch_entry.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class BatchEntry(KaitaiStruct):
    """A length-prefixed inner IP packet."""
    def __init__(self, _io, _parent=None, _root=None):
        super(BatchEntry, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.length = self._io.read_u2be()
        if not self.length >= 1:
            raise kaitaistruct.ValidationLessThanError(1, self.length, self._io, u"/seq/0")
        self.packet = self._io.read_bytes(self.length)


    def _fetch_instances(self):
        pass


