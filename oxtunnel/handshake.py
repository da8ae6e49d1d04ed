"""The three handshake messages (HANDSHAKE_INIT, HANDSHAKE_RESPONSE, COOKIE_REPLY) around Noise IK.

This module frames Noise messages with the generated codecs and applies mac1/mac2; it decides nothing
about sessions.  Every failure is a :class:`HandshakeError` carrying the drop reason, which the
session layer records in the trace (a peer fault never raises out of the core).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from oxtunnel import wire
from oxtunnel.cookies import ZERO_MAC, CookieJar, Mac1
from oxtunnel.crypto import Rng
from oxtunnel.noise import DHLEN, HandshakeResult, Initiator, NoiseError, Responder, UnknownInitiator
from oxtunnel.trace import DropReason

MAC_SIZE = wire.MAC_SIZE
_STATIC_END = DHLEN + DHLEN + 16  # e ‖ enc(s) inside Noise message 1


class HandshakeError(Exception):
    """A handshake message is refused; ``reason`` goes to the trace."""

    def __init__(self, reason: DropReason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail


def _with_macs(message: wire.Codec, mac1: Mac1, mac2_of: CookieJar | None, now: float) -> tuple[bytes, bytes]:
    """Encode ``message`` (whose last fields are mac1 and mac2) with both MACs; returns (bytes, mac1)."""
    covered1 = message.encode()[: -2 * MAC_SIZE]
    tag1 = mac1.compute(covered1)
    message = dataclasses.replace(message, mac1=tag1)  # type: ignore[type-var]
    tag2 = mac2_of.mac2(message.encode()[:-MAC_SIZE], now) if mac2_of is not None else ZERO_MAC
    return dataclasses.replace(message, mac2=tag2).encode(), tag1  # type: ignore[type-var]


def mac1_covered(data: bytes) -> bytes:
    return data[: -2 * MAC_SIZE]


def mac2_covered(data: bytes) -> bytes:
    return data[:-MAC_SIZE]


# -- client side ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class PendingHandshake:
    """One INIT in flight: what is needed to read its RESPONSE or COOKIE_REPLY."""

    local_index: int
    noise: Initiator
    mac1: bytes
    sent_at: float


def build_init(
    noise: Initiator,
    *,
    local_index: int,
    payload: wire.InitPayload,
    server_mac1: Mac1,
    cookies: CookieJar,
    rng: Rng,
    now: float,
) -> tuple[bytes, PendingHandshake]:
    message = noise.write_message_1(payload.encode(), rng)
    init = wire.HandshakeInit(
        sender_index=local_index,
        ephemeral=message[:DHLEN],
        encrypted_static=message[DHLEN:_STATIC_END],
        encrypted_payload=message[_STATIC_END:],
        mac1=ZERO_MAC,
        mac2=ZERO_MAC,
    )
    data, tag1 = _with_macs(init, server_mac1, cookies, now)
    return data, PendingHandshake(local_index, noise, tag1, now)


def read_response(
    data: bytes, pending: PendingHandshake, client_mac1: Mac1
) -> tuple[int, wire.SessionConfig, HandshakeResult]:
    """(server's index, granted session_config, keys) from a RESPONSE to ``pending``."""
    try:
        response = wire.HandshakeResponse.decode(data)
    except wire.DecodeError as exc:
        raise HandshakeError(DropReason.MALFORMED, str(exc)) from None
    if response.receiver_index != pending.local_index:
        raise HandshakeError(DropReason.UNEXPECTED_MESSAGE, "response to no INIT in flight")
    if not client_mac1.verify(mac1_covered(data), response.mac1):
        raise HandshakeError(DropReason.MAC1_INVALID, "response mac1")
    if response.mac2 != ZERO_MAC:  # servers never hold a cookie for their clients
        raise HandshakeError(DropReason.MALFORMED, "response mac2 must be zero")
    try:
        payload, result = pending.noise.read_message_2(response.ephemeral + response.encrypted_payload)
    except NoiseError as exc:
        raise HandshakeError(DropReason.HANDSHAKE_FAILED, str(exc)) from None
    try:
        config = wire.SessionConfig.decode(payload)
    except wire.DecodeError as exc:
        raise HandshakeError(DropReason.BAD_SESSION_CONFIG, str(exc)) from None
    return response.sender_index, config, result


def read_cookie_reply(data: bytes, pending: PendingHandshake, cookies: CookieJar, now: float) -> None:
    try:
        reply = wire.CookieReply.decode(data)
    except wire.DecodeError as exc:
        raise HandshakeError(DropReason.MALFORMED, str(exc)) from None
    if reply.receiver_index != pending.local_index:
        raise HandshakeError(DropReason.UNEXPECTED_MESSAGE, "cookie reply to no INIT in flight")
    if not cookies.accept_reply(reply.nonce, reply.encrypted_cookie, pending.mac1, now):
        raise HandshakeError(DropReason.COOKIE_INVALID, "cookie reply does not authenticate")


# -- server side ---------------------------------------------------------------------------------------


def parse_init(data: bytes) -> wire.HandshakeInit:
    try:
        return wire.HandshakeInit.decode(data)
    except wire.DecodeError as exc:
        raise HandshakeError(DropReason.MALFORMED, str(exc)) from None


def open_init(
    init: wire.HandshakeInit, responder: Responder, static_static: Callable[[bytes], bytes | None]
) -> tuple[bytes, bytes]:
    """(client static public key, init_payload bytes); ``static_static`` accepts or refuses the client's
    key (see noise.Responder) before the second Diffie-Hellman."""
    message = init.ephemeral + init.encrypted_static + init.encrypted_payload
    try:
        return responder.read_message_1(message, static_static)
    except UnknownInitiator as exc:
        raise HandshakeError(DropReason.UNKNOWN_PEER, exc.static.hex()[:16]) from None
    except NoiseError as exc:
        raise HandshakeError(DropReason.HANDSHAKE_FAILED, str(exc)) from None


def decode_init_payload(payload: bytes) -> wire.InitPayload:
    try:
        return wire.InitPayload.decode(payload)
    except wire.DecodeError as exc:
        raise HandshakeError(DropReason.MALFORMED, f"init payload: {exc}") from None


def build_response(
    responder: Responder,
    *,
    local_index: int,
    remote_index: int,
    config: wire.SessionConfig,
    client_mac1: Mac1,
    rng: Rng,
) -> tuple[bytes, HandshakeResult]:
    message, result = responder.write_message_2(config.encode(), rng)
    response = wire.HandshakeResponse(
        sender_index=local_index,
        receiver_index=remote_index,
        ephemeral=message[:DHLEN],
        encrypted_payload=message[DHLEN:],
        mac1=ZERO_MAC,
        mac2=ZERO_MAC,
    )
    data, _ = _with_macs(response, client_mac1, None, 0.0)
    return data, result


def build_cookie_reply(receiver_index: int, nonce: bytes, encrypted_cookie: bytes) -> bytes:
    return wire.CookieReply(
        receiver_index=receiver_index, nonce=nonce, encrypted_cookie=encrypted_cookie
    ).encode()
