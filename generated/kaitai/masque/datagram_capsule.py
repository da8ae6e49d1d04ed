# Generated from spec/masque/datagram_capsule.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from . import quic_varint


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class DatagramCapsule(KaitaiStruct):
    """RFC 9297 §3.5 DATAGRAM capsule (type 0x00) whose HTTP Datagram Payload is a MASQUE context ID and
    payload (RFC 9298 §5, RFC 9484 §6): the in-stream form of an http_datagram.
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(DatagramCapsule, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.capsule_type = quic_varint.QuicVarint(self._io)
        _ = self.capsule_type
        if not _.value == 0:
            raise kaitaistruct.ValidationExprError(self.capsule_type, self._io, u"/seq/0")
        self.length = quic_varint.QuicVarint(self._io)
        self.context_id = quic_varint.QuicVarint(self._io)
        self.payload = self._io.read_bytes(self.length.value - self.context_id.len)


    def _fetch_instances(self):
        pass
        self.capsule_type._fetch_instances()
        self.length._fetch_instances()
        self.context_id._fetch_instances()


