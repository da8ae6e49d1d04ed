# Generated from spec/legacy/legacy_packet.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class LegacyPacket(KaitaiStruct):
    """What the Rust Oxidize code puts in every UDP datagram except PING/PONG (legacy-dialect.md §1.1):
    a little-endian 9-byte header and the payload. All 8 flag bits are flags (no reserved bits); the
    server ignores trailing bytes after the payload, this codec rejects them (a conforming sender sends none).
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(LegacyPacket, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.magic = self._io.read_bytes(2)
        if not self.magic == b"\x4F\x58":
            raise kaitaistruct.ValidationNotEqualError(b"\x4F\x58", self.magic, self._io, u"/seq/0")
        self.flags = self._io.read_u1()
        self.seq_num = self._io.read_u4le()
        self.payload_len = self._io.read_u2le()
        if not self.payload_len <= 9207:
            raise kaitaistruct.ValidationGreaterThanError(9207, self.payload_len, self._io, u"/seq/3")
        self.payload = self._io.read_bytes(self.payload_len)


    def _fetch_instances(self):
        pass


