"""The legacy (Rust Oxidize) dialect as the suite speaks it (``legacy-dialect.md`` §1–§5).

Well-formed messages are built and decoded with ``generated.legacy``; the response is additionally read
the way the Rust client reads it (lenient: a ``has_key`` byte with a truncated key means "no key",
§2.3), because that is what a legacy peer actually accepts. Malformed packets are built by hand.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from generated.legacy import codecs as L
from generated.legacy.codecs import constants as LC

HEADER_SIZE = LC.HEADER_SIZE
TAG_SIZE = LC.AUTH_TAG_SIZE
MAGIC = b"OX"

FLAG_ENCRYPTED = 0x01
FLAG_COMPRESSED = 0x02
FLAG_BATCH = 0x04
FLAG_CONTROL = 0x08
FLAG_IPV6 = 0x10
FLAG_ACK_REQUEST = 0x20

CT_HANDSHAKE_INIT = 0x01
CT_HANDSHAKE_RESPONSE = 0x02
CT_KEEPALIVE = 0x03
CT_DISCONNECT = 0x04
CT_ACK = 0x05


def header(flags: int, seq: int, payload_len: int, magic: bytes = MAGIC) -> bytes:
    """9-byte V1 header: "OX", flags, seq u32 LE, payload_len u16 LE (§1.1)."""
    return magic + struct.pack("<BIH", flags, seq & 0xFFFFFFFF, payload_len & 0xFFFF)


def packet(flags: int, seq: int, payload: bytes) -> bytes:
    """A well-formed V1 packet via the generated codec."""
    return L.LegacyPacket(flags=flags, seq_num=seq & 0xFFFFFFFF, payload=payload).encode()


def nonce(seq: int) -> bytes:
    """``00 00 00 00 ‖ u64_le(seq)`` — the receiver rebuilds it from the header seq (§4.2)."""
    return bytes(4) + struct.pack("<Q", seq)


def seal(key: bytes, seq: int, plaintext: bytes) -> bytes:
    """ChaCha20-Poly1305 with an empty AAD (§4.3: the header is not authenticated)."""
    return ChaCha20Poly1305(key).encrypt(nonce(seq), plaintext, b"")


def open_sealed(key: bytes, seq: int, sealed: bytes) -> bytes:
    return ChaCha20Poly1305(key).decrypt(nonce(seq), sealed, b"")


def encrypted_packet(key: bytes, seq: int, plaintext: bytes, flags: int = FLAG_ENCRYPTED) -> bytes:
    return header(flags, seq, len(plaintext) + TAG_SIZE) + seal(key, seq, plaintext)


def init_payload(client_id: bytes, timestamp: int, encryption: bool = True) -> bytes:
    """HANDSHAKE_INIT payload, 42 bytes (§2.1)."""
    return L.LegacyHandshakeInit(
        client_id=client_id, timestamp=timestamp, encryption_supported=1 if encryption else 0
    ).encode()


def control(control_type: int, seq: int = 0) -> bytes:
    """A one-byte control message in a CONTROL packet (§2.4)."""
    return packet(FLAG_CONTROL, seq, bytes([control_type]))


def ping(payload: bytes) -> bytes:
    return L.LegacyPing(payload=payload).encode()


@dataclass(frozen=True)
class Parsed:
    flags: int
    seq: int
    payload: bytes
    trailing: int


def parse(data: bytes) -> Parsed:
    """A V1 packet as the Rust receivers read it: trailing bytes after payload_len are ignored (§1.4)."""
    value, end = L.LegacyPacket.decode_prefix(data)
    return Parsed(value.flags, value.seq_num, value.payload, len(data) - end)


@dataclass(frozen=True)
class Response:
    server_id: bytes
    assigned_ip: str
    key: bytes | None
    strict_ok: bool  # the generated (strict) codec accepts it too


def parse_response(payload: bytes) -> Response:
    """HANDSHAKE_RESPONSE payload read like ``process_handshake_response`` (§2.3)."""
    if len(payload) < LC.RESPONSE_V4_SIZE or payload[0] != CT_HANDSHAKE_RESPONSE:
        raise ValueError(f"not a HANDSHAKE_RESPONSE ({len(payload)} bytes, type {payload[:1].hex()})")
    version = payload[33]
    if version not in (4, 6):
        raise ValueError(f"IP version marker {version} is neither 4 nor 6")
    size = 4 if version == 4 else 16
    if version == 6 and len(payload) < LC.RESPONSE_V6_SIZE:
        raise ValueError("IPv6 response shorter than 51 bytes")
    address = str(ipaddress.ip_address(payload[34 : 34 + size]))
    key_at = 34 + size
    key = payload[key_at + 1 : key_at + 33] if payload[key_at] != 0 and len(payload) >= key_at + 33 else None
    try:
        L.LegacyHandshakeResponse.decode(payload)
        strict = True
    except L.DecodeError:
        strict = False
    return Response(payload[1:33], address, key, strict)


def tcp_frame(datagram: bytes) -> bytes:
    """TCP fallback framing: u16 **big-endian** length ‖ V1 packet (§6.2)."""
    return L.LegacyTcpFrame(packet=datagram).encode()
