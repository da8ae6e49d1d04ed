# Generated from spec/*.ksy by spec/codegen — do not edit; run `make generate`.
"""scapy layers for spec/*.ksy (v3 profile)."""

from __future__ import annotations

from scapy.config import conf
from scapy.fields import (
    ByteEnumField,
    ByteField,
    ConditionalField,
    Field,
    IntField,
    LongField,
    PacketField,
    PacketListField,
    ShortField,
    XByteField,
    XStrField,
    XStrFixedLenField,
    XStrLenField,
)
from scapy.packet import NoPayload, Packet, Padding, Raw, bind_layers, split_layers

from generated.codecs._runtime import encode_varint, read_varint, varint_size


class ScapyStrictError(ValueError):
    """dissect_strict() found bytes the spec does not allow (the same rules as the codecs)."""


class VarInt(int):
    """An int that remembers how many bytes its QUIC varint encoding took on the wire."""

    encoded_len: int

    def __new__(cls, value: int, encoded_len: int) -> VarInt:
        obj = super().__new__(cls, value)
        obj.encoded_len = encoded_len
        return obj


def _vlen(value: int) -> int:
    return getattr(value, "encoded_len", varint_size(value))


class QuicVarintField(Field[int, int]):
    """A QUIC variable-length integer (RFC 9000 §16); non-minimal encodings are kept as found."""

    def __init__(self, name: str, default: int | None) -> None:
        super().__init__(name, default, "B")

    def addfield(self, pkt: Packet, s: bytes, val: int | None) -> bytes:
        value = 0 if val is None else int(val)
        length = getattr(val, "encoded_len", None)
        return s + encode_varint(value, length)

    def getfield(self, pkt: Packet, s: bytes) -> tuple[bytes, int]:
        value, end = read_varint(s, 0, len(s), type(pkt).__name__, self.name)
        return s[end:], VarInt(value, end)

    def i2len(self, pkt: Packet, x: int | None) -> int:
        return _vlen(0 if x is None else x)

    def randval(self) -> int:  # type: ignore[override]
        return 0


class _Nested(Packet):
    """A structure inside another one: what follows it goes back to the outer layer."""

    def extract_padding(self, s: bytes) -> tuple[bytes, bytes]:
        return b"", s

    def oxt_check(self) -> str | None:
        return None


def _check_all(pkt: Packet) -> str | None:
    layer: Packet | None = pkt
    while layer is not None and not isinstance(layer, NoPayload):
        check = getattr(layer, "oxt_check", None)
        if check is None:
            return f"undecoded bytes ({type(layer).__name__})"
        problem = check()
        if problem:
            return f"{type(layer).__name__}.{problem}"
        layer = layer.payload if not isinstance(layer.payload, NoPayload) else None
    return None


def dissect_strict(cls: type[Packet], data: bytes) -> Packet:
    """Dissect data as cls and apply every spec rule; ScapyStrictError on any problem."""
    minimum = getattr(cls, "oxt_min_size", 0)
    if len(data) < minimum:
        raise ScapyStrictError(f"{cls.__name__}: needs at least {minimum} bytes, got {len(data)}")
    saved = conf.debug_dissector
    conf.debug_dissector = True
    try:
        pkt = cls(data)
    except Exception as exc:  # scapy raises many types on short input; all mean "not this structure"
        raise ScapyStrictError(f"{cls.__name__}: {exc}") from exc
    finally:
        conf.debug_dissector = saved
    if pkt.haslayer(Raw) or pkt.haslayer(Padding):
        raise ScapyStrictError(f"{cls.__name__}: bytes left over")
    problem = _check_all(pkt)
    if problem:
        raise ScapyStrictError(problem)
    return pkt


_IP_ADDRESS_ANY_OF_VERSION = frozenset((4, 6,))
_IP_PREFIX_ANY_OF_VERSION = frozenset((4, 6,))
_SESSION_CONFIG_ANY_OF_CIPHER = frozenset((1, 2,))
_CONTROL_MESSAGE_ANY_OF_CONTROL_TYPE = frozenset((3, 4, 5, 6, 7, 11,))
_CONTROL_MESSAGE_ANY_OF_REASON = frozenset((0, 1, 2, 3, 4, 5,))


class OxBatchEntry(_Nested):
    """One packet of a batch (batch_entry.ksy)."""

    name = 'One packet of a batch'
    oxt_min_size = 2
    fields_desc = [
        ShortField('length', 0),
        XStrLenField('packet', b"", length_from=lambda pkt: max(pkt.getfieldval('length'), 0)),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_length = self.getfieldval('length')
        v_packet = self.getfieldval('packet')
        if v_length < 1:
            return f"length: must be at least 1, got {v_length}"
        if v_length != len(v_packet):
            return f"length: {v_length} disagrees with packet.size = {len(v_packet)}"
        if len(v_packet) != v_length:
            return f"packet: is {len(v_packet)} bytes, needs {v_length}"
        return None


class OxBatch(Packet):
    """Batch of inner packets (batch.ksy)."""

    name = 'Batch of inner packets'
    oxt_min_size = 2
    fields_desc = [
        ShortField('count', 0),
        PacketListField('entries', [], OxBatchEntry, count_from=lambda pkt: pkt.getfieldval('count')),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_count = self.getfieldval('count')
        v_entries = self.getfieldval('entries')
        if v_count < 1:
            return f"count: must be at least 1, got {v_count}"
        if v_count != len(v_entries):
            return f"count: {v_count} disagrees with entries.size = {len(v_entries)}"
        for item in v_entries:
            problem = item.oxt_check()
            if problem:
                return f"entries.{problem}"
        return None


class OxCompressionEnvelope(Packet):
    """Compression envelope (compression_envelope.ksy)."""

    name = 'Compression envelope'
    oxt_min_size = 2
    fields_desc = [
        ShortField('original_length', 0),
        XStrField('block', b""),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_original_length = self.getfieldval('original_length')
        if v_original_length < 1:
            return f"original_length: must be at least 1, got {v_original_length}"
        return None


class OxIpAddress(_Nested):
    """IP address with version (ip_address.ksy)."""

    name = 'IP address with version'
    oxt_min_size = 1
    fields_desc = [
        ByteField('version', 0),
        XStrLenField('address', b"", length_from=lambda pkt: max((4 if pkt.getfieldval('version') == 4 else 16), 0)),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_version = self.getfieldval('version')
        v_address = self.getfieldval('address')
        if v_version not in _IP_ADDRESS_ANY_OF_VERSION:
            return f"version: must be one of 4, 6, got {v_version}"
        if len(v_address) != (4 if v_version == 4 else 16):
            return f"address: is {len(v_address)} bytes, needs {(4 if v_version == 4 else 16)}"
        return None


class OxIpPrefix(_Nested):
    """IP prefix with version (ip_prefix.ksy)."""

    name = 'IP prefix with version'
    oxt_min_size = 2
    fields_desc = [
        ByteField('version', 0),
        XStrLenField('address', b"", length_from=lambda pkt: max((4 if pkt.getfieldval('version') == 4 else 16), 0)),
        ByteField('prefix_length', 0),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_version = self.getfieldval('version')
        v_address = self.getfieldval('address')
        v_prefix_length = self.getfieldval('prefix_length')
        if v_version not in _IP_PREFIX_ANY_OF_VERSION:
            return f"version: must be one of 4, 6, got {v_version}"
        if len(v_address) != (4 if v_version == 4 else 16):
            return f"address: is {len(v_address)} bytes, needs {(4 if v_version == 4 else 16)}"
        if not (v_prefix_length <= (32 if v_version == 4 else 128)):
            return f"prefix_length: violates `_ <= (version == 4 ? 32 : 128)` (value {v_prefix_length!r})"
        return None


class OxSessionConfig(_Nested):
    """Session configuration (session_config.ksy)."""

    name = 'Session configuration'
    oxt_min_size = 31
    fields_desc = [
        ByteEnumField('cipher', 0, {1: 'chacha20_poly1305', 2: 'aes_256_gcm'}),
        ShortField('features', 0),
        ShortField('mtu', 0),
        ShortField('keepalive_interval', 0),
        XStrFixedLenField('ipv4_address', b"\x00" * 4, length=4),
        ByteField('ipv4_prefix_length', 0),
        XStrFixedLenField('ipv6_address', b"\x00" * 16, length=16),
        ByteField('ipv6_prefix_length', 0),
        ByteField('dns_count', 0),
        PacketListField('dns_servers', [], OxIpAddress, count_from=lambda pkt: pkt.getfieldval('dns_count')),
        ByteField('route_count', 0),
        PacketListField('routes', [], OxIpPrefix, count_from=lambda pkt: pkt.getfieldval('route_count')),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_cipher = self.getfieldval('cipher')
        v_features = self.getfieldval('features')
        v_mtu = self.getfieldval('mtu')
        v_ipv4_address = self.getfieldval('ipv4_address')
        v_ipv4_prefix_length = self.getfieldval('ipv4_prefix_length')
        v_ipv6_address = self.getfieldval('ipv6_address')
        v_ipv6_prefix_length = self.getfieldval('ipv6_prefix_length')
        v_dns_count = self.getfieldval('dns_count')
        v_dns_servers = self.getfieldval('dns_servers')
        v_route_count = self.getfieldval('route_count')
        v_routes = self.getfieldval('routes')
        if v_cipher not in _SESSION_CONFIG_ANY_OF_CIPHER:
            return f"cipher: must be one of chacha20_poly1305, aes_256_gcm, got {v_cipher}"
        if not ((v_features & 0xfff0) == 0):
            return f"features: violates `(_ & 0xfff0) == 0` (value {v_features!r})"
        if v_mtu < 576:
            return f"mtu: must be at least 576, got {v_mtu}"
        if v_mtu > 65470:
            return f"mtu: must be at most 65470, got {v_mtu}"
        if len(v_ipv4_address) != 4:
            return f"ipv4_address: is {len(v_ipv4_address)} bytes, needs {4}"
        if v_ipv4_prefix_length > 32:
            return f"ipv4_prefix_length: must be at most 32, got {v_ipv4_prefix_length}"
        if len(v_ipv6_address) != 16:
            return f"ipv6_address: is {len(v_ipv6_address)} bytes, needs {16}"
        if v_ipv6_prefix_length > 128:
            return f"ipv6_prefix_length: must be at most 128, got {v_ipv6_prefix_length}"
        if v_dns_count != len(v_dns_servers):
            return f"dns_count: {v_dns_count} disagrees with dns_servers.size = {len(v_dns_servers)}"
        for item in v_dns_servers:
            problem = item.oxt_check()
            if problem:
                return f"dns_servers.{problem}"
        if v_route_count != len(v_routes):
            return f"route_count: {v_route_count} disagrees with routes.size = {len(v_routes)}"
        for item in v_routes:
            problem = item.oxt_check()
            if problem:
                return f"routes.{problem}"
        return None


class OxControlMessage(Packet):
    """Authenticated control message (control_message.ksy)."""

    name = 'Authenticated control message'
    oxt_min_size = 1
    fields_desc = [
        ByteEnumField('control_type', 0, {1: 'handshake_init', 2: 'handshake_response', 3: 'keepalive', 4: 'disconnect', 5: 'ack', 6: 'config_update', 7: 'key_rotation', 8: 'reserved_init_auth', 9: 'reserved_auth_rejected', 10: 'cookie_reply', 11: 'rekey_request'}),
        ConditionalField(ByteEnumField('reason', 0, {0: 'normal', 1: 'shutdown', 2: 'idle', 3: 'policy', 4: 'rekey_failed', 5: 'address_pool_exhausted'}), lambda pkt: (pkt.getfieldval('control_type') == 4)),
        ConditionalField(LongField('acked_counter', 0), lambda pkt: (pkt.getfieldval('control_type') == 5)),
        ConditionalField(IntField('config_id', 0), lambda pkt: (pkt.getfieldval('control_type') == 6)),
        ConditionalField(PacketField('config', OxSessionConfig(), OxSessionConfig), lambda pkt: (pkt.getfieldval('control_type') == 6)),
        ConditionalField(IntField('retired_index', 0), lambda pkt: (pkt.getfieldval('control_type') == 7)),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_control_type = self.getfieldval('control_type')
        v_reason = self.fields.get('reason')
        v_config = self.fields.get('config')
        if v_control_type not in _CONTROL_MESSAGE_ANY_OF_CONTROL_TYPE:
            return f"control_type: must be one of keepalive, disconnect, ack, config_update, key_rotation, rekey_request, got {v_control_type}"
        if v_reason is not None:
            if v_reason not in _CONTROL_MESSAGE_ANY_OF_REASON:
                return f"reason: must be one of normal, shutdown, idle, policy, rekey_failed, address_pool_exhausted, got {v_reason}"
        if v_config is not None:
            for item in (v_config,):
                problem = item.oxt_check()
                if problem:
                    return f"config.{problem}"
        return None


class OxCookieReply(Packet):
    """COOKIE_REPLY (cookie_reply.ksy)."""

    name = 'COOKIE_REPLY'
    oxt_min_size = 58
    fields_desc = [
        XStrFixedLenField('magic', b'OX', length=2),
        XByteField('flags', 8),
        IntField('seq', 0),
        ShortField('length', 49),
        ByteField('control_type', 10),
        IntField('receiver_index', 0),
        XStrFixedLenField('nonce', b"\x00" * 12, length=12),
        XStrFixedLenField('encrypted_cookie', b"\x00" * 32, length=32),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_magic = self.getfieldval('magic')
        v_flags = self.getfieldval('flags')
        v_seq = self.getfieldval('seq')
        v_length = self.getfieldval('length')
        v_control_type = self.getfieldval('control_type')
        v_nonce = self.getfieldval('nonce')
        v_encrypted_cookie = self.getfieldval('encrypted_cookie')
        if v_magic != b'OX':
            return f"magic: expected 4f58, got {v_magic.hex()}"
        if v_flags != 8:
            return f"flags: must be 8, got {v_flags}"
        if v_seq != 0:
            return f"seq: must be 0, got {v_seq}"
        if v_length != 49:
            return f"length: must be 49, got {v_length}"
        if v_control_type != 10:
            return f"control_type: must be 10, got {v_control_type}"
        if len(v_nonce) != 12:
            return f"nonce: is {len(v_nonce)} bytes, needs {12}"
        if len(v_encrypted_cookie) != 32:
            return f"encrypted_cookie: is {len(v_encrypted_cookie)} bytes, needs {32}"
        return None


class OxDataEnvelope(Packet):
    """OxTunnel v3 data envelope (data_envelope.ksy)."""

    name = 'OxTunnel v3 data envelope'
    oxt_min_size = 37
    fields_desc = [
        XStrFixedLenField('magic', b'OX', length=2),
        XByteField('flags', 0),
        IntField('seq', 0),
        ShortField('length', 0),
        IntField('receiver_index', 0),
        LongField('counter', 0),
        XStrLenField('body', b"", length_from=lambda pkt: max((pkt.getfieldval('length') - 28), 0)),
        XStrFixedLenField('tag', b"\x00" * 16, length=16),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_magic = self.getfieldval('magic')
        v_flags = self.getfieldval('flags')
        v_seq = self.getfieldval('seq')
        v_length = self.getfieldval('length')
        v_counter = self.getfieldval('counter')
        v_body = self.getfieldval('body')
        v_tag = self.getfieldval('tag')
        if v_magic != b'OX':
            return f"magic: expected 4f58, got {v_magic.hex()}"
        if not ((v_flags & 0xe0) == 0 and (v_flags & 0x14) != 0x14 and ((v_flags & 0x08) == 0 or v_flags == 0x09)):
            return f"flags: violates `(_ & 0xe0) == 0 and (_ & 0x14) != 0x14 and ((_ & 0x08) == 0 or _ == 0x09)` (value {v_flags!r})"
        if v_seq != (v_counter & 0xffffffff):
            return f"seq: {v_seq} disagrees with counter & 0xffffffff = {(v_counter & 0xffffffff)}"
        if v_length < 28:
            return f"length: must be at least 28, got {v_length}"
        if v_length > 65526:
            return f"length: must be at most 65526, got {v_length}"
        if v_length != (len(v_body) + 28):
            return f"length: {v_length} disagrees with body.size + 28 = {(len(v_body) + 28)}"
        if not ((v_counter & 0xffffffff) == v_seq and v_counter < 18446744073709543423):
            return f"counter: violates `(_ & 0xffffffff) == seq and _ < 18446744073709543423` (value {v_counter!r})"
        if len(v_body) != (v_length - 28):
            return f"body: is {len(v_body)} bytes, needs {(v_length - 28)}"
        if len(v_tag) != 16:
            return f"tag: is {len(v_tag)} bytes, needs {16}"
        return None


class OxHandshakeInit(Packet):
    """HANDSHAKE_INIT (Noise IK message 1) (handshake_init.ksy)."""

    name = 'HANDSHAKE_INIT (Noise IK message 1)'
    oxt_min_size = 158
    fields_desc = [
        XStrFixedLenField('magic', b'OX', length=2),
        XByteField('flags', 8),
        IntField('seq', 0),
        ShortField('length', 149),
        ByteField('control_type', 1),
        IntField('sender_index', 0),
        XStrFixedLenField('ephemeral', b"\x00" * 32, length=32),
        XStrFixedLenField('encrypted_static', b"\x00" * 48, length=48),
        XStrFixedLenField('encrypted_payload', b"\x00" * 32, length=32),
        XStrFixedLenField('mac1', b"\x00" * 16, length=16),
        XStrFixedLenField('mac2', b"\x00" * 16, length=16),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_magic = self.getfieldval('magic')
        v_flags = self.getfieldval('flags')
        v_seq = self.getfieldval('seq')
        v_length = self.getfieldval('length')
        v_control_type = self.getfieldval('control_type')
        v_ephemeral = self.getfieldval('ephemeral')
        v_encrypted_static = self.getfieldval('encrypted_static')
        v_encrypted_payload = self.getfieldval('encrypted_payload')
        v_mac1 = self.getfieldval('mac1')
        v_mac2 = self.getfieldval('mac2')
        if v_magic != b'OX':
            return f"magic: expected 4f58, got {v_magic.hex()}"
        if v_flags != 8:
            return f"flags: must be 8, got {v_flags}"
        if v_seq != 0:
            return f"seq: must be 0, got {v_seq}"
        if v_length != 149:
            return f"length: must be 149, got {v_length}"
        if v_control_type != 1:
            return f"control_type: must be 1, got {v_control_type}"
        if len(v_ephemeral) != 32:
            return f"ephemeral: is {len(v_ephemeral)} bytes, needs {32}"
        if len(v_encrypted_static) != 48:
            return f"encrypted_static: is {len(v_encrypted_static)} bytes, needs {48}"
        if len(v_encrypted_payload) != 32:
            return f"encrypted_payload: is {len(v_encrypted_payload)} bytes, needs {32}"
        if len(v_mac1) != 16:
            return f"mac1: is {len(v_mac1)} bytes, needs {16}"
        if len(v_mac2) != 16:
            return f"mac2: is {len(v_mac2)} bytes, needs {16}"
        return None


class OxHandshakeResponse(Packet):
    """HANDSHAKE_RESPONSE (Noise IK message 2) (handshake_response.ksy)."""

    name = 'HANDSHAKE_RESPONSE (Noise IK message 2)'
    oxt_min_size = 82
    fields_desc = [
        XStrFixedLenField('magic', b'OX', length=2),
        XByteField('flags', 8),
        IntField('seq', 0),
        ShortField('length', 0),
        ByteField('control_type', 2),
        IntField('sender_index', 0),
        IntField('receiver_index', 0),
        XStrFixedLenField('ephemeral', b"\x00" * 32, length=32),
        XStrLenField('encrypted_payload', b"", length_from=lambda pkt: max((pkt.getfieldval('length') - 73), 0)),
        XStrFixedLenField('mac1', b"\x00" * 16, length=16),
        XStrFixedLenField('mac2', b"\x00" * 16, length=16),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_magic = self.getfieldval('magic')
        v_flags = self.getfieldval('flags')
        v_seq = self.getfieldval('seq')
        v_length = self.getfieldval('length')
        v_control_type = self.getfieldval('control_type')
        v_ephemeral = self.getfieldval('ephemeral')
        v_encrypted_payload = self.getfieldval('encrypted_payload')
        v_mac1 = self.getfieldval('mac1')
        v_mac2 = self.getfieldval('mac2')
        if v_magic != b'OX':
            return f"magic: expected 4f58, got {v_magic.hex()}"
        if v_flags != 8:
            return f"flags: must be 8, got {v_flags}"
        if v_seq != 0:
            return f"seq: must be 0, got {v_seq}"
        if v_length < 120:
            return f"length: must be at least 120, got {v_length}"
        if v_length > 65526:
            return f"length: must be at most 65526, got {v_length}"
        if v_length != (len(v_encrypted_payload) + 73):
            return f"length: {v_length} disagrees with encrypted_payload.size + 73 = {(len(v_encrypted_payload) + 73)}"
        if v_control_type != 2:
            return f"control_type: must be 2, got {v_control_type}"
        if len(v_ephemeral) != 32:
            return f"ephemeral: is {len(v_ephemeral)} bytes, needs {32}"
        if len(v_encrypted_payload) != (v_length - 73):
            return f"encrypted_payload: is {len(v_encrypted_payload)} bytes, needs {(v_length - 73)}"
        if len(v_mac1) != 16:
            return f"mac1: is {len(v_mac1)} bytes, needs {16}"
        if len(v_mac2) != 16:
            return f"mac2: is {len(v_mac2)} bytes, needs {16}"
        return None


class OxHeader(Packet):
    """OxTunnel v3 packet header (header.ksy)."""

    name = 'OxTunnel v3 packet header'
    oxt_min_size = 9
    fields_desc = [
        XStrFixedLenField('magic', b'OX', length=2),
        XByteField('flags', 0),
        IntField('seq', 0),
        ShortField('length', 0),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_magic = self.getfieldval('magic')
        v_flags = self.getfieldval('flags')
        v_length = self.getfieldval('length')
        if v_magic != b'OX':
            return f"magic: expected 4f58, got {v_magic.hex()}"
        if not ((v_flags & 0xe0) == 0 and (v_flags & 0x14) != 0x14 and ((v_flags & 0x08) == 0 or v_flags == 0x08 or v_flags == 0x09)):
            return f"flags: violates `(_ & 0xe0) == 0 and (_ & 0x14) != 0x14 and ((_ & 0x08) == 0 or _ == 0x08 or _ == 0x09)` (value {v_flags!r})"
        if v_length < 28:
            return f"length: must be at least 28, got {v_length}"
        if v_length > 65526:
            return f"length: must be at most 65526, got {v_length}"
        return None


class OxInitPayload(Packet):
    """HANDSHAKE_INIT payload (plaintext) (init_payload.ksy)."""

    name = 'HANDSHAKE_INIT payload (plaintext)'
    oxt_min_size = 16
    fields_desc = [
        XStrFixedLenField('timestamp', b"\x00" * 12, length=12),
        ByteField('supported_ciphers', 0),
        ByteEnumField('preferred_cipher', 0, {1: 'chacha20_poly1305', 2: 'aes_256_gcm'}),
        ShortField('features', 0),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_timestamp = self.getfieldval('timestamp')
        v_supported_ciphers = self.getfieldval('supported_ciphers')
        v_preferred_cipher = self.getfieldval('preferred_cipher')
        v_features = self.getfieldval('features')
        if len(v_timestamp) != 12:
            return f"timestamp: is {len(v_timestamp)} bytes, needs {12}"
        if not (v_supported_ciphers != 0 and (v_supported_ciphers & 0xfc) == 0):
            return f"supported_ciphers: violates `_ != 0 and (_ & 0xfc) == 0` (value {v_supported_ciphers!r})"
        if not ((v_preferred_cipher == 1 or v_preferred_cipher == 2) and (v_supported_ciphers & v_preferred_cipher) != 0):
            return f"preferred_cipher: violates `(_ == cipher::chacha20_poly1305 or _ == cipher::aes_256_gcm) and (supported_ciphers & _.to_i) != 0` (value {v_preferred_cipher!r})"
        if not ((v_features & 0xfff0) == 0):
            return f"features: violates `(_ & 0xfff0) == 0` (value {v_features!r})"
        return None


class OxTcpFrame(Packet):
    """TCP stream frame (tcp_frame.ksy)."""

    name = 'TCP stream frame'
    oxt_min_size = 2
    fields_desc = [
        ShortField('frame_length', 0),
        XStrLenField('datagram', b"", length_from=lambda pkt: max(pkt.getfieldval('frame_length'), 0)),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_frame_length = self.getfieldval('frame_length')
        v_datagram = self.getfieldval('datagram')
        if v_frame_length < 9:
            return f"frame_length: must be at least 9, got {v_frame_length}"
        if v_frame_length != len(v_datagram):
            return f"frame_length: {v_frame_length} disagrees with datagram.size = {len(v_datagram)}"
        if len(v_datagram) != v_frame_length:
            return f"datagram: is {len(v_datagram)} bytes, needs {v_frame_length}"
        return None


_HANDSHAKES: dict[int, type[Packet]] = {
    0x01: OxHandshakeInit,
    0x02: OxHandshakeResponse,
    0x0A: OxCookieReply,
}


class OxTunnel(Packet):
    """An OxTunnel v3 datagram: picks the structure from the flags and control type (the way a receiver
    dispatches): flags 0x08 → handshake message by control_type, otherwise a data envelope."""

    name = "OxTunnel v3"

    @classmethod
    def dispatch_hook(cls, _pkt: bytes | None = None, *args: object, **kargs: object) -> type[Packet]:
        if _pkt and len(_pkt) >= 3 and _pkt[:2] == b"OX":
            if _pkt[2] == 0x08:
                return _HANDSHAKES.get(_pkt[9] if len(_pkt) > 9 else -1, OxHeader)
            return OxDataEnvelope
        return Raw


def bind(udp_port: int = 51820, tcp_port: int = 51821) -> None:
    """Bind the layers to the OxTunnel ports, undoing scapy's WireGuard binding of UDP 51820."""
    from scapy.layers.inet import TCP, UDP

    try:
        from scapy.contrib.wireguard import Wireguard

        split_layers(UDP, Wireguard, dport=51820)
        split_layers(UDP, Wireguard, sport=51820)
    except ImportError:  # pragma: no cover - contrib module missing
        pass
    bind_layers(UDP, OxTunnel, dport=udp_port)
    bind_layers(UDP, OxTunnel, sport=udp_port)
    bind_layers(TCP, OxTcpFrame, dport=tcp_port)
    bind_layers(TCP, OxTcpFrame, sport=tcp_port)


bind()
