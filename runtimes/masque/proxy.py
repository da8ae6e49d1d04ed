"""The MASQUE proxy: extended CONNECT over HTTP/3 to CONNECT-UDP and CONNECT-IP tunnels.

One `MasqueProxy` per server holds what tunnels share (address pool, destination policy, the forwarding
device, the OxTunnel core's inbox); one `MasqueConnectionHandler` per QUIC connection with ALPN `h3`
turns HTTP/3 events into tunnels.

Authentication (BRIEF §6, requirement 75): a request that could reach anything beyond this server must
carry `Authorization: Bearer <token>` or `Proxy-Authorization: Bearer <token>` whose SHA-256 is listed in
`masque.token_sha256` (constant-time compare; the token travels only inside QUIC's TLS to the server).
CONNECT-IP scoped to the proxy's service address and UDP (`/.well-known/masque/ip/<service>/17/`) needs
no token: it reaches nothing but the OxTunnel port, which is open on UDP 51820 anyway, and the OxTunnel
handshake inside authenticates the client. That is our own client's MASQUE data path.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import hmac
import ipaddress
import logging
import os
import socket
from collections import deque
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from aioquic.h3.events import DatagramReceived, DataReceived, H3Event, HeadersReceived
from aioquic.quic import events

from oxtunnel.policy import DestinationPolicy
from oxtunnel.types import PeerAddress
from runtimes.masque import ippacket
from runtimes.masque.capsules import CapsuleReader, MalformedCapsule, grease_capsule
from runtimes.masque.config import MasqueConfig
from runtimes.masque.h3 import (
    H3_DATAGRAM_ERROR,
    H3_ID_ERROR,
    H3_MESSAGE_ERROR,
    H3_REQUEST_CANCELLED,
    MasqueH3Connection,
    check_request,
)
from runtimes.masque.templates import BadTarget, IpScope, parse_ip_path, parse_udp_path
from runtimes.masque.tunnels import IpTunnel, Tunnel, UdpTunnel
from runtimes.masque.values import MasqueAddress
from runtimes.wire import MASQUE_MIN_MTU

if TYPE_CHECKING:
    from runtimes.interfaces import PacketDevice
    from runtimes.quic.server import QuicServerBind, ServerConnection

log = logging.getLogger("oxtunnel.runtimes.masque")

Headers = list[tuple[bytes, bytes]]


def local_addresses() -> list[str]:
    """Every address configured on this host (netns), so no client can reach the proxy's own services."""
    try:
        from pyroute2 import IPRoute

        with IPRoute() as ipr:
            return [a.get_attr("IFA_ADDRESS") for a in ipr.get_addr() if a.get_attr("IFA_ADDRESS")]
    except Exception as exc:  # pragma: no cover - pyroute2 is a dependency; a failure is logged
        log.warning("masque: could not list local addresses (%s); only the configured denials apply", exc)
        return []


class AddressPool:
    """Addresses for CONNECT-IP clients, handed out per stream (not per client: requirement 75, privacy)."""

    def __init__(self, network: str) -> None:
        self.network = ipaddress.ip_network(network)
        hosts: Iterator[ipaddress.IPv4Address | ipaddress.IPv6Address] = iter(self.network.hosts())
        self.service = next(hosts)
        self._free: deque[ipaddress.IPv4Address | ipaddress.IPv6Address] = deque()
        self._hosts: Iterator[ipaddress.IPv4Address | ipaddress.IPv6Address]
        self._hosts = hosts
        self.in_use: set[bytes] = set()

    def allocate(self) -> bytes | None:
        if self._free:
            addr = self._free.popleft()
        else:
            try:
                addr = next(self._hosts)
            except StopIteration:
                return None
        self.in_use.add(addr.packed)
        return addr.packed

    def release(self, packed: bytes) -> None:
        if packed in self.in_use:
            self.in_use.discard(packed)
            self._free.append(ipaddress.ip_address(packed))


class MasqueProxy:
    """State shared by every MASQUE connection of one server."""

    def __init__(
        self,
        config: MasqueConfig,
        *,
        device: PacketDevice | None = None,
        own_addresses: Sequence[str] | None = None,
    ) -> None:
        self.config = config
        self.device = device
        own = list(own_addresses) if own_addresses is not None else local_addresses()
        deny = [f"{a}/{32 if ':' not in a else 128}" for a in own] + list(config.deny_networks)
        self.policy = DestinationPolicy(config.allow_destinations, deny)
        self.pools = {4: AddressPool(config.ipv4_pool)}
        if config.ipv6_pool:
            self.pools[6] = AddressPool(config.ipv6_pool)
        self.routes: dict[bytes, IpTunnel] = {}
        self.tokens = {d.lower() for d in config.token_sha256}
        self.bind: QuicServerBind | None = None
        self.resolver = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="masque-dns")
        # Resolver threads wake the event loop through this pipe (watched by the QUIC endpoint).
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self.handlers: set[MasqueConnectionHandler] = set()
        self.forwarded = 0
        self.refused: dict[str, int] = {}
        self._icmp: dict[int, socket.socket] = {}

    # --- wiring --------------------------------------------------------------------------------------
    def handler_for(self, conn: ServerConnection, bind: QuicServerBind) -> MasqueConnectionHandler:
        """The `h3` ALPN handler factory for QuicServerBind(extra_handlers={"h3": proxy.handler_for})."""
        if self.bind is None:
            self.bind = bind
            bind.endpoint.watch(self._wake_r, self._resolver_woke)
            if self.device is not None and self.device.fileno() >= 0:
                bind.endpoint.watch(self.device.fileno(), self._device_readable)
        handler = MasqueConnectionHandler(conn, self)
        self.handlers.add(handler)
        return handler

    def close(self) -> None:
        for sock in self._icmp.values():
            sock.close()
        self.resolver.shutdown(wait=False, cancel_futures=True)
        os.close(self._wake_r)
        os.close(self._wake_w)

    def send_icmp(self, version: int, message: bytes, to: str) -> bool:
        """An ICMP(v6) message to a target on the network (raw socket, opened on first use; needs
        CAP_NET_RAW, as the server has). False when it cannot be sent."""
        sock = self._icmp.get(version)
        if sock is None:
            family, proto = ((socket.AF_INET, socket.IPPROTO_ICMP) if version == 4
                             else (socket.AF_INET6, socket.IPPROTO_ICMPV6))
            try:
                sock = socket.socket(family, socket.SOCK_RAW, proto)
                sock.setblocking(False)
            except OSError as exc:
                self.refused["icmp unavailable"] = self.refused.get("icmp unavailable", 0) + 1
                log.debug("masque: no raw ICMP socket: %s", exc)
                return False
            self._icmp[version] = sock
        try:
            sock.sendto(message, (to, 0))
        except OSError as exc:
            log.debug("masque: ICMP to %s: %s", to, exc)
            return False
        return True

    def resolve(self, host: str, port: int) -> concurrent.futures.Future:  # type: ignore[type-arg]
        future = self.resolver.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_DGRAM)
        future.add_done_callback(self._wake)
        return future

    def _wake(self, _future: object) -> None:
        with contextlib.suppress(OSError):  # pipe full (already signalled) or closed at shutdown
            os.write(self._wake_w, b"!")

    def _resolver_woke(self, now: float) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(self._wake_r, 4096)
        for handler in list(self.handlers):
            handler.resolutions_ready(now)

    # --- policy --------------------------------------------------------------------------------------
    def authorized(self, headers: Headers) -> bool:
        for name, value in headers:
            if name in (b"authorization", b"proxy-authorization") and value[:7].lower() == b"bearer ":
                digest = hashlib.sha256(value[7:].strip()).hexdigest()
                if any(hmac.compare_digest(digest, t) for t in self.tokens):
                    return True
        return False

    def refusal(self, address: bytes) -> str | None:
        return self.policy.refusal(address)

    def service_address(self, version: int) -> bytes:
        pool = self.pools.get(version)
        return pool.service.packed if pool is not None else b""

    def is_service_scope(self, scope: IpScope) -> bool:
        return (
            scope.network is not None
            and scope.network.num_addresses == 1
            and scope.network.network_address.packed == self.service_address(scope.network.version)
            and scope.protocol == ippacket.PROTO_UDP
        )

    # --- addresses and forwarding ----------------------------------------------------------------------
    def assign(self, want_versions: Sequence[int]) -> list[MasqueAddress] | None:
        out: list[MasqueAddress] = []
        for v in want_versions:
            pool = self.pools.get(v)
            if pool is None:
                continue
            packed = pool.allocate()
            if packed is None:
                for a in out:
                    self.pools[a.ip_version].release(a.ip_address)
                return None
            out.append(MasqueAddress(0, v, packed, len(packed) * 8))
        return out

    def register(self, tunnel: IpTunnel) -> None:
        for a in tunnel.addresses:
            self.routes[a.ip_address] = tunnel

    def release(self, tunnel: IpTunnel) -> None:
        for a in tunnel.addresses:
            if self.routes.get(a.ip_address) is tunnel:
                del self.routes[a.ip_address]
            self.pools[a.ip_version].release(a.ip_address)
            if self.bind is not None:
                for peer in list(self.bind._by_peer):
                    if peer.transport == "masque" and ipaddress.ip_address(peer.host).packed == a.ip_address:
                        self.bind.unregister_peer(peer)

    def forward(self, packet: bytes) -> None:
        """Towards the network (through the server's kernel routing and NAT)."""
        if self.device is None:
            self.refused["no forwarding device"] = self.refused.get("no forwarding device", 0) + 1
            return
        self.forwarded += 1
        self.device.write_batch([packet])

    def _device_readable(self, now: float) -> None:
        assert self.device is not None
        for packet in self.device.read_batch(256):
            info = ippacket.parse(packet)
            tunnel = self.routes.get(info.dst) if info is not None else None
            if tunnel is not None and not tunnel.closed:
                tunnel.send_packet(packet)
                tunnel.handler.conn.changed()

    def deliver_to_core(self, tunnel: IpTunnel, src: bytes, sport: int, payload: bytes) -> None:
        """An OxTunnel datagram that came through CONNECT-IP: into the core with transport `masque`."""
        if self.bind is None:
            return
        peer = tunnel.service_peers.get((src, sport))
        if peer is None:
            peer = PeerAddress(str(ipaddress.ip_address(src)), sport, "masque")
            tunnel.service_peers[(src, sport)] = peer
            service = self.service_address(len(src) == 4 and 4 or 6)
            port = self.config.oxtunnel_service_port

            def send(
                datagram: bytes, tunnel: IpTunnel = tunnel, src: bytes = src, sport: int = sport
            ) -> bool:
                if tunnel.closed:
                    return False
                packet = ippacket.udp_packet(service, port, src, sport, datagram, checksum_v4=False)
                return tunnel.send_payload(packet)

            self.bind.register_peer(peer, send)
        self.bind.inbox.append((payload, peer))


class _PendingUdp:
    """A request waiting for its target name to resolve (answered only after: requirements 42, 55);
    `scope` is set for CONNECT-IP."""

    def __init__(self, future: concurrent.futures.Future, port: int, deadline: float,  # type: ignore[type-arg]
                 scope: IpScope | None = None) -> None:
        self.future = future
        self.port = port
        self.deadline = deadline
        self.scope = scope
        self.early: list[bytes] = []


class MasqueConnectionHandler:
    """ALPN `h3` on one QUIC connection: HTTP/3 requests → tunnels."""

    def __init__(self, conn: ServerConnection, proxy: MasqueProxy) -> None:
        self.conn = conn
        self.proxy = proxy
        self.h3 = MasqueH3Connection(conn.quic)
        self.tunnels: dict[int, Tunnel] = {}
        self.readers: dict[int, CapsuleReader] = {}
        self.plain_streams: set[int] = set()
        self.pending: dict[int, _PendingUdp] = {}
        conn.changed()

    # --- ConnectionHandler ---------------------------------------------------------------------------
    def handle_event(self, event: events.QuicEvent, now: float) -> None:
        if isinstance(event, events.StreamReset):
            self._drop_stream(event.stream_id)
        if isinstance(event, events.DatagramFrameReceived) and not self._datagram_stream_ok(event.data):
            return
        for h3_event in self.h3.handle_event(event):
            self._h3_event(h3_event, now)
        self.conn.changed()

    def get_timer(self) -> float | None:
        timers = [t for t in (x.get_timer() for x in self.tunnels.values()) if t is not None]
        timers += [p.deadline for p in self.pending.values()]
        return min(timers) if timers else None

    def resolutions_ready(self, now: float) -> None:
        for sid, pending in list(self.pending.items()):
            if pending.future.done() or now >= pending.deadline:
                del self.pending[sid]
                self._resolved(sid, pending, now)
        self.conn.changed()

    def handle_timer(self, now: float) -> None:
        self.resolutions_ready(now)
        for tunnel in list(self.tunnels.values()):
            t = tunnel.get_timer()
            if t is not None and t <= now:
                tunnel.handle_timer(now)
        self.conn.changed()

    def connection_closed(self) -> None:
        self.proxy.handlers.discard(self)
        for sid in list(self.tunnels):
            self._drop_stream(sid)
        for pending in self.pending.values():
            pending.future.cancel()
        self.pending.clear()

    # --- stream control --------------------------------------------------------------------------------
    def abort_stream(self, stream_id: int, reason: str, code: int = H3_MESSAGE_ERROR) -> None:
        log.info("masque: aborting stream %d: %s", stream_id, reason)
        self._drop_stream(stream_id)
        quic = self.conn.quic
        with contextlib.suppress(Exception):  # already reset / finished
            quic.reset_stream(stream_id, code)
        with contextlib.suppress(Exception):
            quic.stop_stream(stream_id, code)
        self.conn.changed()

    def finish_stream(self, stream_id: int, reason: str) -> None:
        """Orderly close: FIN on our side (RFC 9220 §3, requirement 13)."""
        log.info("masque: closing stream %d: %s", stream_id, reason)
        if stream_id in self.tunnels:
            self._drop_stream(stream_id)
            with contextlib.suppress(Exception):
                self.h3.send_data(stream_id, b"", end_stream=True)
        self.conn.changed()

    def _drop_stream(self, stream_id: int) -> None:
        tunnel = self.tunnels.pop(stream_id, None)
        if tunnel is not None:
            tunnel.close()
        self.readers.pop(stream_id, None)
        self.plain_streams.discard(stream_id)
        pending = self.pending.pop(stream_id, None)
        if pending is not None:
            pending.future.cancel()

    # --- HTTP/3 ------------------------------------------------------------------------------------------
    def _datagram_stream_ok(self, data: bytes) -> bool:
        """Requirement 22: a Quarter Stream ID beyond the stream limit is H3_ID_ERROR."""
        from runtimes.masque.capsules import read_varint

        qsid = read_varint(data, 0)
        if qsid is None:
            return True  # aioquic turns that into H3_DATAGRAM_ERROR
        if qsid[0] <= (1 << 60) - 1 and qsid[0] >= self.conn.quic._local_max_streams_bidi.value:
            self.conn.quic.close(
                error_code=H3_ID_ERROR, reason_phrase="datagram for a stream beyond the limit"
            )
            return False
        return True

    def _h3_event(self, event: H3Event, now: float) -> None:
        if isinstance(event, HeadersReceived):
            if event.stream_id in self.tunnels or event.stream_id in self.pending:
                return  # trailers on a tunnel stream: nothing to do
            self._request(event.stream_id, event.headers, event.stream_ended, now)
        elif isinstance(event, DataReceived):
            self._data(event.stream_id, event.data, event.stream_ended, now)
        elif isinstance(event, DatagramReceived):
            tunnel = self.tunnels.get(event.stream_id)
            if tunnel is not None:
                tunnel.on_datagram(event.data, now)
            elif event.stream_id in self.pending:
                early = self.pending[event.stream_id].early
                if len(early) < self.proxy.config.max_early_datagrams:
                    early.append(event.data)
            elif event.stream_id in self.plain_streams:
                self.abort_stream(
                    event.stream_id, "datagram on a request without datagram semantics", H3_DATAGRAM_ERROR
                )

    def _respond(self, stream_id: int, status: int, extra: Headers = (), end: bool = True) -> None:  # type: ignore[assignment]
        headers: Headers = [(b":status", str(status).encode())] + list(extra)
        self.h3.send_headers(stream_id, headers, end_stream=end)
        if 200 <= status < 300 and not end:  # the capsule protocol is on: GREASE it (requirement 35)
            self.h3.send_data(stream_id, grease_capsule(), end_stream=False)
        self.conn.changed()

    def _refuse(self, stream_id: int, status: int, error: str, details: str) -> None:
        log.info("masque: stream %d refused %d (%s: %s)", stream_id, status, error, details)
        value = f'oxtunnel; error={error}; details="{details}"'.encode()
        extra: Headers = [(b"proxy-status", value)]
        if status == 407:
            extra.append((b"proxy-authenticate", b'Bearer realm="oxtunnel"'))
        self._respond(stream_id, status, extra)
        self.proxy.refused[error] = self.proxy.refused.get(error, 0) + 1

    def _request(self, stream_id: int, headers: Headers, ended: bool, now: float) -> None:
        verdict = check_request(headers)
        if verdict.stream_error is not None:
            self.abort_stream(stream_id, verdict.reason, verdict.stream_error)
            return
        if verdict.status is not None:
            if not ended:
                self.plain_streams.add(stream_id)
            self._refuse(stream_id, verdict.status, "http_request_error", verdict.reason)
            return
        if ended:
            self.abort_stream(stream_id, "CONNECT request with its stream already closed")
            return
        path = dict(headers).get(b":path", b"").decode("latin-1")
        if len(self.tunnels) + len(self.pending) >= self.proxy.config.max_tunnels_per_connection:
            self._refuse(stream_id, 429, "connection_limit_reached", "too many tunnels on this connection")
            return
        try:
            if verdict.protocol == "connect-udp":
                self._connect_udp(stream_id, headers, path, now)
            else:
                self._connect_ip(stream_id, headers, path, now)
        except BadTarget as exc:
            self._refuse(stream_id, 400, "http_request_error", str(exc))

    def _connect_udp(self, stream_id: int, headers: Headers, path: str, now: float) -> None:
        target = parse_udp_path(path)
        if target is None:
            self._refuse(
                stream_id, 404, "http_request_error", "no such URI template; see /.well-known/masque/udp/"
            )
            return
        if not self.proxy.authorized(headers):
            self._refuse(stream_id, 407, "proxy_auth_required", "a bearer token is required")
            return
        future = self.proxy.resolve(target.host, target.port)
        self.pending[stream_id] = _PendingUdp(future, target.port, now + self.proxy.config.dns_timeout)
        self.readers[stream_id] = CapsuleReader(UdpTunnel.wanted_capsules)

    def _resolved(self, stream_id: int, pending: _PendingUdp, now: float) -> None:
        if not pending.future.done():
            pending.future.cancel()
            self._refuse(stream_id, 504, "dns_timeout", "target name did not resolve in time")
            return
        try:
            infos = pending.future.result()
        except (socket.gaierror, OSError) as exc:
            self._refuse(stream_id, 502, "dns_error", str(exc))
            return
        address = str(infos[0][4][0])
        if pending.scope is not None:  # CONNECT-IP to a name: scoped to the address it resolved to
            resolved = ipaddress.ip_network(address.split("%", 1)[0])
            self._open_ip(stream_id, IpScope(resolved, None, pending.scope.protocol), False, now)
            return
        reason = self.proxy.refusal(ipaddress.ip_address(address).packed)
        if reason is not None:
            self._refuse(stream_id, 403, "destination_ip_prohibited", f"{reason} destination")
            return
        try:
            tunnel = UdpTunnel(
                self, stream_id, now, (address, pending.port), self.proxy.config.udp_idle_timeout
            )
        except OSError as exc:
            self._refuse(stream_id, 502, "destination_ip_unroutable", exc.strerror or str(exc))
            return
        self.tunnels[stream_id] = tunnel
        self._respond(stream_id, 200, [(b"capsule-protocol", b"?1")], end=False)
        for data in pending.early:
            tunnel.on_datagram(data, now)

    def _connect_ip(self, stream_id: int, headers: Headers, path: str, now: float) -> None:
        scope = parse_ip_path(path)
        if scope is None:
            self._refuse(
                stream_id, 404, "http_request_error", "no such URI template; see /.well-known/masque/ip/"
            )
            return
        service_only = self.proxy.is_service_scope(scope)
        if not service_only and not self.proxy.authorized(headers):
            self._refuse(stream_id, 407, "proxy_auth_required", "a bearer token is required")
            return
        if scope.hostname is not None:
            future = self.proxy.resolve(scope.hostname, 0)
            self.pending[stream_id] = _PendingUdp(future, 0, now + self.proxy.config.dns_timeout, scope)
            return
        self._open_ip(stream_id, scope, service_only, now)

    def _open_ip(self, stream_id: int, scope: IpScope, service_only: bool, now: float) -> None:
        if self.h3.datagrams_negotiated and self.conn.max_datagram_payload - 9 < MASQUE_MIN_MTU:
            # RFC 9484 §7.2 (requirement 68): QUIC cannot carry 1280-byte packets here: abort cleanly.
            self.abort_stream(stream_id, "tunnel MTU below 1280", H3_REQUEST_CANCELLED)
            return
        if scope.network is not None and not service_only:
            reason = self.proxy.refusal(scope.network.network_address.packed)
            if reason is not None:
                self._refuse(stream_id, 403, "destination_ip_prohibited", f"{reason} destination")
                return
        versions = [scope.network.version] if scope.network is not None else [4, 6]
        addresses = self.proxy.assign(versions)
        if not addresses:
            self._refuse(stream_id, 503, "proxy_internal_error", "address pool exhausted")
            return
        tunnel = IpTunnel(self, stream_id, now, scope, addresses, service_only)
        self.tunnels[stream_id] = tunnel
        self.readers[stream_id] = CapsuleReader(IpTunnel.wanted_capsules)
        self.proxy.register(tunnel)
        extra: Headers = [(b"capsule-protocol", b"?1")]
        service = self.proxy.service_address(versions[0])
        extra.append(
            (
                b"oxtunnel-service",
                f"{ipaddress.ip_address(service)}:{self.proxy.config.oxtunnel_service_port}".encode(),
            )
        )
        self._respond(stream_id, 200, extra, end=False)
        tunnel.opened(now)

    def _data(self, stream_id: int, data: bytes, ended: bool, now: float) -> None:
        reader = self.readers.get(stream_id)
        if reader is None:  # request body of a refused/plain request: ignored
            if ended:
                self.plain_streams.discard(stream_id)
            return
        try:
            for capsule_type, value in reader.feed(data):
                tunnel = self.tunnels.get(stream_id)
                if tunnel is not None:
                    tunnel.on_capsule(capsule_type, value, now)
            if ended:
                reader.finish()
        except MalformedCapsule as exc:
            self.abort_stream(stream_id, f"malformed capsule: {exc}")
            return
        if ended:
            self.finish_stream(stream_id, "client closed the stream")
