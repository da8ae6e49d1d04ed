"""A client and a server in one process with a fake clock and a deterministic rng."""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oxtunnel.client import ClientSession
from oxtunnel.config import ClientConfig, PeerConfig, ServerConfig
from oxtunnel.crypto import public_key
from oxtunnel.events import Event
from oxtunnel.server import ServerEndpoint
from oxtunnel.types import PeerAddress

SERVER_ADDR = PeerAddress("192.0.2.1", 51820)
CLIENT_ADDR = PeerAddress("198.51.100.7", 40000)


class Rng:
    """Deterministic byte stream (BLAKE2s in counter mode): tests are reproducible."""

    def __init__(self, seed: str) -> None:
        self._seed = seed.encode()
        self._n = 0

    def __call__(self, size: int) -> bytes:
        out = b""
        while len(out) < size:
            out += hashlib.blake2s(self._seed + self._n.to_bytes(8, "big")).digest()
            self._n += 1
        return out[:size]


def key(name: str) -> bytes:
    return hashlib.blake2s(b"key " + name.encode()).digest()


class WallClock:
    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def ipv4_packet(src: str, dst: str, payload: bytes = b"x" * 20, proto: int = 17) -> bytes:
    """A syntactically plausible IPv4 packet (the core reads only version and addresses)."""
    total = 20 + len(payload)
    header = bytes([0x45, 0]) + total.to_bytes(2, "big") + bytes(4) + bytes([64, proto]) + bytes(2)
    return header + ipaddress.IPv4Address(src).packed + ipaddress.IPv4Address(dst).packed + payload


def ipv6_packet(src: str, dst: str, payload: bytes = b"y" * 20, proto: int = 17) -> bytes:
    header = bytes([0x60, 0, 0, 0]) + len(payload).to_bytes(2, "big") + bytes([proto, 64])
    return header + ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed + payload


def drain(endpoint: Any) -> list[Event]:
    events = []
    while (event := endpoint.next_event()) is not None:
        events.append(event)
    return events


Filter = Callable[[bytes], bytes | None]


@dataclass
class Pair:
    """A client and a server wired back to back; ``now`` is the fake monotonic clock."""

    client: ClientSession
    server: ServerEndpoint
    wall: WallClock
    now: float = 0.0
    client_addr: PeerAddress = CLIENT_ADDR
    to_server: list[bytes] = field(default_factory=list)
    to_client: list[bytes] = field(default_factory=list)
    server_sent_to: list[PeerAddress] = field(default_factory=list)
    client_events: list[Event] = field(default_factory=list)
    server_events: list[Event] = field(default_factory=list)

    def flush(self, c2s: Filter | None = None, s2c: Filter | None = None, rounds: int = 10) -> None:
        """Move datagrams both ways until quiet (filters may drop or rewrite)."""
        for _ in range(rounds):
            moved = False
            for data, addr in self.client.datagrams_to_send(self.now):
                assert addr == self.client.endpoint
                self.to_server.append(data)
                out = c2s(data) if c2s else data
                if out is not None:
                    self.server.receive_datagram(out, self.client_addr, self.now)
                moved = True
            for data, addr in self.server.datagrams_to_send(self.now):
                self.to_client.append(data)
                self.server_sent_to.append(addr)
                out = s2c(data) if s2c else data
                if out is not None:
                    self.client.receive_datagram(out, SERVER_ADDR, self.now)
                moved = True
            self.client_events += drain(self.client)
            self.server_events += drain(self.server)
            if not moved:
                return

    def advance(self, seconds: float, step: float = 1.0, **filters: Filter | None) -> None:
        """Let time pass, firing timers on both sides and exchanging what they send."""
        end = self.now + seconds
        while self.now < end:
            self.now = min(end, self.now + step)
            self.wall.now += step
            self.client.handle_timer(self.now)
            self.server.handle_timer(self.now)
            self.flush(**filters)

    def take(self, kind: type, side: str = "client") -> list[Any]:
        events = self.client_events if side == "client" else self.server_events
        found = [e for e in events if isinstance(e, kind)]
        events[:] = [e for e in events if not isinstance(e, kind)]
        return found


def make_pair(
    client_kw: dict[str, Any] | None = None,
    server_kw: dict[str, Any] | None = None,
    peer_kw: dict[str, Any] | None = None,
    seed: str = "t",
    connect: bool = True,
) -> Pair:
    wall = WallClock()
    client_priv, server_priv = key("client"), key("server")
    peer = PeerConfig(public_key(client_priv), name="alice", **(peer_kw or {}))
    server = ServerEndpoint(
        ServerConfig(private_key=server_priv, peers=(peer,), wall_clock=wall, **(server_kw or {})),
        rng=Rng(seed + "server"),
    )
    client = ClientSession(
        ClientConfig(
            private_key=client_priv,
            server_public_key=public_key(server_priv),
            endpoint=SERVER_ADDR,
            wall_clock=wall,
            **(client_kw or {}),
        ),
        rng=Rng(seed + "client"),
    )
    pair = Pair(client, server, wall)
    if connect:
        client.connect(pair.now)
        pair.flush()
    return pair


def client_source(pair: Pair, version: int = 4) -> str:
    params = pair.client.parameters
    assert params is not None
    iface = params.ipv4 if version == 4 else params.ipv6
    assert iface is not None
    return str(iface.ip)
