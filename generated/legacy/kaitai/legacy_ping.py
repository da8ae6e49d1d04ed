# Generated from spec/legacy/legacy_ping.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class LegacyPing(KaitaiStruct):
    """"OXPI" and arbitrary bytes (§1.3); answered before any rate limit or parsing."""
    def __init__(self, _io, _parent=None, _root=None):
        super(LegacyPing, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.magic = self._io.read_bytes(4)
        if not self.magic == b"\x4F\x58\x50\x49":
            raise kaitaistruct.ValidationNotEqualError(b"\x4F\x58\x50\x49", self.magic, self._io, u"/seq/0")
        self.payload = self._io.read_bytes_full()


    def _fetch_instances(self):
        pass


