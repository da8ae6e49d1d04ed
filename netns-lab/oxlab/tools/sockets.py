"""UDP sockets bound to explicit addresses: a host with several addresses must answer from the one
the request went to, which a wildcard-bound socket does not guarantee (IPv6 source selection)."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Callable, Iterable

Handler = Callable[[socket.socket, bytes, tuple[str, int]], None]


def bind_udp(addresses: Iterable[str], port: int) -> list[socket.socket]:
    socks = []
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        socks.append(sock)
    return socks


def serve_udp(socks: list[socket.socket], handler: Handler, max_seconds: float) -> None:
    """Call `handler(sock, data, addr)` for every datagram until `max_seconds` have passed."""
    deadline = time.monotonic() + max_seconds
    while (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select(socks, [], [], min(left, 1.0))
        for sock in readable:
            try:
                data, addr = sock.recvfrom(65535)
            except OSError:
                continue
            handler(sock, data, addr)
