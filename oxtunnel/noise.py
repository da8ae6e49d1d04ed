"""Noise IK (Noise Protocol Framework rev 34) with X25519, ChaCha20-Poly1305 and BLAKE2s.

Our own implementation of the two handshake messages of `Noise_IK_25519_ChaChaPoly_BLAKE2s`:

    <- s
    ...
    -> e, es, s, ss
    <- e, ee, se

It produces and consumes only the *Noise message bytes* (``e ‖ enc(s) ‖ enc(payload)`` and
``e ‖ enc(payload)``); the OxTunnel framing around them (header, indices, mac1/mac2) lives in
``oxtunnel.handshake``.  Ephemeral keys come from an injected ``rng`` so handshakes are deterministic
in tests.  Every authentication failure raises :class:`NoiseError`, which callers turn into a traced drop.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HASHLEN = 32
DHLEN = 32
TAGLEN = 16

Rng = Callable[[int], bytes]


class NoiseError(Exception):
    """A handshake message failed to authenticate or carried an unusable key."""


class UnknownInitiator(NoiseError):
    """Message 1 authenticated its static key, but the responder's caller does not accept that key."""

    def __init__(self, static: bytes) -> None:
        super().__init__("initiator static key not accepted")
        self.static = static


def blake2s(data: bytes) -> bytes:
    """HASH() of the Noise spec: BLAKE2s-256."""
    return hashlib.blake2s(data).digest()


_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))
_BLOCKLEN = 64  # BLAKE2s block size: HMAC pads the key to it


def hmac_blake2s(key: bytes, data: bytes) -> bytes:
    """HMAC-BLAKE2s (RFC 2104), as Noise's HKDF needs; ~3x faster than ``hmac.new`` for BLAKE2s."""
    if len(key) > _BLOCKLEN:
        key = hashlib.blake2s(key).digest()
    key = key.ljust(_BLOCKLEN, b"\x00")
    inner = hashlib.blake2s(key.translate(_IPAD) + data).digest()
    return hashlib.blake2s(key.translate(_OPAD) + inner).digest()


def hkdf(chaining_key: bytes, input_key_material: bytes, outputs: int) -> tuple[bytes, ...]:
    """HKDF of Noise §4.3 with HMAC-BLAKE2s; returns 2 or 3 outputs of HASHLEN bytes."""
    temp_key = hmac_blake2s(chaining_key, input_key_material)
    out1 = hmac_blake2s(temp_key, b"\x01")
    out2 = hmac_blake2s(temp_key, out1 + b"\x02")
    if outputs == 2:
        return out1, out2
    out3 = hmac_blake2s(temp_key, out2 + b"\x03")
    return out1, out2, out3


def _nonce(n: int) -> bytes:
    """ChaChaPoly nonce of Noise §12.3: 32 zero bits then the 64-bit counter, little-endian."""
    return b"\x00\x00\x00\x00" + n.to_bytes(8, "little")


def public_bytes(private: X25519PrivateKey) -> bytes:
    """The raw 32-byte public key of an X25519 private key."""
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def dh(private: X25519PrivateKey, public: bytes) -> bytes:
    """X25519 shared secret; a low-order public key (all-zero result) is a NoiseError."""
    try:
        return private.exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError as exc:  # all-zero shared secret or malformed key
        raise NoiseError(f"unusable public key: {exc}") from None


class SymmetricState:
    """Noise §5.2: chaining key, handshake hash and the CipherState of the handshake."""

    __slots__ = ("ck", "h", "_key", "_aead", "_n")

    def __init__(self, ck: bytes, h: bytes) -> None:
        self.ck = ck
        self.h = h
        self._key: bytes | None = None
        self._aead: ChaCha20Poly1305 | None = None
        self._n = 0

    @classmethod
    def initialize(cls, protocol_name: bytes) -> SymmetricState:
        """InitializeSymmetric(protocol_name)."""
        h = protocol_name.ljust(HASHLEN, b"\x00") if len(protocol_name) <= HASHLEN else blake2s(protocol_name)
        return cls(h, h)

    def copy(self) -> SymmetricState:
        """A fresh state with the same ck and h (used to reuse the precomputed prologue prefix)."""
        if self._key is not None:
            raise ValueError("only a keyless symmetric state can be copied")
        return SymmetricState(self.ck, self.h)

    def mix_hash(self, data: bytes) -> None:
        self.h = hashlib.blake2s(self.h + data).digest()

    def mix_key(self, input_key_material: bytes) -> None:
        self.ck, temp_k = hkdf(self.ck, input_key_material, 2)
        self._key = temp_k
        self._aead = ChaCha20Poly1305(temp_k)
        self._n = 0

    @property
    def key(self) -> bytes | None:
        """The current handshake cipher key k (None while empty); exposed for interop tests."""
        return self._key

    def encrypt_and_hash(self, plaintext: bytes) -> bytes:
        if self._aead is None:
            ciphertext = plaintext
        else:
            ciphertext = self._aead.encrypt(_nonce(self._n), plaintext, self.h)
            self._n += 1
        self.mix_hash(ciphertext)
        return ciphertext

    def decrypt_and_hash(self, ciphertext: bytes) -> bytes:
        if self._aead is None:
            plaintext = ciphertext
        else:
            try:
                plaintext = self._aead.decrypt(_nonce(self._n), ciphertext, self.h)
            except InvalidTag:
                raise NoiseError("handshake message failed authentication") from None
            self._n += 1
        self.mix_hash(ciphertext)
        return plaintext

    def split(self) -> tuple[bytes, bytes]:
        """Split(): (initiator→responder key, responder→initiator key)."""
        k1, k2 = hkdf(self.ck, b"", 2)
        return k1, k2


@dataclass(frozen=True, slots=True)
class HandshakeResult:
    """What a completed handshake yields: the per-direction keys and the handshake hash."""

    send_key: bytes
    receive_key: bytes
    handshake_hash: bytes
    remote_static: bytes


class IKPrefix:
    """The part of IK that depends only on the protocol, prologue and the responder's static key.

    Both roles start with ``MixHash(prologue); MixHash(rs)``; precomputing it once per server key makes
    each handshake cheaper (a hash per handshake saved, and no re-parsing of the protocol name).
    """

    __slots__ = ("responder_static", "_state")

    def __init__(self, protocol_name: bytes, prologue: bytes, responder_static: bytes) -> None:
        if len(responder_static) != DHLEN:
            raise ValueError("the responder static public key must be 32 bytes")
        state = SymmetricState.initialize(protocol_name)
        state.mix_hash(prologue)
        state.mix_hash(responder_static)
        self.responder_static = responder_static
        self._state = state

    def start(self) -> SymmetricState:
        return self._state.copy()


class Initiator:
    """The IK initiator (the OxTunnel client): writes message 1, reads message 2."""

    __slots__ = ("_static", "_static_pub", "_prefix", "_state", "_ephemeral", "_ss")

    def __init__(
        self,
        static: X25519PrivateKey,
        prefix: IKPrefix,
        *,
        static_public: bytes | None = None,
        static_static: bytes | None = None,
    ) -> None:
        self._static = static
        self._static_pub = static_public if static_public is not None else public_bytes(static)
        self._prefix = prefix
        self._state: SymmetricState | None = None
        self._ephemeral: X25519PrivateKey | None = None
        # DH(s, rs) never changes for a given pair of static keys: callers may pass it precomputed.
        self._ss = static_static

    def write_message_1(self, payload: bytes, rng: Rng) -> bytes:
        """-> e, es, s, ss + payload; returns e(32) ‖ enc(s)(48) ‖ enc(payload)(len+16)."""
        state = self._prefix.start()
        ephemeral = X25519PrivateKey.from_private_bytes(rng(DHLEN))
        e_pub = public_bytes(ephemeral)
        rs = self._prefix.responder_static
        state.mix_hash(e_pub)
        state.mix_key(dh(ephemeral, rs))
        enc_static = state.encrypt_and_hash(self._static_pub)
        if self._ss is None:
            self._ss = dh(self._static, rs)
        state.mix_key(self._ss)
        enc_payload = state.encrypt_and_hash(payload)
        self._state = state
        self._ephemeral = ephemeral
        return e_pub + enc_static + enc_payload

    def read_message_2(self, message: bytes) -> tuple[bytes, HandshakeResult]:
        """<- e, ee, se + payload; returns (payload, result). Raises NoiseError if it does not verify."""
        if self._state is None or self._ephemeral is None:
            raise RuntimeError("write_message_1 must come first")
        if len(message) < DHLEN + TAGLEN:
            raise NoiseError("message 2 too short")
        state = SymmetricState(self._state.ck, self._state.h)  # keep ours intact if this one fails
        re = message[:DHLEN]
        state.mix_hash(re)
        state.mix_key(dh(self._ephemeral, re))
        state.mix_key(dh(self._static, re))
        payload = state.decrypt_and_hash(message[DHLEN:])
        k1, k2 = state.split()
        return payload, HandshakeResult(k1, k2, state.h, self._prefix.responder_static)


class Responder:
    """The IK responder (the OxTunnel server): reads message 1, writes message 2.

    ``read_message_1`` asks ``static_static(rs)`` as soon as the initiator's static key is decrypted:
    the caller answers with a cached DH(s, rs), ``b""`` for an accepted key without a cache entry, or
    None to refuse the key — then UnknownInitiator is raised before the second DH is paid for.
    """

    __slots__ = ("_static", "_prefix", "_state", "_re", "_rs", "static_static")

    def __init__(self, static: X25519PrivateKey, prefix: IKPrefix) -> None:
        self._static = static
        self._prefix = prefix
        self._state: SymmetricState | None = None
        self._re = b""
        self._rs = b""
        self.static_static = b""  # DH(s, rs) as used by the last read_message_1 (for the caller's cache)

    def read_message_1(
        self, message: bytes, static_static: Callable[[bytes], bytes | None] | None = None
    ) -> tuple[bytes, bytes]:
        """Consume message 1; returns (initiator static public key, payload)."""
        if len(message) < DHLEN + DHLEN + TAGLEN + TAGLEN:
            raise NoiseError("message 1 too short")
        state = self._prefix.start()
        re = message[:DHLEN]
        state.mix_hash(re)
        state.mix_key(dh(self._static, re))
        rs = state.decrypt_and_hash(message[DHLEN : DHLEN + DHLEN + TAGLEN])
        cached = static_static(rs) if static_static is not None else b""
        if cached is None:
            raise UnknownInitiator(rs)
        self.static_static = cached or dh(self._static, rs)
        state.mix_key(self.static_static)
        payload = state.decrypt_and_hash(message[DHLEN + DHLEN + TAGLEN :])
        self._state, self._re, self._rs = state, re, rs
        return rs, payload

    def write_message_2(self, payload: bytes, rng: Rng) -> tuple[bytes, HandshakeResult]:
        """<- e, ee, se + payload; returns (message bytes, result)."""
        state = self._state
        if state is None:
            raise RuntimeError("read_message_1 must come first")
        ephemeral = X25519PrivateKey.from_private_bytes(rng(DHLEN))
        e_pub = public_bytes(ephemeral)
        state.mix_hash(e_pub)
        state.mix_key(dh(ephemeral, self._re))
        state.mix_key(dh(ephemeral, self._rs))
        enc_payload = state.encrypt_and_hash(payload)
        k1, k2 = state.split()
        self._state = None
        return e_pub + enc_payload, HandshakeResult(k2, k1, state.h, self._rs)
