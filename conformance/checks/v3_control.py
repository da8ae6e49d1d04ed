"""v3 control-message checks (spec §4, BRIEF §2.4): only authenticated control messages count."""

from __future__ import annotations

import os
import struct
import time

from conformance import inner
from conformance.context import CheckContext
from conformance.registry import Outcome, SkipCheck, failed, implements, passed
from conformance.v3 import support, wire
from conformance.v3.client import V3Session
from generated.codecs import constants as C


def _plaintext(control: int, body: bytes) -> bytes:
    payload = bytes([control]) + body
    return wire.header(wire.FLAG_CONTROL, 0, len(payload)) + payload


def _forgeries(sess: V3Session, control: int, body: bytes) -> list[tuple[str, bytes]]:
    """The ways someone without the session key might try to send ``control``."""
    return [
        ("in plaintext (flags 0x08)", _plaintext(control, body)),
        (
            "in plaintext with a receiver index",
            _plaintext(control, struct.pack(">I", sess.remote_index) + body),
        ),
        ("in an envelope sealed with a random key", sess.seal_control(control, body, key=os.urandom(32))),
        (
            "in an envelope with a broken tag",
            (lambda d: d[:-1] + bytes([d[-1] ^ 1]))(sess.seal_control(control, body)),
        ),
        (
            "in an authenticated-plaintext envelope with a random key",
            sess.seal(wire.control_body(control, body), wire.FLAG_CONTROL, key=os.urandom(32)),
        ),
    ]


@implements("CTL-001", "v3")
def forged_disconnect(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    stranger = ctx.link()
    forged = _forgeries(sess, wire.CT_DISCONNECT, b"\x00")
    for _, datagram in forged:
        sess.send(datagram)
        stranger.send(datagram)
    support.expect_silence(ctx, stranger, "forged DISCONNECTs from another address")
    support.require_echo(ctx, sess, "after forged DISCONNECTs (the session was torn down)")
    return passed(
        f"{len(forged)} forged DISCONNECT forms, from the session's address and another: "
        "ignored, session intact"
    )


@implements("CTL-002", "v3")
def forged_controls(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    stranger = ctx.link()
    bodies = {
        wire.CT_KEEPALIVE: b"",
        wire.CT_ACK: struct.pack(">Q", 0),
        wire.CT_CONFIG_UPDATE: struct.pack(">I", 1) + bytes(31),
        wire.CT_KEY_ROTATION: struct.pack(">I", sess.local_index),
    }
    sent = 0
    for control, body in bodies.items():
        for _, datagram in _forgeries(sess, control, body):
            stranger.send(datagram)
            sess.send(datagram)
            sent += 2
    support.expect_silence(ctx, stranger, "forged control messages from another address")
    replies = [d for d in ctx.silence(sess.link) if not _is_keepalive(sess, d)]
    if replies:
        return failed(f"forged control messages from the session's address got {len(replies)} replies")
    support.require_echo(ctx, sess, "after forged KEEPALIVE/ACK/CONFIG_UPDATE/KEY_ROTATION")
    return passed(f"{sent} forged control messages: no reply, session intact")


def _is_keepalive(sess: V3Session, datagram: bytes) -> bool:
    from cryptography.exceptions import InvalidTag

    try:
        opened = wire.open_envelope(sess.keys.receive, sess.cipher, datagram)
    except (ValueError, InvalidTag):
        return False
    return bool(opened.flags & wire.FLAG_CONTROL) and opened.plaintext[:1] == bytes([wire.CT_KEEPALIVE])


@implements("CTL-003", "v3")
def keepalive(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    for _ in range(3):
        sess.send(sess.seal_control(wire.CT_KEEPALIVE))
    answers = ctx.silence(sess.link)
    support.require_echo(ctx, sess, "after authenticated KEEPALIVEs")
    return passed(f"3 authenticated KEEPALIVEs accepted ({len(answers)} datagrams in reply); session usable")


@implements("CTL-004", "v3")
def ack(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    support.require_echo(ctx, sess, "before the ACK")
    last = sess.opened[-1].counter if sess.opened else 0
    sess.send(sess.seal_control(wire.CT_ACK, struct.pack(">Q", last)))
    sess.send(sess.seal_control(wire.CT_ACK, struct.pack(">Q", last + 1_000_000)))
    support.require_echo(ctx, sess, "after authenticated ACKs (one for a counter never sent)")
    return passed(f"ACK for counter {last} and for an unsent counter accepted; session usable")


@implements("CTL-005", "v3")
def passive_keepalive(ctx: CheckContext) -> Outcome:
    timeout = C.KEEPALIVE_TIMEOUT
    wait = timeout + 3.0
    if wait > ctx.timing.keepalive_wait_max:
        raise SkipCheck(
            f"needs {wait:.0f} s of idling (KEEPALIVE_TIMEOUT {timeout} s + 3); "
            f"timing.keepalive_wait_max is {ctx.timing.keepalive_wait_max:.0f} s"
        )
    sess = support.session(ctx)
    assert sess.address is not None
    # one datagram nobody answers (TEST-NET-1, discard port): the server receives data and sends nothing
    sess.send(sess.seal_ip(inner.udp_datagram(sess.address, "192.0.2.1", 9).packet))
    started = time.monotonic()
    deadline = started + wait
    while (remaining := deadline - time.monotonic()) > 0:
        opened = sess.receive(remaining)
        if opened and opened.flags & wire.FLAG_CONTROL and opened.plaintext[:1] == bytes([wire.CT_KEEPALIVE]):
            return passed(
                f"authenticated KEEPALIVE {time.monotonic() - started:.1f} s after our last data "
                f"(KEEPALIVE_TIMEOUT {timeout} s)"
            )
    return failed(
        f"no authenticated KEEPALIVE within {wait:.0f} s of receiving our data "
        f"(KEEPALIVE_TIMEOUT {timeout} s)"
    )


@implements("CTL-006", "v3")
def authenticated_disconnect(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    support.require_echo(ctx, sess, "before DISCONNECT")
    sess.send(sess.seal_control(wire.CT_DISCONNECT, b"\x00"))
    ctx.silence(sess.link, 0.2)
    probe = support.echo_probe(ctx, sess)
    if support.answered(ctx, sess, sess.seal_ip(probe.packet), probe, ctx.timing.silence_window):
        return failed("after an authenticated DISCONNECT the session still forwards data")
    fresh = support.session(ctx)
    support.require_echo(ctx, fresh, "in a new session after DISCONNECT")
    return passed("authenticated DISCONNECT ended the session; a new handshake works")


@implements("CTL-007", "v3")
def keepalive_acknowledged(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    counter = sess.next_counter()
    sess.send(sess.seal_control(wire.CT_KEEPALIVE, counter=counter))
    deadline = time.monotonic() + ctx.timing.reply_timeout
    while (remaining := deadline - time.monotonic()) > 0:
        opened = sess.receive(remaining)
        if opened and opened.flags & wire.FLAG_CONTROL and opened.plaintext[:1] == bytes([wire.CT_ACK]):
            (acked,) = struct.unpack_from(">Q", opened.plaintext, 1)
            if acked != counter:
                return failed(f"ACK for counter {acked}, our KEEPALIVE had counter {counter}")
            return passed(f"KEEPALIVE (counter {counter}) answered by an authenticated ACK on the same path")
    return failed(
        f"no authenticated ACK within {ctx.timing.reply_timeout:.1f} s of an authenticated KEEPALIVE"
    )
