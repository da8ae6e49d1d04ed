"""The client side of OxTunnel (sans-IO): Noise IK initiator, rekeying, keepalive, the data path.

Timers follow WireGuard: an INIT is retransmitted every REKEY_TIMEOUT (+ jitter from the injected rng)
for at most REKEY_ATTEMPT_TIME; the client rekeys when its keypair is REKEY_AFTER_TIME old or has
carried REKEY_AFTER_MESSAGES either way; when data went out and nothing came back for
KEEPALIVE_TIMEOUT + REKEY_TIMEOUT it starts a new handshake (the server may have lost the session).
Packets sent while no keypair is usable are queued and flushed when the handshake completes.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from oxtunnel import handshake as hs
from oxtunnel import negotiation, wire
from oxtunnel.config import ClientConfig
from oxtunnel.cookies import CookieJar, Mac1
from oxtunnel.crypto import Rng, next_tai64n
from oxtunnel.datapath import DataPath
from oxtunnel.events import (
    ConfigUpdated,
    HandshakeCompleted,
    ProbeAcknowledged,
    RekeyCompleted,
    SessionParameters,
    TerminationReason,
)
from oxtunnel.keypair import Keypair
from oxtunnel.noise import IKPrefix, Initiator, dh, public_bytes
from oxtunnel.session import INF, WIRE_TO_TERMINATION, Context, EndpointAPI, PeerSession
from oxtunnel.trace import DropReason
from oxtunnel.types import PeerAddress, SessionStatus

CT = wire.ControlType
MAX_PENDING_PROBES = 64
_CONTROL_FLAGS = wire.FLAG_ENCRYPTED | wire.FLAG_CONTROL
F = wire.Features


class ClientSession(PeerSession, EndpointAPI):
    """One client connected to one server. See docs/architecture.md for the API contract."""

    def __init__(self, config: ClientConfig, *, rng: Rng) -> None:
        config.validate()
        super().__init__(
            Context(timers=config.timers, data=config.data, rng=rng, wake=_no_wake),
            bytes(config.server_public_key),
        )
        self.config = config
        self._rng = rng
        self._static = X25519PrivateKey.from_private_bytes(bytes(config.private_key))
        self._static_public = public_bytes(self._static)
        self._prefix = IKPrefix(wire.NOISE_PROTOCOL_NAME, wire.NOISE_PROLOGUE, self.peer)
        self._static_static = dh(self._static, self.peer)
        self._server_mac1 = Mac1(self.peer)
        self._own_mac1 = Mac1(self._static_public)
        self._cookies = CookieJar(self.peer, wire.COOKIE_REFRESH_TIME)
        self._supported = negotiation.cipher_mask(config.ciphers)
        self._requested = negotiation.client_features(
            compression=config.compression,
            batching=config.batching,
            plaintext=config.request_plaintext,
            ipv6=config.ipv6,
        )
        self._pending: hs.PendingHandshake | None = None
        self._refusal: _RefusalListener | None = None  # keys of a refused handshake, for its DISCONNECT
        self._last_init_at = -INF
        self._retry_at = INF
        self._give_up_at = INF
        self._last_timestamp: bytes | None = None
        self._established = False
        self._connecting = False
        self._config_id = 0
        self._probes: dict[int, float] = {}  # counter -> sent at
        self.endpoint = config.endpoint
        self.closed = True  # until connect()

    # -- API -----------------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """True from connect() until the session ends (close, DISCONNECT, handshake or rekey failure)."""
        return self._connecting

    @property
    def established(self) -> bool:
        """True while a keypair can carry data."""
        return not self.closed and self.current is not None

    def connect(self, now: float) -> None:
        """Start the session: queue a HANDSHAKE_INIT to the configured endpoint."""
        if self._connecting:
            raise RuntimeError("connect() called on a session that is already connecting or connected")
        self._connecting = True
        self.closed = False
        self._established = False
        self._config_id = 0
        self._start_handshake(now)

    def set_endpoint(self, endpoint: PeerAddress) -> None:
        """Send from now on to ``endpoint`` (another address or transport); keys and session survive."""
        self.endpoint = endpoint

    def status(self, name: str = "server") -> SessionStatus:
        """The session as ``oxidize status`` shows it (addresses are the ones granted to us)."""
        p = self.parameters
        return self.status_row(name, p.ipv4 if p else None, p.ipv6 if p else None)

    def send_probe(self, now: float, endpoint: PeerAddress | None = None) -> int | None:
        """Send an authenticated KEEPALIVE over ``endpoint`` (default: the current one); the server answers
        on the same path with an ACK, reported as ``ProbeAcknowledged``.  Returns the probe's counter, or
        None when no keypair can send.  Note: like any authenticated packet, a probe that is the newest
        the server has seen moves the server's endpoint to the probed path (roaming)."""
        counter = self.send_control(wire.control_keepalive(), now, to=endpoint)
        if counter is not None:
            if len(self._probes) >= MAX_PENDING_PROBES:
                del self._probes[next(iter(self._probes))]
            self._probes[counter] = now
        return counter

    def send_packets(self, packets: Sequence[bytes], now: float) -> None:
        if not self._connecting:
            # not an error: the session may have ended (DISCONNECT, timeout) while the runtime read these
            self.ctx.trace.drop(
                now, DropReason.NO_SESSION, None, f"{len(packets)} packet(s), session not active"
            )
            return
        super().send_packets(packets, now)

    def handle_timer(self, now: float) -> None:
        if now >= self.wake_at:
            self.on_timer(now)

    def get_timer(self) -> float | None:
        return None if self.wake_at == INF else self.wake_at

    def close(self, now: float) -> None:
        """End the session with an authenticated DISCONNECT (when a keypair exists)."""
        if not self._connecting:
            return
        self.terminate(TerminationReason.NORMAL, now, by_peer=False, notify_peer=True)

    # -- handshake -----------------------------------------------------------------------------------

    def _start_handshake(self, now: float) -> None:
        config = self.config
        if self._pending is None and self._refusal is None:  # a retry after a refusal keeps its deadline
            self._give_up_at = now + config.timers.rekey_attempt_time
        self._last_timestamp = next_tai64n(config.wall_clock(), self._last_timestamp)
        payload = wire.InitPayload(
            timestamp=self._last_timestamp,
            supported_ciphers=self._supported,
            preferred_cipher=config.ciphers[0],
            features=self._requested,
        )
        local_index = self.ctx.new_index()
        noise = Initiator(
            self._static, self._prefix, static_public=self._static_public, static_static=self._static_static
        )
        data, pending = hs.build_init(
            noise,
            local_index=local_index,
            payload=payload,
            server_mac1=self._server_mac1,
            cookies=self._cookies,
            rng=self._rng,
            now=now,
        )
        self._pending = pending
        self._last_init_at = now
        assert self.endpoint is not None
        self.ctx.out.append((data, self.endpoint))
        jitter = int.from_bytes(self._rng(2), "big") / 0xFFFF * config.timers.rekey_timeout_jitter
        self._retry_at = now + config.timers.rekey_timeout + jitter
        self.ensure_wake(self._retry_at)

    def _receive_handshake(self, data: bytes, addr: PeerAddress, now: float) -> None:
        trace = self.ctx.trace
        kind = data[wire.HEADER_SIZE]
        pending = self._pending
        if kind not in (CT.HANDSHAKE_RESPONSE, CT.COOKIE_REPLY):
            trace.drop(now, DropReason.UNEXPECTED_MESSAGE, addr, f"handshake type {kind:#04x} at a client")
            return
        if pending is None:
            trace.drop(now, DropReason.UNEXPECTED_MESSAGE, addr, "no handshake in flight")
            return
        try:
            if kind == CT.COOKIE_REPLY:
                hs.read_cookie_reply(data, pending, self._cookies, now)
                return
            server_index, config, result = hs.read_response(data, pending, self._own_mac1)
        except hs.HandshakeError as exc:
            trace.drop(now, exc.reason, addr, exc.detail)
            return
        try:
            parameters = wire.parameters_from_config(config)
        except ValueError as exc:
            trace.drop(now, DropReason.BAD_SESSION_CONFIG, addr, str(exc))
            return
        if parameters.ipv4 is None and parameters.ipv6 is None:
            self._refused(pending, server_index, config, result.send_key, result.receive_key, now)
            return
        if not negotiation.grant_is_acceptable(
            config.cipher, config.features, self._supported, self._requested
        ):
            reason = (
                DropReason.PLAINTEXT_NOT_ALLOWED
                if config.features & ~self._requested & F.PLAINTEXT
                else DropReason.NO_COMMON_CIPHER
            )
            trace.drop(now, reason, addr, f"cipher {config.cipher} features {config.features:#06x}")
            return
        self._complete_handshake(
            pending, server_index, config, parameters, result.send_key, result.receive_key, now
        )

    def _new_keypair(
        self, local_index: int, server_index: int, config: wire.SessionConfig, send: bytes, receive: bytes,
        now: float,
    ) -> Keypair:
        timers = self.config.timers
        return Keypair(
            local_index=local_index,
            remote_index=server_index,
            cipher=int(config.cipher),
            send_key=send,
            receive_key=receive,
            created=now,
            initiator=True,
            plaintext=bool(config.features & F.PLAINTEXT),
            rekey_after_time=timers.rekey_after_time,
            reject_after_time=timers.reject_after_time,
        )

    def _refused(
        self,
        pending: hs.PendingHandshake,
        server_index: int,
        config: wire.SessionConfig,
        send_key: bytes,
        receive_key: bytes,
        now: float,
    ) -> None:
        """A RESPONSE that assigns no address is a refusal (spec/README.md §4): keep its keys only to
        read the DISCONNECT that says why; no session, nothing sent.  Without that DISCONNECT the INIT is
        retried after REKEY_TIMEOUT as usual."""
        kp = self._new_keypair(pending.local_index, server_index, config, send_key, receive_key, now)
        if self._refusal is not None:
            self.forget(self._refusal.keypair)
        self._refusal = _RefusalListener(self, kp)
        self.ctx.by_index[kp.local_index] = (self._refusal, kp)  # type: ignore[assignment]
        self._pending = None

    def refusal_explained(self, reason: TerminationReason, now: float) -> None:
        """The DISCONNECT under a refusal's keys: the session ends with the server's reason."""
        self.terminate(reason, now, by_peer=True, notify_peer=False)

    def _complete_handshake(
        self,
        pending: hs.PendingHandshake,
        server_index: int,
        config: wire.SessionConfig,
        parameters: SessionParameters,
        send_key: bytes,
        receive_key: bytes,
        now: float,
    ) -> None:
        kp = self._new_keypair(pending.local_index, server_index, config, send_key, receive_key, now)
        self._drop_refusal()
        old = self.current
        self.rotate_in(kp)
        self.register(kp)
        self._pending = None
        self._retry_at = self._give_up_at = INF
        self.last_handshake = now
        self.handshakes += 1
        self._apply(parameters)
        self.send_control(wire.control_key_rotation(old.remote_index if old is not None else 0), now, kp)
        if self._established:
            self.ctx.events.append(RekeyCompleted(self.peer, kp.local_index))
        else:
            self._established = True
            assert self.endpoint is not None
            self.ctx.events.append(HandshakeCompleted(self.peer, self.endpoint, parameters))
        self.flush_queue(now)
        self.ensure_wake(now)  # recompute every deadline (keepalive, rekey, expiry) for the new keypair

    def _apply(self, parameters: SessionParameters) -> bool:
        """Adopt granted parameters; True when they differ from the ones in force."""
        data = self.config.data
        self.datapath = DataPath(
            mtu=parameters.mtu,
            batching=bool(parameters.features & F.BATCHING),
            compression=bool(parameters.features & F.COMPRESSION),
            batch_max_packet=data.batch_max_packet_size,
            compression_min=data.compression_min_size,
            distinct_limit=data.compression_distinct_limit,
        )
        changed = parameters != self.parameters
        self.parameters = parameters
        return changed

    # -- hooks of PeerSession --------------------------------------------------------------------------

    def _want_handshake(self, now: float) -> None:
        # after a refusal the retry timer decides (its DISCONNECT may still be on the way)
        if self._pending is None and self._refusal is None and self._connecting:
            self._start_handshake(now)

    def _drop_refusal(self) -> None:
        if self._refusal is not None:
            self.forget(self._refusal.keypair)
            self._refusal = None

    def no_keypair(self, now: float) -> None:
        self._want_handshake(now)

    def after_send(self, kp: Keypair, now: float) -> None:
        if kp.send_counter >= self.config.timers.rekey_after_messages or now >= kp.rekey_at:
            self._want_handshake(now)
        self.ensure_wake(now + self.config.timers.keepalive_timeout + self.config.timers.rekey_timeout)

    def rekey_due(self, kp: Keypair, now: float) -> None:
        if kp is self.current:
            self._want_handshake(now)

    def receive_role_control(
        self, message: wire.ControlMessage, counter: int, addr: PeerAddress, now: float
    ) -> None:
        if message.control_type == CT.ACK:
            sent = self._probes.pop(message.acked_counter or 0, None)
            if sent is not None:
                self.ctx.events.append(
                    ProbeAcknowledged(self.peer, message.acked_counter or 0, addr, now - sent)
                )
            return  # ACKs of ordinary keepalives need nothing
        if message.control_type == CT.REKEY_REQUEST:
            # the server's keypair is due: we initiate (spec/README.md §4), at most one INIT per
            # REKEY_TIMEOUT (a request that predates our last handshake, or a confused server: no loop)
            if self.current is not None and now >= self._last_init_at + self.config.timers.rekey_timeout:
                self._want_handshake(now)
            return
        if message.control_type != CT.CONFIG_UPDATE:
            super().receive_role_control(message, counter, addr, now)
            return
        config_id, config = message.config_id, message.config
        assert config_id is not None and config is not None  # the codec guarantees both for CONFIG_UPDATE
        if config_id > self._config_id:
            try:
                parameters = wire.parameters_from_config(config)
            except ValueError as exc:
                self.ctx.trace.drop(now, DropReason.BAD_SESSION_CONFIG, addr, str(exc))
                return
            current = self.current
            if current is None or int(config.cipher) != current.cipher or config.features & ~self._requested:
                self.ctx.trace.drop(now, DropReason.BAD_SESSION_CONFIG, addr, "cipher or features changed")
                return
            self._config_id = config_id
            self._apply(parameters)
            self.ctx.events.append(ConfigUpdated(self.peer, config_id, parameters))
        self.send_control(wire.control_ack(counter), now)  # also re-ACKs a retransmitted update

    def timer_deadlines(self, now: float) -> list[float]:
        found = super().timer_deadlines(now)
        if self.closed:
            return found
        timers = self.config.timers
        if self._pending is not None or self._refusal is not None:
            if now >= self._give_up_at:
                self._pending = None
                if self.sending_keypair(now) is None or self._refusal is not None:
                    if self._refusal is not None:
                        reason = TerminationReason.POLICY  # refused, and never told why
                    elif self._established:
                        reason = TerminationReason.REKEY_FAILED
                    else:
                        reason = TerminationReason.HANDSHAKE_TIMEOUT
                    self.terminate(reason, now, by_peer=False, notify_peer=False)
                    return []
                self._start_handshake(now)
            elif now >= self._retry_at:
                self._start_handshake(now)
            found += [self._retry_at, self._give_up_at]
        kp = self.current
        if kp is None or self._pending is not None:
            return found
        # dead peer: we sent data and heard nothing back
        if self.last_data_sent > self.last_received:
            due = self.last_data_sent + timers.keepalive_timeout + timers.rekey_timeout
            if now >= due:
                self._start_handshake(now)
                return found + [self._retry_at]
            found.append(due)
        # rekey by time, for a keypair in use (with persistent keepalive it always is)
        interval = self._keepalive_interval()
        if now >= kp.rekey_at and (
            interval or max(self.last_data_sent, self.last_data_received) > kp.created
        ):
            self._start_handshake(now)
            return found + [self._retry_at]
        if kp.rekey_at > now:
            found.append(kp.rekey_at)
        if interval:
            due = self.last_sent + interval
            if now >= due:
                self.send_control(wire.control_keepalive(), now)
                due = now + interval
            found.append(due)
        return found

    def _keepalive_interval(self) -> float:
        configured = self.config.persistent_keepalive
        if configured is not None:
            return configured
        return float(self.parameters.keepalive_interval) if self.parameters is not None else 0.0

    def on_terminated(self, now: float) -> None:
        self._drop_refusal()
        self._connecting = False
        self._pending = None
        self._retry_at = self._give_up_at = INF
        self.wake_at = INF


class _RefusalListener:
    """Receives under a refused handshake's keys (registered by receiver index instead of the session, so
    the data path pays nothing for it): only an authenticated DISCONNECT is read, anything else dropped."""

    __slots__ = ("client", "keypair")

    def __init__(self, client: ClientSession, keypair: Keypair) -> None:
        self.client = client
        self.keypair = keypair

    def receive_envelope(
        self, data: bytes, addr: PeerAddress, kp: Keypair, flags: int, counter: int, now: float
    ) -> None:
        trace = self.client.ctx.trace
        if flags != _CONTROL_FLAGS or now >= kp.expires_at:
            trace.drop(now, DropReason.UNEXPECTED_MESSAGE, addr, "only DISCONNECT follows a refusal")
            return
        if not kp.replay.check(counter):
            trace.drop(now, DropReason.REPLAYED, addr, f"counter {counter}")
            return
        plain = kp.open(data, flags)
        if plain is None:
            trace.drop(now, DropReason.AUTHENTICATION_FAILED, addr, f"refusal keys, counter {counter}")
            return
        kp.replay.accept(counter)
        try:
            message = wire.ControlMessage.decode(plain)
        except wire.DecodeError as exc:
            trace.drop(now, DropReason.MALFORMED, addr, f"control message: {exc}")
            return
        if message.control_type != CT.DISCONNECT or message.reason is None:
            trace.drop(now, DropReason.UNEXPECTED_MESSAGE, addr, f"{message.control_type!r} after a refusal")
            return
        reason = WIRE_TO_TERMINATION.get(int(message.reason), TerminationReason.POLICY)
        self.client.refusal_explained(reason, now)

    def receive_data(
        self, run: list[tuple[bytes, int, int]], addr: PeerAddress, kp: Keypair, now: float
    ) -> None:
        """Data envelopes (the receive loop hands them over in runs): never valid after a refusal."""
        self.client.ctx.trace.drop(
            now, DropReason.UNEXPECTED_MESSAGE, addr, f"{len(run)} data envelope(s) after a refusal"
        )


def _no_wake(session: PeerSession) -> None:
    """The client has one session: its wake-up time is read directly by get_timer()."""
