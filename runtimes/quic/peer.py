"""One aioquic connection plus the socket it talks through: transmit, timers, bounded DATAGRAM sending.

aioquic's `QuicConnection` is sans-IO; this wrapper is the small amount of I/O both the server (one per
client) and the client need. Two aioquic gaps are closed here rather than in callers:

* aioquic queues DATAGRAM frames without checking the peer's `max_datagram_frame_size` or the packet
  size, and a frame that can never fit stays at the head of its queue and blocks every datagram behind it
  (the quic-go #4003 bug class). `send_datagram` refuses what cannot fit, before queueing (requirements 1, 2).
* The pending-datagram queue is unbounded; while congestion-limited we drop instead of queueing without
  bound (requirement 6: delay *or* drop, never exceed cwnd — aioquic's packet builder keeps the cwnd).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass

from aioquic.quic.connection import QuicConnection

from runtimes.quic.config import datagram_payload_limit

log = logging.getLogger("oxtunnel.runtimes.quic")


@dataclass
class DatagramStats:
    sent: int = 0
    received: int = 0
    dropped_too_big: int = 0
    dropped_queue_full: int = 0
    dropped_not_ready: int = 0


def normalise_host(host: str) -> str:
    """'::ffff:192.0.2.1' → '192.0.2.1', so a dual-stack socket reports IPv4 peers as IPv4."""
    ip = ipaddress.ip_address(host.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


class QuicPeer:
    """A QuicConnection bound to a UDP socket (shared by many peers on the server)."""

    def __init__(
        self, quic: QuicConnection, sock: socket.socket, send_queue_limit: int, *, connected: bool = False
    ) -> None:
        self.quic = quic
        self.sock = sock
        self.connected_socket = connected
        self.send_queue_limit = send_queue_limit
        self.stats = DatagramStats()
        self.closed = False

    @property
    def max_datagram_payload(self) -> int:
        """Largest DATAGRAM payload the peer accepts that also fits one packet (0 before the handshake)."""
        quic = self.quic
        cid_len = len(quic._peer_cid.cid) if quic._peer_cid is not None else 20
        return datagram_payload_limit(quic._max_datagram_size, cid_len, quic._remote_max_datagram_frame_size)

    def send_datagram(self, payload: bytes) -> bool:
        """Queue one DATAGRAM frame; False (and counted) when it cannot fit or the queue is full."""
        limit = self.max_datagram_payload
        if limit == 0:
            self.stats.dropped_not_ready += 1
            return False
        if len(payload) > limit:
            self.stats.dropped_too_big += 1
            return False
        if len(self.quic._datagrams_pending) >= self.send_queue_limit:
            self.stats.dropped_queue_full += 1
            return False
        self.quic.send_datagram_frame(payload)
        self.stats.sent += 1
        return True

    def transmit(self, now: float) -> None:
        """Send whatever aioquic has built; a full socket buffer drops (QUIC recovers from loss)."""
        for data, addr in self.quic.datagrams_to_send(now=now):
            try:
                if self.connected_socket:
                    self.sock.send(data)
                else:
                    self.sock.sendto(data, addr)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.debug("quic: sendto %s failed: %s", addr, exc)
                self.send_failed(exc)
                return

    def send_failed(self, exc: OSError) -> None:
        """Hook: the socket refused a packet (the client treats a lost local address as fatal)."""
