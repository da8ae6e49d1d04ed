"""OxTunnel v3 byte layouts as the conformance suite builds and reads them (spec/README.md §1–§4).

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

MAGIC = 0x4F58
HEADER = struct.Struct(">HBIH")  # magic, flags, seq, length
HEADER_SIZE = HEADER.size
TAG_SIZE = 16
ENVELOPE_OVERHEAD = HEADER_SIZE + 4 + 8 + TAG_SIZE

FLAG_ENCRYPTED = 0x01
FLAG_COMPRESSED = 0x02
FLAG_BATCH = 0x04
FLAG_CONTROL = 0x08
FLAG_IPV6 = 0x10
FLAGS_RESERVED = 0xE0

CT_HANDSHAKE_INIT = 0x01
CT_HANDSHAKE_RESPONSE = 0x02
CT_KEEPALIVE = 0x03
CT_DISCONNECT = 0x04
CT_ACK = 0x05
CT_CONFIG_UPDATE = 0x06
CT_KEY_ROTATION = 0x07
CT_COOKIE_REPLY = 0x0A

CIPHER_CHACHA20_POLY1305 = 1
CIPHER_AES_256_GCM = 2
CIPHER_BITS = {CIPHER_CHACHA20_POLY1305: 0x01, CIPHER_AES_256_GCM: 0x02}

FEATURE_COMPRESSION = 0x0001
FEATURE_BATCHING = 0x0002
FEATURE_PLAINTEXT = 0x0004
FEATURE_IPV6 = 0x0008

INIT_SIZE = 158
INIT_NOISE_SIZE = 32 + 48 + 32
COOKIE_REPLY_SIZE = HEADER_SIZE + 1 + 4 + 12 + 32


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
    head = Header.parse(data)
    if head.magic != MAGIC or head.flags != FLAG_CONTROL or len(data) < HEADER_SIZE + 1 + 8 + 32 + 16 + 32:
        raise ValueError("not a HANDSHAKE_RESPONSE")
    if data[HEADER_SIZE] != CT_HANDSHAKE_RESPONSE:
        raise ValueError(f"control type 0x{data[HEADER_SIZE]:02x} is not HANDSHAKE_RESPONSE")
    if head.length != len(data) - HEADER_SIZE:
        raise ValueError(f"length field {head.length} != {len(data) - HEADER_SIZE} bytes after the header")
    sender, receiver = struct.unpack_from(">II", data, HEADER_SIZE + 1)
    noise = data[HEADER_SIZE + 9 : -2 * hs.MAC_SIZE]
    return Response(sender, receiver, noise, data[-32:-16], data[-16:], data)


def response_mac1_ok(response: Response, client_public: bytes) -> bool:
    return hs.mac(hs.mac1_key(client_public), response.raw[:-32]) == response.mac1


@dataclass(frozen=True)
class CookieReply:
    receiver_index: int
    nonce: bytes
    encrypted_cookie: bytes


def parse_cookie_reply(data: bytes) -> CookieReply:
    head = Header.parse(data)
    if head.flags != FLAG_CONTROL or len(data) != COOKIE_REPLY_SIZE or data[HEADER_SIZE] != CT_COOKIE_REPLY:
        raise ValueError("not a COOKIE_REPLY")
    (receiver,) = struct.unpack_from(">I", data, HEADER_SIZE + 1)
    return CookieReply(receiver, data[HEADER_SIZE + 5 : HEADER_SIZE + 17], data[HEADER_SIZE + 17 :])


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


def _ip(data: bytes, offset: int) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    version = data[offset]
    size = {4: 4, 6: 16}.get(version)
    if size is None:
        raise ValueError(f"ip version byte {version} at offset {offset}")
    raw = data[offset + 1 : offset + 1 + size]
    if len(raw) != size:
        raise ValueError("truncated address")
    return ipaddress.ip_address(raw), offset + 1 + size


def parse_session_config(data: bytes) -> SessionConfig:
    """``session_config`` (spec §3); strict: trailing bytes are an error."""
    if len(data) < 29:
        raise ValueError(f"session_config of {len(data)} bytes is shorter than its fixed 29")
    cipher, features, mtu, keepalive = struct.unpack_from(">BHHH", data, 0)
    v4 = ipaddress.IPv4Address(data[7:11])
    v4_len = data[11]
    v6 = ipaddress.IPv6Address(data[12:28])
    v6_len = data[28]
    offset = 29
    dns: list[str] = []
    routes: list[str] = []
    (count,) = struct.unpack_from(">B", data, offset)
    offset += 1
    for _ in range(count):
        address, offset = _ip(data, offset)
        dns.append(str(address))
    (count,) = struct.unpack_from(">B", data, offset)
    offset += 1
    for _ in range(count):
        address, offset = _ip(data, offset)
        routes.append(f"{address}/{data[offset]}")
        offset += 1
    if offset != len(data):
        raise ValueError(f"{len(data) - offset} trailing bytes after session_config")
    return SessionConfig(
        cipher=cipher,
        features=features,
        mtu=mtu,
        keepalive_interval=keepalive,
        ipv4=None if int(v4) == 0 and v4_len == 0 else ipaddress.IPv4Interface(f"{v4}/{v4_len}"),
        ipv6=None if int(v6) == 0 and v6_len == 0 else ipaddress.IPv6Interface(f"{v6}/{v6_len}"),
        dns=tuple(dns),
        routes=tuple(routes),
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
