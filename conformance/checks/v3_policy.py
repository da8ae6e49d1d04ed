"""v3 encryption-downgrade and forwarding-policy checks (BRIEF §2.5, §2.9).

Forwarding checks need an observer behind the server: each probe is a UDP datagram to the observer with
a unique marker. A legitimate session's probe must be seen (positive control, FWD-001) and every
illegitimate one must not. Without an observer these checks skip.
"""

from __future__ import annotations

import ipaddress
import os

from conformance import inner
from conformance.context import CheckContext
from conformance.registry import Outcome, SkipCheck, failed, implements, passed
from conformance.v3 import support, wire
from conformance.v3.client import HandshakeError, V3Session

CLOUD_METADATA = ("169.254.169.254", "169.254.170.2", "169.254.0.1")


@implements("DWN-001", "v3")
def plaintext_envelope(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    if sess.config.features & wire.FEATURE_PLAINTEXT:
        return failed("server granted plaintext although the client did not ask for it")
    support.expect_dropped(
        ctx,
        sess,
        lambda p: sess.seal_ip(p.packet, flags=0x00),
        "an authenticated-plaintext envelope (flags 0x00, valid tag)",
    )
    return passed(f"authenticated-plaintext data on an encrypted session over {ctx.transport}: dropped")


@implements("DWN-002", "v3")
def plaintext_not_granted(ctx: CheckContext) -> Outcome:
    default = support.session(ctx)
    if default.config.features & wire.FEATURE_PLAINTEXT:
        return failed("plaintext granted to a client that did not request it")
    asked = support.session(ctx, features=wire.FEATURE_PLAINTEXT)
    granted = bool(asked.config.features & wire.FEATURE_PLAINTEXT)
    if granted and ctx.transport == "udp":
        return passed("not granted by default; granted on request (the server's policy allows it)")
    return passed(
        "not granted by default"
        + (
            "; granted on request over a confidential transport"
            if granted
            else "; refused on request (policy off)"
        )
    )


@implements("DWN-003", "v3")
def cipher_selection(ctx: CheckContext) -> Outcome:
    notes = []
    try:
        aes = support.client(ctx).handshake(
            ctx.timing.reply_timeout, supported=0x02, preferred=wire.CIPHER_AES_256_GCM
        )
    except HandshakeError as exc:
        notes.append(f"AES-only offer refused ({exc})")
    else:
        if aes.cipher != wire.CIPHER_AES_256_GCM:
            return failed(f"client offered only AES-256-GCM, server chose cipher {aes.cipher}")
        if not support.echo(ctx, aes):
            return failed("AES-256-GCM session negotiated but data does not flow")
        notes.append("AES-only offer: AES-256-GCM, data flows")
    for label, supported in (("no cipher", 0x00), ("only unknown cipher bits", 0xFC)):
        client = support.client(ctx)
        attempt = client.make_init(supported=supported, preferred=7)
        client.send_init(attempt)
        for reply in ctx.silence(client.link):
            if wire.control_type(reply) == wire.CT_HANDSHAKE_RESPONSE:
                try:
                    sess = client.finish(attempt, reply)
                except HandshakeError:
                    continue
                return failed(f"an INIT offering {label} got a session with cipher {sess.cipher}")
        notes.append(f"{label}: refused")
    return passed("; ".join(notes))


# --- forwarding ---------------------------------------------------------------------------------------


def _observer_probe(ctx: CheckContext, src: str) -> inner.Probe:
    obs = ctx.observer
    return inner.udp_datagram(src, obs.config.address, obs.config.port)


def _seen(ctx: CheckContext, probe: inner.Probe, wait: float | None = None) -> bool:
    return ctx.observer.seen(probe.marker, ctx.timing.silence_window if wait is None else wait)


def _positive_control(ctx: CheckContext, sess: V3Session) -> None:
    assert sess.address is not None
    probe = _observer_probe(ctx, sess.address)
    sess.send(sess.seal_ip(probe.packet))
    if not _seen(ctx, probe, ctx.timing.reply_timeout):
        raise SkipCheck(
            "the observer did not see even a legitimate session's packet (FWD-001), so its "
            "silence proves nothing"
        )


@implements("FWD-001", "v3")
def forwarded(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    assert sess.address is not None
    probe = _observer_probe(ctx, sess.address)
    sess.send(sess.seal_ip(probe.packet))
    if not _seen(ctx, probe, ctx.timing.reply_timeout):
        return failed(
            f"a UDP packet from {sess.address} to the observer {ctx.observer.config.address} was "
            "not seen behind the server"
        )
    return passed(
        f"UDP {sess.address} -> {ctx.observer.config.address}:{ctx.observer.config.port} seen by "
        f"the observer ({ctx.observer.config.mode})"
    )


@implements("FWD-002", "v3")
def no_open_relay(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    _positive_control(ctx, sess)
    assert sess.address is not None
    key = os.urandom(32)
    forms = {
        "a bare IP packet as the UDP payload": lambda p: p.packet,
        "a plaintext header + IP packet (legacy style)": lambda p: (
            wire.header(0x00, 0, len(p.packet)) + p.packet
        ),
        "an envelope for an unknown index": lambda p: wire.raw_envelope(
            key, 1, wire.FLAG_ENCRYPTED, 0xDEAD, 0, p.packet
        ),
        "an authenticated-plaintext envelope for an unknown index": lambda p: wire.raw_envelope(
            key, 1, 0x00, 0xBEEF, 0, p.packet
        ),
        "an envelope for the live session's index under a wrong key": lambda p: wire.raw_envelope(
            key, 1, wire.FLAG_ENCRYPTED, sess.remote_index, 10**6, p.packet
        ),
    }
    stranger = ctx.link()
    probes = []
    for label, build in forms.items():
        probe = _observer_probe(ctx, sess.address)
        stranger.send(build(probe))
        probes.append((label, probe))
    for label, probe in probes:
        if _seen(ctx, probe):
            return failed(f"{label} from an address without a session was forwarded (open relay)")
    support.expect_silence(ctx, stranger, "session-less data")
    return passed(f"{len(probes)} session-less forms: none forwarded, no reply")


def _spoofed_sources(sess: V3Session, observer_address: str) -> list[str]:
    assert sess.config.ipv4 is not None
    mine = sess.config.ipv4.ip
    neighbour = mine + 1 if mine + 1 in sess.config.ipv4.network else mine - 1
    return [str(neighbour), "192.0.2.77", observer_address, "0.0.0.0"]


@implements("FWD-003", "v3")
def spoofed_source(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    _positive_control(ctx, sess)
    probes = []
    for src in _spoofed_sources(sess, ctx.observer.config.address):
        probe = _observer_probe(ctx, src)
        sess.send(sess.seal_ip(probe.packet))
        probes.append((src, probe))
    for src, probe in probes:
        if _seen(ctx, probe):
            return failed(
                f"an inner packet with spoofed source {src} (assigned {sess.address}) was forwarded"
            )
    _positive_control(ctx, sess)
    return passed(f"spoofed sources {', '.join(s for s, _ in probes)}: none forwarded; the real one is")


@implements("FWD-004", "v3")
def loopback_unreachable(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    support.require_echo(ctx, sess, "before the loopback probes")
    assert sess.address is not None
    targets = ["127.0.0.1", "127.0.0.53"]
    for dst in targets:
        probe = inner.echo_request(sess.address, dst)
        if support.answered(ctx, sess, sess.seal_ip(probe.packet), probe, ctx.timing.silence_window):
            return failed(f"an ICMP echo to the server's loopback {dst} was answered through the tunnel")
        udp = inner.udp_datagram(sess.address, dst, ctx.target.echo.port)
        if support.answered(ctx, sess, sess.seal_ip(udp.packet), udp, ctx.timing.silence_window):
            return failed(f"a UDP echo to {dst}:{ctx.target.echo.port} was answered through the tunnel")
    if sess.address6:
        probe = inner.echo_request(sess.address6, "::1")
        if support.answered(ctx, sess, sess.seal_ip(probe.packet), probe, ctx.timing.silence_window):
            return failed("an ICMPv6 echo to ::1 was answered through the tunnel")
        targets.append("::1")
    support.require_echo(ctx, sess, "after the loopback probes")
    return passed(f"echoes to {', '.join(targets)}: no answer; ordinary echoes still answered")


@implements("FWD-005", "v3")
def metadata_unreachable(ctx: CheckContext) -> Outcome:
    sess = support.session(ctx)
    _positive_control(ctx, sess)
    if ctx.observer.config.mode != "sniff":
        raise SkipCheck("needs a sniffing observer on the server's route to 169.254.0.0/16")
    assert sess.address is not None
    probes = []
    for dst in CLOUD_METADATA + ("fe80::1",) if sess.address6 else CLOUD_METADATA:
        src = sess.address6 if ipaddress.ip_address(dst).version == 6 else sess.address
        assert src is not None
        probe = inner.udp_datagram(src, dst, 80)
        sess.send(sess.seal_ip(probe.packet))
        probes.append((dst, probe))
    for dst, probe in probes:
        if _seen(ctx, probe):
            return failed(f"an inner packet to {dst} was forwarded")
    return passed(f"inner packets to {', '.join(d for d, _ in probes)}: not forwarded")
