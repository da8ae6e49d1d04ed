# Generated from spec/legacy/legacy_compressed.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from enum import IntEnum


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class LegacyCompressed(KaitaiStruct):
    """The preferred compressed form (§5.1); for method 1 the data is a legacy_lz4_block."""

    class CompressionMethod(IntEnum):
        none = 0
        lz4 = 1
        rohc = 2
        rohc_lz4 = 3
    def __init__(self, _io, _parent=None, _root=None):
        super(LegacyCompressed, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.magic = self._io.read_bytes(2)
        if not self.magic == b"\x4F\x43":
            raise kaitaistruct.ValidationNotEqualError(b"\x4F\x43", self.magic, self._io, u"/seq/0")
        self.method = KaitaiStream.resolve_enum(LegacyCompressed.CompressionMethod, self._io.read_u1())
        if not  ((self.method == LegacyCompressed.CompressionMethod.none) or (self.method == LegacyCompressed.CompressionMethod.lz4) or (self.method == LegacyCompressed.CompressionMethod.rohc) or (self.method == LegacyCompressed.CompressionMethod.rohc_lz4)) :
            raise kaitaistruct.ValidationNotAnyOfError(self.method, self._io, u"/seq/1")
        self.data = self._io.read_bytes_full()


    def _fetch_instances(self):
        pass


