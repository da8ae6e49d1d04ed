"""`oxidize reload`: server.toml's peers applied to a running endpoint; a bad file changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from oxidize import config, keys, reload
from oxidize.config import ConfigError
from oxidize.server import server_config
from oxtunnel.server import ServerEndpoint

HEAD = '[server]\nprivate_key_file = "server.key"\nendpoint = "192.0.2.1"\n'


def _peer(name: str, public: bytes) -> str:
    return f'\n[[peers]]\nname = "{name}"\npublic_key = "{keys.encode(public)}"\n'


@pytest.fixture
def server(tmp_path: Path) -> tuple[Path, config.ServerSettings, ServerEndpoint, dict[str, bytes]]:
    keys.write_private(tmp_path / "server.key", keys.generate_private())
    peers = {n: keys.public_from_private(keys.generate_private()) for n in ("alice", "bob", "carol")}
    path = tmp_path / "server.toml"
    path.write_text(HEAD + _peer("alice", peers["alice"]) + _peer("bob", peers["bob"]))
    settings = config.load_server(path)
    return path, settings, ServerEndpoint(server_config(settings), rng=os.urandom), peers


def test_reload_adds_removes_and_renames_peers(server) -> None:  # type: ignore[no-untyped-def]
    path, settings, endpoint, peers = server
    path.write_text(HEAD + _peer("bobby", peers["bob"]) + _peer("carol", peers["carol"]))
    result = reload.reload(endpoint, settings, 1.0)
    assert (result.added, result.removed, result.renamed) == (["carol"], ["alice"], ["bob -> bobby"])
    assert result.sessions_ended == [] and result.restart_needed == [] and result.peers == 2
    assert [(p.name, bytes(p.public_key)) for p in endpoint.config.peers] == [
        ("bobby", peers["bob"]), ("carol", peers["carol"])]
    again = reload.reload(endpoint, settings, 2.0)
    assert (again.added, again.removed, again.renamed) == ([], [], [])
    assert "0 added, 0 removed, 0 renamed; 2 peers" in again.summary()


def test_a_bad_file_changes_nothing_and_names_the_key(server) -> None:  # type: ignore[no-untyped-def]
    path, settings, endpoint, peers = server
    before = endpoint.config
    path.write_text(HEAD + "mtu = 100\n" + _peer("carol", peers["carol"]))
    with pytest.raises(ConfigError, match=r"server\.mtu: must be between 1280 and 9000"):
        reload.reload(endpoint, settings, 1.0)
    path.write_text(HEAD + _peer("carol", peers["carol"]) + _peer("carol", peers["alice"]))
    with pytest.raises(ConfigError, match=r"peers\[1\]\.name: 'carol' already used"):
        reload.reload(endpoint, settings, 1.0)
    path.write_text(HEAD + '\n[[peers]]\nname = "x"\npublic_key = "not base64"\n')
    with pytest.raises(ConfigError, match=r"peers\[0\]\.public_key"):
        reload.reload(endpoint, settings, 1.0)
    path.unlink()
    with pytest.raises(ConfigError, match="no such file"):
        reload.reload(endpoint, settings, 1.0)
    assert endpoint.config is before


def test_keys_read_only_at_start_are_listed_not_applied(server) -> None:  # type: ignore[no-untyped-def]
    path, settings, endpoint, peers = server
    mtu = endpoint.config.mtu
    text = HEAD.replace('"192.0.2.1"', '"192.0.2.9"') + 'mtu = 1300\n' + _peer("alice", peers["alice"])
    path.write_text(text)
    result = reload.reload(endpoint, settings, 1.0)
    assert result.restart_needed == ["server.endpoint", "server.mtu"] and result.removed == ["bob"]
    assert endpoint.config.mtu == mtu
    assert "used after a restart: server.endpoint, server.mtu" in result.summary()


def test_a_changed_transport_section_needs_a_restart(server) -> None:  # type: ignore[no-untyped-def]
    path, settings, endpoint, peers = server
    peers_text = _peer("alice", peers["alice"]) + _peer("bob", peers["bob"])
    path.write_text(HEAD + "\n[tcp]\nenabled = false\n" + peers_text)
    assert reload.reload(endpoint, settings, 1.0).restart_needed == ["[tcp]/[quic]/[masque]"]
