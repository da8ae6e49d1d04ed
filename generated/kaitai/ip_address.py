# Generated from spec/session_config.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class IpAddress(KaitaiStruct):
    """An IPv4 or IPv6 address with its version (DNS servers in session_config)."""
    def __init__(self, _io, _parent=None, _root=None):
        super(IpAddress, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.version = self._io.read_u1()
        if not  ((self.version == 4) or (self.version == 6)) :
            raise kaitaistruct.ValidationNotAnyOfError(self.version, self._io, u"/seq/0")
        self.address = self._io.read_bytes((4 if self.version == 4 else 16))


    def _fetch_instances(self):
        pass


