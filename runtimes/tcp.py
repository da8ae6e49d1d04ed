"""TCP transport on 51821: OxTunnel datagrams as `u16 length ‖ datagram` frames, both directions.

The last-resort transport for networks that block all UDP (spec §5, `tcp_frame.ksy`). Design points:

* **Datagram semantics over a stream.** A frame that cannot be queued because the peer reads too slowly is
  dropped whole (never a partial frame), exactly as a full UDP socket buffer would drop it; the inner TCP
  flows see loss and back off. That is the back-pressure: bounded memory, no head-of-line stall for others.
* **A slow or idle client cannot exhaust the server**: a connection must deliver its first complete frame
  within `first_frame_timeout`, is closed after `idle_timeout` without a frame and after `write_stall_timeout`
  without write progress; total and per-source-IP connection limits; reads are budgeted per connection per
  call so one fast sender cannot starve the rest; the receive buffer never holds more than one frame.
* **Framing abuse closes only that connection** with a logged reason: a length below the 9-byte header
  minimum, or bytes that are not an OxTunnel header (wrong magic) — a byte stream cannot resynchronise.
* Nagle off (`TCP_NODELAY`): the frames are latency-sensitive tunnel packets.

Both binds multiplex behind one epoll fd with timers of their own, so they attach to the pump's loop
(`runtimes.selfdriven`) instead of exposing a single `fileno()`.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import logging
import select
import socket
import struct
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from oxtunnel.types import PeerAddress
from runtimes.selfdriven import SelfDriven
from runtimes.wire import MAGIC, PORT_TCP, TCP_FRAME_MAX, TCP_FRAME_MIN

log = logging.getLogger("oxtunnel.runtimes.tcp")

_LEN = struct.Struct("!H")
_MAGIC_BYTES = MAGIC.to_bytes(2, "big")
_RECV_CHUNK = 256 * 1024
_ACCEPTS_PER_CALL = 64


@dataclass(frozen=True)
class TcpConfig:
    """Tunables of the TCP transport (client and server)."""

    host: str = "::"
    """Server: address to listen on ('::' is dual-stack)."""
    port: int = PORT_TCP
    """Server: TCP port to listen on; client: the server's TCP port."""
    first_frame_timeout: float = 10.0
    """Seconds a new connection has to deliver its first complete frame (slowloris guard)."""
    idle_timeout: float = 180.0
    """Seconds without any received frame before the server closes a connection."""
    write_stall_timeout: float = 30.0
    """Seconds with queued output but no write progress before the connection is closed."""
    max_connections: int = 1024
    """Server: total open connections; more are accepted and closed at once."""
    max_connections_per_ip: int = 8
    """Server: open connections from one source IP."""
    send_queue_limit: int = 512 * 1024
    """Bytes of output queued per connection beyond the kernel buffer; frames past it are dropped whole."""
    read_budget: int = 512 * 1024
    """Bytes read from one connection per `recv_batch` call (fairness between connections)."""
    connect_timeout: float = 5.0
    """Client: seconds to establish the TCP connection."""
    backlog: int = 128
    """Server: listen() backlog."""

    def __post_init__(self) -> None:
        for name in ("first_frame_timeout", "idle_timeout", "write_stall_timeout", "connect_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"tcp.{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("max_connections", "max_connections_per_ip", "send_queue_limit", "read_budget"):
            if getattr(self, name) < 1:
                raise ValueError(f"tcp.{name} must be >= 1, got {getattr(self, name)!r}")
        if not 0 < self.port < 65536:
            raise ValueError(f"tcp.port must be 1..65535, got {self.port!r}")


@dataclass
class TcpStats:
    """Counters a status page or a metrics exporter reads."""

    accepted: int = 0
    rejected_total_limit: int = 0
    rejected_ip_limit: int = 0
    closed: dict[str, int] = field(default_factory=dict)
    frames_in: int = 0
    frames_out: int = 0
    frames_dropped_queue_full: int = 0
    frames_dropped_no_connection: int = 0
    frames_dropped_oversize: int = 0

    def count_close(self, reason: str) -> None:
        self.closed[reason] = self.closed.get(reason, 0) + 1


class FramingError(Exception):
    """The byte stream is not OxTunnel TCP framing; the connection cannot be resynchronised."""


def encode_frame(datagram: bytes) -> bytes:
    """One TCP frame: u16 length ‖ datagram (`tcp_frame.ksy`)."""
    n = len(datagram)
    if not TCP_FRAME_MIN <= n <= TCP_FRAME_MAX:
        raise ValueError(f"datagram of {n} bytes does not fit a TCP frame ({TCP_FRAME_MIN}..{TCP_FRAME_MAX})")
    return _LEN.pack(n) + datagram


class FrameDecoder:
    """Incremental frame parser. Holds at most one incomplete frame (≤ 2 + 65535 bytes)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes | memoryview) -> list[bytes]:
        """Add stream bytes, return the complete datagrams; raise FramingError on abuse."""
        buf = self._buf
        buf += data
        out: list[bytes] = []
        pos = 0
        end = len(buf)
        while end - pos >= 2:
            (n,) = _LEN.unpack_from(buf, pos)
            if n < TCP_FRAME_MIN:
                raise FramingError(f"frame length {n} below the {TCP_FRAME_MIN}-byte header")
            if end - pos >= 4 and buf[pos + 2 : pos + 4] != _MAGIC_BYTES:
                got = bytes(buf[pos + 2 : pos + 4]).hex()
                raise FramingError(f"frame does not start with the OxTunnel magic (got {got})")
            if end - pos - 2 < n:
                break
            out.append(bytes(buf[pos + 2 : pos + 2 + n]))
            pos += 2 + n
        if pos:
            del buf[:pos]
        return out


class _Connection:
    """One framed TCP stream: non-blocking socket, decoder, bounded output queue."""

    def __init__(self, sock: socket.socket, peer: PeerAddress, now: float, limit: int) -> None:
        self.sock = sock
        self.peer = peer
        self.decoder = FrameDecoder()
        self.out = bytearray()
        self.limit = limit
        self.created = now
        self.last_rx = now
        self.last_tx_progress = now
        self.got_frame = False
        self.want_write = False

    def read(self, budget: int, now: float) -> tuple[list[bytes], str | None]:
        """Read up to `budget` bytes; return (datagrams, close reason or None)."""
        frames: list[bytes] = []
        while budget > 0:
            try:
                chunk = self.sock.recv(min(_RECV_CHUNK, budget))
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                return frames, f"recv error: {exc.strerror or exc}"
            if not chunk:
                return frames, "peer closed"
            budget -= len(chunk)
            try:
                got = self.decoder.feed(chunk)
            except FramingError as exc:
                return frames, f"framing: {exc}"
            if got:
                frames += got
                self.got_frame = True
                self.last_rx = now
        return frames, None

    def queue(self, frames: list[bytes], now: float) -> tuple[int, str | None]:
        """Send or queue frames; return (number dropped because the queue is full, close reason)."""
        dropped = 0
        if not self.out:
            data = b"".join(frames)
            try:
                sent = self.sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError as exc:
                return 0, f"send error: {exc.strerror or exc}"
            if sent:
                self.last_tx_progress = now
            if sent == len(data):
                return 0, None
            # Keep the unsent tail of a frame already on the wire, plus whole frames that fit the limit.
            offset = 0
            for frame in frames:
                end = offset + len(frame)
                if end <= sent:
                    pass
                elif offset < sent:
                    self.out += data[sent:end]
                elif len(self.out) + len(frame) <= self.limit:
                    self.out += frame
                else:
                    dropped += 1
                offset = end
        else:
            for frame in frames:
                if len(self.out) + len(frame) <= self.limit:
                    self.out += frame
                else:
                    dropped += 1
        return dropped, None

    def flush(self, now: float) -> str | None:
        while self.out:
            try:
                sent = self.sock.send(self.out)
            except (BlockingIOError, InterruptedError):
                return None
            except OSError as exc:
                return f"send error: {exc.strerror or exc}"
            if sent <= 0:
                return None
            del self.out[:sent]
            self.last_tx_progress = now
        return None


def _tune(sock: socket.socket) -> None:
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _peer_address(sockaddr: tuple) -> PeerAddress:  # type: ignore[type-arg]
    host = sockaddr[0]
    ip = ipaddress.ip_address(host.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        host = str(ip.ipv4_mapped)
    return PeerAddress(host, int(sockaddr[1]), "tcp")


def _frames_for(
    items: Sequence[tuple[bytes, PeerAddress]], stats: TcpStats
) -> dict[PeerAddress, list[bytes]]:
    by_peer: dict[PeerAddress, list[bytes]] = {}
    for data, addr in items:
        try:
            frame = encode_frame(data)
        except ValueError as exc:
            stats.frames_dropped_oversize += 1
            log.warning("tcp: dropped datagram for %s: %s", addr, exc)
            continue
        by_peer.setdefault(addr, []).append(frame)
    return by_peer


class TcpServerBind(SelfDriven):
    """Server side of the TCP transport: a listening socket and many framed connections."""

    transport = "tcp"

    def __init__(
        self, config: TcpConfig | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config or TcpConfig()
        self.stats = TcpStats()
        self.clock = clock
        self._epoll = select.epoll()
        self._conns: dict[int, _Connection] = {}
        self._by_peer: dict[PeerAddress, _Connection] = {}
        self._per_ip: dict[str, int] = {}
        self._ready: deque[tuple[bytes, PeerAddress]] = deque()
        self._sweep_every = min(1.0, self.config.first_frame_timeout / 4)
        self._next_sweep: float | None = None
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                self._listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            self._listener.bind((self.config.host, self.config.port))
            self._listener.listen(self.config.backlog)
            self._listener.setblocking(False)
        except OSError:
            self._listener.close()
            self._epoll.close()
            raise
        self._epoll.register(self._listener.fileno(), select.EPOLLIN)

    @property
    def local_port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def connection_count(self) -> int:
        return len(self._conns)

    def poll_fd(self) -> int:
        return self._epoll.fileno()

    def has_data(self) -> bool:
        return bool(self._ready)

    def recv_batch(self, max_datagrams: int) -> list[tuple[bytes, PeerAddress]]:
        if len(self._ready) < max_datagrams:
            self.poll()
        out: list[tuple[bytes, PeerAddress]] = []
        while self._ready and len(out) < max_datagrams:
            out.append(self._ready.popleft())
        return out

    def poll(self) -> None:
        """Accept, read and flush whatever is ready; decoded datagrams wait in the inbox."""
        now = self.clock()
        for fd, mask in self._epoll.poll(0):
            if fd == self._listener.fileno():
                self._accept(now)
                continue
            conn = self._conns.get(fd)
            if conn is None:
                continue
            if mask & select.EPOLLOUT:
                self._after_flush(conn, conn.flush(now))
            if mask & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLERR) and fd in self._conns:
                frames, reason = conn.read(self.config.read_budget, now)
                self.stats.frames_in += len(frames)
                self._ready.extend((f, conn.peer) for f in frames)
                if reason:
                    self._close(conn, reason)

    def send_batch(self, items: Sequence[tuple[bytes, PeerAddress]]) -> None:
        now = self.clock()
        for peer, frames in _frames_for(items, self.stats).items():
            conn = self._by_peer.get(peer)
            if conn is None:
                self.stats.frames_dropped_no_connection += len(frames)
                continue
            dropped, reason = conn.queue(frames, now)
            self.stats.frames_out += len(frames) - dropped
            self.stats.frames_dropped_queue_full += dropped
            if reason:
                self._close(conn, reason)
            else:
                self._after_flush(conn, None)
        self.rearm()

    def get_timer(self) -> float | None:
        if not self._conns:
            return None
        if self._next_sweep is None:
            self._next_sweep = self.clock() + self._sweep_every
        return self._next_sweep

    def handle_timer(self, now: float) -> None:
        self._next_sweep = None
        cfg = self.config
        for conn in list(self._conns.values()):
            if not conn.got_frame and now - conn.created > cfg.first_frame_timeout:
                self._close(conn, "no frame within first_frame_timeout")
            elif now - conn.last_rx > cfg.idle_timeout:
                self._close(conn, "idle_timeout")
            elif conn.out and now - conn.last_tx_progress > cfg.write_stall_timeout:
                self._close(conn, "write_stall_timeout")

    def close(self) -> None:
        self.detach()
        for conn in list(self._conns.values()):
            self._close(conn, "bind closed")
        with contextlib.suppress(OSError, ValueError):
            self._epoll.unregister(self._listener.fileno())
        self._listener.close()
        self._epoll.close()

    def _accept(self, now: float) -> None:
        cfg = self.config
        for _ in range(_ACCEPTS_PER_CALL):
            try:
                sock, sockaddr = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    log.error("tcp: accept failed: %s", exc)
                return
            peer = _peer_address(sockaddr)
            if len(self._conns) >= cfg.max_connections:
                self.stats.rejected_total_limit += 1
                log.warning("tcp: refused %s: %d connections open (max_connections)", peer, len(self._conns))
                sock.close()
                continue
            if self._per_ip.get(peer.host, 0) >= cfg.max_connections_per_ip:
                self.stats.rejected_ip_limit += 1
                log.warning(
                    "tcp: refused %s: max_connections_per_ip=%d reached", peer, cfg.max_connections_per_ip
                )
                sock.close()
                continue
            _tune(sock)
            conn = _Connection(sock, peer, now, cfg.send_queue_limit)
            self._conns[sock.fileno()] = conn
            self._by_peer[peer] = conn
            self._per_ip[peer.host] = self._per_ip.get(peer.host, 0) + 1
            self._epoll.register(sock.fileno(), select.EPOLLIN)
            self.stats.accepted += 1

    def _after_flush(self, conn: _Connection, reason: str | None) -> None:
        if reason:
            self._close(conn, reason)
            return
        want = bool(conn.out)
        if want != conn.want_write:
            conn.want_write = want
            self._epoll.modify(conn.sock.fileno(), select.EPOLLIN | (select.EPOLLOUT if want else 0))

    def _close(self, conn: _Connection, reason: str) -> None:
        fd = conn.sock.fileno()
        if self._conns.pop(fd, None) is None:
            return
        self._by_peer.pop(conn.peer, None)
        left = self._per_ip.get(conn.peer.host, 1) - 1
        if left:
            self._per_ip[conn.peer.host] = left
        else:
            self._per_ip.pop(conn.peer.host, None)
        with contextlib.suppress(OSError, ValueError):
            self._epoll.unregister(fd)
        conn.sock.close()
        kind = reason.split(":", 1)[0]
        self.stats.count_close(kind)
        level = logging.INFO if kind in ("peer closed", "bind closed", "idle_timeout") else logging.WARNING
        log.log(level, "tcp: closed %s: %s", conn.peer, reason)


class TcpClientBind(SelfDriven):
    """Client side: one framed connection to the server, connected without blocking the loop."""

    transport = "tcp"

    def __init__(
        self,
        host: str,
        port: int = PORT_TCP,
        config: TcpConfig | None = None,
        *,
        fwmark: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config or TcpConfig()
        self.stats = TcpStats()
        self.clock = clock
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, _, _, _, sockaddr = infos[0]
        self.server = PeerAddress(str(sockaddr[0]), int(sockaddr[1]), "tcp")
        self.state = "connecting"
        self.error: str | None = None
        self._started = clock()
        self._epoll = select.epoll()
        sock = socket.socket(family, socket.SOCK_STREAM)
        _tune(sock)
        if fwmark:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, fwmark)  # skips the full tunnel's table
        err = sock.connect_ex(sockaddr)
        if err not in (0, errno.EINPROGRESS):
            sock.close()
            self._epoll.close()
            raise OSError(err, f"tcp connect to {host}:{port}: {errno.errorcode.get(err, err)}")
        self._conn = _Connection(sock, self.server, self._started, self.config.send_queue_limit)
        self._pending: list[bytes] = []
        self._inbox: list[tuple[bytes, PeerAddress]] = []
        self._epoll.register(sock.fileno(), select.EPOLLIN | select.EPOLLOUT)

    @property
    def connected(self) -> bool:
        return self.state == "connected"

    def poll_fd(self) -> int:
        return self._epoll.fileno()

    def has_data(self) -> bool:
        return bool(self._inbox)

    def recv_batch(self, max_datagrams: int) -> list[tuple[bytes, PeerAddress]]:
        if len(self._inbox) < max_datagrams:
            self.poll()
        out, self._inbox = self._inbox[:max_datagrams], self._inbox[max_datagrams:]
        return out

    def poll(self) -> None:
        """Finish connecting, flush, read; decoded datagrams wait in the inbox."""
        if self.state == "closed":
            return
        now = self.clock()
        frames: list[bytes] = []
        for _fd, mask in self._epoll.poll(0):
            if self.state == "connecting":
                self._finish_connect(now)
                if self.state != "connected":
                    return
            if mask & select.EPOLLOUT and self._conn.out:
                self._flushed(self._conn.flush(now))
            if mask & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLERR) and self.state == "connected":
                frames, reason = self._conn.read(self.config.read_budget, now)
                if reason:
                    self._fail(reason)
        self.stats.frames_in += len(frames)
        self._inbox += [(f, self.server) for f in frames]

    def send_batch(self, items: Sequence[tuple[bytes, PeerAddress]]) -> None:
        if self.state == "closed":
            self.stats.frames_dropped_no_connection += len(items)
            return
        frames = [f for fs in _frames_for(items, self.stats).values() for f in fs]
        if self.state == "connecting":
            room = self.config.send_queue_limit - sum(map(len, self._pending))
            for f in frames:
                if len(f) <= room:
                    self._pending.append(f)
                    room -= len(f)
                else:
                    self.stats.frames_dropped_queue_full += 1
            return
        dropped, reason = self._conn.queue(frames, self.clock())
        self.stats.frames_out += len(frames) - dropped
        self.stats.frames_dropped_queue_full += dropped
        self._flushed(reason)
        self.rearm()

    def get_timer(self) -> float | None:
        if self.state == "connecting":
            return self._started + self.config.connect_timeout
        if self.state == "connected" and self._conn.out:
            return self._conn.last_tx_progress + self.config.write_stall_timeout
        return None

    def handle_timer(self, now: float) -> None:
        if self.state == "connecting":
            self._finish_connect(now)
            if self.state == "connecting" and now - self._started >= self.config.connect_timeout:
                self._fail("connect timeout")
        elif (
            self.state == "connected"
            and self._conn.out
            and now - self._conn.last_tx_progress >= self.config.write_stall_timeout
        ):
            self._fail("write_stall_timeout")

    def close(self) -> None:
        self.detach()
        if self.state != "closed":
            self._fail("bind closed")
        self._epoll.close()

    def _finish_connect(self, now: float) -> None:
        err = self._conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self._fail(f"connect: {errno.errorcode.get(err, err)}")
            return
        try:
            self._conn.sock.getpeername()
        except OSError:
            return  # still in progress
        self.state = "connected"
        self._conn.last_rx = self._conn.last_tx_progress = now
        self._epoll.modify(self._conn.sock.fileno(), select.EPOLLIN)
        pending, self._pending = self._pending, []
        if pending:
            dropped, reason = self._conn.queue(pending, now)
            self.stats.frames_out += len(pending) - dropped
            self.stats.frames_dropped_queue_full += dropped
            self._flushed(reason)
        log.info("tcp: connected to %s", self.server)

    def _flushed(self, reason: str | None) -> None:
        if reason:
            self._fail(reason)
            return
        want = bool(self._conn.out)
        if want != self._conn.want_write:
            self._conn.want_write = want
            self._epoll.modify(self._conn.sock.fileno(), select.EPOLLIN | (select.EPOLLOUT if want else 0))

    def _fail(self, reason: str) -> None:
        if self.state == "closed":
            return
        self.state = "closed"
        self.error = reason
        with contextlib.suppress(OSError, ValueError):
            self._epoll.unregister(self._conn.sock.fileno())
        self._conn.sock.close()
        log.info("tcp: connection to %s closed: %s", self.server, reason)
