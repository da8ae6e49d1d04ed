"""Target files: valid ones load, every bad one is refused with the key named."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest

from conformance.target import TargetError, load_target, parse_target

KEY = base64.b64encode(os.urandom(32)).decode()


def _keyfile(tmp_path: Path, name: str = "client.key") -> str:
    path = tmp_path / name
    path.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    return path.name


def _base(tmp_path: Path) -> dict[str, Any]:
    return {"address": "10.0.0.1", "server_public_key": KEY, "client_private_key_files": [_keyfile(tmp_path)]}


def test_minimal_v3_target_gets_defaults(tmp_path: Path) -> None:
    target = parse_target(_base(tmp_path), base=tmp_path)
    assert target.profile == "v3" and target.transports == ("udp",)
    assert target.ports == {"udp": 51820, "tcp": 51821, "quic": 51822}
    assert len(target.client_private_keys) == 1 and target.observer is None


def test_full_file_round_trip(tmp_path: Path) -> None:
    first, second = _keyfile(tmp_path, "a.key"), _keyfile(tmp_path, "b.key")
    (tmp_path / "t.toml").write_text(f"""
name = "lab"
address = "10.201.0.1"
transports = ["udp", "tcp"]
server_public_key = "{KEY}"
client_private_key_files = ["{first}", "{second}"]
source_addresses = ["10.201.0.10"]
[ports]
tcp = 4443
[observer]
address = "10.202.0.2"
netns = "oxc-obs-1"
interface = "o0"
[echo]
address = "10.202.0.2"
[timing]
silence_window = 0.3
""")
    target = load_target(tmp_path / "t.toml")
    assert target.name == "lab" and target.transports == ("udp", "tcp") and target.ports["tcp"] == 4443
    assert target.observer is not None and target.observer.mode == "sniff" and target.observer.port == 9
    assert target.echo.address == "10.202.0.2" and target.timing.silence_window == 0.3
    assert len(target.client_private_keys) == 2 and target.source_addresses == ("10.201.0.10",)


def test_legacy_needs_no_keys() -> None:
    target = parse_target({"address": "127.0.0.1", "profile": "legacy"})
    assert target.profile == "legacy" and target.server_public_key is None


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"address": "not-an-ip"}, "address"),
        ({"profile": "v4"}, "profile"),
        ({"transports": ["udp", "sctp"]}, "transports"),
        ({"transports": []}, "transports"),
        ({"ports": {"udp": 70000}}, "ports.udp"),
        ({"ports": {"icmp": 1}}, "ports.icmp"),
        ({"server_public_key": "short"}, "server_public_key"),
        ({"server_public_key": base64.b64encode(b"x" * 31).decode()}, "server_public_key"),
        ({"client_private_key_files": ["missing.key"]}, "client_private_key_files[0]"),
        ({"client_private_key_files": []}, "client_private_key_files"),
        ({"observer": {"address": "10.0.0.2"}}, "observer.netns"),
        ({"observer": {"address": "10.0.0.2", "mode": "telepathy"}}, "observer.mode"),
        ({"observer": {"address": "10.0.0.2", "mode": "listen", "port": 0}}, "observer.port"),
        ({"echo": {"protocol": "tcp"}}, "echo.protocol"),
        ({"timing": {"silence_window": -1}}, "timing.silence_window"),
        ({"timing": {"flood_packets": 10**9}}, "timing.flood_packets"),
        ({"timing": {"nap": 1}}, "timing.nap"),
        ({"colour": "blue"}, "colour"),
        ({"source_addresses": ["x"]}, "source_addresses[0]"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, change: dict[str, Any], key: str) -> None:
    data = _base(tmp_path) | change
    with pytest.raises(TargetError) as info:
        parse_target(data, source="t.toml", base=tmp_path)
    assert info.value.key.startswith(key), str(info.value)
    assert str(info.value).startswith("t.toml: " + key)


def test_missing_keys_for_v3(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="server_public_key: is required"):
        parse_target({"address": "10.0.0.1"})
    with pytest.raises(TargetError, match="address: is required"):
        parse_target({"profile": "legacy"})


def test_unreadable_and_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="cannot read"):
        load_target(tmp_path / "nope.toml")
    (tmp_path / "bad.toml").write_text("address = \n")
    with pytest.raises(TargetError, match="not valid TOML"):
        load_target(tmp_path / "bad.toml")


def test_shipped_targets_are_valid(tmp_path: Path) -> None:
    from conformance.__main__ import lab_spec

    folder = Path(__file__).resolve().parents[2] / "conformance" / "targets"
    paths = sorted(folder.glob("*.toml"))
    assert {p.name for p in paths} >= {"local-lab.toml", "example-remote.toml"}
    for path in paths:
        spec = lab_spec(str(path))
        if spec is not None:
            assert spec.get("implementation") == "oxidize"
            continue
        copy = tmp_path / path.name
        copy.write_text(path.read_text())
        for name in ("client0.key", "client1.key"):
            _keyfile(tmp_path, name)
        target = load_target(copy)
        assert target.name and target.transports
