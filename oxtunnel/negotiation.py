"""Capability negotiation: what the client asks for in INIT, what the server grants in the RESPONSE.

The rules are tables: a feature is granted only when the client asked for it *and* the server's policy
allows it (so plaintext can never be forced on a client, nor taken by one against the server's will),
and the cipher is ChaCha20-Poly1305 unless both ends prefer AES-256-GCM.
"""

from __future__ import annotations

from collections.abc import Sequence

from generated.codecs import constants as C

Cipher = C.Cipher
F = C.Features

CIPHER_BITS: dict[int, int] = {
    Cipher.CHACHA20_POLY1305: C.CipherSet.CHACHA20_POLY1305,
    Cipher.AES_256_GCM: C.CipherSet.AES_256_GCM,
}
DEFAULT_CIPHER = Cipher.CHACHA20_POLY1305
ALL_FEATURES = int(F.COMPRESSION | F.BATCHING | F.PLAINTEXT | F.IPV6)


def cipher_mask(ciphers: Sequence[int]) -> int:
    mask = 0
    for cipher in ciphers:
        mask |= CIPHER_BITS[cipher]
    return mask


def ciphers_in(mask: int) -> list[int]:
    return [cipher for cipher, bit in CIPHER_BITS.items() if mask & bit]


def client_features(*, compression: bool | None, batching: bool, plaintext: bool, ipv6: bool) -> int:
    """The features bitmask a client sends, from its config switches (compression None: only with
    plaintext, i.e. never compress-then-encrypt unless asked to explicitly)."""
    if compression is None:
        compression = plaintext
    table = ((compression, F.COMPRESSION), (batching, F.BATCHING), (plaintext, F.PLAINTEXT), (ipv6, F.IPV6))
    return sum(int(bit) for wanted, bit in table if wanted)


def choose_cipher(supported_mask: int, preferred: int, server_ciphers: Sequence[int]) -> int | None:
    """The server's choice: the common preference when both ends put the same cipher first, else the
    default cipher when common, else the server's most preferred common cipher; None when none."""
    common = [cipher for cipher in server_ciphers if supported_mask & CIPHER_BITS.get(cipher, 0)]
    if not common:
        return None
    if preferred == server_ciphers[0] and preferred in common:
        return preferred
    if DEFAULT_CIPHER in common:
        return DEFAULT_CIPHER
    return common[0]


def grant_features(requested: int, *, compression: bool, batching: bool, plaintext: bool, ipv6: bool) -> int:
    """The subset of ``requested`` the server's policy allows.

    A client that asks for plaintext *and* compression wants compression without encryption: when
    plaintext is refused, compression is refused too (compress-then-encrypt leaks lengths: VORACLE).
    """
    allowed = client_features(compression=compression, batching=batching, plaintext=plaintext, ipv6=ipv6)
    granted = requested & allowed
    if requested & F.PLAINTEXT and not granted & F.PLAINTEXT:
        granted &= ~F.COMPRESSION
    return int(granted)


def grant_is_acceptable(
    granted_cipher: int, granted_features: int, supported_mask: int, requested: int
) -> bool:
    """Client side: the server may only pick an offered cipher and grant a subset of what was asked."""
    return bool(CIPHER_BITS.get(granted_cipher, 0) & supported_mask) and granted_features & ~requested == 0
