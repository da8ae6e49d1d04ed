"""The client side of QUIC 51822: a pinned connection to the server, and the OxTunnel datagram bind on it.

`QuicClientConnection` is shared with the MASQUE client bind (`runtimes.masque.client`): it owns a
connected UDP socket and one aioquic connection, and verifies the server before anything else happens —
either the SPKI pin from client.toml (`quic_spki_sha256`, written by `oxidize genconfig`) or, when no pin
is configured, ordinary CA verification of `server_name`. Nothing is sent on the connection before that
check passes (we send no 0-RTT data), so a man in the middle learns nothing and gets nothing.
"""

from __future__ import annotations

import errno
import logging
import socket
import ssl
import time
from collections.abc import Callable, Sequence

from aioquic.quic import events
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection

from oxtunnel.types import PeerAddress
from runtimes.quic.certs import CertificatePinError, check_pin, normalise_pin
from runtimes.quic.config import MAX_DATAGRAM_FRAME_SIZE, QuicConfig, udp_payload_for
from runtimes.quic.peer import QuicPeer, normalise_host
from runtimes.selfdriven import SelfDriven
from runtimes.wire import QUIC_ALPN

log = logging.getLogger("oxtunnel.runtimes.quic")

_DEAD_SOCKET = {errno.EADDRNOTAVAIL, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EINVAL, errno.ENETDOWN}
_BAD_CERTIFICATE = 0x100 + 42  # CRYPTO_ERROR carrying TLS alert bad_certificate (RFC 9001 §4.8)


class QuicClientConnection(QuicPeer, SelfDriven):
    """A verified client connection; subclasses react to events in `on_event`."""

    transport = "quic"

    def __init__(
        self,
        host: str,
        port: int,
        config: QuicConfig,
        *,
        alpn: str,
        pin: str | None = None,
        cafile: str | None = None,
        server_name: str | None = None,
        fwmark: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if pin is None and cafile is None:
            raise ValueError(
                "quic: configure quic_spki_sha256 (pin) or a CA file; refusing an unverified server"
            )
        self.pin = normalise_pin(pin) if pin is not None else None
        self.clock = clock
        self.config = config
        family, _, _, _, sockaddr = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        self.server_addr = sockaddr
        self.server = PeerAddress(normalise_host(str(sockaddr[0])), int(sockaddr[1]), self.transport)
        qc = QuicConfiguration(
            is_client=True,
            alpn_protocols=[alpn],
            idle_timeout=config.idle_timeout,
            max_datagram_frame_size=MAX_DATAGRAM_FRAME_SIZE,
            max_datagram_size=udp_payload_for(config.path_mtu, family == socket.AF_INET6),
            max_stream_data=config.max_stream_data,
            max_data=config.max_data,
            congestion_control_algorithm=config.congestion_control,
            server_name=server_name or (host if pin is None else None),
            verify_mode=ssl.CERT_NONE if self.pin is not None else ssl.CERT_REQUIRED,
            cafile=cafile,
        )
        if config.secrets_log:
            qc.secrets_log_file = open(config.secrets_log, "a")  # noqa: SIM115
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            if fwmark:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, fwmark)  # skips the full tunnel's table
            sock.connect(sockaddr)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        super().__init__(QuicConnection(configuration=qc), sock, config.send_queue_limit, connected=True)
        self.state = "connecting"
        self.error: str | None = None
        self.started = clock()
        self.quic.connect(sockaddr, now=self.started)
        self.transmit(self.started)

    @property
    def connected(self) -> bool:
        return self.state == "connected"

    @property
    def confidential(self) -> bool:
        """QUIC protects the payload end to end to the verified server."""
        return self.state == "connected"

    def poll_fd(self) -> int:
        return self.sock.fileno()

    def has_data(self) -> bool:
        return False

    def poll(self) -> None:
        """Read every pending packet, process events, send what results."""
        if self.state == "closed":
            return
        now = self.clock()
        while True:
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:  # ICMP port unreachable surfaces here on a connected socket
                log.debug("quic: recv failed: %s", exc)
                break
            self.quic.receive_datagram(data, self.server_addr, now)
        self._process(now)

    def get_timer(self) -> float | None:
        if self.state == "closed":
            return None
        t = self.quic.get_timer()
        if self.state == "connecting":
            deadline = self.started + self.config.handshake_timeout
            t = deadline if t is None else min(t, deadline)
        return t

    def handle_timer(self, now: float) -> None:
        if self.state == "closed":
            return
        if self.state == "connecting" and now >= self.started + self.config.handshake_timeout:
            self._fail("QUIC handshake timeout")
            return
        t = self.quic.get_timer()
        if t is not None and t <= now:
            self.quic.handle_timer(now)
        self._process(now)

    def close(self) -> None:
        self.detach()
        if self.state != "closed":
            self.quic.close(error_code=0, reason_phrase="client closing")
            self.transmit(self.clock())
            self._fail("closed")
        self.sock.close()
        qc = self.quic.configuration
        if qc.secrets_log_file is not None:
            qc.secrets_log_file.close()

    def send_failed(self, exc: OSError) -> None:
        """Our address went away under the connected socket (roaming, a link down): this connection
        cannot continue; the transport manager opens a new one from the new address."""
        if exc.errno in _DEAD_SOCKET and self.state != "closed":
            self._fail(f"send failed: {exc.strerror or exc}")

    def on_connected(self, now: float) -> None:
        """Hook: the server is verified."""

    def on_event(self, event: events.QuicEvent, now: float) -> None:
        """Hook: an event after verification."""

    def _process(self, now: float) -> None:
        while (event := self.quic.next_event()) is not None:
            if isinstance(event, events.HandshakeCompleted):
                try:
                    if self.pin is not None:
                        check_pin(self.quic.tls._peer_certificate, self.pin)
                except CertificatePinError as exc:
                    log.error("quic: %s", exc)
                    self.quic.close(error_code=_BAD_CERTIFICATE, reason_phrase="certificate pin mismatch")
                    self.transmit(now)
                    self._fail(str(exc))
                    return
                self.state = "connected"
                log.info("quic: connected to %s (ALPN %s)", self.server, event.alpn_protocol)
                self.on_connected(now)
            elif isinstance(event, events.ConnectionTerminated):
                self._fail(f"connection closed by peer: error 0x{event.error_code:x} {event.reason_phrase}")
                return
            elif self.state == "connected":
                self.on_event(event, now)
        self.transmit(now)
        closing = self.quic._close_event  # set as soon as either side starts closing (aioquic)
        if closing is not None and self.state != "closed":
            self._fail(f"connection closed: error 0x{closing.error_code:x} {closing.reason_phrase}")

    def _fail(self, reason: str) -> None:
        if self.state != "closed":
            self.state = "closed"
            self.error = reason
            log.info("quic: connection to %s ended: %s", self.server, reason)


class QuicClientBind(QuicClientConnection):
    """DatagramBind: OxTunnel datagrams in QUIC DATAGRAM frames under ALPN `oxtunnel/3`."""

    transport = "quic"

    def __init__(
        self,
        host: str,
        port: int,
        config: QuicConfig | None = None,
        *,
        pin: str | None = None,
        cafile: str | None = None,
        server_name: str | None = None,
        fwmark: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pending: list[bytes] = []
        self._inbox: list[tuple[bytes, PeerAddress]] = []
        super().__init__(
            host,
            port,
            config or QuicConfig(),
            alpn=QUIC_ALPN,
            pin=pin,
            cafile=cafile,
            server_name=server_name,
            fwmark=fwmark,
            clock=clock,
        )

    def recv_batch(self, max_datagrams: int) -> list[tuple[bytes, PeerAddress]]:
        if len(self._inbox) < max_datagrams:
            self.poll()
        out, self._inbox = self._inbox[:max_datagrams], self._inbox[max_datagrams:]
        return out

    def send_batch(self, items: Sequence[tuple[bytes, PeerAddress]]) -> None:
        if self.state == "connecting":
            room = self.send_queue_limit - len(self._pending)
            self._pending += [d for d, _ in items[:room]]
            self.stats.dropped_not_ready += max(0, len(items) - room)
            return
        if self.state == "closed":
            self.stats.dropped_not_ready += len(items)
            return
        for data, _ in items:
            self.send_datagram(data)
        self.transmit(self.clock())
        self.rearm()

    def has_data(self) -> bool:
        return bool(self._inbox)

    def on_connected(self, now: float) -> None:
        pending, self._pending = self._pending, []
        for data in pending:
            self.send_datagram(data)

    def on_event(self, event: events.QuicEvent, now: float) -> None:
        if isinstance(event, events.DatagramFrameReceived):
            self.stats.received += 1
            self._inbox.append((event.data, self.server))
        elif isinstance(event, events.StreamDataReceived):
            self.quic.stop_stream(event.stream_id, 0)
