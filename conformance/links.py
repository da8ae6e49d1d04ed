"""Links: one client-side path to a target over one transport, moving whole OxTunnel datagrams.

UDP sends one datagram per OxTunnel packet; TCP frames each with a big-endian u16 length (spec §5);
QUIC carries each in a DATAGRAM frame (``quic_link.py``). Every link counts bytes both ways so checks
can measure amplification.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import time
from typing import Protocol

TCP_FRAME = struct.Struct(">H")


class Link(Protocol):
    transport: str
    bytes_sent: int
    bytes_received: int
    datagrams_received: int

    def send(self, datagram: bytes) -> None: ...
    def recv(self, timeout: float) -> bytes | None: ...
    def close(self) -> None: ...


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class UdpLink:
    """A connected UDP socket (so only the target's replies arrive)."""

    transport = "udp"

    def __init__(self, host: str, port: int, source: str | None = None) -> None:
        self.sock = socket.socket(_family(host), socket.SOCK_DGRAM)
        if source:
            self.sock.bind((source, 0))
        self.sock.connect((host, port))
        self.bytes_sent = self.bytes_received = self.datagrams_received = 0

    @property
    def local(self) -> tuple[str, int]:
        host, port = self.sock.getsockname()[:2]
        return host, port

    def send(self, datagram: bytes) -> None:
        with contextlib.suppress(ConnectionRefusedError):  # an earlier ICMP port unreachable
            self.sock.send(datagram)
        self.bytes_sent += len(datagram)

    def recv(self, timeout: float) -> bytes | None:
        ready, _, _ = select.select([self.sock], [], [], max(timeout, 0))
        if not ready:
            return None
        try:
            data = self.sock.recv(65535)
        except ConnectionRefusedError:
            return None
        self.bytes_received += len(data)
        self.datagrams_received += 1
        return data

    def close(self) -> None:
        self.sock.close()


class TcpLink:
    """A TCP connection with u16 length-prefixed frames in both directions."""

    transport = "tcp"

    def __init__(self, host: str, port: int, source: str | None = None, connect_timeout: float = 3.0) -> None:
        self.sock = socket.create_connection(
            (host, port), timeout=connect_timeout, source_address=(source, 0) if source else None
        )
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buffer = b""
        self.closed_by_peer = False
        self.bytes_sent = self.bytes_received = self.datagrams_received = 0

    def send(self, datagram: bytes) -> None:
        self.send_raw(TCP_FRAME.pack(len(datagram)) + datagram)

    def send_raw(self, data: bytes) -> None:
        """Bytes on the stream as given (for framing abuse)."""
        if self.closed_by_peer:
            return
        try:
            self.sock.setblocking(True)
            self.sock.settimeout(2.0)
            self.sock.sendall(data)
        except OSError:
            self.closed_by_peer = True
        finally:
            self.sock.setblocking(False)
        self.bytes_sent += len(data)

    def _frame(self) -> bytes | None:
        if len(self.buffer) < 2:
            return None
        (size,) = TCP_FRAME.unpack_from(self.buffer)
        if len(self.buffer) < 2 + size:
            return None
        frame, self.buffer = self.buffer[2 : 2 + size], self.buffer[2 + size :]
        self.datagrams_received += 1
        return frame

    def recv(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + max(timeout, 0)
        while True:
            frame = self._frame()
            if frame is not None or self.closed_by_peer:
                return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.sock], [], [], remaining)
            if not ready:
                return None
            try:
                chunk = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self.closed_by_peer = True
                continue
            self.bytes_received += len(chunk)
            self.buffer += chunk

    def peer_closed(self, timeout: float) -> bool:
        """True when the server closes (or resets) the connection within ``timeout``."""
        self.recv(timeout)
        return self.closed_by_peer

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class OfflineLink:
    """A link that sends nothing: for building messages (INITs) without opening a connection."""

    transport = "offline"
    bytes_sent = bytes_received = datagrams_received = 0

    def send(self, datagram: bytes) -> None:
        raise RuntimeError("OfflineLink cannot send; build messages with it, send them on a real link")

    def recv(self, timeout: float) -> bytes | None:
        return None

    def close(self) -> None:
        pass
