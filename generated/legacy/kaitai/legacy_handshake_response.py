# Generated from spec/legacy/legacy_handshake_response.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class LegacyHandshakeResponse(KaitaiStruct):
    """Server reply (§2.3): 39 or 71 bytes for IPv4, 51 or 83 for IPv6. The session key travels in clear:
    the dialect has no key agreement.
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(LegacyHandshakeResponse, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.control_type = self._io.read_u1()
        if not self.control_type == 2:
            raise kaitaistruct.ValidationNotEqualError(2, self.control_type, self._io, u"/seq/0")
        self.server_id = self._io.read_bytes(32)
        self.ip_version = self._io.read_u1()
        if not  ((self.ip_version == 4) or (self.ip_version == 6)) :
            raise kaitaistruct.ValidationNotAnyOfError(self.ip_version, self._io, u"/seq/2")
        self.assigned_ip = self._io.read_bytes((4 if self.ip_version == 4 else 16))
        self.has_key = self._io.read_u1()
        if not  ((self.has_key == 0) or (self.has_key == 1)) :
            raise kaitaistruct.ValidationNotAnyOfError(self.has_key, self._io, u"/seq/4")
        if self.has_key == 1:
            pass
            self.session_key = self._io.read_bytes(32)



    def _fetch_instances(self):
        pass
        if self.has_key == 1:
            pass



