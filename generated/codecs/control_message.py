# Generated from spec/control_message.ksy by spec/codegen — do not edit; run `make generate`.
"""Authenticated control message.

The plaintext of an envelope with flags 0x09 (spec/README.md §4): a type byte and its body. Only the
six post-handshake types are valid here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from generated.codecs._runtime import Buffer, DecodeError, EncodeError, need, truncated
from generated.codecs.constants import ControlType, DisconnectReason
from generated.codecs.session_config import SessionConfig

_NAME = "ControlMessage"
_RUN0 = struct.Struct('>B')
_RUN0_LAYOUT = (('control_type', 0, 1),)
_ANY_OF_CONTROL_TYPE = frozenset((3, 4, 5, 6, 7, 11,))
_INT_REASON = struct.Struct('>B')
_ANY_OF_REASON = frozenset((0, 1, 2, 3, 4, 5,))
_INT_ACKED_COUNTER = struct.Struct('>Q')
_INT_CONFIG_ID = struct.Struct('>I')
_INT_RETIRED_INDEX = struct.Struct('>I')


@dataclass(frozen=True, slots=True)
class ControlMessage:
    """Authenticated control message (control_message.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        control_type : KEEPALIVE, DISCONNECT, ACK, CONFIG_UPDATE, KEY_ROTATION or REKEY_REQUEST.
        reason : DISCONNECT only; why the session ends.
        acked_counter : ACK only; the envelope counter of the message acknowledged.
        config_id : CONFIG_UPDATE only; increases with every update so that a stale one is ignored.
        config : CONFIG_UPDATE only; the new session configuration.
        retired_index : KEY_ROTATION only; the receiver index of the keypair this one replaces (0 = none).
    """

    control_type: ControlType
    reason: DisconnectReason | None = None
    acked_counter: int | None = None
    config_id: int | None = None
    config: SessionConfig | None = None
    retired_index: int | None = None

    @classmethod
    def decode(cls, data: Buffer) -> ControlMessage:
        """Decode exactly one ControlMessage from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[ControlMessage, int]:
        """Decode one ControlMessage at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[ControlMessage, int]:
        """Decode one ControlMessage from buf[off:end]; return it and the offset after it."""
        if end - off < 1:
            raise truncated(_NAME, _RUN0_LAYOUT, off, end)
        v_control_type, = _RUN0.unpack_from(buf, off)
        if v_control_type not in _ANY_OF_CONTROL_TYPE:
            raise DecodeError(_NAME, 'control_type', off, f"must be one of keepalive, disconnect, ack, config_update, key_rotation, rekey_request, got {v_control_type}")
        v_control_type = ControlType(v_control_type)
        off += 1
        if (v_control_type == 4):
            if end - off < 1:
                raise need(_NAME, 'reason', off, end, 1)
            (v_reason,) = _INT_REASON.unpack_from(buf, off)
            if v_reason not in _ANY_OF_REASON:
                raise DecodeError(_NAME, 'reason', off, f"must be one of normal, shutdown, idle, policy, rekey_failed, address_pool_exhausted, got {v_reason}")
            v_reason = DisconnectReason(v_reason)
            off += 1
        else:
            v_reason = None
        if (v_control_type == 5):
            if end - off < 8:
                raise need(_NAME, 'acked_counter', off, end, 8)
            (v_acked_counter,) = _INT_ACKED_COUNTER.unpack_from(buf, off)
            off += 8
        else:
            v_acked_counter = None
        if (v_control_type == 6):
            if end - off < 4:
                raise need(_NAME, 'config_id', off, end, 4)
            (v_config_id,) = _INT_CONFIG_ID.unpack_from(buf, off)
            off += 4
        else:
            v_config_id = None
        if (v_control_type == 6):
            v_config, off = SessionConfig._decode(buf, off, end)
        else:
            v_config = None
        if (v_control_type == 7):
            if end - off < 4:
                raise need(_NAME, 'retired_index', off, end, 4)
            (v_retired_index,) = _INT_RETIRED_INDEX.unpack_from(buf, off)
            off += 4
        else:
            v_retired_index = None
        return cls(v_control_type, v_reason, v_acked_counter, v_config_id, v_config, v_retired_index), off

    def encode(self) -> bytes:
        """The wire bytes of this ControlMessage; EncodeError if a value breaks the spec."""
        v_control_type = self.control_type
        v_reason = self.reason
        v_acked_counter = self.acked_counter
        v_config_id = self.config_id
        v_config = self.config
        v_retired_index = self.retired_index
        b_config = v_config.encode() if v_config is not None else b""
        if not 0 <= v_control_type <= 0xff:
            raise EncodeError(_NAME, 'control_type', f"{v_control_type} does not fit in 1 byte(s)")
        if v_control_type not in _ANY_OF_CONTROL_TYPE:
            raise EncodeError(_NAME, 'control_type', f"must be one of keepalive, disconnect, ack, config_update, key_rotation, rekey_request, got {v_control_type}")
        if (v_control_type == 4):
            if v_reason is None:
                raise EncodeError(_NAME, 'reason', "required when control_type == control_type::disconnect")
        elif v_reason is not None:
            raise EncodeError(_NAME, 'reason', "must be None unless control_type == control_type::disconnect")
        if v_reason is not None:
            if not 0 <= v_reason <= 0xff:
                raise EncodeError(_NAME, 'reason', f"{v_reason} does not fit in 1 byte(s)")
            if v_reason not in _ANY_OF_REASON:
                raise EncodeError(_NAME, 'reason', f"must be one of normal, shutdown, idle, policy, rekey_failed, address_pool_exhausted, got {v_reason}")
        if (v_control_type == 5):
            if v_acked_counter is None:
                raise EncodeError(_NAME, 'acked_counter', "required when control_type == control_type::ack")
        elif v_acked_counter is not None:
            raise EncodeError(_NAME, 'acked_counter', "must be None unless control_type == control_type::ack")
        if v_acked_counter is not None:
            if not 0 <= v_acked_counter <= 0xffffffffffffffff:
                raise EncodeError(_NAME, 'acked_counter', f"{v_acked_counter} does not fit in 8 byte(s)")
        if (v_control_type == 6):
            if v_config_id is None:
                raise EncodeError(_NAME, 'config_id', "required when control_type == control_type::config_update")
        elif v_config_id is not None:
            raise EncodeError(_NAME, 'config_id', "must be None unless control_type == control_type::config_update")
        if v_config_id is not None:
            if not 0 <= v_config_id <= 0xffffffff:
                raise EncodeError(_NAME, 'config_id', f"{v_config_id} does not fit in 4 byte(s)")
        if (v_control_type == 6):
            if v_config is None:
                raise EncodeError(_NAME, 'config', "required when control_type == control_type::config_update")
        elif v_config is not None:
            raise EncodeError(_NAME, 'config', "must be None unless control_type == control_type::config_update")
        if v_config is not None:
            pass
        if (v_control_type == 7):
            if v_retired_index is None:
                raise EncodeError(_NAME, 'retired_index', "required when control_type == control_type::key_rotation")
        elif v_retired_index is not None:
            raise EncodeError(_NAME, 'retired_index', "must be None unless control_type == control_type::key_rotation")
        if v_retired_index is not None:
            if not 0 <= v_retired_index <= 0xffffffff:
                raise EncodeError(_NAME, 'retired_index', f"{v_retired_index} does not fit in 4 byte(s)")
        return b"".join((_RUN0.pack(v_control_type), (_INT_REASON.pack(v_reason) if v_reason is not None else b""), (_INT_ACKED_COUNTER.pack(v_acked_counter) if v_acked_counter is not None else b""), (_INT_CONFIG_ID.pack(v_config_id) if v_config_id is not None else b""), b_config, (_INT_RETIRED_INDEX.pack(v_retired_index) if v_retired_index is not None else b"")))
