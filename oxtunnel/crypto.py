"""Key material helpers: static keys, the data-envelope AEADs, mac1/mac2 keys, TAI64N timestamps.

Everything here is a pure function of its inputs; randomness is always passed in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from generated.codecs import constants as C
from oxtunnel.noise import public_bytes

Aead = ChaCha20Poly1305 | AESGCM
Rng = Callable[[int], bytes]

_AEADS: dict[int, type[ChaCha20Poly1305] | type[AESGCM]] = {
    C.Cipher.CHACHA20_POLY1305: ChaCha20Poly1305,
    C.Cipher.AES_256_GCM: AESGCM,
}
TAI64_LABEL = 2**62


def make_aead(cipher: int, key: bytes) -> Aead:
    """The AEAD object for one direction of a keypair (created once, reused for every packet)."""
    return _AEADS[cipher](key)


def generate_private_key(rng: Rng) -> bytes:
    """A new X25519 static private key (32 bytes) from the injected rng."""
    key = X25519PrivateKey.from_private_bytes(rng(C.KEY_SIZE))
    return key.private_bytes_raw()


def public_key(private_key: bytes) -> bytes:
    """The X25519 public key of a 32-byte private key."""
    return public_bytes(X25519PrivateKey.from_private_bytes(private_key))


def mac(key: bytes, data: bytes) -> bytes:
    """MAC() of spec/README.md §3: keyed BLAKE2s with a 16-byte output."""
    return hashlib.blake2s(data, key=key, digest_size=C.MAC_SIZE).digest()


def mac1_key(static_public: bytes) -> bytes:
    """HASH(LABEL_MAC1 ‖ the receiver's static public key)."""
    return hashlib.blake2s(C.LABEL_MAC1 + static_public).digest()


def cookie_key(server_public: bytes) -> bytes:
    """HASH(LABEL_COOKIE ‖ the server's static public key): key of the COOKIE_REPLY AEAD."""
    return hashlib.blake2s(C.LABEL_COOKIE + server_public).digest()


def tai64n(unix_time: float) -> bytes:
    """TAI64N label of a Unix time: 8 bytes 2**62 + seconds, 4 bytes nanoseconds (both big-endian).

    Big-endian fixed width, so byte strings compare like the times they encode.
    """
    seconds = int(unix_time // 1)
    nanoseconds = min(int((unix_time - seconds) * 1_000_000_000), 999_999_999)
    return (TAI64_LABEL + seconds).to_bytes(8, "big") + nanoseconds.to_bytes(4, "big")


def next_tai64n(unix_time: float, previous: bytes | None) -> bytes:
    """A timestamp strictly after ``previous`` (a wall clock that stalls or steps back must not make
    our own next handshake look like a replay)."""
    stamp = tai64n(unix_time)
    if previous is not None and stamp <= previous:
        value = int.from_bytes(previous[:8], "big") * 1_000_000_000 + int.from_bytes(previous[8:], "big") + 1
        stamp = (value // 1_000_000_000).to_bytes(8, "big") + (value % 1_000_000_000).to_bytes(4, "big")
    return stamp
