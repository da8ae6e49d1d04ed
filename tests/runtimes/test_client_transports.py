"""TransportManager: the fallback controller's decisions applied to binds and the session.

Fake binds and a fake session (the real ones are exercised in tests/runtimes/test_masque_client.py,
tests/oxidize/test_e2e.py and the lab's fallback scenarios); time is driven by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from oxtunnel.types import PeerAddress
from runtimes.client_transports import ClientTransports, TransportManager
from runtimes.fallback import FallbackConfig, TransportMemory


@dataclass
class FakeBind:
    transport: str
    server: PeerAddress | None = None
    state: str = "connected"
    error: str | None = None
    closed: bool = False

    def fileno(self) -> int:
        return -1

    def recv_batch(self, n: int) -> list[tuple[bytes, PeerAddress]]:
        return []

    def send_batch(self, items: Sequence[tuple[bytes, PeerAddress]]) -> None:
        pass

    def close(self) -> None:
        self.closed = True


@dataclass
class FakePump:
    binds: dict[str, FakeBind] = field(default_factory=dict)
    kicks: int = 0

    def add_bind(self, bind: FakeBind) -> None:
        self.binds[bind.transport] = bind

    def remove_bind(self, transport: str) -> FakeBind:
        return self.binds.pop(transport)

    def kick(self) -> None:
        self.kicks += 1


@dataclass
class FakeSession:
    established: bool = False
    active: bool = True
    endpoint: PeerAddress = PeerAddress("192.0.2.1", 51820, "udp")
    probes: list[PeerAddress | None] = field(default_factory=list)

    def set_endpoint(self, endpoint: PeerAddress) -> None:
        self.endpoint = endpoint

    def send_probe(self, now: float, endpoint: PeerAddress | None = None) -> int | None:
        self.probes.append(endpoint)
        return len(self.probes)


class FakeTunnel:
    def __init__(self) -> None:
        self.pump = FakePump({"udp": FakeBind("udp")})
        self.session = FakeSession()
        self.endpoint_override: PeerAddress | None = None
        self.restarts: list[float] = []

    def live_session(self) -> FakeSession:
        return self.session

    def restart(self, now: float) -> None:
        self.restarts.append(now)
        self.session = FakeSession(endpoint=self.endpoint_override or self.session.endpoint)


HOST = "192.0.2.1"
ENDPOINTS = {"quic": PeerAddress(HOST, 51822, "quic"), "tcp": PeerAddress(HOST, 51821, "tcp")}


def manager(tmp_path: Path, opened: list[str], fail: frozenset[str] = frozenset(),
            **fb: object) -> TransportManager:
    def open_bind(transport: str) -> FakeBind:
        opened.append(transport)
        if transport in fail:
            raise OSError(111, "Connection refused")
        return FakeBind(transport, ENDPOINTS[transport])

    settings: dict[str, object] = {"dead_after": 6.0, "probe_interval": 5.0, "probe_window": 2.0, **fb}
    config = FallbackConfig(**settings)  # type: ignore[arg-type]
    memory = TransportMemory(str(tmp_path / "memory.json"), config.memory_ttl, wall_clock=lambda: 1000.0)
    return TransportManager(ClientTransports(HOST, fallback=config), memory=memory, open_bind=open_bind)


def establish(m: TransportManager, tunnel: FakeTunnel, now: float) -> None:
    tunnel.session.established = True
    m.handshake_completed(now)


def test_udp_handshake_timeout_moves_to_quic_with_a_fresh_session(tmp_path: Path) -> None:
    opened: list[str] = []
    m, tunnel = manager(tmp_path, opened), FakeTunnel()
    m.start(tunnel, 0.0)
    assert m.active == "udp" and tunnel.endpoint_override == PeerAddress(HOST, 51820, "udp")
    m.sent("udp", 1, 0.1)
    m.handle_timer(14.9)
    assert m.active == "udp"
    m.handle_timer(15.0)  # 3 attempts x 5 s
    assert m.active == "quic" and opened == ["quic"]
    assert tunnel.restarts == [15.0], "a session that never completed a handshake is restarted at once"
    assert tunnel.endpoint_override == ENDPOINTS["quic"]
    assert tunnel.session.endpoint == ENDPOINTS["quic"]


def test_dead_established_transport_is_probed_before_it_is_abandoned(tmp_path: Path) -> None:
    opened: list[str] = []
    m, tunnel = manager(tmp_path, opened), FakeTunnel()
    m.start(tunnel, 0.0)
    establish(m, tunnel, 1.0)
    m.sent("udp", 5, 10.0)
    assert m.get_timer() == 13.0  # half of dead_after: one probe asks for an answer
    m.handle_timer(13.0)
    assert tunnel.session.probes == [None] and m.active == "udp"
    m.received("udp", 1, 13.01)  # the ACK: only an upload without replies, not a dead path
    m.sent("udp", 5, 20.0)
    m.handle_timer(23.0)
    m.handle_timer(26.0)
    assert m.active == "quic", "nothing came back for dead_after: move on"
    assert tunnel.session.endpoint == ENDPOINTS["quic"], "an established session keeps its keys: set_endpoint"
    assert tunnel.restarts == []
    assert tunnel.session.probes[-1] is None, "a probe over the new path moves the server at once"
    assert m.switches == 1 and m.status()["recent_switches"][0]["to"] == "quic"


def test_failed_bind_moves_on_and_upward_probe_returns_to_udp(tmp_path: Path) -> None:
    opened: list[str] = []
    m, tunnel = manager(tmp_path, opened, fail=frozenset({"quic"})), FakeTunnel()
    m.start(tunnel, 0.0)
    m.handle_timer(15.0)
    assert opened == ["quic", "tcp"] and m.active == "tcp", "QUIC refused at once: straight to TCP"
    establish(m, tunnel, 15.5)
    m.received("tcp", 1, 15.5)
    m.handle_timer(20.5)  # probe_interval after the switch
    assert tunnel.session.probes[-2:] == [PeerAddress(HOST, 51820, "udp"), None], \
        "probe over UDP, then one over the current path so the server stays there"
    m.received("udp", 1, 20.6)
    assert m.active == "udp" and tunnel.pump.binds.keys() == {"udp"}
    assert tunnel.session.endpoint == PeerAddress(HOST, 51820, "udp")


def test_unanswered_probe_stays_and_backs_off(tmp_path: Path) -> None:
    opened: list[str] = []
    m, tunnel = manager(tmp_path, opened, fail=frozenset({"quic"})), FakeTunnel()
    m.start(tunnel, 0.0)
    m.handle_timer(15.0)
    establish(m, tunnel, 15.5)
    m.handle_timer(20.5)
    m.handle_timer(22.5)  # probe window over, no answer
    assert m.active == "tcp" and "tcp" in tunnel.pump.binds
    assert m.get_timer() == 32.5, "next probe after a doubled interval"


def test_remembered_transport_is_where_the_next_start_begins(tmp_path: Path) -> None:
    opened: list[str] = []
    m, tunnel = manager(tmp_path, opened, fail=frozenset({"quic"})), FakeTunnel()
    m.start(tunnel, 0.0)
    m.handle_timer(15.0)
    establish(m, tunnel, 15.5)
    m.received("tcp", 1, 15.5)
    again = manager(tmp_path, [])
    tunnel2 = FakeTunnel()
    again.start(tunnel2, 0.0)
    assert again.active == "tcp" and tunnel2.endpoint_override == ENDPOINTS["tcp"]


def test_a_bind_that_closes_itself_is_a_failed_transport(tmp_path: Path) -> None:
    opened: list[str] = []
    m, tunnel = manager(tmp_path, opened, order=("quic", "tcp")), FakeTunnel()
    m.start(tunnel, 0.0)
    bind = tunnel.pump.binds["quic"]
    bind.state, bind.error = "closed", "certificate pin mismatch"
    m.received("udp", 1, 1.0)  # any activity re-checks the binds
    assert m.active == "tcp" and bind.closed and "quic" not in tunnel.pump.binds
    assert m.counters["failed_quic"] == 1


def test_the_only_transport_is_reopened_when_it_dies(tmp_path: Path) -> None:
    """`client.transport = "quic"` and the address changed: a new connection, from the new address."""
    opened: list[str] = []
    m, tunnel = manager(tmp_path, opened, order=("quic",)), FakeTunnel()
    m.start(tunnel, 0.0)
    first = tunnel.pump.binds["quic"]
    establish(m, tunnel, 1.0)
    m.received("quic", 1, 1.0)
    m.sent("quic", 3, 10.0)
    m.handle_timer(13.0)  # the liveness probe
    m.handle_timer(16.0)  # dead
    assert opened == ["quic", "quic"] and first.closed and tunnel.pump.binds["quic"] is not first
    assert tunnel.session.probes[-1] is None, "the session moves over the new connection at once"
