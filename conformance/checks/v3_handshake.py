"""v3 handshake checks (spec §3): Noise IK, mac1, timestamps, authorization, key secrecy."""

from __future__ import annotations

import time

from conformance.context import CheckContext
from conformance.registry import CheckFailed, Outcome, failed, implements, passed
from conformance.v3 import handshake as hs
from conformance.v3 import support, wire
from conformance.v3.client import V3Client

CIPHER_NAMES = {wire.CIPHER_CHACHA20_POLY1305: "ChaCha20-Poly1305", wire.CIPHER_AES_256_GCM: "AES-256-GCM"}


@implements("HS-001", "v3")
def valid_handshake(ctx: CheckContext) -> Outcome:
    started = time.monotonic()
    sess = support.session(ctx)
    elapsed = (time.monotonic() - started) * 1000
    head = wire.Header.parse(sess.response.raw)
    if head.seq != 0:
        return failed(f"HANDSHAKE_RESPONSE header seq is {head.seq}, spec §1 says handshake messages carry 0")
    if sess.cipher not in CIPHER_NAMES:
        return failed(f"session_config cipher {sess.cipher} is not a known cipher")
    if sess.cipher != wire.CIPHER_CHACHA20_POLY1305:
        return failed(f"we offered only ChaCha20-Poly1305, the server chose cipher {sess.cipher}")
    cfg = sess.config
    if cfg.ipv4 is None and cfg.ipv6 is None:
        return failed("session_config assigns neither an IPv4 nor an IPv6 address")
    return passed(
        f"RESPONSE {len(sess.response.raw)} B in {elapsed:.0f} ms: {CIPHER_NAMES[sess.cipher]}, "
        f"address {cfg.ipv4 or '-'} / {cfg.ipv6 or '-'}, mtu {cfg.mtu}, "
        f"keepalive {cfg.keepalive_interval} s"
    )


def _responses(datagrams: list[bytes]) -> list[bytes]:
    return [d for d in datagrams if wire.control_type(d) == wire.CT_HANDSHAKE_RESPONSE]


@implements("HS-002", "v3")
def replayed_init(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    attacker = ctx.link()
    ctx.run.pacer.wait()
    attacker.send(sess.init)
    from_attacker = ctx.silence(attacker)
    ctx.run.pacer.wait()
    sess.send(sess.init)
    from_origin = _responses(ctx.silence(sess.link))
    if _responses(from_attacker) or from_origin:
        return failed(
            "the replayed HANDSHAKE_INIT was answered with a HANDSHAKE_RESPONSE "
            f"({len(_responses(from_attacker))} to another address, {len(from_origin)} to the origin)"
        )
    support.require_echo(ctx, sess, "after the replayed INIT (a replay must not reset the session)")
    return passed("replay from another address and from the origin: no response; session intact")


@implements("HS-003", "v3")
def stale_timestamp(ctx: CheckContext) -> Outcome:
    client = support.client(ctx)
    stamp = ctx.run.timestamps.next(client.client_public)
    client.handshake(ctx.timing.reply_timeout, timestamp=stamp)
    seconds = int.from_bytes(stamp[:8], "big") - hs.TAI64_BASE
    for label, old in (("equal", stamp), ("1 s older", hs.tai64n(seconds - 1))):
        attempt = client.make_init(timestamp=old)
        client.send_init(attempt)
        if _responses(ctx.silence(client.link)):
            return failed(f"a fresh INIT with a timestamp {label} than the last accepted was answered")
    return passed("fresh INITs (new ephemeral) with an equal and an older timestamp: no response")


@implements("HS-004", "v3")
def wrong_mac1(ctx: CheckContext) -> Outcome:
    good = support.offline_client(ctx).make_init().init
    flipped = bytearray(good)
    flipped[-17] ^= 0x01  # last byte of mac1
    assert ctx.target.server_public_key is not None
    wrong_key = wire.with_macs(good[:-32], hs.public_key(hs.random_private_key()))
    for label, datagram in (
        ("a flipped mac1 bit", bytes(flipped)),
        ("mac1 keyed by another server key", wrong_key),
        ("zero mac1", good[:-32] + bytes(32)),
    ):
        link = ctx.link()
        link.send(datagram)
        support.expect_silence(ctx, link, f"an INIT with {label}")
        ctx.release(link)
    return passed("flipped mac1, mac1 under another server key, zero mac1: no reply to any")


@implements("HS-005", "v3")
def unauthorized_key(ctx: CheckContext) -> Outcome:
    assert ctx.target.server_public_key is not None
    link = ctx.link()
    stranger = V3Client(
        link,
        hs.random_private_key(),
        ctx.target.server_public_key,
        ctx.run.timestamps,
        pace=ctx.run.pacer.wait,
    )
    attempt = stranger.make_init()
    stranger.send_init(attempt)
    replies = ctx.silence(link)
    if _responses(replies):
        return failed("an INIT from a client key the server does not know got a HANDSHAKE_RESPONSE")
    cookies = [r for r in replies if wire.control_type(r) == wire.CT_COOKIE_REPLY]
    if len(cookies) != len(replies):
        return failed(f"an INIT from an unknown client key got {len(replies)} unexpected replies")
    if cookies:
        stranger.cookie = stranger.read_cookie(attempt, cookies[0])
        again = stranger.make_init()
        stranger.send_init(again)
        if _responses(ctx.silence(link)):
            return failed("an unknown client key was admitted after answering the cookie")
        return passed("unknown key: only a COOKIE_REPLY (server under load), and no response with mac2")
    return passed("INIT with a valid mac1 from an unknown client key: no reply")


@implements("HS-006", "v3")
def keys_not_on_wire(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    support.echo(ctx, sess)
    wire_bytes = [sess.init, sess.response.raw] + [o.raw for o in sess.opened]
    for name, key in (("client-to-server", sess.keys.send), ("server-to-client", sess.keys.receive)):
        for chunk in wire_bytes:
            if key in chunk:
                return failed(f"the {name} session key appears in clear on the wire")
    if sess.keys.send == sess.keys.receive:
        return failed("both directions use the same key (BRIEF §2.2: separate keys per direction)")
    return passed("derived keys absent from INIT, RESPONSE and envelopes; distinct per direction")


@implements("HS-007", "v3")
def stable_address(ctx: CheckContext) -> Outcome:
    first = support.session(ctx)
    second = support.session(ctx)
    if (first.config.ipv4, first.config.ipv6) != (second.config.ipv4, second.config.ipv6):
        return failed(f"address changed across handshakes: {first.config.ipv4} -> {second.config.ipv4}")
    if not support.echo(ctx, second):
        raise CheckFailed("the newest session gets no echo")
    return passed(f"two handshakes, same address {first.config.ipv4} / {first.config.ipv6}")


@implements("HS-008", "v3")
def consistent_rehandshake(ctx: CheckContext) -> Outcome:
    """Ask for IPv6, then not: the second session_config must not keep an address it does not grant.

    (This order leaves the client's state with IPv6, as every other check asks for it.)"""
    with_v6 = support.session(ctx, features=wire.FEATURE_IPV6)
    without = support.session(ctx, features=0)
    again = support.session(ctx, features=wire.FEATURE_IPV6)
    for label, sess in (("asking for IPv6", with_v6), ("then without IPv6", without), ("then again", again)):
        granted = bool(sess.config.features & wire.FEATURE_IPV6)
        if granted != (sess.config.ipv6 is not None):
            state = (
                "granted without an IPv6 address" if granted else f"not granted, yet {sess.config.ipv6} kept"
            )
            return failed(f"re-handshake {label}: IPV6 {state}")
    return passed(
        "IPV6 granted exactly when an IPv6 address is assigned, across re-handshakes with changing features"
    )
