# Generated from spec/legacy/legacy_handshake_init_auth.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class LegacyHandshakeInitAuth(KaitaiStruct):
    """The authenticated variant of the legacy init (§2.2)."""
    def __init__(self, _io, _parent=None, _root=None):
        super(LegacyHandshakeInitAuth, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.control_type = self._io.read_u1()
        if not self.control_type == 8:
            raise kaitaistruct.ValidationNotEqualError(8, self.control_type, self._io, u"/seq/0")
        self.client_id = self._io.read_bytes(32)
        self.timestamp = self._io.read_u8le()
        self.encryption_supported = self._io.read_u1()
        self.signature = self._io.read_bytes(64)
        self.api_key = self._io.read_bytes(32)
        self.hmac = self._io.read_bytes(32)


    def _fetch_instances(self):
        pass


