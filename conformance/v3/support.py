"""Helpers shared by the v3 checks: sessions, echoes through the tunnel, liveness and silence.

The recurring shape of a "must be dropped" check is: establish a session, send one authentic-but-
malformed datagram carrying an echo request, see no answer, then send the correct datagram and see the
answer (so the silence meant "dropped", not "the server is dead"), then confirm a bystander session with
another key still works.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from conformance import inner
from conformance.context import CheckContext
from conformance.links import Link, OfflineLink
from conformance.registry import CheckFailed, SkipCheck
from conformance.v3 import wire
from conformance.v3.client import HandshakeError, V3Client, V3Session


def client(ctx: CheckContext, key_index: int = 0, source: str | None = None) -> V3Client:
    keys = ctx.target.client_private_keys
    if key_index >= len(keys):
        raise SkipCheck(f"target lists {len(keys)} client key(s); this check needs {key_index + 1}")
    assert ctx.target.server_public_key is not None
    return V3Client(
        ctx.link(source),
        keys[key_index],
        ctx.target.server_public_key,
        ctx.run.timestamps,
        pace=ctx.run.pacer.wait,
    )


def offline_client(ctx: CheckContext, key_index: int = 0, private: bytes | None = None) -> V3Client:
    """A client that only builds messages (no connection is opened)."""
    assert ctx.target.server_public_key is not None
    key = private if private is not None else ctx.target.client_private_keys[key_index]
    return V3Client(OfflineLink(), key, ctx.target.server_public_key, ctx.run.timestamps)


def session(ctx: CheckContext, key_index: int = 0, source: str | None = None, **init: int) -> V3Session:
    """A fresh handshake; a failure fails the check with the handshake's reason."""
    try:
        return client(ctx, key_index, source).handshake(ctx.timing.reply_timeout, **init)
    except HandshakeError as exc:
        raise CheckFailed(f"could not establish a session: {exc}") from None


def echo_address(ctx: CheckContext, sess: V3Session, v6: bool = False) -> str:
    configured = ctx.target.echo.address
    if configured:
        return configured
    assigned = sess.config.ipv6 if v6 else sess.config.ipv4
    if assigned is None:
        raise SkipCheck("no echo address configured and the session has no assigned prefix")
    network = assigned.network
    return str(next(iter(network.hosts())) if network.prefixlen < network.max_prefixlen else network[0])


def echo_probe(ctx: CheckContext, sess: V3Session, size: int = 0, src: str | None = None) -> inner.Probe:
    """An echo request from the session's assigned address to the echo host."""
    if sess.address is None:
        raise CheckFailed("the session config assigned no IPv4 address")
    dst = echo_address(ctx, sess)
    source = src or sess.address
    if ctx.target.echo.protocol == "udp":
        sport = 40000 + int.from_bytes(os.urandom(2), "big") % 20000
        return inner.udp_datagram(source, dst, ctx.target.echo.port, sport=sport, size=size)
    return inner.echo_request(source, dst, size=size)


def answered(
    ctx: CheckContext, sess: V3Session, datagram: bytes, probe: inner.Probe, timeout: float | None = None
) -> bool:
    """Send ``datagram`` and report whether the echo answering ``probe`` comes back through the tunnel."""
    got = sess.exchange(datagram, probe.answered_by, ctx.timing.reply_timeout if timeout is None else timeout)
    return got is not None


def echo(ctx: CheckContext, sess: V3Session, size: int = 0) -> bool:
    probe = echo_probe(ctx, sess, size)
    return answered(ctx, sess, sess.seal_ip(probe.packet), probe)


def require_echo(ctx: CheckContext, sess: V3Session, when: str) -> None:
    if not echo(ctx, sess):
        raise CheckFailed(f"a correct echo through the session got no answer {when}")


def sealed(
    sess: V3Session,
    extra_flags: int = 0,
    length_delta: int = 0,
    **overrides: Any,
) -> Callable[[inner.Probe], bytes]:
    """A builder sealing a probe with one field altered (the alteration is authenticated, in the AAD)."""

    def build(probe: inner.Probe) -> bytes:
        options = dict(overrides)
        if extra_flags:
            options["flags"] = wire.ip_flags(probe.packet) | extra_flags
        if length_delta:
            options["length"] = 12 + len(probe.packet) + wire.TAG_SIZE + length_delta
        return sess.seal_ip(probe.packet, **options)

    return build


def expect_dropped(
    ctx: CheckContext, sess: V3Session, build: Callable[[inner.Probe], bytes], what: str
) -> None:
    """``build(probe)`` makes a bad datagram around an echo; it must get no answer, a good one must."""
    probe = echo_probe(ctx, sess)
    if answered(ctx, sess, build(probe), probe, ctx.timing.silence_window):
        raise CheckFailed(f"{what} was accepted: its echo came back through the tunnel")
    reconnect_if_closed(ctx, sess, what)
    require_echo(ctx, sess, f"after {what} (the silence may mean the session broke)")


def reconnect_if_closed(ctx: CheckContext, sess: V3Session, what: str) -> None:
    """A stream transport may close a connection on framing abuse (a byte stream cannot resynchronise);
    the session itself must survive on a new connection, as a real client would reconnect."""
    if getattr(sess.link, "closed_by_peer", False):
        ctx.note(f"the server closed the {sess.link.transport} connection after {what}")
        sess.link = ctx.link()


def expect_silence(ctx: CheckContext, link: Link, what: str) -> None:
    """Nothing may come back on ``link`` within the silence window."""
    got = ctx.silence(link)
    if got:
        raise CheckFailed(
            f"{what} got {len(got)} repl{'y' if len(got) == 1 else 'ies'} "
            f"({sum(map(len, got))} bytes, first {got[0][:16].hex()})"
        )


def bystander(ctx: CheckContext) -> V3Session | None:
    """A long-lived session with the second client key, to prove other sessions are unaffected."""
    if len(ctx.target.client_private_keys) < 2:
        return None
    key = f"bystander:{ctx.transport}"
    cached = ctx.run.cache.get(key)
    if isinstance(cached, V3Session):
        return cached
    assert ctx.target.server_public_key is not None
    link = ctx.link()
    ctx._links.remove(link)  # lives for the whole run
    ctx.run.cache.setdefault("closables", []).append(link)
    try:
        sess = V3Client(
            link,
            ctx.target.client_private_keys[1],
            ctx.target.server_public_key,
            ctx.run.timestamps,
            pace=ctx.run.pacer.wait,
        ).handshake(ctx.timing.reply_timeout)
    except HandshakeError as exc:
        raise CheckFailed(f"could not establish the bystander session (key 2): {exc}") from None
    ctx.run.cache[key] = sess
    return sess


def assert_unaffected(ctx: CheckContext, what: str) -> str:
    """Server alive and other sessions unaffected after ``what``; returns a note for the pass reason."""
    other = bystander(ctx)
    if other is not None:
        if not echo(ctx, other):
            raise CheckFailed(f"after {what}, the bystander session (another key) no longer gets echoes")
        return "server alive, bystander session unaffected"
    fresh = session(ctx)
    if not echo(ctx, fresh):
        raise CheckFailed(f"after {what}, a fresh session no longer gets echoes")
    return "server alive (only one client key: bystander not checked)"


def prepare_bystander(ctx: CheckContext) -> None:
    """Make sure the bystander exists *before* the abuse, so its survival means something."""
    bystander(ctx)
