"""The CLI as a user runs it: keys, genconfig, status/down with nothing running, --help everywhere."""

from __future__ import annotations

import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from oxidize import cli, config, keys

COMMANDS = ["server", "reload", "up", "down", "status", "keygen", "pubkey", "genconfig"]


def oxidize(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oxidize", *argv], capture_output=True, text=True,
                          input=stdin, timeout=60)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_for_every_command(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: oxidize {command}" in out and len(out.splitlines()) > 4


def test_keygen_then_pubkey_from_file_and_stdin(tmp_path: Path) -> None:
    key = tmp_path / "k"
    made = oxidize("keygen", str(key))
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    public = made.stdout.strip()
    assert oxidize("pubkey", str(key)).stdout.strip() == public
    assert oxidize("pubkey", stdin=key.read_text()).stdout.strip() == public
    again = oxidize("keygen", str(key))
    assert again.returncode == 2 and "exists; use --force" in again.stderr
    assert oxidize("keygen", "--force", str(key)).stdout.strip() != public


def test_bad_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "server.toml"
    path.write_text('[server]\nprivate_key_file = "k"\nmtu = 100\n')
    out = oxidize("server", "-c", str(path))
    assert out.returncode == 2
    assert "server.mtu: must be between 1280 and 9000, got 100" in out.stderr


def test_genconfig_adds_peer_and_writes_client_config(tmp_path: Path) -> None:
    keys.write_private(tmp_path / "server.key", keys.generate_private())
    server_toml = tmp_path / "server.toml"
    server_toml.write_text('# my server\n[server]\nprivate_key_file = "server.key"\nendpoint = "192.0.2.1"\n'
                           f'state_dir = "{tmp_path}/run"\n')
    server_toml.chmod(0o640)
    out = oxidize("genconfig", "-c", str(server_toml), "phone", "-o", str(tmp_path / "phone.toml"))
    assert out.returncode == 0, out.stderr
    assert "█" in out.stdout or "▀" in out.stdout  # the QR code
    assert stat.S_IMODE((tmp_path / "phone.toml").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "phone.png").stat().st_mode) == 0o600
    assert (tmp_path / "phone.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stat.S_IMODE(server_toml.stat().st_mode) == 0o640
    assert server_toml.read_text().startswith("# my server\n")
    settings = config.load_server(server_toml)
    client = config.load_client(tmp_path / "phone.toml")
    assert [p.name for p in settings.peers] == ["phone"]
    assert client.private_key is not None
    assert settings.peers[0].public_key == keys.public_from_private(client.private_key)
    assert client.server_public_key == keys.public_from_private(keys.read_private(tmp_path / "server.key"))
    assert (client.server.host, client.server.port) == ("192.0.2.1", 51820)
    assert "no running server" in out.stderr
    again = oxidize("genconfig", "-c", str(server_toml), "phone", "-o", str(tmp_path / "other.toml"))
    assert again.returncode == 2 and "a peer named 'phone' exists already" in again.stderr
    assert len(tomllib.loads(server_toml.read_text())["peers"]) == 1


def test_genconfig_needs_an_endpoint(tmp_path: Path) -> None:
    keys.write_private(tmp_path / "server.key", keys.generate_private())
    (tmp_path / "server.toml").write_text('[server]\nprivate_key_file = "server.key"\n')
    out = oxidize("genconfig", "-c", str(tmp_path / "server.toml"), "x", "-o", str(tmp_path / "x.toml"))
    assert out.returncode == 2 and "pass --endpoint HOST:PORT" in out.stderr
    assert not (tmp_path / "x.toml").exists()


def test_status_and_down_with_nothing_running(tmp_path: Path) -> None:
    out = oxidize("status", "--state-dir", str(tmp_path))
    assert out.returncode == 1 and "no oxidize tunnel is running" in out.stderr
    assert oxidize("status", "--json", "--state-dir", str(tmp_path)).stdout.strip() == "[]"
    down = oxidize("down", "--state-dir", str(tmp_path))
    assert down.returncode == 0 and "oxtun0: not running" in down.stderr


def test_keygen_output_option_and_genconfig_name_option(tmp_path: Path) -> None:
    assert oxidize("keygen", "-o", str(tmp_path / "server.key")).returncode == 0
    both = oxidize("keygen", str(tmp_path / "a"), "-o", str(tmp_path / "b"))
    assert both.returncode == 2 and "give the key file once" in both.stderr
    (tmp_path / "server.toml").write_text('[server]\nprivate_key_file = "server.key"\n'
                                          f'state_dir = "{tmp_path}/run"\n')
    out = oxidize("genconfig", "-c", str(tmp_path / "server.toml"), "--name", "lab", "--endpoint",
                  "[2001:db8::1]:51820", "-o", str(tmp_path / "lab.toml"), "--no-qr")
    assert out.returncode == 0, out.stderr
    assert config.load_client(tmp_path / "lab.toml").server.host == "2001:db8::1"
