# Generated from spec/masque/capsule.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from . import quic_varint


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class Capsule(KaitaiStruct):
    """RFC 9297 §3.2: type, length and value. Unknown types (including GREASE 0x29·N+0x17) are skipped by a
    receiver. ADDRESS_ASSIGN, ADDRESS_REQUEST and ROUTE_ADVERTISEMENT values are decoded by their own
    structures; DATAGRAM capsules by datagram_capsule.
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(Capsule, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.capsule_type = quic_varint.QuicVarint(self._io)
        self.length = quic_varint.QuicVarint(self._io)
        self.value = self._io.read_bytes(self.length.value)


    def _fetch_instances(self):
        pass
        self.capsule_type._fetch_instances()
        self.length._fetch_instances()


