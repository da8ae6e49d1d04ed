"""QUIC for the suite (aioquic): a synchronous client connection, and a Link carrying OxTunnel datagrams.

The suite drives aioquic's sans-IO ``QuicConnection`` itself over a UDP socket (no asyncio), so a check
can interleave sending, waiting and inspecting events precisely. ``QuicLink`` is the ``oxtunnel/3``
transport: one OxTunnel datagram per QUIC DATAGRAM frame (spec §5). The server certificate is not
verified: the OxTunnel handshake inside authenticates the server, and MASQUE checks test HTTP/3 rules,
not the PKI.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import time
from collections.abc import Callable

from aioquic.quic import events
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection

from generated.codecs import constants as C

EventHandler = Callable[[events.QuicEvent], None]


class QuicConnectError(ConnectionError):
    """The QUIC handshake did not complete (no answer, wrong ALPN, closed)."""


class QuicClient:
    """One client QUIC connection, pumped by hand."""

    def __init__(
        self,
        host: str,
        port: int,
        alpn: str,
        server_name: str = "localhost",
        *,
        max_datagram_frame_size: int | None = 65535,
        max_datagram_size: int = 1452,
        handler: EventHandler | None = None,
        source: str | None = None,
    ) -> None:
        config = QuicConfiguration(
            is_client=True,
            alpn_protocols=[alpn],
            verify_mode=ssl.CERT_NONE,
            server_name=server_name,
            max_datagram_frame_size=max_datagram_frame_size,
            max_datagram_size=max_datagram_size,
        )
        self.quic = QuicConnection(configuration=config)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        if source:
            self.sock.bind((source, 0))
        self.sock.connect((host, port))
        self.sock.setblocking(False)
        self.addr = (host, port)
        self.handler = handler
        self.connected = False
        self.terminated: events.ConnectionTerminated | None = None
        self.alpn: str | None = None
        self.quic.connect(self.addr, now=time.monotonic())
        self.flush()

    def flush(self) -> None:
        for data, _ in self.quic.datagrams_to_send(now=time.monotonic()):
            with contextlib.suppress(OSError):  # ICMP unreachable earlier: the check sees the silence
                self.sock.send(data)

    def pump(self, timeout: float) -> None:
        """Wait up to ``timeout`` for network input or a timer, then process everything due."""
        now = time.monotonic()
        timer = self.quic.get_timer()
        wait = timeout if timer is None else max(0.0, min(timeout, timer - now))
        ready, _, _ = select.select([self.sock], [], [], wait)
        now = time.monotonic()
        if ready:
            while True:
                try:
                    data = self.sock.recv(65535)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                self.quic.receive_datagram(data, self.addr, now)
        timer = self.quic.get_timer()
        if timer is not None and timer <= now:
            self.quic.handle_timer(now)
        while (event := self.quic.next_event()) is not None:
            if isinstance(event, events.ProtocolNegotiated):
                self.alpn = event.alpn_protocol
            elif isinstance(event, events.HandshakeCompleted):
                self.connected = True
            elif isinstance(event, events.ConnectionTerminated):
                self.terminated = event
            if self.handler:
                self.handler(event)
        self.flush()

    def until(self, condition: Callable[[], object], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.terminated is not None:
                return bool(condition())
            self.pump(min(remaining, 0.05))
        return True

    def connect(self, timeout: float) -> None:
        if not self.until(lambda: self.connected, timeout):
            why = (
                f"closed with error {self.terminated.error_code:#x} ({self.terminated.reason_phrase})"
                if self.terminated
                else f"no QUIC handshake within {timeout:.1f} s"
            )
            raise QuicConnectError(why)

    @property
    def peer_max_datagram_frame_size(self) -> int | None:
        return getattr(self.quic, "_remote_max_datagram_frame_size", None)

    def close(self) -> None:
        if self.terminated is None:
            self.quic.close()
            self.flush()
        self.sock.close()


class QuicLink:
    """OxTunnel over QUIC DATAGRAM frames, ALPN ``oxtunnel/3``."""

    transport = "quic"

    def __init__(
        self,
        host: str,
        port: int,
        server_name: str = "localhost",
        connect_timeout: float = 3.0,
        source: str | None = None,
    ) -> None:
        self.inbox: list[bytes] = []
        self.client = QuicClient(host, port, C.QUIC_ALPN, server_name, handler=self._event, source=source)
        self.bytes_sent = self.bytes_received = self.datagrams_received = 0
        self.client.connect(connect_timeout)

    def _event(self, event: events.QuicEvent) -> None:
        if isinstance(event, events.DatagramFrameReceived):
            self.inbox.append(event.data)

    @property
    def closed_by_peer(self) -> bool:
        return self.client.terminated is not None

    def send(self, datagram: bytes) -> None:
        if self.client.terminated is not None:
            return
        try:
            self.client.quic.send_datagram_frame(datagram)
        except Exception:  # noqa: BLE001 - aioquic refuses frames over the peer's limit; that is a drop
            return
        self.bytes_sent += len(datagram)
        self.client.flush()

    def recv(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + max(timeout, 0)
        while not self.inbox:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.client.terminated is not None:
                break
            self.client.pump(min(remaining, 0.05))
        if not self.inbox:
            return None
        data = self.inbox.pop(0)
        self.bytes_received += len(data)
        self.datagrams_received += 1
        return data

    def close(self) -> None:
        self.client.close()
