# Generated from spec/legacy/legacy_lz4_block.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class LegacyLz4Block(KaitaiStruct):
    """u32 LE original size ‖ raw LZ4 block (§5.2; block format, not frame format). The Rust decoder
    allocates original_size before any check; a receiver must bound it (9216).
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(LegacyLz4Block, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.original_size = self._io.read_u4le()
        self.block = self._io.read_bytes_full()


    def _fetch_instances(self):
        pass


