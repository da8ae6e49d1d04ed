"""v3 replay and tampering checks (BRIEF §2.3, spec §2): the envelope's AEAD and replay window."""

from __future__ import annotations

import os

from conformance.context import CheckContext
from conformance.inner import Probe
from conformance.registry import Outcome, failed, implements, passed
from conformance.v3 import support, wire

WINDOW = 8128  # BRIEF §2.3: the replay window is at least this many packets


@implements("RPL-001", "v3")
def replayed_data(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    probe = support.echo_probe(ctx, sess)
    datagram = sess.seal_ip(probe.packet)
    if not support.answered(ctx, sess, datagram, probe):
        return failed("the original echo got no answer")
    for attempt in range(3):
        if support.answered(ctx, sess, datagram, probe, ctx.timing.silence_window):
            return failed(f"replay #{attempt + 1} of an accepted envelope was delivered again")
    support.require_echo(ctx, sess, "after replays")
    return passed("three replays of an accepted envelope were dropped; fresh echoes still work")


@implements("RPL-002", "v3")
def reorder_window(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    base = sess.send_counter
    late = support.echo_probe(ctx, sess)
    late_datagram = sess.seal_ip(late.packet, counter=base + 5)
    early = support.echo_probe(ctx, sess)
    if not support.answered(ctx, sess, sess.seal_ip(early.packet, counter=base + 10), early):
        return failed("an envelope with counter n+10 got no answer")
    if not support.answered(ctx, sess, late_datagram, late):
        return failed("an envelope reordered by 5 (counter n+5 after n+10) was dropped")
    if support.answered(ctx, sess, late_datagram, late, ctx.timing.silence_window):
        return failed("the reordered envelope was accepted twice")
    far = support.echo_probe(ctx, sess)
    top = base + 10 + WINDOW + 64
    if not support.answered(ctx, sess, sess.seal_ip(far.packet, counter=top), far):
        return failed(f"an envelope jumping ahead to counter n+{top - base} got no answer")
    inside = support.echo_probe(ctx, sess)
    if not support.answered(ctx, sess, sess.seal_ip(inside.packet, counter=top - (WINDOW - 1)), inside):
        return failed(f"an envelope {WINDOW - 1} counters behind the newest was dropped (window < {WINDOW})")
    sess.send_counter = top + 1
    support.require_echo(ctx, sess, "after the window test")
    return passed(
        f"reordered by 5 accepted once; {WINDOW - 1} behind the newest accepted; duplicates dropped"
    )


def _flip(data: bytes, offset: int) -> bytes:
    mutable = bytearray(data)
    mutable[offset] ^= 0x01
    return bytes(mutable)


@implements("TMP-001", "v3")
def tampered_ciphertext(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    support.expect_dropped(
        ctx,
        sess,
        lambda p: _flip(sess.seal_ip(p.packet), wire.HEADER_SIZE + 12 + 3),
        "an envelope with one ciphertext bit flipped",
    )
    support.expect_dropped(
        ctx, sess, lambda p: _flip(sess.seal_ip(p.packet), -1), "an envelope with one tag bit flipped"
    )
    support.expect_dropped(
        ctx,
        sess,
        lambda p: sess.seal_ip(p.packet, key=os.urandom(32)),
        "an envelope sealed with a key of nobody's session",
    )
    return passed("ciphertext flip, tag flip and wrong key: all dropped; correct envelopes answered")


@implements("TMP-002", "v3")
def tampered_header(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)

    def resealed(probe: Probe, flags: int | None = None, seq_delta: int = 0) -> bytes:
        """Seal with the honest header as AAD, then send a header that differs in one field."""
        counter = sess.next_counter()
        length = 12 + len(probe.packet) + wire.TAG_SIZE
        honest = wire.header(wire.ip_flags(probe.packet), counter, length)
        return wire.raw_envelope(
            sess.keys.send,
            sess.cipher,
            wire.ip_flags(probe.packet) if flags is None else flags,
            sess.remote_index,
            counter,
            probe.packet,
            seq=(counter + seq_delta) & 0xFFFFFFFF,
            aad_header=honest,
        )

    support.expect_dropped(
        ctx,
        sess,
        lambda p: resealed(p, flags=wire.FLAG_ENCRYPTED | wire.FLAG_COMPRESSED),
        "an envelope whose COMPRESSED flag was set after sealing",
    )
    support.expect_dropped(
        ctx,
        sess,
        lambda p: resealed(p, flags=wire.FLAG_ENCRYPTED | wire.FLAG_BATCH),
        "an envelope whose BATCH flag was set after sealing",
    )
    support.expect_dropped(
        ctx,
        sess,
        lambda p: resealed(p, flags=0),
        "an envelope whose ENCRYPTED flag was cleared after sealing",
    )
    support.expect_dropped(
        ctx,
        sess,
        lambda p: _flip(sess.seal_ip(p.packet), wire.HEADER_SIZE + 11),
        "an envelope whose counter was changed after sealing (nonce)",
    )
    return passed("flags set or cleared after sealing, and a changed counter: all dropped")


@implements("TMP-003", "v3")
def unknown_index(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    bogus = (sess.remote_index ^ 0x5A5A5A5A) or 1
    support.expect_dropped(
        ctx,
        sess,
        lambda p: sess.seal_ip(p.packet, receiver_index=bogus),
        "an envelope for an unknown receiver index from the session's own address",
    )
    stranger = ctx.link()
    probe = support.echo_probe(ctx, sess)
    stranger.send(sess.seal_ip(probe.packet, receiver_index=bogus))
    support.expect_silence(ctx, stranger, "an envelope for an unknown receiver index")
    return passed("envelopes for an unknown receiver index: dropped, no reply, from either address")
