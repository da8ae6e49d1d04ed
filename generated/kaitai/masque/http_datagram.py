# Generated from spec/masque/http_datagram.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from . import quic_varint


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class HttpDatagram(KaitaiStruct):
    """RFC 9297 §2.1 with the MASQUE payload of RFC 9298 §5 / RFC 9484 §6: quarter stream ID, context ID,
    payload.
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(HttpDatagram, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.quarter_stream_id = quic_varint.QuicVarint(self._io)
        _ = self.quarter_stream_id
        if not _.value <= 1152921504606846975:
            raise kaitaistruct.ValidationExprError(self.quarter_stream_id, self._io, u"/seq/0")
        self.context_id = quic_varint.QuicVarint(self._io)
        self.payload = self._io.read_bytes_full()


    def _fetch_instances(self):
        pass
        self.quarter_stream_id._fetch_instances()
        self.context_id._fetch_instances()


