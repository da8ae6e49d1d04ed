# Generated from spec/compression_envelope.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class CompressionEnvelope(KaitaiStruct):
    """Plaintext when COMPRESSED is set: the decompressed length and an LZ4 block (block format, no frame).
    A receiver never decompresses to more than original_length, and refuses an original_length above
    what the session's MTU (or batch) allows.
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(CompressionEnvelope, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.original_length = self._io.read_u2be()
        if not self.original_length >= 1:
            raise kaitaistruct.ValidationLessThanError(1, self.original_length, self._io, u"/seq/0")
        self.block = self._io.read_bytes_full()


    def _fetch_instances(self):
        pass


