"""The runner and reports end to end against trivial loopback targets (no root, no server needed)."""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance import report
from conformance.__main__ import main
from conformance.runner import run_target
from conformance.target import Target, Timing, parse_target
from conformance.v3 import handshake as hs


class UdpServer:
    """A loopback UDP socket that either ignores everything or echoes everything back (an amplifier)."""

    def __init__(self, echo: bool) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.echo = echo
        self.stop = threading.Event()
        self.received = 0
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            self.received += 1
            if self.echo:
                self.sock.sendto(data, addr)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture(params=[False, True], ids=["silent", "echoing"])
def server(request: pytest.FixtureRequest) -> Iterator[UdpServer]:
    srv = UdpServer(echo=request.param)
    yield srv
    srv.close()


def _target(tmp_path: Path, port: int) -> Target:
    key = tmp_path / "client.key"
    key.write_text(base64.b64encode(hs.random_private_key()).decode())
    data = {
        "name": "fake",
        "address": "127.0.0.1",
        "ports": {"udp": port},
        "server_public_key": base64.b64encode(os.urandom(32)).decode(),
        "client_private_key_files": [key.name],
        "timing": {"reply_timeout": 0.3, "silence_window": 0.1, "flood_packets": 50, "flood_seconds": 0.2},
    }
    return parse_target(data, source="fake.toml", base=tmp_path)


def test_dead_or_echoing_servers_fail_the_handshake_and_dependents_skip(
    tmp_path: Path, server: UdpServer
) -> None:
    target = _target(tmp_path, server.port)
    results = run_target(target, only=["HS-001", "HS-004", "DATA-001", "AMP-001", "MASQ-001"])
    by_id = {(r.id, r.transport): r for r in results}
    assert by_id[("HS-001", "udp")].status == "fail"
    assert "no reply" in by_id[("HS-001", "udp")].reason or "handshake" in by_id[("HS-001", "udp")].reason
    assert by_id[("DATA-001", "udp")].status == "skip"
    assert "prerequisite HS-001" in by_id[("DATA-001", "udp")].reason
    assert by_id[("HS-001", "tcp")].reason == "transport not offered by target"
    assert by_id[("MASQ-001", "quic")].status == "skip"
    # the silent server passes the no-reply checks; the echoing one is an amplifier and fails them
    expected = "fail" if server.echo else "pass"
    assert by_id[("HS-004", "udp")].status == expected
    assert by_id[("AMP-001", "udp")].status == expected
    if server.echo:
        assert "answered" in by_id[("AMP-001", "udp")].reason
    assert server.received > 200


def test_cli_writes_reports_and_exit_status(tmp_path: Path) -> None:
    srv = UdpServer(echo=False)
    try:
        target = _target(tmp_path, srv.port)
        toml = tmp_path / "fake.toml"
        server_key = base64.b64encode(target.server_public_key or b"").decode()
        toml.write_text(
            f'name = "fake"\naddress = "127.0.0.1"\nserver_public_key = "{server_key}"\n'
            f'client_private_key_files = ["client.key"]\n[ports]\nudp = {srv.port}\n'
            "[timing]\nreply_timeout = 0.3\nsilence_window = 0.1\n"
        )
        status = main(
            ["--target", str(toml), "--only", "HS-001,HS-004", "--report-dir", str(tmp_path / "r"), "--quiet"]
        )
    finally:
        srv.close()
    assert status == 1  # HS-001 (MUST) failed
    data = json.loads((tmp_path / "r" / "latest.json").read_text())
    rows = {(r["id"], r["transport"]): r for r in data["results"]}
    assert rows[("HS-001", "udp")]["status"] == "fail" and rows[("HS-001", "udp")]["level"] == "MUST"
    assert set(rows[("HS-004", "udp")]) >= {"id", "level", "status", "reason", "transport", "profile"}
    assert data["summary"]["fake"]["udp"]["MUST"] == {"pass": 1, "fail": 1, "skip": 0}
    markdown = (tmp_path / "r" / "latest.md").read_text()
    assert "| HS-001 | udp | MUST |" in markdown and "**FAIL**" in markdown
    assert main(["--target", str(tmp_path / "missing.toml")]) == 2


def test_markdown_and_matrix_render_several_targets(tmp_path: Path) -> None:
    from conformance.registry import Level, Status
    from conformance.runner import Result

    results = [
        Result("a", "v3", "HS-001", "t", "spec §3", Level.MUST, "udp", Status.PASS, "ok", 0.1),
        Result("b", "legacy", "HS-001", "t", "spec §3", Level.MUST, "udp", Status.FAIL, "bad | pipe", 0.1),
    ]
    targets = [_target(tmp_path, 1), _target(tmp_path, 2)]
    targets = [Target(**{**t.__dict__, "name": n}) for t, n in zip(targets, "ab", strict=True)]
    text = report.as_markdown(targets, results)
    assert "| HS-001 | udp | MUST | t (spec §3) | PASS | **FAIL** |" in text
    assert "bad \\| pipe" in text
    assert isinstance(Timing(), Timing)
