# Generated from spec/legacy/legacy_batch.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from . import legacy_batch_entry


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class LegacyBatch(KaitaiStruct):
    """count u16 LE ‖ (len u16 LE ‖ bytes){count} (§5.5); count is not capped; a truncated batch fails whole."""
    def __init__(self, _io, _parent=None, _root=None):
        super(LegacyBatch, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.count = self._io.read_u2le()
        self.entries = []
        for i in range(self.count):
            self.entries.append(legacy_batch_entry.LegacyBatchEntry(self._io))



    def _fetch_instances(self):
        pass
        for i in range(len(self.entries)):
            pass
            self.entries[i]._fetch_instances()



