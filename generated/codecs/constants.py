# Generated from spec/constants.yaml by spec/codegen — do not edit; run `make generate`.
"""OxTunnel v3 protocol constants (from spec/constants.yaml).

Plain names are ints/bytes/str for the hot path; the classes give names to codes and bits.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag
from typing import Final

# --- ports: Transport ports (BRIEF §2.8).
PORT_UDP: Final = 51820
"""UDP, primary transport: one OxTunnel datagram per UDP datagram."""
PORT_TCP: Final = 51821
"""TCP, last resort: tcp_frame (u2 length, datagram), both directions."""
PORT_QUIC: Final = 51822
"""QUIC: DATAGRAM frames with ALPN oxtunnel/3, and the MASQUE proxy (ALPN h3)."""

# --- header: Packet header (header.ksy).
MAGIC: Final = 20312
""""OX", first two bytes of every datagram."""
HEADER_SIZE: Final = 9
"""magic 2 + flags 1 + seq 4 + length 2."""
FLAGS_RESERVED_MASK: Final = 224
"""Reserved flag bits: sent as 0; a packet with one set is dropped."""

# --- sizes: Field and message sizes in bytes.
RECEIVER_INDEX_SIZE: Final = 4
"""Receiver index, chosen by the receiver at handshake."""
COUNTER_SIZE: Final = 8
"""Envelope counter (u8), per keypair and direction."""
NONCE_SIZE: Final = 12
"""AEAD nonce = receiver_index ‖ counter, the 12 bytes after the header."""
TAG_SIZE: Final = 16
"""AEAD tag (ChaCha20-Poly1305 and AES-256-GCM)."""
ENVELOPE_PREFIX_SIZE: Final = 21
"""Header + receiver_index + counter: where the body starts."""
ENVELOPE_OVERHEAD: Final = 37
"""Bytes an envelope adds around its body: header 9 + nonce 12 + tag 16."""
KEY_SIZE: Final = 32
"""X25519 public/private keys and symmetric keys."""
HASH_SIZE: Final = 32
"""BLAKE2s-256 output."""
MAC_SIZE: Final = 16
"""mac1/mac2: keyed BLAKE2s with 16-byte output."""
TIMESTAMP_SIZE: Final = 12
"""TAI64N timestamp in init_payload."""
INIT_PAYLOAD_SIZE: Final = 16
"""Plaintext of HANDSHAKE_INIT's encrypted_payload."""
HANDSHAKE_INIT_SIZE: Final = 158
"""HANDSHAKE_INIT on the wire, header included."""
COOKIE_SIZE: Final = 16
"""Cookie = MAC(rotating secret, source IP ‖ port)."""
COOKIE_NONCE_SIZE: Final = 12
"""Random nonce of COOKIE_REPLY."""
COOKIE_REPLY_SIZE: Final = 58
"""COOKIE_REPLY on the wire, header included."""
SESSION_CONFIG_MIN_SIZE: Final = 31
"""session_config with no DNS servers and no routes."""
TCP_FRAME_LENGTH_SIZE: Final = 2
"""TCP framing prefix (u2 big-endian)."""

# --- limits: Bounds a receiver enforces.
MAX_DATAGRAM_SIZE: Final = 65535
"""Largest OxTunnel datagram (a TCP frame_length is a u2); header length ≤ 65526."""
MAX_UDP_DATAGRAM_SIZE: Final = 65507
"""Largest UDP payload over IPv4 (65535 − 20 − 8)."""
MIN_ENVELOPE_LENGTH: Final = 28
"""Smallest header length of an envelope (empty body): index 4 + counter 8 + tag 16."""
MTU_MIN: Final = 576
"""Smallest tunnel MTU a session_config may carry (IPv4 minimum)."""
MTU_MIN_IPV6: Final = 1280
"""Smallest tunnel MTU when IPv6 is carried (RFC 8200)."""
MTU_MAX: Final = 65470
"""Largest tunnel MTU: MAX_UDP_DATAGRAM_SIZE − ENVELOPE_OVERHEAD."""
MTU_DEFAULT: Final = 1415
"""1500 − 40 (outer IPv6) − 8 (UDP) − 37 (envelope)."""
REPLAY_WINDOW_BITS: Final = 0x2000
"""RFC 6479 bitmap size (128 words of 64 bits)."""
REPLAY_WINDOW_SIZE: Final = 8128
"""Usable window: REPLAY_WINDOW_BITS − 64 (one word is the ring's slack)."""
MAX_DNS_SERVERS: Final = 255
"""dns_count is a u1."""
MAX_ROUTES: Final = 255
"""route_count is a u1."""
QUARTER_STREAM_ID_MAX: Final = 0xfffffffffffffff  # 2**60 - 1
"""Largest HTTP/3 quarter stream ID (RFC 9297 §2.1)."""
VARINT_MAX: Final = 0x3fffffffffffffff  # 2**62 - 1
"""Largest QUIC variable-length integer (RFC 9000 §16)."""
MASQUE_MIN_MTU: Final = 1280
"""Tunnel MTU inside MASQUE CONNECT-IP must stay ≥ 1280 (RFC 9484 §7.2)."""

# --- timers: Session timers and message-count limits (WireGuard's are the reference). Seconds.
REKEY_AFTER_TIME: Final = 120
"""Initiator starts a new handshake on the next send after this key age."""
REJECT_AFTER_TIME: Final = 180
"""A keypair older than this is never used to send or receive."""
REKEY_ATTEMPT_TIME: Final = 90
"""Give up retrying a handshake after this long."""
REKEY_TIMEOUT: Final = 5
"""Retransmit HANDSHAKE_INIT after this long without a response (plus jitter)."""
KEEPALIVE_TIMEOUT: Final = 10
"""Send a KEEPALIVE when data was received but nothing sent for this long."""
COOKIE_REFRESH_TIME: Final = 120
"""Rotation period of the server's cookie secret; a cookie's lifetime."""
REKEY_AFTER_MESSAGES: Final = 0x1000000000000000  # 2**60
"""Rekey after this many messages under one keypair."""
REJECT_AFTER_MESSAGES: Final = 0xffffffffffffdfff  # 2**64 - 2**13 - 1
"""Never send or accept a counter at or above this."""

# --- noise: Handshake (Noise IK) parameters (spec/README.md §3).
NOISE_PROTOCOL_NAME: Final = b'Noise_IK_25519_ChaChaPoly_BLAKE2s'
"""Noise protocol name."""
NOISE_PROLOGUE: Final = b'OxTunnel v3'
"""Noise prologue, mixed into the handshake hash."""
LABEL_MAC1: Final = b'mac1----'
"""mac1 key = HASH(LABEL_MAC1 ‖ receiver's static public key)."""
LABEL_COOKIE: Final = b'cookie--'
"""COOKIE_REPLY key = HASH(LABEL_COOKIE ‖ server static public key)."""

# --- quic: QUIC and MASQUE code points (masque-requirements.md §1.1).
QUIC_ALPN: Final = 'oxtunnel/3'
"""ALPN of OxTunnel-over-QUIC-DATAGRAM."""
MASQUE_ALPN: Final = 'h3'
"""ALPN of the MASQUE proxy on the same port."""
QUIC_TP_MAX_DATAGRAM_FRAME_SIZE: Final = 32
"""Transport parameter (RFC 9221 §3)."""
QUIC_FRAME_DATAGRAM: Final = 48
"""DATAGRAM frame without Length (RFC 9221 §4)."""
QUIC_FRAME_DATAGRAM_LEN: Final = 49
"""DATAGRAM frame with Length (RFC 9221 §4)."""
H3_SETTINGS_ENABLE_CONNECT_PROTOCOL: Final = 8
"""RFC 8441 §3, RFC 9220 §3."""
H3_SETTINGS_H3_DATAGRAM: Final = 51
"""RFC 9297 §2.1.1 (default 0)."""
H3_SETTINGS_H3_DATAGRAM_DRAFT04: Final = 0xffd277
"""Obsolete draft code point: must not be accepted as H3_DATAGRAM."""
H3_DATAGRAM_ERROR: Final = 51
"""RFC 9297 §5.2."""
H3_ID_ERROR: Final = 264
"""RFC 9114 §8.1."""
H3_SETTINGS_ERROR: Final = 265
"""RFC 9114 §8.1."""
H3_REQUEST_CANCELLED: Final = 268
"""RFC 9114 §8.1."""
H3_MESSAGE_ERROR: Final = 270
"""RFC 9114 §8.1."""
CAPSULE_GREASE_BASE: Final = 23
"""Reserved capsule types are 0x29 * N + 0x17 (RFC 9297 §5.4)."""
CAPSULE_GREASE_STEP: Final = 41
"""See CAPSULE_GREASE_BASE."""
MASQUE_UDP_PATH: Final = '/.well-known/masque/udp/'
"""RFC 9298 default URI path prefix."""
MASQUE_IP_PATH: Final = '/.well-known/masque/ip/'
"""RFC 9484 default URI path prefix."""


class ControlType(IntEnum):
    """First byte after the header of a handshake message, or of an envelope's control plaintext."""

    HANDSHAKE_INIT = 1
    """Noise IK message 1 (plaintext, flags 0x08)."""
    HANDSHAKE_RESPONSE = 2
    """Noise IK message 2 (plaintext, flags 0x08)."""
    KEEPALIVE = 3
    """Authenticated keepalive (envelope, flags 0x09); empty body."""
    DISCONNECT = 4
    """Authenticated disconnect with a reason."""
    ACK = 5
    """Acknowledges the envelope counter of a message."""
    CONFIG_UPDATE = 6
    """Server pushes a new session_config."""
    KEY_ROTATION = 7
    """First message under a new keypair; retires the old one."""
    RESERVED_INIT_AUTH = 8
    """Reserved: the legacy dialect's HANDSHAKE_INIT_AUTH."""
    RESERVED_AUTH_REJECTED = 9
    """Reserved: the legacy dialect's AUTH_REJECTED."""
    COOKIE_REPLY = 0x0a
    """Cookie for a client that must prove its address (plaintext, flags 0x08)."""
    REKEY_REQUEST = 0x0b
    """Server to client, authenticated (envelope, flags 0x09), empty body: its sending keypair is due for a rekey; the client starts a handshake."""


class DisconnectReason(IntEnum):
    """Body of DISCONNECT."""

    NORMAL = 0
    """The peer closed the session."""
    SHUTDOWN = 1
    """The peer is shutting down."""
    IDLE = 2
    """Idle timeout."""
    POLICY = 3
    """Refused or ended by policy."""
    REKEY_FAILED = 4
    """A rekey did not complete in time."""
    ADDRESS_POOL_EXHAUSTED = 5
    """Refused at the handshake: the server has no tunnel address left for this client."""


class Cipher(IntEnum):
    """AEAD of the data envelope, chosen by the server."""

    CHACHA20_POLY1305 = 1
    """Default."""
    AES_256_GCM = 2
    """When both ends prefer it."""


class CapsuleType(IntEnum):
    """HTTP capsule types used by MASQUE (RFC 9297 §5.4, RFC 9484 §12.4)."""

    DATAGRAM = 0
    """HTTP Datagram in a capsule (RFC 9297 §3.5)."""
    ADDRESS_ASSIGN = 1
    """RFC 9484 §4.7.1."""
    ADDRESS_REQUEST = 2
    """RFC 9484 §4.7.2."""
    ROUTE_ADVERTISEMENT = 3
    """RFC 9484 §4.7.3."""


class Flags(IntFlag):
    """Header flag bits (header.ksy)."""

    ENCRYPTED = 0x01
    """Envelope body is AEAD ciphertext (clear: authenticated plaintext)."""
    COMPRESSED = 0x02
    """Plaintext is a compression_envelope."""
    BATCH = 0x04
    """Plaintext (after decompression) is a batch."""
    CONTROL = 0x08
    """Alone: a handshake message; with ENCRYPTED: an authenticated control message."""
    IPV6 = 0x10
    """The single inner packet is IPv6 (never with BATCH)."""


class CipherSet(IntFlag):
    """supported_ciphers bitmask of init_payload."""

    CHACHA20_POLY1305 = 0x01
    """ChaCha20-Poly1305."""
    AES_256_GCM = 0x02
    """AES-256-GCM."""


class Features(IntFlag):
    """features bitmask of init_payload (requested) and session_config (accepted subset)."""

    COMPRESSION = 0x01
    """LZ4 compression (off by default when encrypted: VORACLE)."""
    BATCHING = 0x02
    """Batches of small packets."""
    PLAINTEXT = 0x04
    """Authenticated-plaintext envelopes (client asks, server policy allows)."""
    IPV6 = 0x08
    """IPv6 inside the tunnel."""


# --- flag bits as plain ints (hot path)
FLAG_ENCRYPTED: Final = 0x01
FLAG_COMPRESSED: Final = 0x02
FLAG_BATCH: Final = 0x04
FLAG_CONTROL: Final = 0x08
FLAG_IPV6: Final = 0x10
CIPHER_SET_CHACHA20_POLY1305: Final = 0x01
CIPHER_SET_AES_256_GCM: Final = 0x02
FEATURE_COMPRESSION: Final = 0x01
FEATURE_BATCHING: Final = 0x02
FEATURE_PLAINTEXT: Final = 0x04
FEATURE_IPV6: Final = 0x08

__all__ = [
    "PORT_UDP",
    "PORT_TCP",
    "PORT_QUIC",
    "MAGIC",
    "HEADER_SIZE",
    "FLAGS_RESERVED_MASK",
    "RECEIVER_INDEX_SIZE",
    "COUNTER_SIZE",
    "NONCE_SIZE",
    "TAG_SIZE",
    "ENVELOPE_PREFIX_SIZE",
    "ENVELOPE_OVERHEAD",
    "KEY_SIZE",
    "HASH_SIZE",
    "MAC_SIZE",
    "TIMESTAMP_SIZE",
    "INIT_PAYLOAD_SIZE",
    "HANDSHAKE_INIT_SIZE",
    "COOKIE_SIZE",
    "COOKIE_NONCE_SIZE",
    "COOKIE_REPLY_SIZE",
    "SESSION_CONFIG_MIN_SIZE",
    "TCP_FRAME_LENGTH_SIZE",
    "MAX_DATAGRAM_SIZE",
    "MAX_UDP_DATAGRAM_SIZE",
    "MIN_ENVELOPE_LENGTH",
    "MTU_MIN",
    "MTU_MIN_IPV6",
    "MTU_MAX",
    "MTU_DEFAULT",
    "REPLAY_WINDOW_BITS",
    "REPLAY_WINDOW_SIZE",
    "MAX_DNS_SERVERS",
    "MAX_ROUTES",
    "QUARTER_STREAM_ID_MAX",
    "VARINT_MAX",
    "MASQUE_MIN_MTU",
    "REKEY_AFTER_TIME",
    "REJECT_AFTER_TIME",
    "REKEY_ATTEMPT_TIME",
    "REKEY_TIMEOUT",
    "KEEPALIVE_TIMEOUT",
    "COOKIE_REFRESH_TIME",
    "REKEY_AFTER_MESSAGES",
    "REJECT_AFTER_MESSAGES",
    "NOISE_PROTOCOL_NAME",
    "NOISE_PROLOGUE",
    "LABEL_MAC1",
    "LABEL_COOKIE",
    "QUIC_ALPN",
    "MASQUE_ALPN",
    "QUIC_TP_MAX_DATAGRAM_FRAME_SIZE",
    "QUIC_FRAME_DATAGRAM",
    "QUIC_FRAME_DATAGRAM_LEN",
    "H3_SETTINGS_ENABLE_CONNECT_PROTOCOL",
    "H3_SETTINGS_H3_DATAGRAM",
    "H3_SETTINGS_H3_DATAGRAM_DRAFT04",
    "H3_DATAGRAM_ERROR",
    "H3_ID_ERROR",
    "H3_SETTINGS_ERROR",
    "H3_REQUEST_CANCELLED",
    "H3_MESSAGE_ERROR",
    "CAPSULE_GREASE_BASE",
    "CAPSULE_GREASE_STEP",
    "MASQUE_UDP_PATH",
    "MASQUE_IP_PATH",
    "ControlType",
    "DisconnectReason",
    "Cipher",
    "CapsuleType",
    "Flags",
    "CipherSet",
    "Features",
    "FLAG_ENCRYPTED",
    "FLAG_COMPRESSED",
    "FLAG_BATCH",
    "FLAG_CONTROL",
    "FLAG_IPV6",
    "CIPHER_SET_CHACHA20_POLY1305",
    "CIPHER_SET_AES_256_GCM",
    "FEATURE_COMPRESSION",
    "FEATURE_BATCHING",
    "FEATURE_PLAINTEXT",
    "FEATURE_IPV6",
]
