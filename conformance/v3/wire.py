"""OxTunnel v3 byte layouts as the conformance suite builds and reads them (spec/README.md §1–§4).

Constants come from ``generated.codecs.constants`` and server messages are decoded with the generated
codecs (strictly, so a server that sends a malformed response fails). What the suite *sends* is built
here field by field, because a conformance suite must be able to send what no codec would encode.

Well-formed messages follow the spec exactly; the ``raw_*`` builders take every field explicitly so a
check can produce precisely the malformation it means to test (a length that lies, a reserved bit, a
seq that disagrees with the counter) while everything else stays authentic.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from conformance.v3 import handshake as hs
from generated import codecs
from generated.codecs import constants as C

MAGIC = C.MAGIC
HEADER = struct.Struct(">HBIH")  # magic, flags, seq, length
HEADER_SIZE = C.HEADER_SIZE
TAG_SIZE = C.TAG_SIZE
ENVELOPE_OVERHEAD = C.ENVELOPE_OVERHEAD

FLAG_ENCRYPTED = int(C.Flags.ENCRYPTED)
FLAG_COMPRESSED = int(C.Flags.COMPRESSED)
FLAG_BATCH = int(C.Flags.BATCH)
FLAG_CONTROL = int(C.Flags.CONTROL)
FLAG_IPV6 = int(C.Flags.IPV6)
FLAGS_RESERVED = C.FLAGS_RESERVED_MASK

CT_HANDSHAKE_INIT = int(C.ControlType.HANDSHAKE_INIT)
CT_HANDSHAKE_RESPONSE = int(C.ControlType.HANDSHAKE_RESPONSE)
CT_KEEPALIVE = int(C.ControlType.KEEPALIVE)
CT_DISCONNECT = int(C.ControlType.DISCONNECT)
CT_ACK = int(C.ControlType.ACK)
CT_CONFIG_UPDATE = int(C.ControlType.CONFIG_UPDATE)
CT_KEY_ROTATION = int(C.ControlType.KEY_ROTATION)
CT_COOKIE_REPLY = int(C.ControlType.COOKIE_REPLY)
CT_REKEY_REQUEST = int(C.ControlType.REKEY_REQUEST)
# Control codes the spec does not assign (the lowest free one moves as the spec grows).
CT_UNASSIGNED = tuple(sorted(set(range(256)) - {int(t) for t in C.ControlType}))

CIPHER_CHACHA20_POLY1305 = int(C.Cipher.CHACHA20_POLY1305)
CIPHER_AES_256_GCM = int(C.Cipher.AES_256_GCM)

FEATURE_COMPRESSION = int(C.Features.COMPRESSION)
FEATURE_BATCHING = int(C.Features.BATCHING)
FEATURE_PLAINTEXT = int(C.Features.PLAINTEXT)
FEATURE_IPV6 = int(C.Features.IPV6)

INIT_SIZE = C.HANDSHAKE_INIT_SIZE
COOKIE_REPLY_SIZE = C.COOKIE_REPLY_SIZE


def header(flags: int, seq: int, length: int, magic: int = MAGIC) -> bytes:
    return HEADER.pack(magic, flags, seq & 0xFFFFFFFF, length & 0xFFFF)


@dataclass(frozen=True)
class Header:
    magic: int
    flags: int
    seq: int
    length: int

    @classmethod
    def parse(cls, data: bytes) -> Header:
        if len(data) < HEADER_SIZE:
            raise ValueError(f"datagram of {len(data)} bytes is shorter than the 9-byte header")
        return cls(*HEADER.unpack_from(data))


# --- handshake ----------------------------------------------------------------------------------------


def init_payload(
    timestamp: bytes, supported: int = 0x01, preferred: int = CIPHER_CHACHA20_POLY1305, features: int = 0
) -> bytes:
    """``init_payload`` (16): TAI64N ‖ supported_ciphers ‖ preferred_cipher ‖ features."""
    return timestamp + struct.pack(">BBH", supported, preferred, features)


def build_init(
    sender_index: int,
    noise_message: bytes,
    server_public: bytes,
    cookie: bytes | None = None,
) -> bytes:
    """HANDSHAKE_INIT (158 bytes): mac1 over everything before it, mac2 with the cookie or zeros."""
    body = bytes([CT_HANDSHAKE_INIT]) + struct.pack(">I", sender_index) + noise_message
    head = header(FLAG_CONTROL, 0, len(body) + 2 * hs.MAC_SIZE)
    before_mac1 = head + body
    mac1 = hs.mac(hs.mac1_key(server_public), before_mac1)
    mac2 = hs.mac(cookie, before_mac1 + mac1) if cookie else bytes(hs.MAC_SIZE)
    return before_mac1 + mac1 + mac2


def with_macs(before_mac1: bytes, server_public: bytes) -> bytes:
    """Append a correct mac1 and a zero mac2 to any bytes (to test rules other than the MACs)."""
    return before_mac1 + hs.mac(hs.mac1_key(server_public), before_mac1) + bytes(hs.MAC_SIZE)


def init_mac1(init: bytes) -> bytes:
    return init[-2 * hs.MAC_SIZE : -hs.MAC_SIZE]


@dataclass(frozen=True)
class Response:
    sender_index: int
    receiver_index: int
    noise_message: bytes
    mac1: bytes
    mac2: bytes
    raw: bytes


def parse_response(data: bytes) -> Response:
    """A HANDSHAKE_RESPONSE, strictly as ``handshake_response.ksy`` says (a DecodeError is a ValueError)."""
    try:
        decoded = codecs.HandshakeResponse.decode(data)
    except codecs.DecodeError as exc:
        raise ValueError(str(exc)) from None
    return Response(
        decoded.sender_index,
        decoded.receiver_index,
        decoded.ephemeral + decoded.encrypted_payload,
        decoded.mac1,
        decoded.mac2,
        data,
    )


def response_mac1_ok(response: Response, client_public: bytes) -> bool:
    return hs.mac(hs.mac1_key(client_public), response.raw[:-32]) == response.mac1


@dataclass(frozen=True)
class CookieReply:
    receiver_index: int
    nonce: bytes
    encrypted_cookie: bytes


def parse_cookie_reply(data: bytes) -> CookieReply:
    try:
        decoded = codecs.CookieReply.decode(data)
    except codecs.DecodeError as exc:
        raise ValueError(str(exc)) from None
    return CookieReply(decoded.receiver_index, decoded.nonce, decoded.encrypted_cookie)


def control_type(data: bytes) -> int | None:
    """The control type of a plaintext handshake-class message, else None."""
    if len(data) > HEADER_SIZE and data[2] == FLAG_CONTROL:
        return data[HEADER_SIZE]
    return None


# --- session config -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionConfig:
    cipher: int
    features: int
    mtu: int
    keepalive_interval: int
    ipv4: ipaddress.IPv4Interface | None
    ipv6: ipaddress.IPv6Interface | None
    dns: tuple[str, ...] = ()
    routes: tuple[str, ...] = field(default_factory=tuple)


def _address(item: codecs.IpAddress | codecs.IpPrefix) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(item.address)


def parse_session_config(data: bytes) -> SessionConfig:
    """``session_config`` via the generated codec (strict: trailing bytes, bad MTU or cipher are errors)."""
    try:
        raw = codecs.SessionConfig.decode(data)
    except codecs.DecodeError as exc:
        raise ValueError(str(exc)) from None
    v4, v6 = ipaddress.IPv4Address(raw.ipv4_address), ipaddress.IPv6Address(raw.ipv6_address)
    return SessionConfig(
        cipher=int(raw.cipher),
        features=raw.features,
        mtu=raw.mtu,
        keepalive_interval=raw.keepalive_interval,
        ipv4=None
        if int(v4) == 0 and raw.ipv4_prefix_length == 0
        else ipaddress.IPv4Interface(f"{v4}/{raw.ipv4_prefix_length}"),
        ipv6=None
        if int(v6) == 0 and raw.ipv6_prefix_length == 0
        else ipaddress.IPv6Interface(f"{v6}/{raw.ipv6_prefix_length}"),
        dns=tuple(str(_address(d)) for d in raw.dns_servers),
        routes=tuple(f"{_address(r)}/{r.prefix_length}" for r in raw.routes),
    )


# --- envelope -----------------------------------------------------------------------------------------


def aead(cipher: int, key: bytes) -> ChaCha20Poly1305 | AESGCM:
    if cipher == CIPHER_AES_256_GCM:
        return AESGCM(key)
    return ChaCha20Poly1305(key)


def raw_envelope(
    key: bytes,
    cipher: int,
    flags: int,
    receiver_index: int,
    counter: int,
    body: bytes,
    *,
    seq: int | None = None,
    length: int | None = None,
    magic: int = MAGIC,
    aad_header: bytes | None = None,
) -> bytes:
    """An envelope with every field explicit. ``flags`` without ENCRYPTED gives the authenticated-plaintext
    form (tag over header ‖ index ‖ counter ‖ body). ``aad_header`` authenticates a different header than
    the one sent (to model tampering after sealing)."""
    nonce = struct.pack(">IQ", receiver_index, counter)
    seq = counter & 0xFFFFFFFF if seq is None else seq
    length = 12 + len(body) + TAG_SIZE if length is None else length
    head = header(flags, seq, length, magic)
    auth_head = aad_header if aad_header is not None else head
    box = aead(cipher, key)
    if flags & FLAG_ENCRYPTED:
        sealed = box.encrypt(nonce, body, auth_head)
    else:
        sealed = body + box.encrypt(nonce, b"", auth_head + nonce + body)
    return head + nonce + sealed


@dataclass(frozen=True)
class Opened:
    flags: int
    seq: int
    receiver_index: int
    counter: int
    plaintext: bytes
    raw: bytes


def open_envelope(key: bytes, cipher: int, data: bytes) -> Opened:
    """Verify and open a server envelope; raises ValueError (any mismatch) or InvalidTag."""
    head = Header.parse(data)
    if head.magic != MAGIC:
        raise ValueError(f"bad magic 0x{head.magic:04x}")
    if head.length != len(data) - HEADER_SIZE:
        raise ValueError(f"length field {head.length} != {len(data) - HEADER_SIZE}")
    if len(data) < ENVELOPE_OVERHEAD:
        raise ValueError(f"{len(data)} bytes is shorter than an envelope")
    receiver, counter = struct.unpack_from(">IQ", data, HEADER_SIZE)
    nonce = data[HEADER_SIZE : HEADER_SIZE + 12]
    head_bytes = data[:HEADER_SIZE]
    box = aead(cipher, key)
    if head.flags & FLAG_ENCRYPTED:
        plaintext = box.decrypt(nonce, data[HEADER_SIZE + 12 :], head_bytes)
    else:
        body, tag = data[HEADER_SIZE + 12 : -TAG_SIZE], data[-TAG_SIZE:]
        box.decrypt(nonce, tag, head_bytes + nonce + body)
        plaintext = body
    return Opened(head.flags, head.seq, receiver, counter, plaintext, data)


def control_body(control: int, body: bytes = b"") -> bytes:
    return bytes([control]) + body


def ip_flags(packet: bytes) -> int:
    """ENCRYPTED, plus IPV6 when the inner packet is IPv6 (spec §2)."""
    return FLAG_ENCRYPTED | (FLAG_IPV6 if packet[:1] and packet[0] >> 4 == 6 else 0)
