"""What both ends of a session share: keypairs, the envelope receive path, data and control messages,
keepalives and termination.  ``ClientSession`` and the server's per-peer session build on this.

Keypair roles follow WireGuard: the client (initiator) switches to a new keypair as soon as it reads the
RESPONSE and says so with KEY_ROTATION, its first message under the new keys; the server keeps the new
keypair as ``next`` and keeps sending on ``current`` until the first authenticated packet under ``next``
arrives.  ``previous`` stays for packets still in flight, so a rekey loses nothing.
"""

from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import Callable, Sequence
from itertools import repeat

from cryptography.exceptions import InvalidTag

from oxtunnel import wire
from oxtunnel.config import DataPathConfig, TimerConfig
from oxtunnel.crypto import Rng
from oxtunnel.datapath import DataPath
from oxtunnel.events import (
    Event,
    PacketsReceived,
    SessionParameters,
    SessionTerminated,
    TerminationReason,
)
from oxtunnel.keypair import Keypair
from oxtunnel.trace import DropReason, Trace
from oxtunnel.types import PeerAddress, SessionStatus

INF = float("inf")
_ENCRYPTED = wire.FLAG_ENCRYPTED
_CONTROL = wire.FLAG_CONTROL
_IPV6 = wire.FLAG_IPV6
_UNWRAP = wire.FLAG_COMPRESSED | wire.FLAG_BATCH
_CONTROL_FLAGS = wire.FLAG_ENCRYPTED | wire.FLAG_CONTROL
CT = wire.ControlType

# DISCONNECT reason on the wire -> why the session ended, and back.
WIRE_TO_TERMINATION: dict[int, TerminationReason] = {
    int(wire.DisconnectReason.NORMAL): TerminationReason.NORMAL,
    int(wire.DisconnectReason.SHUTDOWN): TerminationReason.SHUTDOWN,
    int(wire.DisconnectReason.IDLE): TerminationReason.IDLE,
    int(wire.DisconnectReason.POLICY): TerminationReason.POLICY,
    int(wire.DisconnectReason.REKEY_FAILED): TerminationReason.REKEY_FAILED,
    int(wire.DisconnectReason.ADDRESS_POOL_EXHAUSTED): TerminationReason.ADDRESS_POOL_EXHAUSTED,
}
TERMINATION_TO_WIRE: dict[TerminationReason, int] = {v: k for k, v in WIRE_TO_TERMINATION.items()}


# DecodeError.field of the envelope prefix -> drop reason (anything else is MALFORMED)
_PREFIX_FIELD_REASON = {"flags": DropReason.BAD_FLAGS, "counter": DropReason.SEQUENCE_MISMATCH}
_UNPACK = wire.unpack_envelope_prefix
_HANDSHAKE_FLAGS = wire.HANDSHAKE_FLAGS
_HEADER_SIZE = wire.HEADER_SIZE
# envelopes the batched receive loop takes: encrypted data carrying one IP packet (the bulk of traffic)
_DATA_FLAGS = frozenset((_ENCRYPTED, _ENCRYPTED | _IPV6))
_NONCE, _BODY = slice(9, wire.ENVELOPE_PREFIX_SIZE), slice(wire.ENVELOPE_PREFIX_SIZE, None)
_AAD = slice(0, wire.HEADER_SIZE)


def receive_all(
    ctx: Context,
    items: Sequence[tuple[bytes, PeerAddress]],
    now: float,
    handshake: Callable[[bytes, PeerAddress, float], None],
) -> None:
    """The receive loop of both roles: handshake messages to ``handshake``; envelopes frame-checked by the
    generated helper, routed by receiver index to their session; then one PacketsReceived per session.

    Consecutive data envelopes for one keypair from one address (a GRO run, a burst) are collected and
    handed over together (``PeerSession.receive_data``); everything else, in order, one by one."""
    by_index = ctx.by_index
    unpack = _UNPACK
    data_flags = _DATA_FLAGS
    run: list[tuple[bytes, int, int]] = []
    run_entry: tuple[PeerSession, Keypair] | None = None
    run_addr: PeerAddress | None = None
    for data, addr in items:
        if len(data) > _HEADER_SIZE and data[2] == _HANDSHAKE_FLAGS:
            if run:
                run_entry[0].receive_data(run, run_addr, run_entry[1], now)  # type: ignore[index, arg-type]
                run = []
            handshake(data, addr, now)
            continue
        try:
            flags, index, counter = unpack(data)
        except wire.DecodeError as exc:
            ctx.trace.drop(now, _PREFIX_FIELD_REASON.get(exc.field, DropReason.MALFORMED), addr, str(exc))
            continue
        entry = by_index.get(index)
        if entry is None:
            ctx.trace.drop(now, DropReason.UNKNOWN_RECEIVER_INDEX, addr, f"index {index}")
            continue
        if flags in data_flags:
            if entry is not run_entry or addr is not run_addr:
                if run:
                    run_entry[0].receive_data(run, run_addr, run_entry[1], now)  # type: ignore[index, arg-type]
                    run = []
                run_entry, run_addr = entry, addr
            run.append((data, flags, counter))
            continue
        if run:
            run_entry[0].receive_data(run, run_addr, run_entry[1], now)  # type: ignore[index, arg-type]
            run = []
        entry[0].receive_envelope(data, addr, entry[1], flags, counter, now)
    if run:
        run_entry[0].receive_data(run, run_addr, run_entry[1], now)  # type: ignore[index, arg-type]
    ctx.deliver(now)


class EndpointAPI:
    """The part of the sans-IO API both roles share (docs/architecture.md); needs ``ctx`` and
    ``_receive_handshake`` from the role and ``send_packets`` for the single-packet form."""

    ctx: Context

    @property
    def trace(self) -> Trace:
        return self.ctx.trace

    def receive_datagram(self, data: bytes, addr: PeerAddress, now: float) -> None:
        self.receive_datagrams(((data, addr),), now)

    def receive_datagrams(self, items: Sequence[tuple[bytes, PeerAddress]], now: float) -> None:
        receive_all(self.ctx, items, now, self._receive_handshake)

    def send_packet(self, ip_packet: bytes, now: float) -> None:
        self.send_packets((ip_packet,), now)

    def send_packets(self, packets: Sequence[bytes], now: float) -> None:  # pragma: no cover - per role
        raise NotImplementedError

    def datagrams_to_send(self, now: float) -> list[tuple[bytes, PeerAddress]]:
        """Everything queued since the last call (and clears the queue)."""
        out = self.ctx.out
        self.ctx.out = []
        return out

    def next_event(self) -> Event | None:
        return self.ctx.events.popleft() if self.ctx.events else None

    def _receive_handshake(self, data: bytes, addr: PeerAddress, now: float) -> None:  # pragma: no cover
        raise NotImplementedError


class Context:
    """What every session of one endpoint shares: output queues, trace, index table, timer wake-ups."""

    __slots__ = ("out", "events", "trace", "by_index", "timers", "data", "rng", "wake", "touched")

    def __init__(
        self, *, timers: TimerConfig, data: DataPathConfig, rng: Rng, wake: Callable[[PeerSession], None]
    ) -> None:
        self.out: list[tuple[bytes, PeerAddress]] = []
        self.events: deque[Event] = deque()
        self.trace = Trace(data.trace_records)
        self.by_index: dict[int, tuple[PeerSession, Keypair]] = {}
        self.timers = timers
        self.data = data
        self.rng = rng
        self.wake = wake
        self.touched: list[PeerSession] = []  # sessions with inner packets from the current receive call

    def deliver(self, now: float) -> None:
        """End of a receive call: one PacketsReceived per session that got inner packets."""
        for session in self.touched:
            session.take_received(now)
        self.touched.clear()

    def new_index(self) -> int:
        """A fresh random non-zero receiver index not in use (0 means "none" in KEY_ROTATION)."""
        while True:
            index = int.from_bytes(self.rng(4), "big")
            if index and index not in self.by_index:
                return index


class PeerSession:
    """One peer's session state; subclasses add the role (client initiator, server responder)."""

    def __init__(self, ctx: Context, peer: bytes) -> None:
        self.ctx = ctx
        self.peer = peer
        self.endpoint: PeerAddress | None = None
        self.current: Keypair | None = None
        self.previous: Keypair | None = None
        self.next: Keypair | None = None
        self.datapath: DataPath | None = None
        self.parameters: SessionParameters | None = None
        self.last_sent = -INF
        self.last_received = -INF
        self.last_data_sent = -INF
        self.last_data_received = -INF
        self.last_handshake = -INF
        self.wake_at = INF
        self.closed = False
        self.queue: deque[bytes] = deque(maxlen=ctx.data.max_queued_packets)
        self.rx_pending: list[bytes] = []
        self.rx_touched = False
        # hot-path copies of configuration
        self._reject_messages = ctx.timers.reject_after_messages
        self._rekey_messages = ctx.timers.rekey_after_messages
        self._keepalive_timeout = ctx.timers.keepalive_timeout
        self._confidential = ctx.data.confidential_transports
        self.rx_bytes = self.tx_bytes = self.rx_packets = self.tx_packets = 0
        self.handshakes = 0

    def status_row(
        self, name: str, ipv4: ipaddress.IPv4Interface | None, ipv6: ipaddress.IPv6Interface | None
    ) -> SessionStatus:
        return SessionStatus(
            self.peer,
            name,
            self.endpoint,
            ipv4,
            ipv6,
            self.last_handshake,
            self.handshakes,
            self.rx_bytes,
            self.tx_bytes,
            self.rx_packets,
            self.tx_packets,
        )

    # -- timers ------------------------------------------------------------------------------------------

    def ensure_wake(self, when: float) -> None:
        """Make sure ``on_timer`` runs no later than ``when``."""
        if when < self.wake_at:
            self.wake_at = when
            self.ctx.wake(self)

    def on_timer(self, now: float) -> None:
        """Run what is due, then schedule the next wake-up (subclasses add their deadlines)."""
        self.wake_at = INF
        deadlines = self.timer_deadlines(now)
        if not self.closed and deadlines:
            self.ensure_wake(min(deadlines))

    def timer_deadlines(self, now: float) -> list[float]:
        """Shared deadlines: passive keepalive, keypair expiry. Acts on what is due."""
        timers = self.ctx.timers
        found: list[float] = []
        kp = self.current
        if kp is not None and not self.closed:
            if self.last_data_received > self.last_sent:
                due = self.last_data_received + timers.keepalive_timeout
                if now >= due:
                    self.send_control(wire.control_keepalive(), now)
                else:
                    found.append(due)
            for slot in ("previous", "current", "next"):
                pair: Keypair | None = getattr(self, slot)
                if pair is not None:
                    if now >= pair.expires_at:
                        self.forget(pair)
                        setattr(self, slot, None)
                    else:
                        found.append(pair.expires_at)
        return found

    # -- keypairs ----------------------------------------------------------------------------------------

    def register(self, kp: Keypair) -> None:
        self.ctx.by_index[kp.local_index] = (self, kp)

    def forget(self, kp: Keypair | None) -> None:
        if kp is not None and self.ctx.by_index.get(kp.local_index, (None, None))[1] is kp:
            del self.ctx.by_index[kp.local_index]

    def rotate_in(self, kp: Keypair) -> None:
        """Make ``kp`` the sending keypair; the old one stays as ``previous`` for packets in flight."""
        self.forget(self.previous)
        self.previous = self.current
        self.current = kp

    def sending_keypair(self, now: float) -> Keypair | None:
        kp = self.current
        if kp is None or now >= kp.expires_at or kp.send_counter >= self.ctx.timers.reject_after_messages:
            return None
        return kp

    # -- sending -----------------------------------------------------------------------------------------

    def send_packets(self, packets: Sequence[bytes], now: float) -> None:
        kp = self.sending_keypair(now)
        if kp is None or self.endpoint is None or self.datapath is None:
            self.queue.extend(packets)
            self.no_keypair(now)
            return
        drops: list[tuple[DropReason, str]] = []
        units = self.datapath.encode(packets, drops)
        if drops:
            for reason, detail in drops:
                self.ctx.trace.drop(now, reason, None, detail)
        endpoint = self.endpoint
        encrypt = (
            0 if kp.plaintext or endpoint.transport in self.ctx.data.confidential_transports else _ENCRYPTED
        )
        if units:
            datagrams = kp.seal_batch(units, encrypt)
            self.ctx.out += zip(datagrams, repeat(endpoint), strict=False)
            self.last_sent = self.last_data_sent = now
            self.tx_bytes += sum(map(len, datagrams))
            self.tx_packets += len(packets) - len(drops)
            self.after_send(kp, now)

    def flush_queue(self, now: float) -> None:
        if self.queue and self.sending_keypair(now) is not None:
            packets = list(self.queue)
            self.queue.clear()
            self.send_packets(packets, now)

    def send_control(
        self,
        message: wire.ControlMessage,
        now: float,
        kp: Keypair | None = None,
        to: PeerAddress | None = None,
    ) -> int | None:
        """Seal an authenticated control message (to the endpoint unless ``to`` says otherwise); returns
        its envelope counter (for ACK matching), or None when no keypair can send."""
        kp = kp or self.sending_keypair(now)
        destination = to or self.endpoint
        if kp is None or destination is None:
            return None
        counter = kp.send_counter
        self.ctx.out.append((kp.seal(_CONTROL_FLAGS, message.encode()), destination))
        self.last_sent = now
        return counter

    def no_keypair(self, now: float) -> None:
        """Hook: data is waiting but no keypair can send (the client starts a handshake)."""

    def after_send(self, kp: Keypair, now: float) -> None:
        """Hook: data went out on ``kp`` (the client checks its rekey triggers)."""

    # -- receiving ---------------------------------------------------------------------------------------

    def receive_envelope(
        self, data: bytes, addr: PeerAddress, kp: Keypair, flags: int, counter: int, now: float
    ) -> None:
        """An envelope for one of our keypairs: authenticate, then hand data or control onward.

        The per-packet path: every check is an attribute compare, the AEAD runs once, and inner packets
        are only collected here; the role's checks run once per receive call in ``take_received``.
        """
        if now >= kp.expires_at or counter >= self._reject_messages:
            self.ctx.trace.drop(now, DropReason.KEYPAIR_EXPIRED, addr, f"index {kp.local_index}")
            return
        replay = kp.replay
        if not replay.check(counter):
            self.ctx.trace.drop(now, DropReason.REPLAYED, addr, f"counter {counter}")
            return
        if not flags & _ENCRYPTED and not (kp.plaintext or addr.transport in self._confidential):
            self.ctx.trace.drop(now, DropReason.PLAINTEXT_REFUSED, addr, "session requires encryption")
            return
        plain = kp.open(data, flags)
        if plain is None:
            self.ctx.trace.drop(
                now, DropReason.AUTHENTICATION_FAILED, addr, f"index {kp.local_index} counter {counter}"
            )
            return
        newest = counter >= replay.highest
        replay.accept(counter)
        # authenticated from here on
        self.last_received = now
        self.rx_bytes += len(data)
        if kp is not self.current:
            if kp is self.next:
                self.confirm_next(now)
            newest = newest and kp is self.current
        if newest and addr is not self.endpoint and addr != self.endpoint:
            self.roam(addr, now)
        if now >= kp.rekey_at or counter >= self._rekey_messages:
            self.rekey_due(kp, now)
        if flags & _CONTROL:
            try:
                message = wire.ControlMessage.decode(plain)
            except wire.DecodeError as exc:
                self.ctx.trace.drop(now, DropReason.MALFORMED, addr, f"control message: {exc}")
                return
            self.receive_control(message, counter, addr, now)
            return
        if flags & _UNWRAP:
            assert self.datapath is not None
            packets = self.datapath.decode(flags, plain)
            if isinstance(packets, tuple):
                self.ctx.trace.drop(now, packets[0], addr, packets[1])
                return
            self.rx_pending.extend(packets)
        else:  # one plain IP packet: the common case, checked inline
            version = plain[0] >> 4 if plain else 0
            if version != (6 if flags & _IPV6 else 4) or len(plain) < (40 if version == 6 else 20):
                self.ctx.trace.drop(
                    now, DropReason.INVALID_PACKET, addr, "not an IP packet of the flagged version"
                )
                return
            self.rx_pending.append(plain)
        self.last_data_received = now
        if now + self._keepalive_timeout < self.wake_at:
            self.ensure_wake(now + self._keepalive_timeout)
        if not self.rx_touched:
            self.rx_touched = True
            self.ctx.touched.append(self)

    def receive_data(
        self, run: list[tuple[bytes, int, int]], addr: PeerAddress, kp: Keypair, now: float
    ) -> None:
        """``receive_envelope`` for a run of encrypted one-packet data envelopes (flags ENCRYPTED, maybe
        IPV6) on one keypair from one address, with the same checks in the same order per datagram; the
        session-wide bookkeeping (liveness, roaming, rekey, keepalive) runs once, for the newest.

        In-order counters (above the window's top) cannot be replays: they skip the check, and each
        consecutive run of them is recorded in the window with one ``accept_range`` once authenticated;
        an older counter first records what is pending, then is checked and accepted on its own."""
        if self.closed or self.ctx.by_index.get(kp.local_index, (None, None))[1] is not kp:
            for data, flags, counter in run:  # an earlier datagram ended the session or rekeyed it away
                self.receive_envelope(data, addr, kp, flags, counter, now)
            return
        trace = self.ctx.trace
        if now >= kp.expires_at:
            for _ in run:
                trace.drop(now, DropReason.KEYPAIR_EXPIRED, addr, f"index {kp.local_index}")
            return
        reject = self._reject_messages
        replay = kp.replay
        check, accept, accept_range, decrypt = replay.check, replay.accept, replay.accept_range, kp.decrypt
        nonce, body, aad = _NONCE, _BODY, _AAD
        pending = self.rx_pending
        before = len(pending)
        highest = top = replay.highest  # top: the window's highest as this loop moves it
        newest = -1
        authenticated = 0
        confirm = kp is self.next
        first = last = -1  # authenticated in-order counters not yet recorded in the window: first..last
        for data, flags, counter in run:
            if counter >= reject:
                trace.drop(now, DropReason.KEYPAIR_EXPIRED, addr, f"index {kp.local_index}")
                continue
            if counter <= top:
                if last >= 0:
                    accept_range(first, last)
                    first = last = -1
                if not check(counter):
                    trace.drop(now, DropReason.REPLAYED, addr, f"counter {counter}")
                    continue
            try:
                plain = decrypt(data[nonce], data[body], data[aad])
            except InvalidTag:
                trace.drop(
                    now, DropReason.AUTHENTICATION_FAILED, addr, f"index {kp.local_index} counter {counter}"
                )
                continue
            if counter > top:
                if counter != last + 1 or last < 0:
                    if last >= 0:
                        accept_range(first, last)
                    first = counter
                last = top = counter
            else:
                accept(counter)
            if counter > newest:
                newest = counter
            authenticated += len(data)
            if confirm:
                confirm = False
                self.confirm_next(now)
            version = plain[0] >> 4 if plain else 0
            if version != (6 if flags & _IPV6 else 4) or len(plain) < (40 if version == 6 else 20):
                trace.drop(now, DropReason.INVALID_PACKET, addr, "not an IP packet of the flagged version")
                continue
            pending.append(plain)
        if last >= 0:
            accept_range(first, last)
        if not authenticated:
            return
        self.last_received = now
        self.rx_bytes += authenticated
        if newest >= highest and kp is self.current and addr is not self.endpoint and addr != self.endpoint:
            self.roam(addr, now)
        if now >= kp.rekey_at or newest >= self._rekey_messages:
            self.rekey_due(kp, now)
        if len(pending) > before:
            self.last_data_received = now
            if now + self._keepalive_timeout < self.wake_at:
                self.ensure_wake(now + self._keepalive_timeout)
            if not self.rx_touched:
                self.rx_touched = True
                self.ctx.touched.append(self)

    def rekey_due(self, kp: Keypair, now: float) -> None:
        """Hook: a packet arrived on a keypair old or used enough to rekey (the client starts one)."""

    def filter_received(self, packets: list[bytes], now: float) -> list[bytes]:
        """Hook: the role's checks on authenticated inner packets (the server's anti-spoofing etc.)."""
        return packets

    def take_received(self, now: float) -> None:
        """Emit one PacketsReceived for what this receive call produced."""
        self.rx_touched = False
        if self.rx_pending:
            packets = self.filter_received(self.rx_pending, now)
            self.rx_pending = []
            if packets:
                self.rx_packets += len(packets)
                self.ctx.events.append(PacketsReceived(self.peer, packets))

    def receive_control(
        self, message: wire.ControlMessage, counter: int, addr: PeerAddress, now: float
    ) -> None:
        kind = message.control_type
        if kind == CT.KEEPALIVE:
            self.keepalive_received(counter, addr, now)
            return
        if kind == CT.DISCONNECT:
            code = int(message.reason) if message.reason is not None else 0
            reason = WIRE_TO_TERMINATION.get(code, TerminationReason.NORMAL)
            self.terminate(reason, now, by_peer=True, notify_peer=False)
            return
        self.receive_role_control(message, counter, addr, now)

    def keepalive_received(self, counter: int, addr: PeerAddress, now: float) -> None:
        """Hook: an authenticated KEEPALIVE (the server answers it, so clients can probe a path)."""

    def receive_role_control(
        self, message: wire.ControlMessage, counter: int, addr: PeerAddress, now: float
    ) -> None:
        self.ctx.trace.drop(
            now, DropReason.UNEXPECTED_MESSAGE, addr, f"{message.control_type!r} for this role"
        )

    def confirm_next(self, now: float) -> None:
        """Hook (server): the first packet under ``next`` arrived."""

    def roam(self, addr: PeerAddress, now: float) -> None:
        """Hook: the newest authenticated packet came from a new address."""

    # -- ending ------------------------------------------------------------------------------------------

    def terminate(self, reason: TerminationReason, now: float, *, by_peer: bool, notify_peer: bool) -> None:
        """End the session: optionally tell the peer (authenticated DISCONNECT), forget every key."""
        if self.closed:
            return
        if notify_peer:
            # before the server saw the client confirm its newest keys, the client already sends with
            # them (``next``): a DISCONNECT under them is readable too
            kp = self.sending_keypair(now) or self.next
            self.send_control(wire.control_disconnect(TERMINATION_TO_WIRE[reason]), now, kp)
        self.closed = True
        for kp in (self.previous, self.current, self.next):
            self.forget(kp)
        self.previous = self.current = self.next = None
        self.queue.clear()
        self.take_received(now)
        self.ctx.events.append(SessionTerminated(self.peer, reason, by_peer))
        self.on_terminated(now)

    def on_terminated(self, now: float) -> None:
        """Hook: release role resources (the server frees the address lease)."""
