"""Test fixture: the sans-IO core's ServerEndpoint on a loopback UDP socket, as a conformance target.

Not a runtime and not shipped: it exists so the v3 checks can run end to end without root and before
(or besides) ``oxidize server``. It plays the server *and* the network behind it: every inner ICMP echo
request or UDP datagram to the echo port that the core lets through is answered (addresses swapped), so
any destination the core's policy fails to refuse would answer — which is what FWD-004 looks for.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import socket
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
from scapy.packet import Raw

from oxtunnel.config import PeerConfig, ServerConfig
from oxtunnel.events import PacketsReceived
from oxtunnel.server import ServerEndpoint
from oxtunnel.types import PeerAddress
from runtimes.masque.config import MasqueConfig
from runtimes.masque.proxy import MasqueProxy
from runtimes.quic.certs import ensure_server_certificate
from runtimes.quic.config import QuicConfig
from runtimes.quic.server import QuicServerBind
from runtimes.tcp import TcpConfig, TcpServerBind

ECHO_PORT = 7


def echo_reply(packet: bytes) -> bytes | None:
    if packet and packet[0] >> 4 == 6:
        ip6 = IPv6(packet)
        if ip6.haslayer(ICMPv6EchoRequest):
            req = ip6[ICMPv6EchoRequest]
            return bytes(
                IPv6(src=ip6.dst, dst=ip6.src) / ICMPv6EchoReply(id=req.id, seq=req.seq, data=req.data)
            )
        return None
    if not packet or packet[0] >> 4 != 4:
        return None
    ip = IP(packet)
    if ip.haslayer(ICMP) and ip[ICMP].type == 8:
        icmp = ip[ICMP]
        return bytes(
            IP(src=ip.dst, dst=ip.src) / ICMP(type=0, id=icmp.id, seq=icmp.seq) / Raw(bytes(icmp.payload))
        )
    if ip.haslayer(UDP) and ip[UDP].dport == ECHO_PORT:
        udp = ip[UDP]
        return bytes(
            IP(src=ip.dst, dst=ip.src) / UDP(sport=udp.dport, dport=udp.sport) / Raw(bytes(udp.payload))
        )
    return None


class EchoDevice:
    """The forwarding device behind the MASQUE proxy: answers what echo_reply() answers, drops the rest."""

    mtu = 1500

    def __init__(self) -> None:
        self.r, self.w = os.pipe()
        os.set_blocking(self.r, False)
        self.queue: list[bytes] = []
        self.written: list[bytes] = []

    def fileno(self) -> int:
        return self.r

    def write_batch(self, packets: Any) -> None:
        for packet in packets:
            self.written.append(packet)
            reply = echo_reply(packet)
            if reply:
                self.queue.append(reply)
                os.write(self.w, b"x")

    def read_batch(self, max_packets: int) -> list[bytes]:
        with contextlib.suppress(BlockingIOError):
            os.read(self.r, 4096)
        out, self.queue = self.queue[:max_packets], self.queue[max_packets:]
        return out

    def close(self) -> None:
        os.close(self.r)
        os.close(self.w)


class CoreServer:
    def __init__(
        self,
        server_private: bytes,
        peers: list[bytes],
        tcp: TcpConfig | None = None,
        quic_state: Path | None = None,
        masque_token: bytes = b"",
        **overrides: Any,
    ) -> None:
        config = ServerConfig(
            private_key=server_private,
            peers=tuple(PeerConfig(p) for p in peers),
            wall_clock=time.time,
            ipv6_pool="fd4f:5854:756e::/64",
            mtu=1400,
            keepalive_interval=3,
        )
        self.server = ServerEndpoint(replace(config, **overrides), rng=os.urandom)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.tcp = TcpServerBind(tcp) if tcp is not None else None  # the real runtime TCP bind
        self.tcp_port = self.tcp.local_port if self.tcp else None
        self.quic: QuicServerBind | None = None
        self.device: EchoDevice | None = None
        self.quic_port: int | None = None
        if quic_state is not None:  # the real runtime QUIC endpoint and MASQUE proxy
            self.device = EchoDevice()
            digest = [hashlib.sha256(masque_token).hexdigest()] if masque_token else []
            self.proxy = MasqueProxy(
                MasqueConfig(token_sha256=digest, ipv6_pool=None),
                device=self.device,
                own_addresses=["127.0.0.1"],
            )
            cert = ensure_server_certificate(quic_state, ["127.0.0.1", "localhost"])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            self.quic = QuicServerBind(
                QuicConfig(host="127.0.0.1", port=port), cert, {"h3": self.proxy.handler_for}
            )
            self.quic_port = self.quic.local_port
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="core-server", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        server = self.server
        while not self._stop.is_set():
            timer = server.get_timer()
            now = time.monotonic()
            wait = 0.05 if timer is None else max(0.0, min(0.05, timer - now))
            fds = (
                [self.sock]
                + ([self.tcp.poll_fd()] if self.tcp else [])
                + ([self.quic.poll_fd()] if self.quic else [])
            )
            ready, _, _ = select.select(fds, [], [], wait)
            now = time.monotonic()
            items = []
            if self.sock in ready:
                while True:
                    try:
                        data, (host, port) = self.sock.recvfrom(65535)
                    except BlockingIOError:
                        break
                    items.append((data, PeerAddress(host, port)))
            if self.tcp:
                items += self.tcp.recv_batch(256)
                tcp_timer = self.tcp.get_timer()
                if tcp_timer is not None and tcp_timer <= now:
                    self.tcp.handle_timer(now)
            if self.quic:
                items += self.quic.recv_batch(256)
                quic_timer = self.quic.get_timer()
                if quic_timer is not None and quic_timer <= now:
                    self.quic.handle_timer(now)
            if items:
                server.receive_datagrams(items, now)
            timer = server.get_timer()
            if timer is not None and timer <= now:
                server.handle_timer(now)
            while (event := server.next_event()) is not None:
                if isinstance(event, PacketsReceived):
                    replies = [r for r in map(echo_reply, event.packets) if r]
                    if replies:
                        server.send_packets(replies, now)
            out = server.datagrams_to_send(now)
            if self.tcp:
                self.tcp.send_batch([item for item in out if item[1].transport == "tcp"])
            if self.quic:
                self.quic.send_batch([item for item in out if item[1].transport in ("quic", "masque")])
            for data, addr in out:
                if addr.transport == "udp":
                    with contextlib.suppress(OSError):  # e.g. a client socket already closed
                        self.sock.sendto(data, (addr.host, addr.port))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()
        if self.tcp:
            self.tcp.close()
        if self.quic:
            self.quic.close()
            self.proxy.close()
        if self.device:
            self.device.close()
