# Generated from spec/legacy/legacy_handshake_init.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class LegacyHandshakeInit(KaitaiStruct):
    """Control payload of a CONTROL packet (flags 0x08, seq 0) that opens a legacy session (§2.1)."""
    def __init__(self, _io, _parent=None, _root=None):
        super(LegacyHandshakeInit, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.control_type = self._io.read_u1()
        if not self.control_type == 1:
            raise kaitaistruct.ValidationNotEqualError(1, self.control_type, self._io, u"/seq/0")
        self.client_id = self._io.read_bytes(32)
        self.timestamp = self._io.read_u8le()
        self.encryption_supported = self._io.read_u1()


    def _fetch_instances(self):
        pass


