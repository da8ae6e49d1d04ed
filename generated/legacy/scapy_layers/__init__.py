# Generated from spec/legacy/*.ksy by spec/codegen — do not edit; run `make generate`.
"""scapy layers for spec/legacy/*.ksy (legacy profile)."""

from __future__ import annotations

from scapy.fields import (
    ByteEnumField,
    ByteField,
    ConditionalField,
    LEIntField,
    LELongField,
    LEShortField,
    PacketListField,
    ShortField,
    XByteField,
    XStrField,
    XStrFixedLenField,
    XStrLenField,
)
from scapy.packet import Packet, bind_layers, split_layers

from generated.scapy_layers.oxtunnel import _Nested

_LEGACY_COMPRESSED_ANY_OF_METHOD = frozenset((0, 1, 2, 3,))
_LEGACY_HANDSHAKE_RESPONSE_ANY_OF_IP_VERSION = frozenset((4, 6,))
_LEGACY_HANDSHAKE_RESPONSE_ANY_OF_HAS_KEY = frozenset((0, 1,))
_LEGACY_SHORT_CONTROL_ANY_OF_CONTROL_TYPE = frozenset((3, 4, 5, 9,))


class OxLegacyBatchEntry(_Nested):
    """Legacy batch entry (legacy_batch_entry.ksy)."""

    name = 'Legacy batch entry'
    oxt_min_size = 2
    fields_desc = [
        LEShortField('length', 0),
        XStrLenField('packet', b"", length_from=lambda pkt: max(pkt.getfieldval('length'), 0)),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_length = self.getfieldval('length')
        v_packet = self.getfieldval('packet')
        if v_length != len(v_packet):
            return f"length: {v_length} disagrees with packet.size = {len(v_packet)}"
        if len(v_packet) != v_length:
            return f"packet: is {len(v_packet)} bytes, needs {v_length}"
        return None


class OxLegacyBatch(Packet):
    """Legacy batch payload (legacy_batch.ksy)."""

    name = 'Legacy batch payload'
    oxt_min_size = 2
    fields_desc = [
        LEShortField('count', 0),
        PacketListField('entries', [], OxLegacyBatchEntry, count_from=lambda pkt: pkt.getfieldval('count')),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_count = self.getfieldval('count')
        v_entries = self.getfieldval('entries')
        if v_count != len(v_entries):
            return f"count: {v_count} disagrees with entries.size = {len(v_entries)}"
        for item in v_entries:
            problem = item.oxt_check()
            if problem:
                return f"entries.{problem}"
        return None


class OxLegacyCompressed(Packet):
    """Legacy 'OC' compression envelope (legacy_compressed.ksy)."""

    name = 'Legacy "OC" compression envelope'
    oxt_min_size = 3
    fields_desc = [
        XStrFixedLenField('magic', b'OC', length=2),
        ByteEnumField('method', 0, {0: 'none', 1: 'lz4', 2: 'rohc', 3: 'rohc_lz4'}),
        XStrField('data', b""),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_magic = self.getfieldval('magic')
        v_method = self.getfieldval('method')
        if v_magic != b'OC':
            return f"magic: expected 4f43, got {v_magic.hex()}"
        if v_method not in _LEGACY_COMPRESSED_ANY_OF_METHOD:
            return f"method: must be one of none, lz4, rohc, rohc_lz4, got {v_method}"
        return None


class OxLegacyHandshakeInit(Packet):
    """Legacy HANDSHAKE_INIT payload (42 bytes) (legacy_handshake_init.ksy)."""

    name = 'Legacy HANDSHAKE_INIT payload (42 bytes)'
    oxt_min_size = 42
    fields_desc = [
        ByteField('control_type', 1),
        XStrFixedLenField('client_id', b"\x00" * 32, length=32),
        LELongField('timestamp', 0),
        ByteField('encryption_supported', 0),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_control_type = self.getfieldval('control_type')
        v_client_id = self.getfieldval('client_id')
        if v_control_type != 1:
            return f"control_type: must be 1, got {v_control_type}"
        if len(v_client_id) != 32:
            return f"client_id: is {len(v_client_id)} bytes, needs {32}"
        return None


class OxLegacyHandshakeInitAuth(Packet):
    """Legacy HANDSHAKE_INIT_AUTH payload (170 bytes) (legacy_handshake_init_auth.ksy)."""

    name = 'Legacy HANDSHAKE_INIT_AUTH payload (170 bytes)'
    oxt_min_size = 170
    fields_desc = [
        ByteField('control_type', 8),
        XStrFixedLenField('client_id', b"\x00" * 32, length=32),
        LELongField('timestamp', 0),
        ByteField('encryption_supported', 0),
        XStrFixedLenField('signature', b"\x00" * 64, length=64),
        XStrFixedLenField('api_key', b"\x00" * 32, length=32),
        XStrFixedLenField('hmac', b"\x00" * 32, length=32),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_control_type = self.getfieldval('control_type')
        v_client_id = self.getfieldval('client_id')
        v_signature = self.getfieldval('signature')
        v_api_key = self.getfieldval('api_key')
        v_hmac = self.getfieldval('hmac')
        if v_control_type != 8:
            return f"control_type: must be 8, got {v_control_type}"
        if len(v_client_id) != 32:
            return f"client_id: is {len(v_client_id)} bytes, needs {32}"
        if len(v_signature) != 64:
            return f"signature: is {len(v_signature)} bytes, needs {64}"
        if len(v_api_key) != 32:
            return f"api_key: is {len(v_api_key)} bytes, needs {32}"
        if len(v_hmac) != 32:
            return f"hmac: is {len(v_hmac)} bytes, needs {32}"
        return None


class OxLegacyHandshakeResponse(Packet):
    """Legacy HANDSHAKE_RESPONSE payload (legacy_handshake_response.ksy)."""

    name = 'Legacy HANDSHAKE_RESPONSE payload'
    oxt_min_size = 35
    fields_desc = [
        ByteField('control_type', 2),
        XStrFixedLenField('server_id', b"\x00" * 32, length=32),
        ByteField('ip_version', 0),
        XStrLenField('assigned_ip', b"", length_from=lambda pkt: max((4 if pkt.getfieldval('ip_version') == 4 else 16), 0)),
        ByteField('has_key', 0),
        ConditionalField(XStrFixedLenField('session_key', b"\x00" * 32, length=32), lambda pkt: (pkt.getfieldval('has_key') == 1)),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_control_type = self.getfieldval('control_type')
        v_server_id = self.getfieldval('server_id')
        v_ip_version = self.getfieldval('ip_version')
        v_assigned_ip = self.getfieldval('assigned_ip')
        v_has_key = self.getfieldval('has_key')
        v_session_key = self.fields.get('session_key')
        if v_control_type != 2:
            return f"control_type: must be 2, got {v_control_type}"
        if len(v_server_id) != 32:
            return f"server_id: is {len(v_server_id)} bytes, needs {32}"
        if v_ip_version not in _LEGACY_HANDSHAKE_RESPONSE_ANY_OF_IP_VERSION:
            return f"ip_version: must be one of 4, 6, got {v_ip_version}"
        if len(v_assigned_ip) != (4 if v_ip_version == 4 else 16):
            return f"assigned_ip: is {len(v_assigned_ip)} bytes, needs {(4 if v_ip_version == 4 else 16)}"
        if v_has_key not in _LEGACY_HANDSHAKE_RESPONSE_ANY_OF_HAS_KEY:
            return f"has_key: must be one of 0, 1, got {v_has_key}"
        if v_session_key is not None:
            if len(v_session_key) != 32:
                return f"session_key: is {len(v_session_key)} bytes, needs {32}"
        return None


class OxLegacyLz4Block(Packet):
    """Legacy LZ4 framing (legacy_lz4_block.ksy)."""

    name = 'Legacy LZ4 framing'
    oxt_min_size = 4
    fields_desc = [
        LEIntField('original_size', 0),
        XStrField('block', b""),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        return None


class OxLegacyPacket(Packet):
    """Legacy (Rust Oxidize) V1 packet (legacy_packet.ksy)."""

    name = 'Legacy (Rust Oxidize) V1 packet'
    oxt_min_size = 9
    fields_desc = [
        XStrFixedLenField('magic', b'OX', length=2),
        XByteField('flags', 0),
        LEIntField('seq_num', 0),
        LEShortField('payload_len', 0),
        XStrLenField('payload', b"", length_from=lambda pkt: max(pkt.getfieldval('payload_len'), 0)),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_magic = self.getfieldval('magic')
        v_payload_len = self.getfieldval('payload_len')
        v_payload = self.getfieldval('payload')
        if v_magic != b'OX':
            return f"magic: expected 4f58, got {v_magic.hex()}"
        if v_payload_len > 9207:
            return f"payload_len: must be at most 9207, got {v_payload_len}"
        if v_payload_len != len(v_payload):
            return f"payload_len: {v_payload_len} disagrees with payload.size = {len(v_payload)}"
        if len(v_payload) != v_payload_len:
            return f"payload: is {len(v_payload)} bytes, needs {v_payload_len}"
        return None


class OxLegacyPing(Packet):
    """Legacy PING datagram (legacy_ping.ksy)."""

    name = 'Legacy PING datagram'
    oxt_min_size = 4
    fields_desc = [
        XStrFixedLenField('magic', b'OXPI', length=4),
        XStrField('payload', b""),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_magic = self.getfieldval('magic')
        if v_magic != b'OXPI':
            return f"magic: expected 4f585049, got {v_magic.hex()}"
        return None


class OxLegacyPong(Packet):
    """Legacy PONG datagram (legacy_pong.ksy)."""

    name = 'Legacy PONG datagram'
    oxt_min_size = 4
    fields_desc = [
        XStrFixedLenField('magic', b'OXPO', length=4),
        XStrField('payload', b""),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_magic = self.getfieldval('magic')
        if v_magic != b'OXPO':
            return f"magic: expected 4f58504f, got {v_magic.hex()}"
        return None


class OxLegacyShortControl(Packet):
    """Legacy one-byte control messages (legacy_short_control.ksy)."""

    name = 'Legacy one-byte control messages'
    oxt_min_size = 1
    fields_desc = [
        ByteField('control_type', 0),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_control_type = self.getfieldval('control_type')
        if v_control_type not in _LEGACY_SHORT_CONTROL_ANY_OF_CONTROL_TYPE:
            return f"control_type: must be one of 3, 4, 5, 9, got {v_control_type}"
        return None


class OxLegacyTcpFrame(Packet):
    """Legacy TCP frame (legacy_tcp_frame.ksy)."""

    name = 'Legacy TCP frame'
    oxt_min_size = 2
    fields_desc = [
        ShortField('frame_length', 0),
        XStrLenField('packet', b"", length_from=lambda pkt: max(pkt.getfieldval('frame_length'), 0)),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_frame_length = self.getfieldval('frame_length')
        v_packet = self.getfieldval('packet')
        if v_frame_length < 1:
            return f"frame_length: must be at least 1, got {v_frame_length}"
        if v_frame_length > 9216:
            return f"frame_length: must be at most 9216, got {v_frame_length}"
        if v_frame_length != len(v_packet):
            return f"frame_length: {v_frame_length} disagrees with packet.size = {len(v_packet)}"
        if len(v_packet) != v_frame_length:
            return f"packet: is {len(v_packet)} bytes, needs {v_frame_length}"
        return None



def bind_legacy(udp_port: int = 51820) -> None:
    """Dissect UDP udp_port as the legacy dialect instead of v3 (conformance runs against Rust Oxidize)."""
    from scapy.layers.inet import UDP

    from generated.scapy_layers.oxtunnel import OxTunnel

    split_layers(UDP, OxTunnel, dport=udp_port)
    split_layers(UDP, OxTunnel, sport=udp_port)
    bind_layers(UDP, OxLegacyPacket, dport=udp_port)
    bind_layers(UDP, OxLegacyPacket, sport=udp_port)
