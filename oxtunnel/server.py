"""The server side of OxTunnel (sans-IO): many sessions behind one static key.

Handshakes are answered only for authorized client keys (a peers list, as WireGuard) and only when
mac1 proves the sender knows our public key; under load a COOKIE_REPLY comes first.  Each session
gets a stable address from the pool, and every inner packet a client sends must carry that address
as its source and a destination the policy allows.  ``send_packets`` routes inner packets to the
session owning the destination address.  Rekeys are always started by the client; when the server's
own sending keypair is due first, it asks with an authenticated REKEY_REQUEST (spec/README.md §4).
"""

from __future__ import annotations

import dataclasses
import heapq
import ipaddress
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from oxtunnel import handshake as hs
from oxtunnel import negotiation, wire
from oxtunnel.addrpool import AddressPool, Lease
from oxtunnel.config import ConfigError, PeerConfig, ServerConfig, check_key
from oxtunnel.cookies import ZERO_MAC, CookieChecker, Mac1
from oxtunnel.crypto import Rng
from oxtunnel.datapath import DataPath
from oxtunnel.events import (
    ConfigAcknowledged,
    EndpointChanged,
    HandshakeCompleted,
    RekeyCompleted,
    SessionParameters,
    TerminationReason,
)
from oxtunnel.keypair import Keypair
from oxtunnel.noise import IKPrefix, Responder, public_bytes
from oxtunnel.policy import DestinationPolicy, destination_address, ip_version
from oxtunnel.ratelimit import RateLimiter
from oxtunnel.session import INF, TERMINATION_TO_WIRE, Context, EndpointAPI, PeerSession
from oxtunnel.trace import DropReason
from oxtunnel.types import PeerAddress, SessionStatus

CT = wire.ControlType
F = wire.Features


@dataclass(slots=True)
class _PendingUpdate:
    """A CONFIG_UPDATE waiting for its ACK; any of its transmissions' counters may be acknowledged."""

    config_id: int
    message: wire.ControlMessage
    parameters: SessionParameters
    counters: list[int]
    retries_left: int
    next_try: float


class ServerPeer(PeerSession):
    """The server's side of one client's session."""

    def __init__(self, endpoint: ServerEndpoint, peer: bytes, peer_config: PeerConfig, lease: Lease) -> None:
        super().__init__(endpoint.ctx, peer)
        self.server = endpoint
        self.peer_config = peer_config
        self.assign(lease)
        self.announced = False  # HandshakeCompleted emitted
        self.config_id = 0
        self.update: _PendingUpdate | None = None
        cfg = endpoint.config
        self._rate = cfg.packet_rate
        self._burst = cfg.packet_burst
        self._tokens = cfg.packet_burst
        self._tokens_at = -INF
        self.rekey_asked_at = -INF  # last REKEY_REQUEST (spec/README.md §4: the client initiates)
        self.rekey_requests = 0

    def assign(self, lease: Lease) -> None:
        """Take ``lease`` as this client's addresses (and inner source addresses, for anti-spoofing)."""
        self.lease = lease
        self.sources = lease.packed_sources  # (ipv4 bytes | None, ipv6 bytes | None)

    # -- receiving: the checks the runtime relies on ---------------------------------------------------

    def filter_received(self, packets: list[bytes], now: float) -> list[bytes]:
        """Rate limit, anti-spoofing (inner source = assigned address), destination policy."""
        trace = self.ctx.trace
        addr = self.endpoint
        elapsed = now - self._tokens_at
        if elapsed > 0:
            self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
            self._tokens_at = now
        v4, v6 = self.sources
        refusal = self.server.refusal
        # one token per packet, spent in order: the first floor(tokens) packets pass the rate limit
        budget = min(len(packets), max(0, int(self._tokens)))
        self._tokens -= budget
        accepted = []
        for packet in packets if budget == len(packets) else packets[:budget]:
            # inner source = the assigned address, compared in place
            if packet[0] >> 4 == 4:
                spoofed = v4 is None or not packet.startswith(v4, 12)
                destination = packet[16:20]
            else:
                spoofed = v6 is None or not packet.startswith(v6, 8)
                destination = packet[24:40]
            if spoofed:
                source = packet[12:16] if packet[0] >> 4 == 4 else packet[8:24]
                trace.drop(now, DropReason.SPOOFED_SOURCE, addr, f"source {ipaddress.ip_address(source)}")
                continue
            rule = refusal(destination)
            if rule is not None:
                trace.drop(
                    now, DropReason.DESTINATION_REFUSED, addr, f"{ipaddress.ip_address(destination)} ({rule})"
                )
                continue
            accepted.append(packet)
        for _ in range(len(packets) - budget):
            trace.drop(now, DropReason.PACKET_RATE_LIMITED, addr, self.peer_config.name)
        return accepted

    def after_send(self, kp: Keypair, now: float) -> None:
        """Our sending keypair is due (our own limits, which may be lower than the client's): ask the
        client to rekey (REKEY_TIME gets a REKEY_TIMEOUT grace, in which its own timer acts first)."""
        if kp.send_counter >= self._rekey_messages or now >= kp.rekey_at + self.ctx.timers.rekey_timeout:
            self._ask_rekey(kp, now)

    def _ask_rekey(self, kp: Keypair, now: float) -> None:
        # at most once per REKEY_TIMEOUT, and not before the keypair is that old: the client starts at
        # most one INIT per REKEY_TIMEOUT, and this keypair's INIT was sent before it was created here
        if (
            kp is not self.current
            or self.next is not None  # its handshake was answered: the new keys are on their way
            or now < max(self.rekey_asked_at, kp.created) + self.ctx.timers.rekey_timeout
        ):
            return
        self.rekey_asked_at = now
        self.rekey_requests += 1
        self.send_control(wire.control_rekey_request(), now, kp)

    def keepalive_received(self, counter: int, addr: PeerAddress, now: float) -> None:
        """Answer on the path it came from: the client's probe of that path (and its liveness check)."""
        self.send_control(wire.control_ack(counter), now, to=addr)

    def receive_role_control(
        self, message: wire.ControlMessage, counter: int, addr: PeerAddress, now: float
    ) -> None:
        kind = message.control_type
        if kind == CT.KEY_ROTATION:
            return  # confirmation already happened: any packet under ``next`` promotes it
        if kind == CT.ACK:
            update = self.update
            if update is not None and message.acked_counter in update.counters:
                self.update = None
                self.config_id = update.config_id
                self.parameters = update.parameters
                self.ctx.events.append(ConfigAcknowledged(self.peer, update.config_id))
            return
        super().receive_role_control(message, counter, addr, now)

    def confirm_next(self, now: float) -> None:
        kp = self.next
        assert kp is not None
        self.next = None
        self.rotate_in(kp)
        self.last_handshake = now
        self.handshakes += 1
        if self.announced:
            self.ctx.events.append(RekeyCompleted(self.peer, kp.local_index))
        else:
            self.announced = True
            assert self.endpoint is not None and self.parameters is not None
            self.ctx.events.append(HandshakeCompleted(self.peer, self.endpoint, self.parameters))
        self.flush_queue(now)

    def roam(self, addr: PeerAddress, now: float) -> None:
        old = self.endpoint
        self.endpoint = addr
        self.ctx.events.append(EndpointChanged(self.peer, old, addr))

    # -- timers ------------------------------------------------------------------------------------------

    def timer_deadlines(self, now: float) -> list[float]:
        found = super().timer_deadlines(now)
        if self.closed:
            return found
        idle_at = self.last_received + self.server.config.idle_timeout
        if now >= idle_at:
            self.terminate(TerminationReason.IDLE, now, by_peer=False, notify_peer=True)
            return []
        found.append(idle_at)
        update = self.update
        if update is not None:
            if now >= update.next_try:
                if update.retries_left <= 0:
                    self.update = None
                    self.ctx.trace.drop(
                        now,
                        DropReason.UNEXPECTED_MESSAGE,
                        self.endpoint,
                        f"CONFIG_UPDATE {update.config_id} never acknowledged",
                    )
                else:
                    self._transmit(update, now)
            if self.update is not None:
                found.append(self.update.next_try)
        return found

    def push_update(self, parameters: SessionParameters, now: float) -> int:
        config_id = max(self.config_id, self.update.config_id if self.update else 0) + 1
        message = wire.control_config_update(config_id, wire.config_from_parameters(parameters))
        self.update = _PendingUpdate(
            config_id, message, parameters, [], self.server.config.config_update_retries, now
        )
        self._transmit(self.update, now)
        return config_id

    def _transmit(self, update: _PendingUpdate, now: float) -> None:
        update.retries_left -= 1
        counter = self.send_control(update.message, now)
        if counter is not None:
            update.counters.append(counter)
        update.next_try = now + self.ctx.timers.rekey_timeout
        self.ensure_wake(update.next_try)

    def on_terminated(self, now: float) -> None:
        self.server.session_ended(self)


class ServerEndpoint(EndpointAPI):
    """Owns every session of one server key. See docs/architecture.md for the API contract."""

    def __init__(self, config: ServerConfig, *, rng: Rng) -> None:
        config.validate()
        self.config = config
        self._rng = rng
        self._heap: list[tuple[float, int, ServerPeer]] = []
        self._order = itertools.count()
        self.ctx = Context(timers=config.timers, data=config.data, rng=rng, wake=self._schedule)
        self._static = X25519PrivateKey.from_private_bytes(bytes(config.private_key))
        self.public_key = public_bytes(self._static)
        self._prefix = IKPrefix(wire.NOISE_PROTOCOL_NAME, wire.NOISE_PROLOGUE, self.public_key)
        self._own_mac1 = Mac1(self.public_key)
        self._cookies = CookieChecker(self.public_key, rng, wire.COOKIE_REFRESH_TIME)
        self._peers: dict[bytes, PeerConfig] = {bytes(p.public_key): p for p in config.peers}
        self._static_static: dict[bytes, bytes] = {}
        self._peer_mac1: dict[bytes, Mac1] = {}
        self._timestamps: dict[bytes, bytes] = {}
        self.sessions: dict[bytes, ServerPeer] = {}
        self._routes: dict[bytes, ServerPeer] = {}
        self.pool = AddressPool(config.ipv4_pool, config.ipv6_pool)
        for peer in config.peers:
            if peer.ipv4_address or peer.ipv6_address:
                self.pool.reserve(bytes(peer.public_key), peer.ipv4_address, peer.ipv6_address)
        self._dns = tuple(ipaddress.ip_address(a) for a in config.dns_servers)
        self._routes_pushed = tuple(ipaddress.ip_network(r) for r in config.routes)
        self._handshake_limit = RateLimiter(config.handshake_rate, config.handshake_burst)
        self._load = RateLimiter(config.load_threshold, max(1.0, config.load_threshold), max_entries=1)
        own = [i for i in (self.pool.server_ipv4, self.pool.server_ipv6) if i is not None]
        pools = () if config.allow_client_to_client else [("client_to_client", str(i.network)) for i in own]
        self._policy = DestinationPolicy(
            config.allowed_destinations,
            config.denied_networks,
            extra=pools,
            exempt=[i.ip.packed for i in own],
        )
        self.refusal = self._policy.refusal

    # -- API -----------------------------------------------------------------------------------------

    def send_packets(self, packets: Sequence[bytes], now: float) -> None:
        """Route inner packets (from the server's TUN) to the sessions owning their destinations."""
        routes = self._routes
        groups: dict[ServerPeer, list[bytes]] = {}
        for packet in packets:
            version = ip_version(packet)
            if version == 0:
                self.ctx.trace.drop(
                    now, DropReason.INVALID_PACKET, None, f"{len(packet)} bytes from the device"
                )
                continue
            session = routes.get(destination_address(packet, version))
            if session is None:
                self.ctx.trace.drop(
                    now,
                    DropReason.NO_ROUTE,
                    None,
                    str(ipaddress.ip_address(destination_address(packet, version))),
                )
                continue
            group = groups.get(session)
            if group is None:
                groups[session] = [packet]
            else:
                group.append(packet)
        for session, group in groups.items():
            session.send_packets(group, now)

    def handle_timer(self, now: float) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            when, _, session = heapq.heappop(heap)
            if not session.closed and session.wake_at == when:
                session.on_timer(now)

    def get_timer(self) -> float | None:
        heap = self._heap
        while heap and (heap[0][2].closed or heap[0][2].wake_at != heap[0][0]):
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def close(self, now: float) -> None:
        """Shut down: an authenticated DISCONNECT(shutdown) to every client."""
        for session in list(self.sessions.values()):
            session.terminate(TerminationReason.SHUTDOWN, now, by_peer=False, notify_peer=True)

    def disconnect(
        self, peer: bytes, now: float, reason: TerminationReason = TerminationReason.POLICY
    ) -> None:
        """End one client's session (authenticated DISCONNECT); unknown peers are API misuse."""
        session = self.sessions.get(peer)
        if session is None:
            raise KeyError("no session for that public key")
        session.terminate(reason, now, by_peer=False, notify_peer=True)

    def add_peer(self, peer: PeerConfig) -> None:
        """Authorize another client at once (``wg set … peer``): its next INIT is answered.

        ConfigError naming the field for a malformed or already listed key or an unusable pinned
        address; nothing changes then."""
        check_key("peer.public_key", peer.public_key)
        key = bytes(peer.public_key)
        if key in self._peers:
            raise ConfigError(f"peer.public_key: {key.hex()[:16]}… is listed already")
        if peer.ipv4_address or peer.ipv6_address:
            try:
                self.pool.reserve(key, peer.ipv4_address, peer.ipv6_address)
            except ValueError as exc:
                raise ConfigError(f"peer.ipv4_address / peer.ipv6_address: {exc}") from None
        self._peers[key] = peer
        self.config = dataclasses.replace(self.config, peers=(*self.config.peers, peer))

    def remove_peer(self, public_key: bytes, now: float) -> bool:
        """Revoke a client: its session (if any) ends with an authenticated DISCONNECT(policy), its
        addresses go back to the pool, and its INITs are not answered any more.  Returns whether a
        session was ended; KeyError for a key that is not listed.

        The last accepted handshake timestamp of the key is kept, so that re-adding it later does not
        make its old INITs replayable."""
        key = bytes(public_key)
        if key not in self._peers:
            raise KeyError("no peer with that public key")
        session = self.sessions.get(key)
        if session is not None:
            session.terminate(TerminationReason.POLICY, now, by_peer=False, notify_peer=True)
        del self._peers[key]
        self._static_static.pop(key, None)
        self._peer_mac1.pop(key, None)
        self.pool.forget(key)
        self.config = dataclasses.replace(
            self.config, peers=tuple(p for p in self.config.peers if bytes(p.public_key) != key)
        )
        return session is not None

    def rename_peer(self, public_key: bytes, name: str) -> None:
        """Change a peer's label (logs, status) without touching its session; KeyError if not listed."""
        key = bytes(public_key)
        peer = dataclasses.replace(self._peers[key], name=name)
        self._peers[key] = peer
        self.config = dataclasses.replace(
            self.config, peers=tuple(peer if bytes(p.public_key) == key else p for p in self.config.peers)
        )
        session = self.sessions.get(key)
        if session is not None:
            session.peer_config = peer

    def update_config(self, peer: bytes, now: float, **changes: object) -> int:
        """Push changed session parameters (mtu, dns_servers, routes, keepalive_interval, …) to one
        client as an authenticated CONFIG_UPDATE, retransmitted until acknowledged; returns its id."""
        session = self.sessions.get(peer)
        if session is None or session.parameters is None:
            raise KeyError("no established session for that public key")
        unknown = set(changes) - {"mtu", "keepalive_interval", "dns_servers", "routes"}
        if unknown:
            raise ValueError(f"update_config cannot change {sorted(unknown)}")
        parameters = dataclasses.replace(session.parameters, **changes)  # type: ignore[arg-type]
        return session.push_update(parameters, now)

    def status(self) -> list[SessionStatus]:
        return [s.status_row(s.peer_config.name, s.lease.ipv4, s.lease.ipv6) for s in self.sessions.values()]

    # -- handshakes --------------------------------------------------------------------------------------

    def _receive_handshake(self, data: bytes, addr: PeerAddress, now: float) -> None:
        trace = self.ctx.trace
        if data[wire.HEADER_SIZE] != CT.HANDSHAKE_INIT:
            trace.drop(
                now, DropReason.UNEXPECTED_MESSAGE, addr, f"handshake type {data[wire.HEADER_SIZE]:#04x}"
            )
            return
        try:
            init = hs.parse_init(data)
            self._answer_init(init, data, addr, now)
        except hs.HandshakeError as exc:
            trace.drop(now, exc.reason, addr, exc.detail)

    def _answer_init(self, init: wire.HandshakeInit, data: bytes, addr: PeerAddress, now: float) -> None:
        if not self._own_mac1.verify(hs.mac1_covered(data), init.mac1):
            raise hs.HandshakeError(DropReason.MAC1_INVALID, "sender does not know our public key")
        under_load = not self._load.allow("*", now)
        has_mac2 = init.mac2 != ZERO_MAC
        if (under_load or has_mac2) and not self._cookies.check_mac2(
            hs.mac2_covered(data), init.mac2, addr, now
        ):
            # Under load, or a mac2 that is wrong (stale cookie, or tampered): answer with a fresh cookie
            # instead of doing any Diffie-Hellman work.
            nonce, sealed = self._cookies.seal_cookie(addr, init.mac1, now)
            self.ctx.out.append((hs.build_cookie_reply(init.sender_index, nonce, sealed), addr))
            detail = "under load" if under_load else "mac2 does not match our cookie"
            raise hs.HandshakeError(DropReason.COOKIE_REQUIRED, f"{detail}: cookie reply sent")
        if not self._handshake_limit.allow(addr.host, now):
            raise hs.HandshakeError(DropReason.HANDSHAKE_RATE_LIMITED, addr.host)
        responder = Responder(self._static, self._prefix)
        peer, payload_bytes = hs.open_init(init, responder, self._accept_static)
        peer_config = self._peers[peer]
        if peer not in self._static_static:  # only authorized keys are cached: bounded by the peers list
            self._static_static[peer] = responder.static_static
        payload = hs.decode_init_payload(payload_bytes)
        last = self._timestamps.get(peer)
        if last is not None and payload.timestamp <= last:
            raise hs.HandshakeError(DropReason.TIMESTAMP_REPLAYED, peer.hex()[:16])
        cipher = negotiation.choose_cipher(
            payload.supported_ciphers, int(payload.preferred_cipher), self.config.ciphers
        )
        if cipher is None:
            raise hs.HandshakeError(
                DropReason.NO_COMMON_CIPHER, f"client offers {payload.supported_ciphers:#04x}"
            )
        self._timestamps[peer] = payload.timestamp
        self._respond(peer, peer_config, init, payload, cipher, responder, addr, now)

    def _accept_static(self, peer: bytes) -> bytes | None:
        """For the Noise responder: the cached DH(s, rs) of an authorized key (b"" if not cached yet),
        None for a key not in the peers list (refused before the second Diffie-Hellman)."""
        if peer not in self._peers:
            return None
        return self._static_static.get(peer, b"")

    def _respond(
        self,
        peer: bytes,
        peer_config: PeerConfig,
        init: wire.HandshakeInit,
        payload: wire.InitPayload,
        cipher: int,
        responder: Responder,
        addr: PeerAddress,
        now: float,
    ) -> None:
        config = self.config
        session = self.sessions.get(peer)
        refusal: tuple[DropReason, TerminationReason] | None = None
        lease: Lease | None = None
        if session is None and len(self.sessions) >= config.max_sessions:
            refusal = (DropReason.SESSION_LIMIT, TerminationReason.POLICY)
        else:
            lease = self.pool.lease(peer)  # sticky: a re-handshake gets the key's same addresses
            if lease is None:
                refusal = (DropReason.ADDRESS_POOL_EXHAUSTED, TerminationReason.ADDRESS_POOL_EXHAUSTED)
        plaintext = (
            config.allow_plaintext if peer_config.allow_plaintext is None else peer_config.allow_plaintext
        )
        features = negotiation.grant_features(
            payload.features,
            compression=config.allow_compression,
            batching=config.allow_batching,
            plaintext=plaintext,
            ipv6=self.pool.server_ipv6 is not None,
        )
        # IPV6 is granted exactly when an IPv6 address is assigned, on every handshake (HS-008).
        if lease is not None and lease.ipv6 is None:
            features &= ~F.IPV6
        if lease is not None and not features & F.IPV6:
            lease = Lease(lease.ipv4, None)
        if lease is not None and lease.ipv4 is None and lease.ipv6 is None:
            # e.g. an IPv6-only pool and a client that does not ask for IPv6: it could not send a packet
            refusal = (DropReason.NO_USABLE_ADDRESS, TerminationReason.POLICY)
            lease = None
            if session is None:
                self.pool.release(peer)
        parameters = SessionParameters(
            cipher=cipher,
            features=features,
            mtu=config.mtu,
            keepalive_interval=config.keepalive_interval,
            ipv4=lease.ipv4 if lease else None,
            ipv6=lease.ipv6 if lease else None,
            dns_servers=self._dns,
            routes=self._routes_pushed,
        )
        if session is not None and session.parameters is not None:
            # a rekey keeps pushed updates (MTU, keepalive, DNS, routes); addresses follow the features
            parameters = SessionParameters(
                cipher,
                features,
                session.parameters.mtu,
                session.parameters.keepalive_interval,
                parameters.ipv4,
                parameters.ipv6,
                session.parameters.dns_servers,
                session.parameters.routes,
            )
        mac1 = self._peer_mac1.get(peer)
        if mac1 is None:
            mac1 = self._peer_mac1[peer] = Mac1(peer)
        local_index = self.ctx.new_index()
        response, result = hs.build_response(
            responder,
            local_index=local_index,
            remote_index=init.sender_index,
            config=wire.config_from_parameters(parameters),
            client_mac1=mac1,
            rng=self._rng,
        )
        self.ctx.out.append((response, addr))
        timers = config.timers
        kp = Keypair(
            local_index=local_index,
            remote_index=init.sender_index,
            cipher=cipher,
            send_key=result.send_key,
            receive_key=result.receive_key,
            created=now,
            initiator=False,
            plaintext=bool(features & F.PLAINTEXT),
            rekey_after_time=timers.rekey_after_time,
            reject_after_time=timers.reject_after_time,
        )
        if refusal is not None:
            # A clean, authenticated refusal (spec/README.md §4): a RESPONSE assigning no address, then
            # DISCONNECT(reason) under its keys; the client learns why instead of retrying in the dark.
            drop, reason = refusal
            self.ctx.trace.drop(now, drop, addr, peer_config.name or peer.hex()[:16])
            refused = ServerPeer(self, peer, peer_config, Lease(None, None))
            refused.endpoint = addr
            refused.send_control(wire.control_disconnect(TERMINATION_TO_WIRE[reason]), now, kp)
            if session is not None:  # a re-handshake the server cannot grant ends the session too
                session.terminate(reason, now, by_peer=False, notify_peer=False)
            return
        assert lease is not None
        if session is None:
            session = ServerPeer(self, peer, peer_config, lease)
            self.sessions[peer] = session
        elif session.lease != lease:
            self._unroute(session)
            session.assign(lease)
        for source in session.sources:
            if source is not None:
                self._routes[source] = session
        if session.endpoint is not None and session.endpoint != addr:
            session.roam(addr, now)  # a verified INIT from a new address: follow it, as any authentic packet
        session.endpoint = addr
        data = config.data
        session.datapath = DataPath(
            mtu=parameters.mtu,
            batching=bool(features & F.BATCHING),
            compression=bool(features & F.COMPRESSION),
            batch_max_packet=data.batch_max_packet_size,
            compression_min=data.compression_min_size,
            distinct_limit=data.compression_distinct_limit,
        )
        session.parameters = parameters
        session.forget(session.next)
        session.next = kp
        session.register(kp)
        session.last_received = now  # the INIT authenticated: the idle clock restarts
        session.ensure_wake(now + config.idle_timeout)

    # -- bookkeeping -----------------------------------------------------------------------------------

    def _schedule(self, session: PeerSession) -> None:
        assert isinstance(session, ServerPeer)
        heapq.heappush(self._heap, (session.wake_at, next(self._order), session))

    def session_ended(self, session: ServerPeer) -> None:
        if self.sessions.get(session.peer) is session:
            del self.sessions[session.peer]
            self.pool.release(session.peer)
        self._unroute(session)

    def _unroute(self, session: ServerPeer) -> None:
        """Forget the inner addresses that route to ``session`` (it ended, or its lease changed)."""
        for source in session.sources:
            if source is not None and self._routes.get(source) is session:
                del self._routes[source]
