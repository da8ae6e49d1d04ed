"""UDP datagram bind: dual-stack `[::]`, batched receive (UDP_GRO) and send (UDP_SEGMENT), big buffers.

One socket serves IPv4 and IPv6 (`IPV6_V6ONLY=0`); IPv4 peers appear to the core as plain dotted
addresses (the `::ffff:` mapping is undone here and redone on send). Batching uses what Linux offers
without C code: with `UDP_GRO` the kernel hands one `recvmsg` a run of same-sized datagrams from one
source, split here by the segment size from the control message; with `UDP_SEGMENT` one `sendmsg`
carries up to 64 same-sized datagrams (the last may be shorter) to one destination, each leaving as its
own datagram (so every datagram stays individually decryptable). A full send buffer does not block the
loop: the rest waits in a bounded queue until the socket is writable (interfaces.Backpressure).
"""

from __future__ import annotations

import errno
import logging
import socket
import struct
from collections import Counter, deque
from collections.abc import Sequence

from oxtunnel.types import PeerAddress
from runtimes.interfaces import Datagram

log = logging.getLogger(__name__)

SOL_UDP = 17
UDP_SEGMENT = 103
UDP_GRO = 104
SO_MARK = 36
SO_SNDBUFFORCE = 32
SO_RCVBUFFORCE = 33
GSO_MAX_SEGMENTS = 64
GSO_MAX_BYTES = 65000  # below the 64 KiB IP payload limit for both families
RECV_BUFFER = 65536
_GRO_CMSG_SPACE = socket.CMSG_SPACE(4)
_INT = struct.Struct("=i")
_U16 = struct.Struct("=H")
ADDRESS_CACHE_LIMIT = 4096
PENDING_LIMIT = 4096
# errors that concern one datagram (its destination, its size): drop it and carry on
_PER_DATAGRAM = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EPERM, errno.EMSGSIZE, errno.EACCES,
                 errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, errno.ECONNREFUSED, errno.EINVAL}


class UdpBind:
    """A `DatagramBind` over one non-blocking UDP socket."""

    transport = "udp"

    def __init__(
        self,
        host: str = "::",
        port: int = 0,
        *,
        fwmark: int | None = None,
        gso: bool = True,
        gro: bool = True,
        buffer_bytes: int = 4 << 20,
    ) -> None:
        self.family = _family_for(host)
        sock = socket.socket(self.family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            if self.family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            if fwmark is not None:
                sock.setsockopt(socket.SOL_SOCKET, SO_MARK, fwmark)
            _set_buffers(sock, buffer_bytes)
            self.gro = gro and _try_setsockopt(sock, SOL_UDP, UDP_GRO, 1)
            sock.bind((_bind_host(host, self.family), port))
        except OSError as exc:
            sock.close()
            where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            raise OSError(exc.errno, f"UDP {where}: {exc.strerror}") from exc
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self.gso = gso
        self._buf = bytearray(RECV_BUFFER)
        self._view = memoryview(self._buf)
        self._peers: dict[tuple[object, ...], PeerAddress] = {}
        self._sockaddrs: dict[PeerAddress, tuple[object, ...]] = {}
        self._pending: deque[Datagram] = deque()
        self.stats: Counter[str] = Counter()

    # -- DatagramBind --------------------------------------------------------------------------------
    def fileno(self) -> int:
        return self._sock.fileno()

    @property
    def local_address(self) -> PeerAddress:
        name = self._sock.getsockname()
        return PeerAddress(_unmap(name[0]), name[1], self.transport)

    def recv_batch(self, max_datagrams: int) -> list[Datagram]:
        """Up to about `max_datagrams` datagrams (a GRO run is never split across calls)."""
        out: list[Datagram] = []
        sock, view, peers = self._sock, self._view, self._peers
        ancsize = _GRO_CMSG_SPACE if self.gro else 0
        syscalls = 0
        while len(out) < max_datagrams:
            try:
                nbytes, ancdata, _flags, addr = sock.recvmsg_into((self._buf,), ancsize)
            except BlockingIOError:
                break
            except OSError as exc:  # an ICMP error queued on the socket; the next read carries on
                self.stats[f"recv_error_{errno.errorcode.get(exc.errno or 0, exc.errno)}"] += 1
                continue
            syscalls += 1
            peer = peers.get(addr)
            if peer is None:
                peer = self._remember(addr)
            segment = nbytes
            for level, kind, data in ancdata:
                if level == SOL_UDP and kind == UDP_GRO and len(data) >= 4:
                    segment = _INT.unpack_from(data)[0] or nbytes
            if segment >= nbytes:
                out.append((bytes(view[:nbytes]), peer))
            else:
                run = view[:nbytes]  # the last segment of a GRO run may be shorter
                out.extend((bytes(run[off:off + segment]), peer) for off in range(0, nbytes, segment))
        self.stats["rx_syscalls"] += syscalls
        self.stats["rx_datagrams"] += len(out)
        return out

    def send_batch(self, items: Sequence[Datagram]) -> None:
        if self._pending:
            self._queue(items, 0)
            self.flush()
            return
        sent = self._send(items)
        if sent < len(items):
            self._queue(items, sent)

    def close(self) -> None:
        self._pending.clear()
        self._sock.close()

    # -- Backpressure --------------------------------------------------------------------------------
    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> int:
        """Send what waits; returns how many still wait (the socket filled up again)."""
        while self._pending:
            items = list(self._pending)
            self._pending.clear()
            sent = self._send(items)
            if sent < len(items):
                self._pending.extendleft(reversed(items[sent:]))
                break
        return len(self._pending)

    # -- internals -----------------------------------------------------------------------------------
    def _queue(self, items: Sequence[Datagram], start: int) -> None:
        room = PENDING_LIMIT - len(self._pending)
        rest = items[start:]
        if len(rest) > room:
            self.stats["tx_dropped_queue_full"] += len(rest) - room
            rest = rest[:room]
        self._pending.extend(rest)

    def _send(self, items: Sequence[Datagram]) -> int:
        """Send from the front; returns how many were handled (sent or dropped) before EAGAIN."""
        sock = self._sock
        n = len(items)
        i = 0
        syscalls = 0
        while i < n:
            data, dest = items[i]
            size = len(data)
            j = i + 1
            if self.gso:
                total = size
                while j < n and j - i < GSO_MAX_SEGMENTS:
                    next_data, next_dest = items[j]
                    length = len(next_data)
                    if (next_dest is not dest and next_dest != dest) or length > size \
                            or total + length > GSO_MAX_BYTES:
                        break
                    total += length
                    j += 1
                    if length < size:
                        break  # a shorter datagram ends a GSO run
            sockaddr = self._sockaddrs.get(dest) or self._sockaddr(dest)
            if sockaddr is None:
                self.stats["tx_dropped_bad_address"] += j - i
                i = j
                continue
            try:
                syscalls += 1
                if j - i == 1:
                    sock.sendto(data, sockaddr)
                else:
                    sock.sendmsg([d for d, _ in items[i:j]], [(SOL_UDP, UDP_SEGMENT, _U16.pack(size))], 0,
                                 sockaddr)
            except BlockingIOError:
                break
            except OSError as exc:
                if j - i > 1 and exc.errno in (errno.EIO, errno.EINVAL, errno.EOPNOTSUPP):
                    log.info("UDP GSO refused (%s); sending datagrams one by one", exc)
                    self.gso = False
                    continue  # resend the same run without GSO
                if exc.errno not in _PER_DATAGRAM:
                    log.warning("udp send to %s:%s: %s", dest.host, dest.port, exc)
                self.stats[f"tx_error_{errno.errorcode.get(exc.errno or 0, exc.errno)}"] += j - i
            i = j
        self.stats["tx_syscalls"] += syscalls
        self.stats["tx_datagrams"] += i
        return i

    def _remember(self, addr: tuple[object, ...]) -> PeerAddress:
        if len(self._peers) >= ADDRESS_CACHE_LIMIT:
            self._peers.clear()
        peer = PeerAddress(_unmap(str(addr[0])), int(addr[1]), self.transport)  # type: ignore[call-overload]
        self._peers[addr] = peer
        return peer

    def _sockaddr(self, dest: PeerAddress) -> tuple[object, ...] | None:
        try:
            packed_family = socket.AF_INET6 if ":" in dest.host else socket.AF_INET
            socket.inet_pton(packed_family, dest.host.split("%")[0])
        except OSError:
            return None  # not a literal address: the caller resolves names, never the hot path
        if self.family == socket.AF_INET6:
            host = dest.host if packed_family == socket.AF_INET6 else "::ffff:" + dest.host
            sockaddr: tuple[object, ...] = (host, dest.port, 0, 0)
        elif packed_family == socket.AF_INET:
            sockaddr = (dest.host, dest.port)
        else:
            return None
        if len(self._sockaddrs) >= ADDRESS_CACHE_LIMIT:
            self._sockaddrs.clear()
        self._sockaddrs[dest] = sockaddr
        return sockaddr


def _family_for(host: str) -> socket.AddressFamily:
    """`::`/empty/`0.0.0.0` listen on both families when IPv6 works; literals pick their own family."""
    if host in ("", "::", "0.0.0.0"):
        return socket.AF_INET6 if _ipv6_usable() else socket.AF_INET
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _bind_host(host: str, family: socket.AddressFamily) -> str:
    if host in ("", "::", "0.0.0.0"):
        return "::" if family == socket.AF_INET6 else "0.0.0.0"
    return host


def _ipv6_usable() -> bool:
    try:
        socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).close()
    except OSError:
        return False
    return True


def _unmap(host: str) -> str:
    return host[7:] if host.startswith("::ffff:") and "." in host else host


def _try_setsockopt(sock: socket.socket, level: int, option: int, value: int) -> bool:
    try:
        sock.setsockopt(level, option, value)
    except OSError:
        return False
    return True


def _set_buffers(sock: socket.socket, size: int) -> None:
    """Large buffers absorb bursts; *FORCE goes past rmem_max/wmem_max when we have CAP_NET_ADMIN."""
    for force, plain in ((SO_RCVBUFFORCE, socket.SO_RCVBUF), (SO_SNDBUFFORCE, socket.SO_SNDBUF)):
        if not _try_setsockopt(sock, socket.SOL_SOCKET, force, size):
            _try_setsockopt(sock, socket.SOL_SOCKET, plain, size)
