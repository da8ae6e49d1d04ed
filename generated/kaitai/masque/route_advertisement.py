# Generated from spec/masque/route_advertisement.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from . import ip_address_range


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class RouteAdvertisement(KaitaiStruct):
    """Value of a ROUTE_ADVERTISEMENT capsule (type 0x03, RFC 9484 §4.7.3): the full list of reachable ranges,
    ordered by IP version, then IP protocol, then address, and not overlapping within one version and
    protocol (the codec checks the order; the Kaitai parser reads the entries only).
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(RouteAdvertisement, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.ip_address_ranges = []
        i = 0
        while not self._io.is_eof():
            self.ip_address_ranges.append(ip_address_range.IpAddressRange(self._io))
            i += 1



    def _fetch_instances(self):
        pass
        for i in range(len(self.ip_address_ranges)):
            pass
            self.ip_address_ranges[i]._fetch_instances()



