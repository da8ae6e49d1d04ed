"""v3 malformed-header checks (spec §1): every class is dropped, unanswered, and harms nobody else.

Two kinds of probe per class: *stranger* datagrams from a socket with no session (must get no reply),
and *authentic* envelopes from a live session whose only defect is the one under test, carrying an echo
(must get no answer, while the same echo sent correctly does). Each check ends by confirming that the
server is alive and that a bystander session with another client key still works.
"""

from __future__ import annotations

import os
import struct

from conformance.context import CheckContext
from conformance.inner import Probe
from conformance.registry import Outcome, implements, passed
from conformance.v3 import support, wire


def _strangers(ctx: CheckContext, datagrams: list[tuple[str, bytes]]) -> None:
    """Each datagram from a fresh session-less socket must get no reply."""
    for label, datagram in datagrams:
        link = ctx.link()
        link.send(datagram)
        try:
            support.expect_silence(ctx, link, label)
        finally:
            ctx.release(link)  # stream servers cap connections per source address


def _valid_init(ctx: CheckContext) -> bytes:
    return support.offline_client(ctx).make_init().init


def _remac(ctx: CheckContext, before_mac1: bytes) -> bytes:
    assert ctx.target.server_public_key is not None
    return wire.with_macs(before_mac1, ctx.target.server_public_key)


def _finish(ctx: CheckContext, what: str, count: int) -> Outcome:
    note = support.assert_unaffected(ctx, what)
    return passed(f"{count} malformed datagrams dropped without reply; {note}")


@implements("HDR-001", "v3")
def bad_magic(ctx: CheckContext) -> Outcome:
    support.prepare_bystander(ctx)
    init = _valid_init(ctx)
    probes: list[tuple[str, bytes]] = []
    for magic in (0x0000, 0x584F, 0x4F59, 0xFFFF):
        probes.append(
            (
                f"an INIT with magic {magic:#06x} (macs valid)",
                _remac(ctx, struct.pack(">H", magic) + init[2:-32]),
            )
        )
    _strangers(ctx, probes)
    sess = support.session(ctx)
    for magic in (0x584F, 0x0000):
        support.expect_dropped(
            ctx,
            sess,
            support.sealed(sess, magic=magic),
            f"an authentic envelope with magic {magic:#06x}",
        )
    return _finish(ctx, "bad-magic datagrams", len(probes) + 2)


@implements("HDR-002", "v3")
def short_datagrams(ctx: CheckContext) -> Outcome:
    support.prepare_bystander(ctx)
    init = _valid_init(ctx)
    sess = support.session(ctx)
    envelope = sess.seal_ip(support.echo_probe(ctx, sess).packet)
    probes = [(f"a {n}-byte prefix of an INIT", init[:n]) for n in (0, 1, 2, 8)]
    probes.append(("a bare 9-byte CONTROL header", wire.header(wire.FLAG_CONTROL, 0, 0)))
    probes.append(("a bare 9-byte ENCRYPTED header", wire.header(wire.FLAG_ENCRYPTED, 0, 0)))
    for size in (wire.HEADER_SIZE + 4, wire.HEADER_SIZE + 12, wire.ENVELOPE_OVERHEAD - 1):
        body = envelope[wire.HEADER_SIZE : size]
        probes.append(
            (
                f"a {size}-byte envelope (length field consistent)",
                wire.header(wire.FLAG_ENCRYPTED, 0, len(body)) + body,
            )
        )
    _strangers(ctx, probes)
    for size in (wire.HEADER_SIZE + 12, wire.ENVELOPE_OVERHEAD - 1):
        body = envelope[wire.HEADER_SIZE : size]
        sess.send(wire.header(wire.FLAG_ENCRYPTED, 0, len(body)) + body)
    support.expect_silence(ctx, sess.link, "short envelopes from the session's own address")
    support.reconnect_if_closed(ctx, sess, "short envelopes from the session's own address")
    support.require_echo(ctx, sess, "after short envelopes from the session's address")
    return _finish(ctx, "short datagrams", len(probes) + 2)


@implements("HDR-003", "v3")
def length_mismatch(ctx: CheckContext) -> Outcome:
    support.prepare_bystander(ctx)
    init = _valid_init(ctx)
    probes = []
    for delta in (-1, 1, 100):
        head = wire.header(wire.FLAG_CONTROL, 0, len(init) - wire.HEADER_SIZE + delta)
        probes.append(
            (
                f"an INIT whose length field is off by {delta} (macs valid)",
                _remac(ctx, head + init[wire.HEADER_SIZE : -32]),
            )
        )
    probes.append(("an INIT with one trailing byte", init + b"\x00"))
    _strangers(ctx, probes)
    sess = support.session(ctx)

    for delta in (-1, 1, 500):
        support.expect_dropped(
            ctx,
            sess,
            support.sealed(sess, length_delta=delta),
            f"an envelope whose authenticated length field is off by {delta}",
        )
    support.expect_dropped(
        ctx,
        sess,
        lambda p: sess.seal_ip(p.packet) + b"\x00",
        "an envelope with one byte after its stated length",
    )
    return _finish(ctx, "length-mismatch datagrams", len(probes) + 4)


@implements("HDR-004", "v3")
def reserved_flags(ctx: CheckContext) -> Outcome:
    support.prepare_bystander(ctx)
    init = _valid_init(ctx)
    probes = [
        (
            f"an INIT with reserved flag {bit:#04x} (macs valid)",
            _remac(ctx, init[:2] + bytes([wire.FLAG_CONTROL | bit]) + init[3:-32]),
        )
        for bit in (0x20, 0x40, 0x80)
    ]
    _strangers(ctx, probes)
    sess = support.session(ctx)
    for bit in (0x20, 0x40, 0x80):
        support.expect_dropped(
            ctx,
            sess,
            support.sealed(sess, extra_flags=bit),
            f"an authentic envelope with reserved flag {bit:#04x} (in the AAD)",
        )
    return _finish(ctx, "reserved-flag datagrams", 6)


@implements("HDR-005", "v3")
def unknown_control(ctx: CheckContext) -> Outcome:
    support.prepare_bystander(ctx)
    # 0x00, the legacy dialect's reserved 0x08/0x09, the lowest unassigned code and the top of the range
    unknown = (0x00, 0x08, 0x09, wire.CT_UNASSIGNED[1], 0x7F, 0xFF)
    probes = []
    for ct in unknown:
        body = bytes([ct]) + os.urandom(40)
        probes.append(
            (
                f"a plaintext control message of unknown type {ct:#04x}",
                wire.header(wire.FLAG_CONTROL, 0, len(body)) + body,
            )
        )
        probes.append(
            (
                f"a plaintext control message of unknown type {ct:#04x} with macs",
                _remac(ctx, wire.header(wire.FLAG_CONTROL, 0, len(body) + 32) + body),
            )
        )
    _strangers(ctx, probes)
    sess = support.session(ctx)
    # unknown codes, and codes that never travel client -> server inside an envelope
    misplaced = (wire.CT_HANDSHAKE_INIT, wire.CT_COOKIE_REPLY, wire.CT_REKEY_REQUEST)
    for ct in (wire.CT_UNASSIGNED[1], 0x7F, 0xFF, *misplaced):
        sess.send(sess.seal_control(ct, os.urandom(8)))
    support.expect_silence(ctx, sess.link, "authenticated control messages of unknown or misplaced types")
    support.reconnect_if_closed(ctx, sess, "authenticated control messages of unknown or misplaced types")
    support.require_echo(ctx, sess, "after authenticated unknown control types")
    return _finish(ctx, "unknown control types", len(probes) + 6)


@implements("HDR-006", "v3")
def truncated(ctx: CheckContext) -> Outcome:
    support.prepare_bystander(ctx)
    init = _valid_init(ctx)
    probes = []
    for size in (20, 60, 100, 140, 157):
        cut = init[:size]
        probes.append(
            (
                f"an INIT cut to {size} bytes (length field consistent)",
                wire.header(wire.FLAG_CONTROL, 0, size - wire.HEADER_SIZE) + cut[wire.HEADER_SIZE :],
            )
        )
    fake_response = bytes([wire.CT_HANDSHAKE_RESPONSE]) + os.urandom(60)
    probes.append(
        (
            "a HANDSHAKE_RESPONSE sent to the server",
            _remac(ctx, wire.header(wire.FLAG_CONTROL, 0, len(fake_response) + 32) + fake_response),
        )
    )
    cookie = bytes([wire.CT_COOKIE_REPLY]) + os.urandom(48)
    probes.append(
        ("a COOKIE_REPLY sent to the server", wire.header(wire.FLAG_CONTROL, 0, len(cookie)) + cookie)
    )
    _strangers(ctx, probes)
    sess = support.session(ctx)

    def cut_tag(probe: Probe) -> bytes:
        sealed = sess.seal_ip(probe.packet)
        short = sealed[wire.HEADER_SIZE : -5]
        return wire.header(sealed[2], int.from_bytes(sealed[3:7], "big"), len(short)) + short

    support.expect_dropped(ctx, sess, cut_tag, "an envelope cut inside its tag")
    support.expect_dropped(
        ctx,
        sess,
        lambda p: sess.seal_ip(p.packet[:15]),
        "an authentic envelope holding a truncated IP packet",
    )
    return _finish(ctx, "truncated datagrams", len(probes) + 2)


@implements("HDR-007", "v3")
def oversize(ctx: CheckContext) -> Outcome:
    support.prepare_bystander(ctx)
    limits = {"udp": 65507, "tcp": 65535, "quic": 1150}  # largest datagram the transport can carry
    body = os.urandom(limits[ctx.transport] - wire.HEADER_SIZE)
    probes = [
        ("a maximum-size ENCRYPTED datagram", wire.header(wire.FLAG_ENCRYPTED, 0, len(body)) + body),
        ("a maximum-size CONTROL datagram", wire.header(wire.FLAG_CONTROL, 0, len(body)) + body),
    ]
    _strangers(ctx, probes)
    sess = support.session(ctx)
    inner = limits[ctx.transport] - wire.ENVELOPE_OVERHEAD
    big = support.echo_probe(ctx, sess, size=inner)
    sess.send(sess.seal_ip(big.packet))
    ctx.silence(sess.link)  # an answer is allowed (a big echo), a crash is not
    support.require_echo(
        ctx, sess, f"after an authentic {inner}-byte inner packet (session mtu {sess.config.mtu})"
    )
    return _finish(ctx, "oversize datagrams", len(probes) + 1)


@implements("HDR-008", "v3")
def invalid_combinations(ctx: CheckContext) -> Outcome:
    support.prepare_bystander(ctx)
    init = _valid_init(ctx)
    combos = (wire.FLAG_COMPRESSED, wire.FLAG_BATCH, wire.FLAG_IPV6)
    probes = [
        (
            f"an INIT with CONTROL|{extra:#04x} (macs valid)",
            _remac(ctx, init[:2] + bytes([wire.FLAG_CONTROL | extra]) + init[3:-32]),
        )
        for extra in combos
    ]
    _strangers(ctx, probes)
    sess = support.session(ctx)
    for extra in combos:
        flags = wire.FLAG_ENCRYPTED | wire.FLAG_CONTROL | extra
        sess.send(sess.seal(wire.control_body(wire.CT_DISCONNECT, b"\x00"), flags))
    support.expect_silence(ctx, sess.link, "authenticated DISCONNECTs with CONTROL|COMPRESSED/BATCH/IPV6")
    support.reconnect_if_closed(ctx, sess, "authenticated DISCONNECTs with CONTROL|COMPRESSED/BATCH/IPV6")
    support.require_echo(
        ctx, sess, "after DISCONNECTs under invalid flag combinations (they must be dropped, not obeyed)"
    )
    return _finish(ctx, "invalid flag combinations", len(probes) + len(combos))


@implements("HDR-009", "v3")
def seq_mismatch(ctx: CheckContext) -> Outcome:
    support.prepare_bystander(ctx)
    sess = support.session(ctx)

    def wrong_seq(probe: Probe) -> bytes:
        counter = sess.next_counter()
        return sess.seal_ip(probe.packet, counter=counter, seq=(counter + 1) & 0xFFFFFFFF)

    support.expect_dropped(ctx, sess, wrong_seq, "an authentic envelope whose seq is counter + 1")
    return _finish(ctx, "seq/counter mismatch", 1)


@implements("HDR-010", "v3")
def ipv6_flag_mismatch(ctx: CheckContext) -> Outcome:
    support.prepare_bystander(ctx)
    sess = support.session(ctx)
    support.expect_dropped(
        ctx,
        sess,
        lambda p: sess.seal_ip(p.packet, flags=wire.FLAG_ENCRYPTED | wire.FLAG_IPV6),
        "an authentic IPv4 packet flagged IPV6",
    )
    return _finish(ctx, "IPV6 flag mismatch", 1)
