"""`[tcp]`, `[quic]`, `[masque]`, `[fallback]` and `client.transport`: mapped onto the runtime configs,
every mistake reported with its key; genconfig writes the certificate pin the server will present."""

from __future__ import annotations

import base64
import tomllib
from pathlib import Path

import pytest

from oxidize import genconfig, keys, transports
from oxidize.config import ConfigError, parse_client, parse_server
from oxidize.validators import HostPort
from runtimes.quic.certs import ensure_server_certificate

KEY = base64.b64encode(bytes(range(32))).decode()
PIN = "ab" * 32


def server(**sections: dict[str, object]) -> dict[str, object]:
    return {"server": {"private_key_file": "server.key"}, "peers": [{"name": "laptop", "public_key": KEY}],
            **sections}


def client(fallback: dict[str, object] | None = None, **overrides: object) -> dict[str, object]:
    section: dict[str, object] = {"private_key_file": "c.key", "server": "192.0.2.1",
                                  "server_public_key": KEY}
    section.update(overrides)
    return {"client": section, **({"fallback": fallback} if fallback is not None else {})}


def errors(func: object, data: dict[str, object]) -> str:
    with pytest.raises(ConfigError) as info:
        func(data, Path("/etc/oxidize/x.toml"))  # type: ignore[operator]
    return str(info.value)


def test_server_defaults_listen_on_all_three_transports() -> None:
    s = parse_server(server(), Path("/etc/oxidize/server.toml"))
    served = s.transports
    assert served.tcp is not None and (served.tcp.host, served.tcp.port) == ("::", 51821)
    assert served.quic is not None and served.quic.port == 51822
    assert served.cert_dir == Path("/etc/oxidize"), "the self-signed certificate lives beside the key"
    assert served.masque is not None and served.masque.forward and served.masque.interface == "oxm0"
    assert transports.granted_mtu(served, 1420) == 1340, "every packet must fit QUIC and MASQUE too"


def test_switched_off_sections() -> None:
    s = parse_server(server(tcp={"enabled": False}, quic={"enabled": False}), Path("/etc/oxidize/s.toml"))
    assert s.transports.tcp is None and s.transports.quic is None and s.transports.masque is None
    assert transports.granted_mtu(s.transports, 1420) == 1420


@pytest.mark.parametrize(("sections", "expected"), [
    ({"tcp": {"listen": "[::]:0"}}, "tcp.listen: '[::]:0': port must be 1–65535"),
    ({"tcp": {"max_conections": 3}}, "tcp.max_conections: unknown key (did you mean 'max_connections'?)"),
    ({"quic": {"path_mtu": 1000}}, "quic.path_mtu: must be between 1280 and 65535, got 1000"),
    ({"quic": {"certificate": "cert.pem"}}, "quic.certificate / quic.private_key: give both or neither"),
    ({"quic": {"congestion_control": "bbr"}}, "quic.congestion_control: must be one of 'cubic', 'reno'"),
    ({"masque": {"token_sha256": ["xyz"]}}, "masque.token_sha256: entry 0: 'xyz' is not valid"),
    ({"masque": {"ipv4_pool": "10.77.0.0/25"}}, "masque.ipv4_pool: 10.77.0.0/25 overlaps server.ipv4_pool"),
    ({"masque": {"interface": "oxs0"}}, "masque.interface: 'oxs0' is already server.interface"),
    ({"masque": {"udp_idle_timeout": 60}}, "masque.udp_idle_timeout: must be between 120 and 86400"),
    ({"masqe": {}}, "[masqe]: unknown section (did you mean [masque]?)"),
])
def test_server_errors_name_the_key(sections: dict[str, dict[str, object]], expected: str) -> None:
    assert expected in errors(parse_server, server(**sections))


def test_client_auto_order_and_forced_transport(tmp_path: Path) -> None:
    c = parse_client(client(quic_spki_sha256="SHA256:" + PIN.upper()), tmp_path / "client.toml")
    assert c.transport == "auto" and c.fallback.config.order == ("udp", "quic", "tcp")
    assert c.quic_spki_sha256 == PIN, "pins are normalised"
    forced = parse_client(client(transport="masque", quic_spki_sha256=PIN), tmp_path / "client.toml")
    assert forced.fallback.config.order == ("masque",)
    timed = parse_client(client({"udp_attempts": 2, "dead_after": 8, "order": ["udp", "masque", "tcp"]},
                                quic_spki_sha256=PIN), tmp_path / "client.toml")
    assert timed.fallback.config.attempts["udp"] == 2 and timed.fallback.config.dead_after == 8.0
    assert timed.fallback.config.order == ("udp", "masque", "tcp")


def test_client_without_pin_skips_quic_or_refuses_to_force_it(tmp_path: Path) -> None:
    c = parse_client(client(), tmp_path / "client.toml")
    assert c.fallback.config.order == ("udp", "tcp") and c.fallback.skipped == ("quic",)
    refused = errors(parse_client, client(transport="quic"))
    assert "client.transport: 'quic' needs client.quic_spki_sha256" in refused
    assert "fallback.probe_window must be shorter" in errors(
        parse_client, client({"probe_interval": 2, "probe_window": 3}, quic_spki_sha256=PIN))
    assert "client.quic_spki_sha256: 'nothex'" in errors(parse_client, client(quic_spki_sha256="nothex"))
    assert "fallback.order: unknown 'smtp'" in errors(parse_client, client({"order": ["udp", "smtp"]}))


def test_genconfig_writes_the_pin_of_the_certificate_the_server_will_use(tmp_path: Path) -> None:
    key = tmp_path / "server.key"
    keys.write_private(key, keys.generate_private())
    text = f'[server]\nprivate_key_file = "{key}"\n'
    settings = parse_server(tomllib.loads(text), tmp_path / "server.toml")
    made = genconfig.build(settings, text, "phone", HostPort("vpn.example", 51820))
    c = parse_client(tomllib.loads(made.client_toml), tmp_path / "client.toml")
    assert c.quic_spki_sha256 == ensure_server_certificate(tmp_path, transports.CERT_NAMES).spki_sha256
    assert c.masque_service == "10.89.0.1" and c.fallback.config.order == ("udp", "quic", "tcp")
    assert (tmp_path / "quic-key.pem").stat().st_mode & 0o077 == 0
