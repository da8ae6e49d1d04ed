"""v3 data-plane checks (spec §2): echo both ways, encryption downstream, envelope fields, roaming."""

from __future__ import annotations

import time

from conformance import inner
from conformance.context import CheckContext
from conformance.registry import Outcome, SkipCheck, failed, implements, passed
from conformance.v3 import support, wire


@implements("DATA-001", "v3")
def data_both_ways(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    probe = support.echo_probe(ctx, sess)
    started = time.monotonic()
    if not support.answered(ctx, sess, sess.seal_ip(probe.packet), probe):
        return failed(
            f"{ctx.target.echo.protocol} echo to {support.echo_address(ctx, sess)} from "
            f"{sess.address} got no answer through the tunnel"
        )
    rtt = (time.monotonic() - started) * 1000
    return passed(
        f"{ctx.target.echo.protocol} echo {sess.address} -> {support.echo_address(ctx, sess)} "
        f"answered in {rtt:.1f} ms"
    )


@implements("DATA-002", "v3")
def downstream_encrypted(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    probes = [support.echo_probe(ctx, sess) for _ in range(3)]
    for probe in probes:
        if not support.answered(ctx, sess, sess.seal_ip(probe.packet), probe):
            return failed("an echo went unanswered")
    data = [o for o in sess.opened if not o.flags & wire.FLAG_CONTROL]
    plaintext_ok = bool(sess.config.features & wire.FEATURE_PLAINTEXT)
    # spec §1: authenticated plaintext is allowed when negotiated, or on a transport that is confidential
    # by itself (QUIC): the tag still authenticates it, QUIC's own encryption hides it
    confidential = ctx.transport == "quic"
    plain = [o for o in data if not o.flags & wire.FLAG_ENCRYPTED]
    if plain and not (plaintext_ok or confidential):
        return failed(
            "server sent a data envelope without ENCRYPTED on a session that did not negotiate plaintext"
        )
    for opened in data:
        if opened.flags & wire.FLAG_ENCRYPTED and any(p.marker in opened.raw for p in probes):
            return failed("the inner echo reply is visible in clear inside an ENCRYPTED envelope")
    for raw in sess.unopened:
        if any(p.marker in raw for p in probes):
            return failed(
                "server sent our echo reply in a datagram that does not open with the session "
                "key (plaintext downstream?)"
            )
    if plain:
        return passed(
            f"{len(data)} downstream envelopes, authenticated with the server-to-client key; "
            f"{len(plain)} as authenticated plaintext inside QUIC (allowed: QUIC is confidential)"
        )
    return passed(
        f"{len(data)} downstream envelopes: ENCRYPTED, tag verified with the server-to-client "
        "key, payload not visible"
    )


@implements("DATA-003", "v3")
def envelope_fields(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    for _ in range(4):
        if not support.echo(ctx, sess):
            return failed("an echo went unanswered")
    counters = []
    for opened in sess.opened:
        if opened.receiver_index != sess.local_index:
            return failed(
                f"envelope receiver_index {opened.receiver_index:#x} is not our index {sess.local_index:#x}"
            )
        if opened.seq != opened.counter & 0xFFFFFFFF:
            return failed(f"envelope seq {opened.seq} != low 32 bits of counter {opened.counter}")
        counters.append(opened.counter)
    if len(set(counters)) != len(counters):
        return failed(f"server reused an envelope counter: {counters}")
    if counters != sorted(counters):
        return failed(f"server counters not increasing in send order on an in-order path: {counters}")
    return passed(f"{len(counters)} envelopes: our receiver index, seq = counter, counters {counters}")


@implements("DATA-004", "v3")
def roaming(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    if not support.echo(ctx, sess):
        return failed("no echo before roaming")
    sources = ctx.target.source_addresses
    new_link = ctx.link(source=sources[-1] if sources else None)
    old_link = sess.link
    sess.link = new_link
    if not support.echo(ctx, sess):
        return failed(
            "after moving to a new source address/port, echoes through the same session "
            "(same receiver index and keys) got no answer"
        )
    late = ctx.silence(old_link, 0.05)
    where = new_link.local if hasattr(new_link, "local") else "?"
    return passed(
        f"session followed the client to {where} without a new handshake"
        + (f" ({len(late)} late datagrams on the old socket)" if late else "")
    )


@implements("DATA-005", "v3")
def ipv6_inside(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx, features=wire.FEATURE_IPV6)
    if sess.config.ipv6 is None:
        if sess.config.features & wire.FEATURE_IPV6:
            return failed("session_config grants the IPV6 feature but assigns no IPv6 address")
        raise SkipCheck("the server offers no IPv6 inside the tunnel (IPV6 not granted)")
    assert sess.address6 is not None
    dst = ctx.target.echo.address6 or str(next(iter(sess.config.ipv6.network.hosts())))
    probe = inner.echo_request(sess.address6, dst)
    started = time.monotonic()
    if not support.answered(ctx, sess, sess.seal_ip(probe.packet), probe):
        return failed(f"ICMPv6 echo {sess.address6} -> {dst} (flags ENCRYPTED|IPV6) got no answer")
    rtt = (time.monotonic() - started) * 1000
    reply = next(o for o in reversed(sess.opened) if not o.flags & wire.FLAG_CONTROL)
    if not reply.flags & wire.FLAG_IPV6:
        return failed("the server's envelope carrying an IPv6 packet lacks the IPV6 flag")
    unflagged = inner.echo_request(sess.address6, dst)
    if support.answered(
        ctx,
        sess,
        sess.seal_ip(unflagged.packet, flags=wire.FLAG_ENCRYPTED),
        unflagged,
        ctx.timing.silence_window,
    ):
        return failed("an IPv6 packet without the IPV6 flag was delivered (spec §2: a mismatch is dropped)")
    return passed(
        f"ICMPv6 echo {sess.address6} -> {dst} answered in {rtt:.1f} ms, reply flagged IPV6; "
        "an unflagged IPv6 packet was dropped"
    )
