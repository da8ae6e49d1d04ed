"""An independent Noise IK initiator for OxTunnel v3 (spec §3), built on the ``noiseprotocol`` package.

Deliberately separate from ``oxtunnel/``: a conformance suite that shared the implementation's handshake
code would agree with its bugs. This module does the cryptography only (Noise messages, mac1/mac2,
cookies, TAI64N); ``wire.py`` lays out the bytes and ``client.py`` talks to a target.
"""

from __future__ import annotations

import hashlib
import os
import struct
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from noise.connection import Keypair, NoiseConnection

from generated.codecs import constants as C

PROTOCOL_NAME = C.NOISE_PROTOCOL_NAME
PROLOGUE = C.NOISE_PROLOGUE
MAC_SIZE = C.MAC_SIZE
TAI64_BASE = (1 << 62) + 10  # as WireGuard: TAI64 label for the Unix epoch, plus the 10 s TAI offset


def blake2s(data: bytes) -> bytes:
    return hashlib.blake2s(data).digest()


def mac(key: bytes, data: bytes) -> bytes:
    """MAC(key, msg): keyed BLAKE2s with a 16-byte output (spec §3)."""
    return hashlib.blake2s(data, key=key, digest_size=MAC_SIZE).digest()


def mac1_key(static_public: bytes) -> bytes:
    return blake2s(C.LABEL_MAC1 + static_public)


def cookie_key(server_public: bytes) -> bytes:
    return blake2s(C.LABEL_COOKIE + server_public)


def public_key(private: bytes) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return (
        X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


def random_private_key() -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    return X25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def tai64n(unix_time: float) -> bytes:
    """12-byte TAI64N label: 8 bytes of seconds, 4 bytes of nanoseconds, big-endian."""
    seconds = int(unix_time)
    nanos = int((unix_time - seconds) * 1e9)
    return struct.pack(">QI", TAI64_BASE + seconds, nanos)


class Timestamps:
    """Strictly increasing TAI64N timestamps per client key, with an optional frozen value for replays."""

    def __init__(self) -> None:
        self._last: dict[bytes, float] = {}

    def next(self, client_public: bytes) -> bytes:
        now = max(time.time(), self._last.get(client_public, 0.0) + 1e-6)
        self._last[client_public] = now
        return tai64n(now)


def open_cookie(server_public: bytes, nonce: bytes, encrypted_cookie: bytes, init_mac1: bytes) -> bytes:
    """Decrypt a COOKIE_REPLY's cookie (ChaCha20-Poly1305, AAD = mac1 of the INIT it answers)."""
    return ChaCha20Poly1305(cookie_key(server_public)).decrypt(nonce, encrypted_cookie, init_mac1)


@dataclass(frozen=True)
class TransportKeys:
    """The two directional keys Noise ``Split()`` yields, seen from the initiator."""

    send: bytes  # initiator -> responder
    receive: bytes  # responder -> initiator
    handshake_hash: bytes


class Initiator:
    """One Noise IK handshake from the client side: message 1 out, message 2 in."""

    def __init__(self, client_private: bytes, server_public: bytes) -> None:
        self.client_private = client_private
        self.client_public = public_key(client_private)
        self.server_public = server_public
        self._noise = NoiseConnection.from_name(PROTOCOL_NAME)
        self._noise.set_as_initiator()
        self._noise.set_prologue(PROLOGUE)
        self._noise.set_keypair_from_private_bytes(Keypair.STATIC, client_private)
        self._noise.set_keypair_from_public_bytes(Keypair.REMOTE_STATIC, server_public)
        self._noise.start_handshake()

    def write_init(self, payload: bytes) -> bytes:
        """Noise message 1 (``e, es, s, ss`` + payload): ephemeral 32 ‖ encrypted static 48 ‖ payload+16."""
        return bytes(self._noise.write_message(payload))

    def read_response(self, message: bytes) -> bytes:
        """Noise message 2 (``e, ee, se`` + payload); returns the decrypted payload (session_config)."""
        return bytes(self._noise.read_message(message))

    def keys(self) -> TransportKeys:
        protocol = self._noise.noise_protocol
        return TransportKeys(
            send=bytes(protocol.cipher_state_encrypt.k),
            receive=bytes(protocol.cipher_state_decrypt.k),
            handshake_hash=bytes(self._noise.get_handshake_hash()),
        )


def random_index() -> int:
    return int.from_bytes(os.urandom(4), "big") or 1
