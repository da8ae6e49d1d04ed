# Generated from spec/masque/masque_address.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from . import quic_varint


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class MasqueAddress(KaitaiStruct):
    """One entry of ADDRESS_ASSIGN ("Assigned Address", RFC 9484 §4.7.1) or ADDRESS_REQUEST ("Requested
    Address", §4.7.2); both have this layout.
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(MasqueAddress, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.request_id = quic_varint.QuicVarint(self._io)
        self.ip_version = self._io.read_u1()
        if not  ((self.ip_version == 4) or (self.ip_version == 6)) :
            raise kaitaistruct.ValidationNotAnyOfError(self.ip_version, self._io, u"/seq/1")
        self.ip_address = self._io.read_bytes((4 if self.ip_version == 4 else 16))
        self.ip_prefix_length = self._io.read_u1()
        _ = self.ip_prefix_length
        if not _ <= (32 if self.ip_version == 4 else 128):
            raise kaitaistruct.ValidationExprError(self.ip_prefix_length, self._io, u"/seq/3")


    def _fetch_instances(self):
        pass
        self.request_id._fetch_instances()


