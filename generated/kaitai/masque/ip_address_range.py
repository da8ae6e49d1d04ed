# Generated from spec/masque/route_advertisement.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class IpAddressRange(KaitaiStruct):
    """One inclusive address range with an IP protocol (RFC 9484 §4.7.3)."""
    def __init__(self, _io, _parent=None, _root=None):
        super(IpAddressRange, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.ip_version = self._io.read_u1()
        if not  ((self.ip_version == 4) or (self.ip_version == 6)) :
            raise kaitaistruct.ValidationNotAnyOfError(self.ip_version, self._io, u"/seq/0")
        self.start_address = self._io.read_bytes((4 if self.ip_version == 4 else 16))
        self.end_address = self._io.read_bytes((4 if self.ip_version == 4 else 16))
        _ = self.end_address
        if not _ >= self.start_address:
            raise kaitaistruct.ValidationExprError(self.end_address, self._io, u"/seq/2")
        self.ip_protocol = self._io.read_u1()


    def _fetch_instances(self):
        pass


