# Generated from spec/control_message.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from . import session_config
from enum import IntEnum


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class ControlMessage(KaitaiStruct):
    """The plaintext of an envelope with flags 0x09 (spec/README.md §4): a type byte and its body. Only the
    six post-handshake types are valid here.
    """

    class ControlType(IntEnum):
        handshake_init = 1
        handshake_response = 2
        keepalive = 3
        disconnect = 4
        ack = 5
        config_update = 6
        key_rotation = 7
        reserved_init_auth = 8
        reserved_auth_rejected = 9
        cookie_reply = 10
        rekey_request = 11

    class DisconnectReason(IntEnum):
        normal = 0
        shutdown = 1
        idle = 2
        policy = 3
        rekey_failed = 4
        address_pool_exhausted = 5
    def __init__(self, _io, _parent=None, _root=None):
        super(ControlMessage, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.control_type = KaitaiStream.resolve_enum(ControlMessage.ControlType, self._io.read_u1())
        if not  ((self.control_type == ControlMessage.ControlType.keepalive) or (self.control_type == ControlMessage.ControlType.disconnect) or (self.control_type == ControlMessage.ControlType.ack) or (self.control_type == ControlMessage.ControlType.config_update) or (self.control_type == ControlMessage.ControlType.key_rotation) or (self.control_type == ControlMessage.ControlType.rekey_request)) :
            raise kaitaistruct.ValidationNotAnyOfError(self.control_type, self._io, u"/seq/0")
        if self.control_type == ControlMessage.ControlType.disconnect:
            pass
            self.reason = KaitaiStream.resolve_enum(ControlMessage.DisconnectReason, self._io.read_u1())
            if not  ((self.reason == ControlMessage.DisconnectReason.normal) or (self.reason == ControlMessage.DisconnectReason.shutdown) or (self.reason == ControlMessage.DisconnectReason.idle) or (self.reason == ControlMessage.DisconnectReason.policy) or (self.reason == ControlMessage.DisconnectReason.rekey_failed) or (self.reason == ControlMessage.DisconnectReason.address_pool_exhausted)) :
                raise kaitaistruct.ValidationNotAnyOfError(self.reason, self._io, u"/seq/1")

        if self.control_type == ControlMessage.ControlType.ack:
            pass
            self.acked_counter = self._io.read_u8be()

        if self.control_type == ControlMessage.ControlType.config_update:
            pass
            self.config_id = self._io.read_u4be()

        if self.control_type == ControlMessage.ControlType.config_update:
            pass
            self.config = session_config.SessionConfig(self._io)

        if self.control_type == ControlMessage.ControlType.key_rotation:
            pass
            self.retired_index = self._io.read_u4be()



    def _fetch_instances(self):
        pass
        if self.control_type == ControlMessage.ControlType.disconnect:
            pass

        if self.control_type == ControlMessage.ControlType.ack:
            pass

        if self.control_type == ControlMessage.ControlType.config_update:
            pass

        if self.control_type == ControlMessage.ControlType.config_update:
            pass
            self.config._fetch_instances()

        if self.control_type == ControlMessage.ControlType.key_rotation:
            pass



