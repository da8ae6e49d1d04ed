"""mac1/mac2 and the cookie mechanism (as WireGuard's §5.4.7, with a 12-byte random nonce).

mac1 proves the sender knows the receiver's static public key: without it nothing is ever answered.
mac2 proves the sender can receive at its source address: a server under load answers an INIT
without a valid mac2 by a COOKIE_REPLY (58 bytes, smaller than the 158-byte INIT, so no amplification)
instead of doing any Diffie-Hellman work.  The cookie is MAC(rotating secret, source IP ‖ port); the
secret rotates every COOKIE_REFRESH_TIME, so a cookie is worth at most that long.
"""

from __future__ import annotations

import hmac
import ipaddress

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from generated.codecs import constants as C
from oxtunnel.crypto import Rng, cookie_key, mac, mac1_key
from oxtunnel.types import PeerAddress

ZERO_MAC = bytes(C.MAC_SIZE)


def source_bytes(addr: PeerAddress) -> bytes:
    """The cookie's input: packed source IP ‖ port (hostnames, e.g. in-memory peers, are hashed as text)."""
    try:
        packed = ipaddress.ip_address(addr.host).packed
    except ValueError:
        packed = addr.host.encode()
    return packed + (addr.port & 0xFFFF).to_bytes(2, "big")


class Mac1:
    """mac1 for messages sent to (or received by) the owner of one static public key."""

    __slots__ = ("key",)

    def __init__(self, static_public: bytes) -> None:
        self.key = mac1_key(static_public)

    def compute(self, covered: bytes) -> bytes:
        return mac(self.key, covered)

    def verify(self, covered: bytes, tag: bytes) -> bool:
        return hmac.compare_digest(mac(self.key, covered), tag)


class CookieChecker:
    """Server side: issues cookies and checks mac2."""

    __slots__ = ("_rng", "_refresh", "_secret", "_secret_born", "_aead")

    def __init__(self, server_public: bytes, rng: Rng, refresh_time: float = C.COOKIE_REFRESH_TIME) -> None:
        self._rng = rng
        self._refresh = refresh_time
        self._secret = b""
        self._secret_born = float("-inf")
        self._aead = ChaCha20Poly1305(cookie_key(server_public))

    def _current_secret(self, now: float) -> bytes:
        if now - self._secret_born >= self._refresh:
            self._secret = self._rng(C.KEY_SIZE)
            self._secret_born = now
        return self._secret

    def cookie(self, addr: PeerAddress, now: float) -> bytes:
        return mac(self._current_secret(now), source_bytes(addr))

    def check_mac2(self, covered: bytes, mac2: bytes, addr: PeerAddress, now: float) -> bool:
        """True when mac2 was made with the cookie of this source address under the current secret."""
        if mac2 == ZERO_MAC:
            return False
        return hmac.compare_digest(mac(self.cookie(addr, now), covered), mac2)

    def seal_cookie(self, addr: PeerAddress, init_mac1: bytes, now: float) -> tuple[bytes, bytes]:
        """(nonce, encrypted_cookie) for a COOKIE_REPLY answering an INIT with this mac1."""
        nonce = self._rng(C.COOKIE_NONCE_SIZE)
        return nonce, self._aead.encrypt(nonce, self.cookie(addr, now), init_mac1)


class CookieJar:
    """Client side: remembers the cookie from a COOKIE_REPLY and makes mac2 with it while it is fresh."""

    __slots__ = ("_aead", "_lifetime", "_cookie", "_received_at")

    def __init__(self, server_public: bytes, lifetime: float = C.COOKIE_REFRESH_TIME) -> None:
        self._aead = ChaCha20Poly1305(cookie_key(server_public))
        self._lifetime = lifetime
        self._cookie: bytes | None = None
        self._received_at = 0.0

    def accept_reply(self, nonce: bytes, encrypted_cookie: bytes, sent_mac1: bytes, now: float) -> bool:
        """Decrypt and keep the cookie; False when it does not authenticate (forged or stale reply)."""
        try:
            cookie = self._aead.decrypt(nonce, encrypted_cookie, sent_mac1)
        except InvalidTag:
            return False
        self._cookie = cookie
        self._received_at = now
        return True

    def mac2(self, covered: bytes, now: float) -> bytes:
        if self._cookie is None or now - self._received_at >= self._lifetime:
            return ZERO_MAC
        return mac(self._cookie, covered)
