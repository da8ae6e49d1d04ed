# Generated from spec/masque/address_request.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from . import masque_address


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class AddressRequest(KaitaiStruct):
    """Value of an ADDRESS_REQUEST capsule (type 0x02, RFC 9484 §4.7.2): at least one requested address, each
    with a non-zero request ID.
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(AddressRequest, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.requested_addresses = []
        i = 0
        while not self._io.is_eof():
            self.requested_addresses.append(masque_address.MasqueAddress(self._io))
            i += 1



    def _fetch_instances(self):
        pass
        for i in range(len(self.requested_addresses)):
            pass
            self.requested_addresses[i]._fetch_instances()



