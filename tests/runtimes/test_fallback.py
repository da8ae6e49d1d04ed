"""Fallback rules: UDP → QUIC → TCP, dead-transport detection, probing back up, per-network memory."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from runtimes.fallback import FallbackConfig, FallbackController, StartProbe, Switch, TransportMemory


def controller(tmp_path: Path, network: str = "net-a", **kw: object) -> FallbackController:
    cfg = FallbackConfig(state_file=str(tmp_path / "transport.json"), **kw)  # type: ignore[arg-type]
    return FallbackController(cfg, network)


def test_starts_on_udp_and_gives_it_three_attempts(tmp_path: Path) -> None:
    c = controller(tmp_path)
    c.start(0.0)
    assert c.poll(0.0) == [Switch("udp", "start")]
    assert c.get_timer() == 15.0
    assert c.poll(14.9) == []
    (sw,) = c.poll(15.0)
    assert sw.transport == "quic" and "no handshake over udp" in sw.reason


def test_udp_blocked_then_quic_blocked_reaches_tcp_and_remembers(tmp_path: Path) -> None:
    c = controller(tmp_path)
    c.start(0.0)
    c.poll(15.0)
    c.transport_failed("quic", "QUIC handshake timeout", 18.0)
    assert [a.transport for a in c.poll(18.0)] == ["tcp"]
    c.handshake_completed("tcp", 18.2)
    assert c.established and c.active == "tcp"
    assert [(e.old, e.new) for e in c.events] == [(None, "udp"), ("udp", "quic"), ("quic", "tcp")]
    assert c.switches[("quic", "tcp")] == 1
    saved = json.loads((tmp_path / "transport.json").read_text())
    assert saved["networks"]["net-a"]["transport"] == "tcp"
    # the next start on this network begins on TCP, and on another network on UDP again
    again = controller(tmp_path)
    again.start(100.0)
    assert again.active == "tcp" and "remembered" in again.events[0].reason
    other = controller(tmp_path, network="net-b")
    other.start(100.0)
    assert other.active == "udp"


def test_established_transport_declared_dead_after_silence(tmp_path: Path) -> None:
    c = controller(tmp_path, dead_after=10.0)
    c.start(0.0)
    c.handshake_completed("udp", 1.0)
    c.poll(1.0)
    c.datagram_sent(20.0)
    c.datagram_received("udp", 21.0)
    c.datagram_sent(30.0)
    assert c.poll(39.9) == []
    (sw,) = c.poll(40.0)
    assert sw == Switch("quic", "nothing received over udp for 10 s")
    assert not c.established  # QUIC must now prove itself


def test_idle_tunnel_is_not_declared_dead(tmp_path: Path) -> None:
    c = controller(tmp_path, dead_after=10.0)
    c.start(0.0)
    c.handshake_completed("udp", 1.0)
    c.poll(1.0)
    assert c.poll(500.0) == []


def test_probe_moves_back_up_when_udp_answers(tmp_path: Path) -> None:
    c = controller(tmp_path, probe_interval=30.0, probe_window=3.0)
    c.start(0.0)
    c.poll(15.0)  # → quic
    c.handshake_completed("quic", 15.5)
    c.poll(15.5)
    assert c.get_timer() == 45.0
    assert c.poll(45.0) == [StartProbe("udp")]
    c.datagram_received("udp", 45.2)
    assert c.poll(45.2) == [Switch("udp", "probe succeeded")]
    assert c.active == "udp" and c.established
    assert c.get_timer() is None


def test_failed_probe_returns_and_backs_off(tmp_path: Path) -> None:
    c = controller(tmp_path, probe_interval=30.0, probe_window=3.0, probe_max_interval=100.0)
    c.start(0.0)
    c.poll(15.0)
    c.handshake_completed("quic", 15.5)
    c.poll(15.5)
    assert c.poll(45.0) == [StartProbe("udp")]
    assert c.poll(48.0) == [Switch("quic", "probe: no answer")]
    assert c.active == "quic" and c.established
    assert c.get_timer() == 48.0 + 60.0
    c.poll(108.0)
    c.poll(111.0)
    assert c.get_timer() == 111.0 + 100.0  # capped


def test_every_switch_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    c = controller(tmp_path)
    with caplog.at_level(logging.INFO, logger="oxtunnel.runtimes.fallback"):
        c.start(0.0)
        c.poll(15.0)
    records = [(r.getMessage(), r.levelno) for r in caplog.records]
    assert any("None -> udp" in m for m, _ in records)
    assert any("udp -> quic" in m and level == logging.WARNING for m, level in records)


def test_corrupt_state_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "transport.json").write_text("{not json")
    mem = TransportMemory(str(tmp_path / "transport.json"), ttl=10)
    assert mem.recall("x") is None
    mem.remember("x", "tcp")
    assert mem.recall("x") == "tcp"


def test_bad_config_names_the_key() -> None:
    with pytest.raises(ValueError, match="fallback.order"):
        FallbackConfig(order=("udp", "carrier-pigeon"))
    with pytest.raises(ValueError, match="probe_window"):
        FallbackConfig(probe_interval=2.0, probe_window=3.0)
