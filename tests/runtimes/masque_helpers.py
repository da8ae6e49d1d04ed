"""A raw HTTP/3 test client for the MASQUE proxy (real aioquic), able to send malformed requests."""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from typing import Any

from aioquic.h3.events import DatagramReceived, DataReceived, HeadersReceived
from aioquic.quic import events
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection

from runtimes.masque.capsules import CapsuleReader
from runtimes.masque.h3 import MasqueH3Connection


class H3Client:
    def __init__(self, port: int, *, max_datagram_frame_size: int | None = 65535) -> None:
        conf = QuicConfiguration(
            is_client=True,
            alpn_protocols=["h3"],
            verify_mode=ssl.CERT_NONE,
            max_datagram_frame_size=max_datagram_frame_size,
            max_datagram_size=1452,
        )
        self.quic = QuicConnection(configuration=conf)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.addr = ("127.0.0.1", port)
        self.quic.connect(self.addr, now=time.monotonic())
        self.h3: MasqueH3Connection | None = None
        self.headers: dict[int, list[tuple[bytes, bytes]]] = {}
        self.data: dict[int, bytes] = {}
        self.ended: set[int] = set()
        self.datagrams: dict[int, list[bytes]] = {}
        self.resets: dict[int, int] = {}
        self.stop_sending: dict[int, int] = {}
        self.terminated: events.ConnectionTerminated | None = None
        self.connected = False

    def step(self) -> None:
        now = time.monotonic()
        while True:
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                break
            self.quic.receive_datagram(data, self.addr, now)
        t = self.quic.get_timer()
        if t is not None and t <= now:
            self.quic.handle_timer(now)
        while (ev := self.quic.next_event()) is not None:
            if isinstance(ev, events.ProtocolNegotiated):
                self.h3 = MasqueH3Connection(self.quic)
            if isinstance(ev, events.HandshakeCompleted):
                self.connected = True
            if isinstance(ev, events.StreamReset):
                self.resets[ev.stream_id] = ev.error_code
            if isinstance(ev, events.StopSendingReceived):
                self.stop_sending[ev.stream_id] = ev.error_code
            if isinstance(ev, events.ConnectionTerminated):
                self.terminated = ev
            if self.h3 is not None:
                for h in self.h3.handle_event(ev):
                    if isinstance(h, HeadersReceived):
                        self.headers[h.stream_id] = h.headers
                        if h.stream_ended:
                            self.ended.add(h.stream_id)
                    elif isinstance(h, DataReceived):
                        self.data[h.stream_id] = self.data.get(h.stream_id, b"") + h.data
                        if h.stream_ended:
                            self.ended.add(h.stream_id)
                    elif isinstance(h, DatagramReceived):
                        self.datagrams.setdefault(h.stream_id, []).append(h.data)
        self.flush()

    def flush(self) -> None:
        for data, addr in self.quic.datagrams_to_send(now=time.monotonic()):
            self.sock.sendto(data, addr)

    def request(self, headers: list[tuple[bytes, bytes]], end_stream: bool = False) -> int:
        assert self.h3 is not None
        sid = self.quic.get_next_available_stream_id()
        self.h3.send_headers(sid, headers, end_stream=end_stream)
        self.flush()
        return sid

    def status(self, sid: int) -> int | None:
        h = dict(self.headers.get(sid, []))
        return int(h[b":status"]) if b":status" in h else None

    def capsules(self, sid: int, wanted: frozenset[int]) -> list[tuple[int, bytes]]:
        return CapsuleReader(wanted).feed(self.data.get(sid, b""))

    def close(self) -> None:
        self.quic.close()
        self.flush()
        self.sock.close()


def connect_headers(
    protocol: bytes,
    path: bytes,
    token: bytes | None = b"secret",
    extra: list[tuple[bytes, bytes]] | None = None,
) -> list[tuple[bytes, bytes]]:
    h = [
        (b":method", b"CONNECT"),
        (b":protocol", protocol),
        (b":scheme", b"https"),
        (b":authority", b"proxy.test"),
        (b":path", path),
        (b"capsule-protocol", b"?1"),
    ]
    if token is not None:
        h.append((b"authorization", b"Bearer " + token))
    return h + (extra or [])


class FakeDevice:
    """PacketDevice stand-in: what the proxy forwards lands in `written`; `inject` feeds read_batch."""

    mtu = 1500

    def __init__(self) -> None:
        import os

        self.r, self.w = os.pipe()
        os.set_blocking(self.r, False)
        self.written: list[bytes] = []
        self.queue: list[bytes] = []

    def fileno(self) -> int:
        return self.r

    def inject(self, packet: bytes) -> None:
        import os

        self.queue.append(packet)
        os.write(self.w, b"x")

    def read_batch(self, n: int) -> list[bytes]:
        import os

        with contextlib.suppress(BlockingIOError):
            os.read(self.r, 4096)
        out, self.queue = self.queue[:n], self.queue[n:]
        return out

    def write_batch(self, packets: Any) -> None:
        self.written += list(packets)

    def close(self) -> None:
        import os

        os.close(self.r)
        os.close(self.w)
