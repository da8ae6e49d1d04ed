"""The v3 suite against the sans-IO core on loopback (tests/conformance/core_harness.py), without root.

Three things are shown: every MUST check the harness can support passes against the core; a core
configured with a hole (loopback allowed, cookies never demanded) is caught by the check for that hole;
and nothing here imports the core into ``conformance/`` (the harness lives in tests/).
"""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.registry import Level, Status
from conformance.runner import Result, run_target
from conformance.target import Target, parse_target
from conformance.v3 import handshake as hs
from runtimes.tcp import TcpConfig
from tests.conformance.core_harness import CoreServer

FAST: dict[str, float] = {
    "reply_timeout": 1.0,
    "silence_window": 0.1,
    "flood_packets": 400,
    "flood_seconds": 1.2,
    "keepalive_wait_max": 0,
    "tcp_idle_wait": 4,
}


TCP_SELECTION = [
    "HS-001",
    "DATA-001",
    "HDR-001",
    "HDR-005",
    "RPL-001",
    "CTL-001",
    "CTL-007",
    "TCP-001",
    "TCP-002",
    "TCP-003",
    "TCP-004",
    "AMP-001",
]


QUIC_SELECTION = ["HS-001", "DATA-001", "HDR-001", "RPL-002", "CTL-007", "AMP-001", "DOS-001"] + [
    f"MASQ-{n:03d}" for n in range(1, 15)
]
TOKEN = b"conformance-token"


def _target(
    tmp_path: Path, server: CoreServer, server_public: bytes, keys: list[bytes], masque_token: bool = True
) -> Target:
    (tmp_path / "token").write_text(TOKEN.decode())
    files = []
    for i, key in enumerate(keys):
        (tmp_path / f"c{i}.key").write_text(base64.b64encode(key).decode())
        files.append(f"c{i}.key")
    return parse_target(
        {
            "name": "core",
            "address": "127.0.0.1",
            "ports": {"udp": server.port, "tcp": server.tcp_port or 51821, "quic": server.quic_port or 51822},
            "transports": ["udp"]
            + (["tcp"] if server.tcp_port else [])
            + (["quic"] if server.quic_port else []),
            "masque": {"token_file": "token"} if masque_token else {},
            "echo": {"address": "10.66.0.1"},
            "server_public_key": base64.b64encode(server_public).decode(),
            "client_private_key_files": files,
            "source_addresses": ["127.0.0.2", "127.0.0.3"],
            "timing": FAST,
        },
        source="core.toml",
        base=tmp_path,
    )


def _run(
    tmp_path: Path,
    only: list[str] | None = None,
    transport: str = "udp",
    masque_token: bool = True,
    **overrides: Any,
) -> dict[str, Result]:
    server_private = hs.random_private_key()
    keys = [hs.random_private_key(), hs.random_private_key()]
    tcp = (
        TcpConfig(host="127.0.0.1", port=_free_tcp_port(), first_frame_timeout=2.0)
        if transport == "tcp"
        else None
    )
    quic = tmp_path / "quic" if transport == "quic" else None
    server = CoreServer(
        server_private,
        [hs.public_key(k) for k in keys],
        tcp=tcp,
        quic_state=quic,
        masque_token=TOKEN,
        **overrides,
    )
    try:
        results = run_target(
            _target(tmp_path, server, hs.public_key(server_private), keys, masque_token),
            only=only,
            transports=[transport],
        )
    finally:
        server.close()
    return {r.id: r for r in results}


def _free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Result]]:
    yield _run(tmp_path_factory.mktemp("core"))


def test_every_applicable_must_check_passes_against_the_core(full_run: dict[str, Result]) -> None:
    failures = {
        cid: r.reason for cid, r in full_run.items() if r.level == Level.MUST and r.status == Status.FAIL
    }
    assert failures == {}
    passed = {cid for cid, r in full_run.items() if r.status == Status.PASS}
    assert {"HS-001", "DATA-001", "HDR-004", "RPL-002", "CTL-001", "AMP-001", "DOS-001", "DOS-002"} <= passed
    # what the harness cannot offer is skipped with a reason, not passed
    assert full_run["FWD-002"].status == Status.SKIP and "observer" in full_run["FWD-002"].reason


def test_a_loopback_hole_is_caught(tmp_path: Path) -> None:
    results = _run(tmp_path, only=["FWD-004"], allowed_destinations=frozenset({"loopback"}))
    assert results["FWD-004"].status == Status.FAIL, results["FWD-004"].reason
    assert "127.0.0.1" in results["FWD-004"].reason


def test_a_server_that_never_demands_cookies_is_caught(tmp_path: Path) -> None:
    results = _run(tmp_path, only=["DOS-001"], load_threshold=1e9, handshake_rate=1e9, handshake_burst=1e9)
    assert results["DOS-001"].status == Status.FAIL
    assert "never switched to cookies" in results["DOS-001"].reason


def test_the_tcp_transport_of_the_runtime_passes_the_tcp_rows(tmp_path: Path) -> None:
    """The real runtime TCP bind (runtimes.tcp) in front of the core: framing abuse, slowloris, stalls."""
    results = _run(tmp_path, only=TCP_SELECTION, transport="tcp")
    failures = {cid: r.reason for cid, r in results.items() if r.status != Status.PASS}
    assert failures == {}


def test_quic_datagrams_and_the_masque_proxy_of_the_runtime(tmp_path: Path) -> None:
    """OxTunnel over QUIC DATAGRAM and the MASQUE rows against runtimes.quic + runtimes.masque."""
    results = _run(tmp_path, only=QUIC_SELECTION, transport="quic")
    failures = {cid: r.reason for cid, r in results.items() if r.status == Status.FAIL}
    assert failures == {}
    assert results["MASQ-014"].status == Status.SKIP  # needs an observer, which the harness has not
    passed = {cid for cid, r in results.items() if r.status == Status.PASS}
    assert {f"MASQ-{n:03d}" for n in range(1, 14)} <= passed


def test_a_proxy_demanding_a_token_fails_masq_005_without_one(tmp_path: Path) -> None:
    results = _run(tmp_path, only=["MASQ-005"], transport="quic", masque_token=False)
    assert results["MASQ-005"].status == Status.FAIL
    assert "token" in results["MASQ-005"].reason
