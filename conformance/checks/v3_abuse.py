"""v3 abuse checks: no amplification, bounded handshake floods and cookies (BRIEF §2.2), TCP framing (§5).

Every load here is bounded by ``timing.flood_packets`` and ``timing.flood_seconds`` from the target file.
Floods come from ``source_addresses`` when the target lists them, so a per-source-IP limit on the server
cannot be mistaken for the legitimate client being locked out.
"""

from __future__ import annotations

import os
import struct
import threading
import time
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag

from conformance.context import CheckContext
from conformance.links import Link, TcpLink
from conformance.registry import Outcome, SkipCheck, failed, implements, passed
from conformance.v3 import handshake as hs
from conformance.v3 import support, wire
from conformance.v3.client import HandshakeError, V3Client


def _unauthenticated_battery(ctx: CheckContext) -> list[tuple[str, bytes]]:
    """One of every kind of datagram someone without credentials can send."""
    assert ctx.target.server_public_key is not None
    init = support.offline_client(ctx, private=hs.random_private_key()).make_init().init
    battery = [
        ("random bytes", os.urandom(120)),
        ("bad magic", b"XX" + init[2:]),
        ("legacy PING", b"OXPI" + os.urandom(60)),
        ("INIT with a wrong mac1", init[:-17] + bytes([init[-17] ^ 1]) + init[-16:]),
        ("INIT under another server key", wire.with_macs(init[:-32], hs.public_key(hs.random_private_key()))),
        ("INIT from an unknown client key", init),
        (
            "envelope for an unknown index",
            wire.raw_envelope(os.urandom(32), 1, wire.FLAG_ENCRYPTED, 0x1234, 0, os.urandom(64)),
        ),
        (
            "authenticated-plaintext envelope",
            wire.raw_envelope(os.urandom(32), 1, 0, 0x4321, 0, os.urandom(64)),
        ),
        (
            "encrypted control for an unknown index",
            wire.raw_envelope(os.urandom(32), 1, wire.FLAG_ENCRYPTED | wire.FLAG_CONTROL, 0x777, 0, b"\x03"),
        ),
    ]
    for control in range(256):
        if control != wire.CT_HANDSHAKE_INIT:
            body = bytes([control]) + os.urandom(32)
            battery.append(
                (f"plaintext control {control:#04x}", wire.header(wire.FLAG_CONTROL, 0, len(body)) + body)
            )
    return battery


@implements("AMP-001", "v3")
def no_unauthenticated_reply(ctx: CheckContext) -> Outcome:
    battery = _unauthenticated_battery(ctx)
    sent = received = 0
    offenders: list[str] = []
    if ctx.transport == "tcp":
        battery = battery[:9] + battery[9::16]  # one connection per probe: keep the count modest
        for label, datagram in battery:
            link = ctx.link()
            link.send(datagram)
            got = ctx.silence(link, ctx.timing.silence_window / 2)
            sent, received = sent + len(datagram) + 2, received + sum(len(g) + 2 for g in got)
            if got:
                offenders.append(label)
            link.close()
    else:
        link = ctx.link()
        for label, datagram in battery:
            if label == "INIT from an unknown client key":
                ctx.run.pacer.wait()
            link.send(datagram)
            got = ctx.silence(link, 0.005)
            sent += len(datagram)
            received += sum(map(len, got))
            if got:
                offenders.append(label)
        late = ctx.silence(link)
        received += sum(map(len, late))
        if late and not offenders:
            offenders.append("(late replies)")
    ratio = received / sent if sent else 0.0
    if offenders:
        return failed(
            f"{len(offenders)} unauthenticated probes were answered ({', '.join(offenders[:5])}); "
            f"{received} B out for {sent} B in (x{ratio:.2f})"
        )
    return passed(f"{len(battery)} unauthenticated datagrams, {sent} B in, {received} B out")


@dataclass
class FloodResult:
    sent: int = 0
    sent_bytes: int = 0
    seconds: float = 0.0
    cookies: list[tuple[bytes, bytes]] = field(default_factory=list)  # (init, cookie reply)
    responses: int = 0
    other: int = 0


class Flood:
    """Pre-built INITs from unknown client keys, sent round-robin from several sockets, bounded."""

    def __init__(self, ctx: CheckContext, variety: int = 48, sockets: int = 6) -> None:
        assert ctx.target.server_public_key is not None
        sources: list[str | None] = list(ctx.target.source_addresses) or [None]
        self.links: list[Link] = [ctx.link(source=sources[i % len(sources)]) for i in range(sockets)]
        self.inits: dict[int, bytes] = {}
        for _ in range(variety):
            client = V3Client(
                self.links[0], hs.random_private_key(), ctx.target.server_public_key, ctx.run.timestamps
            )
            attempt = client.make_init()
            self.inits[attempt.sender_index] = attempt.init
        self.order = list(self.inits.values())
        self.stop = threading.Event()
        self.first_cookie = threading.Event()

    def run(self, packets: int, seconds: float) -> FloodResult:
        result = FloodResult()
        interval = seconds / packets
        started = time.monotonic()
        while result.sent < packets and not self.stop.is_set():
            if time.monotonic() - started > seconds:
                break
            link = self.links[result.sent % len(self.links)]
            datagram = self.order[result.sent % len(self.order)]
            link.send(datagram)
            result.sent += 1
            result.sent_bytes += len(datagram)
            self._drain(result, 0.0)
            lag = started + result.sent * interval - time.monotonic()
            if lag > 0:
                time.sleep(lag)
        self._drain(result, 0.3)
        result.seconds = time.monotonic() - started
        return result

    def _drain(self, result: FloodResult, wait: float) -> None:
        for link in self.links:
            while (data := link.recv(wait)) is not None:
                kind = wire.control_type(data)
                if kind == wire.CT_COOKIE_REPLY and len(data) >= wire.HEADER_SIZE + 5:
                    (index,) = struct.unpack_from(">I", data, wire.HEADER_SIZE + 1)
                    result.cookies.append((self.inits.get(index, b""), data))
                    self.first_cookie.set()
                elif kind == wire.CT_HANDSHAKE_RESPONSE:
                    result.responses += 1
                else:
                    result.other += 1


def _flood(ctx: CheckContext) -> FloodResult:
    cached = ctx.run.cache.get(f"flood:{ctx.transport}")
    if isinstance(cached, FloodResult):
        return cached
    result = Flood(ctx).run(ctx.timing.flood_packets, ctx.timing.flood_seconds)
    ctx.run.cache[f"flood:{ctx.transport}"] = result
    return result


@implements("DOS-001", "v3")
def flood_gets_cookies(ctx: CheckContext) -> Outcome:
    result = _flood(ctx)
    summary = (
        f"{result.sent} INITs from unknown keys in {result.seconds:.1f} s: {len(result.cookies)} "
        f"COOKIE_REPLY, {result.responses} responses, {result.other} other"
    )
    if result.responses:
        return failed(f"{summary} (unknown keys must never get a response)")
    if not result.cookies:
        return failed(f"{summary}; the server never switched to cookies under load")
    assert ctx.target.server_public_key is not None
    for init, reply in result.cookies[:20]:
        try:
            parsed = wire.parse_cookie_reply(reply)
            hs.open_cookie(
                ctx.target.server_public_key, parsed.nonce, parsed.encrypted_cookie, wire.init_mac1(init)
            )
        except (ValueError, InvalidTag) as exc:
            return failed(f"{summary}; a COOKIE_REPLY does not decrypt ({exc or 'bad tag'})")
    return passed(summary + "; cookies decrypt with AAD = mac1")


@implements("AMP-002", "v3")
def cookie_not_larger(ctx: CheckContext) -> Outcome:
    result = _flood(ctx)
    sizes = {len(reply) for _, reply in result.cookies}
    if not sizes:
        raise SkipCheck("no COOKIE_REPLY was observed")
    if max(sizes) > wire.INIT_SIZE:
        return failed(f"COOKIE_REPLY of {max(sizes)} B answers a {wire.INIT_SIZE} B INIT")
    total = sum(sizes) if len(sizes) == 1 else sum(len(r) for _, r in result.cookies)
    return passed(
        f"COOKIE_REPLY {sorted(sizes)} B vs INIT {wire.INIT_SIZE} B; flood {result.sent_bytes} B "
        f"in, {total if len(sizes) > 1 else len(result.cookies) * max(sizes)} B of cookies out"
    )


@implements("DOS-002", "v3")
def legitimate_during_flood(ctx: CheckContext) -> Outcome:
    flood = Flood(ctx)
    outcome: dict[str, FloodResult] = {}
    runner = threading.Thread(
        target=lambda: outcome.setdefault("r", flood.run(ctx.timing.flood_packets, ctx.timing.flood_seconds)),
        name="flood",
        daemon=True,
    )
    runner.start()
    under_load = flood.first_cookie.wait(ctx.timing.flood_seconds * 0.8)  # connect while cookies are demanded
    client = support.client(ctx)
    started = time.monotonic()
    try:
        sess = client.handshake(ctx.timing.reply_timeout, retries=4)
        ok = support.echo(ctx, sess)
    except HandshakeError as exc:
        flood.stop.set()
        runner.join()
        hint = (
            ""
            if ctx.target.source_addresses
            else (
                " (the flood came from the client's own address: list source_addresses in the target so a "
                "per-address handshake limit is not mistaken for a lockout)"
            )
        )
        return failed(f"legitimate handshake during the flood failed: {exc}{hint}")
    finally:
        elapsed = time.monotonic() - started
    flood.stop.set()
    runner.join()
    if not ok:
        return failed("handshake completed during the flood but data does not flow")
    how = (
        f"after {len(client.cookie_replies)} COOKIE_REPLY (mac2 accepted)"
        if client.cookie_replies
        else "without needing a cookie" + ("" if under_load else " (the flood drew no cookies)")
    )
    return passed(f"legitimate client connected in {elapsed * 1000:.0f} ms {how}; echo answered")


# --- TCP framing ----------------------------------------------------------------------------------------


def _tcp(ctx: CheckContext, source: str | None = None) -> TcpLink:
    link = ctx.link(source=source)
    assert isinstance(link, TcpLink)
    return link


@implements("TCP-001", "v3")
def tcp_bad_frames(ctx: CheckContext) -> Outcome:
    support.prepare_bystander(ctx)
    streams = {
        "frame_length 0": b"\x00\x00",
        "frame_length 5": b"\x00\x05" + os.urandom(5),
        "frame_length 8": b"\x00\x08" + os.urandom(8),
        "an HTTP request": b"GET / HTTP/1.1\r\nHost: oxtunnel\r\n\r\n",
        "a TLS ClientHello prefix": bytes.fromhex("160301020001") + os.urandom(80),
    }
    closed = []
    for label, data in streams.items():
        link = _tcp(ctx)
        link.send_raw(data)
        if link.recv(ctx.timing.silence_window) is not None:
            return failed(f"the server answered {label} with a frame")
        if link.closed_by_peer:
            closed.append(label)
        link.close()
    note = support.assert_unaffected(ctx, "bad TCP frames")
    return passed(
        f"{len(streams)} bad streams: no frame in reply ({len(closed)} closed by the server); {note}"
    )


@implements("TCP-002", "v3")
def tcp_huge_length(ctx: CheckContext) -> Outcome:
    staller = _tcp(ctx)
    staller.send_raw(b"\xff\xff" + os.urandom(1000))
    sess = support.session(ctx)
    support.require_echo(ctx, sess, "while another connection announced 65,535 bytes and stalled")
    closed = staller.peer_closed(0.05)
    return passed(
        "a stalled 65,535-byte frame did not block another client"
        + ("; the staller was closed" if closed else "")
    )


@implements("TCP-003", "v3")
def tcp_slowloris(ctx: CheckContext) -> Outcome:
    # from the flood sources when the target lists them: servers cap connections per source address,
    # and the legitimate client (the suite's own address) must not be refused for the loris' sake
    sources = ctx.target.source_addresses
    count = 12 if sources else 5
    loris = [_tcp(ctx, sources[i % len(sources)] if sources else None) for i in range(count)]
    stop = threading.Event()
    init = support.offline_client(ctx).make_init().init
    stream = struct.pack(">H", len(init)) + init

    def trickle() -> None:
        for position in range(len(stream)):
            if stop.is_set():
                return
            for link in loris:
                link.send_raw(stream[position : position + 1])
            time.sleep(0.2)

    worker = threading.Thread(target=trickle, name="slowloris", daemon=True)
    worker.start()
    try:
        time.sleep(0.5)
        sess = support.session(ctx)
        support.require_echo(ctx, sess, f"while {count} connections trickled one byte each 200 ms")
    finally:
        stop.set()
        worker.join()
    return passed(f"{count} slowloris connections did not block a legitimate TCP client")


@implements("TCP-004", "v3")
def tcp_partial_closed(ctx: CheckContext) -> Outcome:
    link = _tcp(ctx)
    link.send_raw(b"\x00\x9e\x4f")
    wait = ctx.timing.tcp_idle_wait
    started = time.monotonic()
    if link.peer_closed(wait):
        return passed(
            f"a connection stalled inside a frame was closed after {time.monotonic() - started:.1f} s"
        )
    return failed(f"a connection stalled inside a frame was still open after {wait:.0f} s")
