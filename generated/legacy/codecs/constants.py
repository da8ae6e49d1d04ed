# Generated from spec/legacy/constants.yaml by spec/codegen — do not edit; run `make generate`.
"""Legacy (Rust Oxidize) dialect constants (from spec/legacy/constants.yaml).

Plain names are ints/bytes/str for the hot path; the classes give names to codes and bits.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag
from typing import Final

# --- transport: Ports (§6).
PORT_UDP: Final = 51820
"""UDP (on Linux only read through AF_XDP)."""
PORT_TCP: Final = 51821
"""TCP fallback (the server never writes to it)."""
PORT_QUIC: Final = 51822
"""QUIC fallback (no ALPN; the server never sends datagrams)."""

# --- header: V1 header (§1.1).
MAGIC: Final = 20312
""""OX"."""
HEADER_SIZE: Final = 9
"""magic 2 + flags 1 + seq u32 LE + payload_len u16 LE."""
MAX_PACKET_SIZE: Final = 9216
"""MAX_PACKET_SIZE."""
MAX_PAYLOAD_SIZE: Final = 9191
"""9216 − 9 − 16: largest plaintext encode_packet accepts."""
AUTH_TAG_SIZE: Final = 16
"""ChaCha20-Poly1305 tag appended to the ciphertext."""
PING_MAGIC: Final = b'OXPI'
"""Start of a PING datagram."""
PONG_MAGIC: Final = b'OXPO'
"""Start of a PONG datagram."""
COMPRESSED_MAGIC: Final = b'OC'
"""Start of the OC compression envelope."""

# --- sizes: Control payload sizes (§2).
HANDSHAKE_INIT_SIZE: Final = 42
"""HANDSHAKE_INIT payload."""
HANDSHAKE_INIT_AUTH_SIZE: Final = 170
"""HANDSHAKE_INIT_AUTH payload."""
RESPONSE_V4_SIZE: Final = 39
"""HANDSHAKE_RESPONSE, IPv4, no key."""
RESPONSE_V4_KEY_SIZE: Final = 71
"""HANDSHAKE_RESPONSE, IPv4, with key."""
RESPONSE_V6_SIZE: Final = 51
"""HANDSHAKE_RESPONSE, IPv6, no key."""
RESPONSE_V6_KEY_SIZE: Final = 83
"""HANDSHAKE_RESPONSE, IPv6, with key."""

# --- behaviour: Numbers the Rust code uses (§2.4, §3.4, §5).
CLIENT_KEEPALIVE_SEQ_START: Final = 0xf4240
"""First seq of the client's keepalive counter in the run loops."""
CLIENT_KEEPALIVE_INTERVAL: Final = 25
"""Daemon keepalive interval (s)."""
AUTH_MAX_AGE: Final = 300
"""HANDSHAKE_INIT_AUTH timestamps older than this (s) are refused."""
AUTH_MAX_FUTURE: Final = 60
"""HANDSHAKE_INIT_AUTH timestamps further ahead than this (s) are refused."""
COMPRESSION_THRESHOLD: Final = 0x200
"""Default minimum packet size the sender compresses."""
REPLAY_WINDOW_BITS: Final = 128
"""Size of the (never called) ReplayWindow bitmap."""
HANDSHAKE_TIMEOUT: Final = 30
"""Client handshake timeout per transport (s)."""


class ControlType(IntEnum):
    """First payload byte of a CONTROL packet (§2)."""

    HANDSHAKE_INIT = 1
    """Client hello (42 bytes)."""
    HANDSHAKE_RESPONSE = 2
    """Server reply with address and clear-text key."""
    KEEPALIVE = 3
    """[03]."""
    DISCONNECT = 4
    """[04]."""
    ACK = 5
    """[05], reply to KEEPALIVE."""
    CONFIG_UPDATE = 6
    """Never sent."""
    KEY_ROTATION = 7
    """Never sent."""
    HANDSHAKE_INIT_AUTH = 8
    """Authenticated client hello (170 bytes)."""
    AUTH_REJECTED = 9
    """[09], no reason sent."""


class CompressionMethod(IntEnum):
    """Method byte of the OC envelope (§5.1)."""

    NONE = 0
    """Stored."""
    LZ4 = 1
    """LZ4 block with u32 LE size prefix."""
    ROHC = 2
    """Custom ROHC (not RFC 3095)."""
    ROHC_LZ4 = 3
    """LZ4 over custom ROHC."""


class Flags(IntFlag):
    """V1 header flags (§1.2); no reserved bits."""

    ENCRYPTED = 0x01
    """Payload is ciphertext ‖ tag (client → server only)."""
    COMPRESSED = 0x02
    """Payload is an OC envelope (or bare LZ4)."""
    BATCH = 0x04
    """Payload is a legacy batch."""
    CONTROL = 0x08
    """Payload is a control message."""
    IPV6 = 0x10
    """Never set or read."""
    ACK_REQUEST = 0x20
    """Never set or read."""


# --- flag bits as plain ints (hot path)
FLAG_ENCRYPTED: Final = 0x01
FLAG_COMPRESSED: Final = 0x02
FLAG_BATCH: Final = 0x04
FLAG_CONTROL: Final = 0x08
FLAG_IPV6: Final = 0x10
FLAG_ACK_REQUEST: Final = 0x20

__all__ = [
    "PORT_UDP",
    "PORT_TCP",
    "PORT_QUIC",
    "MAGIC",
    "HEADER_SIZE",
    "MAX_PACKET_SIZE",
    "MAX_PAYLOAD_SIZE",
    "AUTH_TAG_SIZE",
    "PING_MAGIC",
    "PONG_MAGIC",
    "COMPRESSED_MAGIC",
    "HANDSHAKE_INIT_SIZE",
    "HANDSHAKE_INIT_AUTH_SIZE",
    "RESPONSE_V4_SIZE",
    "RESPONSE_V4_KEY_SIZE",
    "RESPONSE_V6_SIZE",
    "RESPONSE_V6_KEY_SIZE",
    "CLIENT_KEEPALIVE_SEQ_START",
    "CLIENT_KEEPALIVE_INTERVAL",
    "AUTH_MAX_AGE",
    "AUTH_MAX_FUTURE",
    "COMPRESSION_THRESHOLD",
    "REPLAY_WINDOW_BITS",
    "HANDSHAKE_TIMEOUT",
    "ControlType",
    "CompressionMethod",
    "Flags",
    "FLAG_ENCRYPTED",
    "FLAG_COMPRESSED",
    "FLAG_BATCH",
    "FLAG_CONTROL",
    "FLAG_IPV6",
    "FLAG_ACK_REQUEST",
]
