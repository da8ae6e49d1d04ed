# Generated from spec/masque/address_assign.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from . import masque_address


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class AddressAssign(KaitaiStruct):
    """Value of an ADDRESS_ASSIGN capsule (type 0x01, RFC 9484 §4.7.1): the full current list of addresses
    assigned to the peer; an empty list removes them all.
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(AddressAssign, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.assigned_addresses = []
        i = 0
        while not self._io.is_eof():
            self.assigned_addresses.append(masque_address.MasqueAddress(self._io))
            i += 1



    def _fetch_instances(self):
        pass
        for i in range(len(self.assigned_addresses)):
            pass
            self.assigned_addresses[i]._fetch_instances()



