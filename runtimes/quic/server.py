"""The QUIC server on UDP 51822: one socket, many connections, a handler per negotiated ALPN.

`QuicServerEndpoint` demultiplexes packets by destination connection ID (as aioquic's asyncio server does,
but synchronously, so it can sit behind the pump's batch interface), answers unknown versions with Version
Negotiation, enforces connection limits, and hands each connection to the handler its ALPN selects:
`oxtunnel/3` → OxTunnel datagrams in DATAGRAM frames (`QuicServerBind`), `h3` → the MASQUE proxy.

Everything is driven from `poll(now)` / `handle_timer(now)`; the endpoint's `fileno()` is an epoll set
holding the QUIC socket and any descriptors handlers `watch()` (e.g. CONNECT-UDP sockets).
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from aioquic.buffer import Buffer
from aioquic.quic import events
from aioquic.quic.configuration import SMALLEST_MAX_DATAGRAM_SIZE, QuicConfiguration
from aioquic.quic.connection import QuicConnection
from aioquic.quic.packet import QuicPacketType, encode_quic_version_negotiation, pull_quic_header

from oxtunnel.types import PeerAddress
from runtimes.quic.certs import ServerCertificate
from runtimes.quic.config import MAX_DATAGRAM_FRAME_SIZE, QuicConfig, udp_payload_for
from runtimes.quic.peer import QuicPeer, normalise_host
from runtimes.selfdriven import SelfDriven
from runtimes.wire import QUIC_ALPN

log = logging.getLogger("oxtunnel.runtimes.quic")

_PACKETS_PER_POLL = 512
_CONNECTION_REFUSED = 0x2


class ConnectionHandler(Protocol):
    """What an ALPN-specific handler does with one server connection's events."""

    def handle_event(self, event: events.QuicEvent, now: float) -> None: ...

    def get_timer(self) -> float | None: ...

    def handle_timer(self, now: float) -> None: ...

    def connection_closed(self) -> None: ...


HandlerFactory = Callable[["ServerConnection"], ConnectionHandler]


class ServerConnection(QuicPeer):
    """One client's QUIC connection on the server."""

    def __init__(self, endpoint: QuicServerEndpoint, quic: QuicConnection, peer: PeerAddress) -> None:
        super().__init__(quic, endpoint.sock, endpoint.config.send_queue_limit)
        self.endpoint = endpoint
        self.peer = peer
        self.cids: set[bytes] = set()
        self.aliases: set[PeerAddress] = {peer}
        self.handler: ConnectionHandler | None = None
        self.alpn: str | None = None

    def changed(self) -> None:
        """The handler queued output; it is sent at the end of the current poll/timer round."""
        self.endpoint.dirty.add(self)


class QuicServerEndpoint:
    """The UDP socket on 51822 and the table of live connections."""

    def __init__(
        self,
        config: QuicConfig,
        certificate: ServerCertificate,
        handlers: dict[str, HandlerFactory],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.handlers = handlers
        self.clock = clock
        ipv6 = ":" in config.host
        self.quic_config = QuicConfiguration(
            is_client=False,
            alpn_protocols=list(handlers),
            idle_timeout=config.idle_timeout,
            max_datagram_frame_size=MAX_DATAGRAM_FRAME_SIZE,
            max_datagram_size=udp_payload_for(config.path_mtu, ipv6),
            max_stream_data=config.max_stream_data,
            max_data=config.max_data,
            congestion_control_algorithm=config.congestion_control,
        )
        self.quic_config.load_cert_chain(certificate.cert_path, certificate.key_path)
        if config.secrets_log:
            self.quic_config.secrets_log_file = open(config.secrets_log, "a")  # noqa: SIM115
        self.sock = socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET, socket.SOCK_DGRAM)
        try:
            if ipv6:
                self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            self.sock.bind((config.host, config.port))
            self.sock.setblocking(False)
        except OSError:
            self.sock.close()
            raise
        self._epoll = select.epoll()
        self._epoll.register(self.sock.fileno(), select.EPOLLIN)
        self._watchers: dict[int, Callable[[float], None]] = {}
        self._by_cid: dict[bytes, ServerConnection] = {}
        self._per_ip: dict[str, int] = {}
        self.connections: set[ServerConnection] = set()
        self.by_peer: dict[PeerAddress, ServerConnection] = {}
        self.dirty: set[ServerConnection] = set()
        self.refused = 0

    @property
    def local_port(self) -> int:
        return int(self.sock.getsockname()[1])

    def fileno(self) -> int:
        return self._epoll.fileno()

    def watch(self, fd: int, on_readable: Callable[[float], None]) -> None:
        """Poll another descriptor with the endpoint (handlers' sockets, a TUN)."""
        self._watchers[fd] = on_readable
        self._epoll.register(fd, select.EPOLLIN)

    def unwatch(self, fd: int) -> None:
        if self._watchers.pop(fd, None) is not None:
            with contextlib.suppress(OSError, ValueError):
                self._epoll.unregister(fd)

    def poll(self, now: float | None = None) -> None:
        """Process every ready descriptor, then send what the connections produced."""
        now = self.clock() if now is None else now
        for fd, _mask in self._epoll.poll(0):
            if fd == self.sock.fileno():
                self._read_packets(now)
            else:
                callback = self._watchers.get(fd)
                if callback is not None:
                    callback(now)
        self.flush(now)

    def get_timer(self) -> float | None:
        timers = [t for c in self.connections for t in (c.quic.get_timer(), self._handler_timer(c)) if t]
        return min(timers) if timers else None

    def handle_timer(self, now: float) -> None:
        for conn in list(self.connections):
            t = conn.quic.get_timer()
            if t is not None and t <= now:
                conn.quic.handle_timer(now)
                self._process_events(conn, now)
            ht = self._handler_timer(conn)
            if conn.handler is not None and ht is not None and ht <= now:
                conn.handler.handle_timer(now)
            self.dirty.add(conn)
        self.flush(now)

    def flush(self, now: float) -> None:
        while self.dirty:
            conn = self.dirty.pop()
            conn.transmit(now)
            self._process_events(conn, now)  # e.g. a closing connection reaching its end state

    def close(self) -> None:
        for conn in list(self.connections):
            conn.quic.close(error_code=0, reason_phrase="server shutting down")
            conn.transmit(self.clock())
            self._forget(conn)
        self._epoll.close()
        self.sock.close()
        if self.quic_config.secrets_log_file is not None:
            self.quic_config.secrets_log_file.close()

    @staticmethod
    def _handler_timer(conn: ServerConnection) -> float | None:
        return conn.handler.get_timer() if conn.handler is not None else None

    def _read_packets(self, now: float) -> None:
        for _ in range(_PACKETS_PER_POLL):
            try:
                data, addr = self.sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.debug("quic: recvfrom failed: %s", exc)
                return
            self._datagram_received(data, addr, now)

    def _datagram_received(self, data: bytes, addr: tuple, now: float) -> None:  # type: ignore[type-arg]
        try:
            header = pull_quic_header(
                Buffer(data=data), host_cid_length=self.quic_config.connection_id_length
            )
        except ValueError:
            return  # not QUIC: dropped without a reply
        if (
            header.packet_type != QuicPacketType.VERSION_NEGOTIATION
            and header.version is not None
            and header.version not in self.quic_config.supported_versions
        ):
            self._sendto(
                encode_quic_version_negotiation(
                    source_cid=header.destination_cid,
                    destination_cid=header.source_cid,
                    supported_versions=self.quic_config.supported_versions,
                ),
                addr,
            )
            return
        conn = self._by_cid.get(header.destination_cid)
        if conn is None:
            if header.packet_type != QuicPacketType.INITIAL or len(data) < SMALLEST_MAX_DATAGRAM_SIZE:
                return
            conn = self._accept(header.destination_cid, addr)
            if conn is None:
                return
        peer = PeerAddress(normalise_host(addr[0]), int(addr[1]), conn.peer.transport)
        if peer != conn.peer:
            self._set_peer(conn, peer)
        conn.quic.receive_datagram(data, addr, now)
        self._process_events(conn, now)
        self.dirty.add(conn)

    def _accept(self, original_dcid: bytes, addr: tuple) -> ServerConnection | None:  # type: ignore[type-arg]
        host = normalise_host(addr[0])
        if (
            len(self.connections) >= self.config.max_connections
            or self._per_ip.get(host, 0) >= self.config.max_connections_per_ip
        ):
            self.refused += 1
            log.warning("quic: refused a connection from %s (connection limit)", host)
            return None
        quic = QuicConnection(
            configuration=self.quic_config, original_destination_connection_id=original_dcid
        )
        conn = ServerConnection(self, quic, PeerAddress(host, int(addr[1]), "quic"))
        self.connections.add(conn)
        self.by_peer[conn.peer] = conn
        self._per_ip[host] = self._per_ip.get(host, 0) + 1
        for cid in (original_dcid, quic.host_cid):
            conn.cids.add(cid)
            self._by_cid[cid] = conn
        return conn

    def _process_events(self, conn: ServerConnection, now: float) -> None:
        while (event := conn.quic.next_event()) is not None:
            if isinstance(event, events.ConnectionIdIssued):
                conn.cids.add(event.connection_id)
                self._by_cid[event.connection_id] = conn
            elif isinstance(event, events.ConnectionIdRetired):
                conn.cids.discard(event.connection_id)
                self._by_cid.pop(event.connection_id, None)
            elif isinstance(event, events.ProtocolNegotiated):
                factory = self.handlers.get(event.alpn_protocol or "")
                if factory is None:
                    conn.quic.close(error_code=_CONNECTION_REFUSED, reason_phrase="no application protocol")
                else:
                    conn.alpn = event.alpn_protocol
                    if event.alpn_protocol != QUIC_ALPN:
                        self._set_peer(conn, PeerAddress(conn.peer.host, conn.peer.port, "masque"))
                    conn.handler = factory(conn)
            elif isinstance(event, events.ConnectionTerminated):
                self._forget(conn)
                return
            elif conn.handler is not None:
                conn.handler.handle_event(event, now)

    def _forget(self, conn: ServerConnection) -> None:
        if conn not in self.connections:
            return
        self.connections.discard(conn)
        self.dirty.discard(conn)
        conn.closed = True
        for alias in conn.aliases:
            if self.by_peer.get(alias) is conn:
                del self.by_peer[alias]
        for cid in conn.cids:
            if self._by_cid.get(cid) is conn:
                del self._by_cid[cid]
        host = conn.peer.host
        left = self._per_ip.get(host, 1) - 1
        if left > 0:
            self._per_ip[host] = left
        else:
            self._per_ip.pop(host, None)
        if conn.handler is not None:
            conn.handler.connection_closed()

    def _set_peer(self, conn: ServerConnection, peer: PeerAddress) -> None:
        """The client's address changed (QUIC migration / NAT rebinding): keep it reachable by both."""
        conn.peer = peer
        conn.aliases.add(peer)
        self.by_peer[peer] = conn

    def _sendto(self, data: bytes, addr: tuple) -> None:  # type: ignore[type-arg]
        try:
            self.sock.sendto(data, addr)
        except OSError as exc:
            log.debug("quic: sendto %s failed: %s", addr, exc)


class OxtunnelDatagramHandler:
    """ALPN `oxtunnel/3`: each DATAGRAM frame is one OxTunnel datagram; streams are not used."""

    def __init__(self, conn: ServerConnection, inbox: deque[tuple[bytes, PeerAddress]]) -> None:
        self.conn = conn
        self.inbox = inbox
        self.ready = False

    def handle_event(self, event: events.QuicEvent, now: float) -> None:
        if isinstance(event, events.HandshakeCompleted):
            self.ready = True
        elif isinstance(event, events.DatagramFrameReceived):
            if self.ready:
                self.conn.stats.received += 1
                self.inbox.append((event.data, self.conn.peer))
        elif isinstance(event, events.StreamDataReceived):
            # No streams in this ALPN: refuse them so they cannot hold flow-control memory.
            self.conn.quic.stop_stream(event.stream_id, 0)
            self.conn.changed()

    def get_timer(self) -> float | None:
        return None

    def handle_timer(self, now: float) -> None:
        return None

    def connection_closed(self) -> None:
        self.ready = False


class QuicServerBind(SelfDriven):
    """DatagramBind over QUIC: OxTunnel datagrams from/to clients connected with ALPN `oxtunnel/3`.

    Optional extra ALPN handlers (the MASQUE proxy's `h3`) share the endpoint; datagrams they hand to the
    OxTunnel core (our client's CONNECT-IP data path) arrive with `PeerAddress.transport == "masque"`.
    """

    transport = "quic"
    transports = frozenset({"quic", "masque"})

    def __init__(
        self,
        config: QuicConfig,
        certificate: ServerCertificate,
        extra_handlers: dict[str, Callable[[ServerConnection, QuicServerBind], ConnectionHandler]]
        | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inbox: deque[tuple[bytes, PeerAddress]] = deque()
        self._by_peer: dict[PeerAddress, Callable[[bytes], bool]] = {}
        handlers: dict[str, HandlerFactory] = {QUIC_ALPN: self._oxtunnel_handler}
        for alpn, make in (extra_handlers or {}).items():
            handlers[alpn] = lambda conn, make=make: make(conn, self)  # type: ignore[misc]
        self.endpoint = QuicServerEndpoint(config, certificate, handlers, clock=clock)
        self.clock = clock
        self.dropped_no_connection = 0

    @property
    def local_port(self) -> int:
        return self.endpoint.local_port

    def register_peer(self, peer: PeerAddress, send: Callable[[bytes], bool]) -> None:
        """Let send_batch reach `peer` (a MASQUE data path registers itself this way)."""
        self._by_peer[peer] = send

    def unregister_peer(self, peer: PeerAddress) -> None:
        self._by_peer.pop(peer, None)

    def poll_fd(self) -> int:
        return self.endpoint.fileno()

    def poll(self) -> None:
        self.endpoint.poll()

    def has_data(self) -> bool:
        return bool(self.inbox)

    def recv_batch(self, max_datagrams: int) -> list[tuple[bytes, PeerAddress]]:
        if len(self.inbox) < max_datagrams:
            self.endpoint.poll()
        out: list[tuple[bytes, PeerAddress]] = []
        while self.inbox and len(out) < max_datagrams:
            out.append(self.inbox.popleft())
        return out

    def send_batch(self, items: Sequence[tuple[bytes, PeerAddress]]) -> None:
        for data, peer in items:
            send = self._by_peer.get(peer)
            if send is None:
                conn = self._find(peer)
                if conn is None:
                    self.dropped_no_connection += 1
                    continue
                send = conn.send_datagram
                self.endpoint.dirty.add(conn)
            send(data)
        self.endpoint.flush(self.endpoint.clock())
        self.rearm()

    def get_timer(self) -> float | None:
        return self.endpoint.get_timer()

    def handle_timer(self, now: float) -> None:
        self.endpoint.handle_timer(now)

    def close(self) -> None:
        self.detach()
        self.endpoint.close()

    def _find(self, peer: PeerAddress) -> ServerConnection | None:
        conn = self.endpoint.by_peer.get(peer)
        return conn if conn is not None and conn.alpn == QUIC_ALPN else None

    def _oxtunnel_handler(self, conn: ServerConnection) -> ConnectionHandler:
        return OxtunnelDatagramHandler(conn, self.inbox)
