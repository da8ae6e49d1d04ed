# Generated from spec/legacy/legacy_short_control.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class LegacyShortControl(KaitaiStruct):
    """KEEPALIVE [03], DISCONNECT [04], ACK [05] and AUTH_REJECTED [09] (§2.4); no body, no reason."""
    def __init__(self, _io, _parent=None, _root=None):
        super(LegacyShortControl, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.control_type = self._io.read_u1()
        if not  ((self.control_type == 3) or (self.control_type == 4) or (self.control_type == 5) or (self.control_type == 9)) :
            raise kaitaistruct.ValidationNotAnyOfError(self.control_type, self._io, u"/seq/0")


    def _fetch_instances(self):
        pass


