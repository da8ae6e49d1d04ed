"""The ``legacy`` profile: the same requirement rows, tested against the Rust Oxidize dialect.

Each function asks the v3 question of a legacy server ("is a replayed INIT refused?") in that server's
own dialect, so the matrix shows where the dialect falls short of the spec. Where the dialect has no
counterpart (cookies, receiver indices, authenticated control) the row says so as a skip or, when the
absence itself is the weakness (no mac1, no cookies), as a fail. Section references are to
``legacy-dialect.md``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from conformance import inner
from conformance.context import CheckContext
from conformance.legacy import wire
from conformance.legacy.client import LegacyClient, LegacyHandshakeError, LegacySession
from conformance.registry import CheckFailed, Outcome, SkipCheck, failed, implements, passed

P = "legacy"


def _session(ctx: CheckContext, encryption: bool = True) -> LegacySession:
    try:
        return LegacyClient(ctx.link()).handshake(ctx.timing.reply_timeout, encryption=encryption)
    except LegacyHandshakeError as exc:
        raise CheckFailed(f"could not establish a legacy session: {exc}") from None


def _probe(ctx: CheckContext, sess: LegacySession, src: str | None = None) -> inner.Probe:
    echo = ctx.target.echo
    if echo.address is None:
        raise SkipCheck("legacy targets need [echo] address (a host behind the server that answers)")
    source = src or sess.address
    if echo.protocol == "udp":
        return inner.udp_datagram(
            source, echo.address, echo.port, sport=40000 + int.from_bytes(os.urandom(2), "big") % 20000
        )
    return inner.echo_request(source, echo.address)


def _answered(
    ctx: CheckContext, sess: LegacySession, datagram: bytes, probe: inner.Probe, timeout: float | None = None
) -> bool:
    wait = ctx.timing.reply_timeout if timeout is None else timeout
    return sess.exchange(datagram, probe.answered_by, wait) is not None


def _echo(ctx: CheckContext, sess: LegacySession) -> bool:
    probe = _probe(ctx, sess)
    return _answered(ctx, sess, sess.data_packet(probe.packet), probe)


def _require_echo(ctx: CheckContext, sess: LegacySession, when: str) -> None:
    if not _echo(ctx, sess):
        raise CheckFailed(f"a correct echo through the legacy session got no answer {when}")


def _accepted(ctx: CheckContext, sess: LegacySession, build: object, what: str) -> bool:
    """Send a bad variant of an echo; True when the server acted on it (the echo came back)."""
    probe = _probe(ctx, sess)
    return _answered(ctx, sess, build(probe), probe, ctx.timing.silence_window)  # type: ignore[operator]


def _alive(ctx: CheckContext, what: str) -> str:
    sess = _session(ctx)
    _require_echo(ctx, sess, f"in a fresh session after {what}")
    return "server alive (fresh session works)"


def _strangers(ctx: CheckContext, datagrams: list[tuple[str, bytes]]) -> None:
    for label, datagram in datagrams:
        link = ctx.link()
        link.send(datagram)
        got = ctx.silence(link)
        if got:
            raise CheckFailed(f"{label} got {len(got)} replies")


# --- handshake -----------------------------------------------------------------------------------------


@implements("HS-001", P)
def handshake(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    kind = "with the session key in clear" if sess.key else "without a key (plaintext session)"
    note = "" if sess.response.strict_ok else "; the strict generated codec rejects it"
    return passed(
        f"legacy RESPONSE {len(sess.response_raw)} B, address {sess.address}, {kind} "
        f"(no key agreement, §3.2){note}"
    )


@implements("HS-002", P)
def replayed_init(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    attacker = ctx.link()
    attacker.send(sess.init)
    got = ctx.silence(attacker)
    if got:
        return failed(
            f"the replayed HANDSHAKE_INIT from another address got a {len(got[0])}-byte answer "
            "(no replay protection, §3.5)"
        )
    return passed("replayed HANDSHAKE_INIT got no answer")


@implements("HS-003", P)
def stale_timestamp(ctx: CheckContext) -> Outcome:
    client = LegacyClient(ctx.link())
    try:
        sess = client.handshake(ctx.timing.reply_timeout, init=client.make_init(timestamp=0))
    except LegacyHandshakeError:
        return passed("an INIT dated 1970 was refused")
    return failed(
        f"an INIT with timestamp 0 (1970) was accepted, address {sess.address} (never checked, §2.1)"
    )


@implements("HS-004", P)
def no_mac1(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    return failed(
        f"the dialect has no mac1: a sender who knows nothing about the server got a "
        f"{len(sess.response_raw)}-byte HANDSHAKE_RESPONSE (§3.1)"
    )


@implements("HS-005", P)
def unauthorized(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    return failed(
        f"a random client_id was admitted (address {sess.address}): without --enable-auth "
        "there is no client authorization (§3.4)"
    )


@implements("HS-006", P)
def key_in_clear(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    if sess.key is not None and sess.key in sess.response_raw:
        return failed(
            f"the 32-byte session key travels in clear in the HANDSHAKE_RESPONSE at offset "
            f"{sess.response_raw.index(sess.key)} (§3.2); one key for both directions"
        )
    if sess.key is None:
        return failed("no key at all: the session runs in plaintext (§3.2)")
    return passed("session key not visible on the wire")


@implements("HS-007", P)
def stable_address(ctx: CheckContext) -> Outcome:
    client = LegacyClient(ctx.link())
    first = client.handshake(ctx.timing.reply_timeout)
    second = LegacyClient(ctx.link(), client.client_id).handshake(ctx.timing.reply_timeout)
    if first.address != second.address:
        return failed(f"same client_id, new address: {first.address} -> {second.address}")
    return passed(f"same client_id keeps {first.address} (§3.1 step 5)")


# --- data ------------------------------------------------------------------------------------------------


@implements("DATA-001", P)
def data_both_ways(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    if not _echo(ctx, sess):
        return failed(f"echo from {sess.address} to {ctx.target.echo.address} got no answer")
    return passed(f"{ctx.target.echo.protocol} echo through the legacy session answered")


@implements("DATA-002", P)
def downstream_encrypted(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    probe = _probe(ctx, sess)
    got = sess.exchange(sess.data_packet(probe.packet), probe.answered_by, ctx.timing.reply_timeout)
    if got is None:
        raise CheckFailed("the echo went unanswered")
    if not got.encrypted:
        return failed(
            "server-to-client data arrives in plaintext (ENCRYPTED clear; the marker is readable "
            "on the wire, §4.4)"
        )
    return passed("server-to-client data encrypted")


# --- malformed headers ------------------------------------------------------------------------------------


@implements("HDR-001", P)
def bad_magic(ctx: CheckContext) -> Outcome:
    client = LegacyClient(ctx.link())
    init = client.make_init()
    _strangers(ctx, [(f"an INIT with magic {m.hex()}", m + init[2:]) for m in (b"XO", b"\x00\x00", b"OY")])
    return passed("bad magic dropped without reply; " + _alive(ctx, "bad magic"))


@implements("HDR-002", P)
def short(ctx: CheckContext) -> Outcome:
    init = LegacyClient(ctx.link()).make_init()
    _strangers(ctx, [(f"a {n}-byte datagram", init[:n]) for n in (0, 1, 2, 8)])
    return passed("datagrams shorter than the header dropped; " + _alive(ctx, "short datagrams"))


@implements("HDR-003", P)
def length_mismatch(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    if _accepted(ctx, sess, lambda p: sess.data_packet(p.packet) + b"\x00" * 7, "trailing bytes"):
        return failed(
            "an encrypted packet with 7 bytes after payload_len was delivered (trailing bytes are "
            "silently ignored, §1.4)"
        )
    return passed("trailing bytes dropped")


@implements("HDR-004", P)
def reserved_flags(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    for bit in (0x40, 0x80):
        if _accepted(
            ctx, sess, lambda p, b=bit: sess.data_packet(p.packet, flags=wire.FLAG_ENCRYPTED | b), "flag"
        ):
            return failed(
                f"a packet with undefined flag {bit:#04x} was delivered (unknown bits ignored, §1.2)"
            )
    return passed("undefined flag bits dropped")


@implements("HDR-005", P)
def unknown_control(ctx: CheckContext) -> Outcome:
    _strangers(
        ctx,
        [
            (f"control type {t:#04x}", wire.packet(wire.FLAG_CONTROL, 0, bytes([t]) + os.urandom(8)))
            for t in (0x00, 0x0B, 0x7F, 0xFF)
        ],
    )
    return passed("unknown control types dropped without reply; " + _alive(ctx, "unknown control types"))


@implements("HDR-006", P)
def truncated(ctx: CheckContext) -> Outcome:
    client = LegacyClient(ctx.link())
    payload = wire.init_payload(client.client_id, int(time.time()))
    probes = [
        (f"an INIT payload cut to {n} bytes", wire.packet(wire.FLAG_CONTROL, 0, payload[:n]))
        for n in (1, 20, 41)
    ]
    probes.append(("an empty control payload", wire.packet(wire.FLAG_CONTROL, 0, b"")))
    probes.append(
        ("an encrypted payload shorter than the tag", wire.packet(wire.FLAG_ENCRYPTED, 0, bytes(10)))
    )
    _strangers(ctx, probes)
    return passed("truncated payloads dropped without reply; " + _alive(ctx, "truncated payloads"))


@implements("HDR-007", P)
def oversize(ctx: CheckContext) -> Outcome:
    big = os.urandom(9300)
    _strangers(
        ctx,
        [
            ("a 9,309-byte packet (over MAX_PACKET_SIZE)", wire.header(0, 0, 0xFFFF) + big),
            ("a 60,000-byte datagram", wire.header(0, 0, 0xFFFF) + os.urandom(60000)),
        ],
    )
    return passed("oversize datagrams dropped without reply; " + _alive(ctx, "oversize datagrams"))


@implements("HDR-009", P)
def seq_mismatch(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    assert sess.key is not None

    def wrong(probe: inner.Probe) -> bytes:
        seq = sess.sequence
        sess.sequence += 1
        sealed = wire.seal(sess.key or b"", seq, probe.packet)
        return wire.header(wire.FLAG_ENCRYPTED, seq + 1, len(sealed)) + sealed

    if _accepted(ctx, sess, wrong, "seq"):
        return failed("a packet whose header seq is not its nonce counter was delivered")
    return passed("seq is the nonce: a mismatch fails decryption and is dropped (§4.2)")


@implements("HDR-010", P)
def ipv6_flag(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    if _accepted(
        ctx, sess, lambda p: sess.data_packet(p.packet, flags=wire.FLAG_ENCRYPTED | wire.FLAG_IPV6), "ipv6"
    ):
        return failed("an IPv4 packet flagged IPV6 was delivered (the flag is never read, §5.6)")
    return passed("IPV6 flag mismatch dropped")


# --- replay and tampering -----------------------------------------------------------------------------------


@implements("RPL-001", P)
def replay(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    probe = _probe(ctx, sess)
    datagram = sess.data_packet(probe.packet)
    if not _answered(ctx, sess, datagram, probe):
        raise CheckFailed("the original echo got no answer")
    if _answered(ctx, sess, datagram, probe, ctx.timing.silence_window):
        return failed("a replayed data packet was delivered again (ReplayWindow is never called, §3.5)")
    return passed("replayed data dropped")


@implements("RPL-002", P)
def reorder(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    late = _probe(ctx, sess)
    late_datagram = sess.data_packet(late.packet, seq=5)
    early = _probe(ctx, sess)
    if not _answered(ctx, sess, sess.data_packet(early.packet, seq=10), early):
        raise CheckFailed("an in-order echo got no answer")
    if not _answered(ctx, sess, late_datagram, late):
        return failed("a packet reordered by 5 was dropped")
    if _answered(ctx, sess, late_datagram, late, ctx.timing.silence_window):
        return failed("reordering is accepted, but so is the duplicate (no window, §4.5)")
    return passed("reordered accepted once")


@implements("TMP-001", P)
def tampered_ciphertext(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)

    def flip(probe: inner.Probe) -> bytes:
        data = bytearray(sess.data_packet(probe.packet))
        data[wire.HEADER_SIZE + 3] ^= 1
        return bytes(data)

    if _accepted(ctx, sess, flip, "tamper"):
        return failed("a packet with a flipped ciphertext bit was delivered")
    return passed("flipped ciphertext dropped (ChaCha20-Poly1305 tag, §4.1)")


@implements("TMP-002", P)
def tampered_header(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)

    def flag_after_sealing(probe: inner.Probe) -> bytes:
        data = bytearray(sess.data_packet(probe.packet))
        data[2] |= wire.FLAG_ACK_REQUEST
        return bytes(data)

    if _accepted(ctx, sess, flag_after_sealing, "header"):
        return failed(
            "a flag set after sealing still decrypts and is delivered (empty AAD: the header is not "
            "authenticated, §4.3)"
        )
    return passed("header changes after sealing dropped")


@implements("TMP-003", P)
def unknown_session(ctx: CheckContext) -> Outcome:
    _strangers(
        ctx,
        [
            (
                "an encrypted packet under a key of no session",
                wire.encrypted_packet(os.urandom(32), 0, os.urandom(40)),
            )
        ],
    )
    return passed("encrypted packets without a session dropped without reply (§1.4)")


# --- control ----------------------------------------------------------------------------------------------


@implements("CTL-001", P)
def forged_disconnect(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    _require_echo(ctx, sess, "before the forged DISCONNECT")
    sess.send(wire.control(wire.CT_DISCONNECT))  # plaintext, nothing proves it came from the client
    ctx.silence(sess.link, 0.1)
    if not _echo(ctx, sess):
        return failed(
            "an unauthenticated plaintext DISCONNECT from the session's address tore the session "
            "down (control is never authenticated, §2)"
        )
    return passed("forged DISCONNECT ignored")


@implements("CTL-002", P)
def forged_controls(ctx: CheckContext) -> Outcome:
    link = ctx.link()
    link.send(wire.control(wire.CT_KEEPALIVE))
    got = ctx.silence(link)
    if got:
        return failed(
            f"an unauthenticated KEEPALIVE from a stranger got a {len(got[0])}-byte reply (ACK, §2)"
        )
    return passed("unauthenticated control messages get no reply")


@implements("CTL-003", P)
def keepalive(ctx: CheckContext) -> Outcome:
    raise SkipCheck("the legacy dialect has no authenticated control messages (see CTL-001, CTL-002)")


@implements("CTL-007", P)
def keepalive_ack(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    sess.send(wire.control(wire.CT_KEEPALIVE, seq=wire.LC.CLIENT_KEEPALIVE_SEQ_START))
    got = ctx.silence(sess.link, ctx.timing.reply_timeout)
    acks = [d for d in got if d[2:3] == bytes([wire.FLAG_CONTROL]) and d[9:10] == bytes([wire.CT_ACK])]
    if acks:
        return failed("KEEPALIVE is answered by a plaintext one-byte ACK anyone can forge or trigger (§2.4)")
    return failed("KEEPALIVE got no ACK")


@implements("CTL-006", P)
def disconnect_ends(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    _require_echo(ctx, sess, "before DISCONNECT")
    sess.send(wire.control(wire.CT_DISCONNECT))
    ctx.silence(sess.link, 0.1)
    if _echo(ctx, sess):
        return failed("the session still delivers replies after DISCONNECT")
    return passed("DISCONNECT ends the session (unauthenticated, see CTL-001)")


# --- downgrade and forwarding ----------------------------------------------------------------------------


@implements("DWN-001", P)
def plaintext_accepted(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    if _accepted(ctx, sess, lambda p: sess.data_packet(p.packet, encrypt=False), "plaintext"):
        return failed(
            "plaintext data from a session that negotiated a key was delivered (nothing enforces "
            "encryption, §1.4)"
        )
    return passed("plaintext data on an encrypted session dropped")


@implements("DWN-002", P)
def plaintext_granted(ctx: CheckContext) -> Outcome:
    sess = _session(ctx, encryption=False)
    if sess.key is None:
        return failed(
            "encryption rides on one unauthenticated INIT byte (offset 41): an INIT with 0 gets a "
            "keyless plaintext session, so an on-path attacker can downgrade any client (§3.2)"
        )
    return passed("a key is granted even when the INIT does not ask")


@implements("FWD-001", P)
def forwarded(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    obs = ctx.observer
    probe = inner.udp_datagram(sess.address, obs.config.address, obs.config.port)
    sess.send(sess.data_packet(probe.packet))
    if not obs.seen(probe.marker, ctx.timing.reply_timeout):
        return failed("a session's packet to the observer was not seen")
    return passed("a session's packet reached the observer")


@implements("FWD-002", P)
def open_relay(ctx: CheckContext) -> Outcome:
    obs = ctx.observer
    probe = inner.udp_datagram("10.99.99.99", obs.config.address, obs.config.port)
    link = ctx.link()
    link.send(wire.packet(0, 0, probe.packet))
    if obs.seen(probe.marker, ctx.timing.reply_timeout):
        return failed(
            "a plaintext packet from an address without any session was forwarded: open relay "
            "(§1.4, data from an address with no session)"
        )
    return passed("session-less data not forwarded")


@implements("FWD-003", P)
def spoofed_source(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    obs = ctx.observer
    probe = inner.udp_datagram("192.0.2.77", obs.config.address, obs.config.port)
    sess.send(sess.data_packet(probe.packet))
    if obs.seen(probe.marker, ctx.timing.reply_timeout):
        return failed(f"an inner packet with source 192.0.2.77 (assigned {sess.address}) was forwarded")
    return passed("spoofed inner source dropped")


@implements("FWD-004", P)
def loopback(ctx: CheckContext) -> Outcome:
    echo = ctx.target.echo
    if echo.address and echo.address.startswith("127."):
        raise SkipCheck("the echo host is itself on loopback: its answer could not be told from the server's")
    sess = _session(ctx)
    probe = inner.udp_datagram(sess.address, "127.0.0.1", echo.port)
    if _answered(ctx, sess, sess.data_packet(probe.packet), probe, ctx.timing.silence_window):
        return failed(f"a UDP echo to the server's loopback 127.0.0.1:{echo.port} was answered")
    return passed("loopback unreachable")


# --- amplification and floods ------------------------------------------------------------------------------


@implements("AMP-001", P)
def unauthenticated_replies(ctx: CheckContext) -> Outcome:
    link = ctx.link()
    battery = [
        ("PING", wire.ping(os.urandom(60))),
        ("KEEPALIVE", wire.control(wire.CT_KEEPALIVE)),
        ("HANDSHAKE_INIT", LegacyClient(ctx.link()).make_init()),
    ]
    sent = received = 0
    answered = []
    for label, datagram in battery:
        link.send(datagram)
        got = ctx.silence(link)
        sent += len(datagram)
        received += sum(map(len, got))
        if got:
            answered.append(f"{label} {len(datagram)} B -> {sum(map(len, got))} B")
    if answered:
        return failed(
            f"unauthenticated datagrams answered: {'; '.join(answered)} (x{received / sent:.2f} "
            "overall; PING is answered before any rate limit, §1.3)"
        )
    return passed("no unauthenticated reply")


@implements("DOS-001", P)
def flood(ctx: CheckContext) -> Outcome:
    """There is no cookie in the dialect; the row records what a bounded flood costs the server instead."""
    links = [ctx.link() for _ in range(4)]
    inits = [LegacyClient(links[0]).make_init() for _ in range(16)]
    count = min(ctx.timing.flood_packets, 400)
    started = time.monotonic()
    responses = sent = 0
    for i in range(count):
        if time.monotonic() - started > ctx.timing.flood_seconds:
            break
        links[i % 4].send(inits[i % 16])
        sent += 1
        for link in links:
            while link.recv(0) is not None:
                responses += 1
    for link in links:
        responses += len(ctx.silence(link, 0.1))
    return failed(
        f"{sent} INITs: {responses} full HANDSHAKE_RESPONSEs and no cookie mechanism (the dialect "
        "allocates a session and an address per INIT, §3.1)"
    )


@implements("DATA-004", P)
def roaming(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    _require_echo(ctx, sess, "before moving")
    old = sess.link
    sess.link = ctx.link()
    answered = _echo(ctx, sess)
    late = ctx.silence(old, 0.2)
    if not answered:
        return failed(
            "after a change of source address the session's replies stop (sessions are found by "
            f"source address, §3.3){'; they still go to the old address' if late else ''}"
        )
    return passed("the session followed the new address")


@implements("DOS-002", P)
def legitimate_during_flood(ctx: CheckContext) -> Outcome:
    sess = _session(ctx)
    _require_echo(ctx, sess, "right after a flood")
    return passed("a legitimate client connects (the dialect does no handshake work worth flooding)")


NOT_APPLICABLE = {
    "HS-008": "the dialect negotiates nothing but the encryption byte (see DWN-002)",
    "DATA-005": "the dialect's server only ever assigns IPv4 (prefer_ipv6 is hard-wired false, §2.3)",
    "DATA-003": "the dialect has no envelope counter: seq doubles as the nonce, the server sends 0 (§4.2)",
    "HDR-008": "the dialect defines no invalid flag combinations (every bit is independent, §1.2)",
    "CTL-004": "the dialect has no authenticated control messages; ACK only answers KEEPALIVE (§2)",
    "CTL-005": "the dialect has no authenticated KEEPALIVE (§2)",
    "DWN-003": "the dialect has one cipher and no negotiation (§4.1)",
    "FWD-005": "not characterised for the dialect (needs a sniffing observer on the server's route)",
}


def _not_applicable(reason: str) -> Callable[[CheckContext], Outcome]:
    def check(ctx: CheckContext) -> Outcome:
        raise SkipCheck(reason)

    return check


for _cid, _reason in NOT_APPLICABLE.items():
    implements(_cid, P)(_not_applicable(_reason))
