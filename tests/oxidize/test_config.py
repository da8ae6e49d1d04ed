"""Config validation: every bad value is reported with its key and the problem, all at once."""

from __future__ import annotations

import base64
import ipaddress
import re
from pathlib import Path

import pytest

from oxidize import config
from oxidize.config import CLIENT_KEYS, PEER_KEYS, SERVER_KEYS, ConfigError, parse_client, parse_server

KEY = base64.b64encode(bytes(range(32))).decode()
KEY2 = base64.b64encode(bytes(range(1, 33))).decode()
ROOT = Path(__file__).resolve().parents[2]


def server(**overrides: object) -> dict[str, object]:
    section: dict[str, object] = {"private_key_file": "server.key"}
    section.update(overrides)
    return {"server": section, "peers": [{"name": "laptop", "public_key": KEY}]}


def client(**overrides: object) -> dict[str, object]:
    section: dict[str, object] = {"private_key_file": "c.key", "server": "192.0.2.1",
                                  "server_public_key": KEY}
    section.update(overrides)
    return {"client": section}


def errors_of(func: object, data: dict[str, object]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        func(data, Path("/etc/oxidize/x.toml"))  # type: ignore[operator]
    return str(info.value).splitlines()


def test_server_defaults_and_relative_key_path() -> None:
    s = parse_server(server(), Path("/etc/oxidize/server.toml"))
    assert s.private_key_file == Path("/etc/oxidize/server.key")
    assert (s.listen.host, s.listen.port) == ("::", 51820)
    assert s.ipv4_pool == ipaddress.ip_network("10.77.0.0/24")
    assert s.metrics is not None and (s.metrics.host, s.metrics.port) == ("127.0.0.1", 9851)
    assert s.peers[0].name == "laptop" and len(s.peers[0].public_key) == 32
    assert s.nat and s.nftables_table == "oxidize" and s.endpoint is None


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"mtu": 90000}, "server.mtu: must be between 1280 and 9000, got 90000"),
        ({"mtu": "1400"}, "server.mtu: must be an integer, got a string"),
        ({"listen": "[::]:0"}, "server.listen: '[::]:0': port must be 1–65535"),
        ({"listen": "vpn.example:51820"}, "server.listen: 'vpn.example:51820': 'vpn.example' is not an IP"),
        ({"ipv4_pool": "10.77.0.1/24"}, "server.ipv4_pool: '10.77.0.1/24' is not a valid prefix"),
        ({"ipv4_pool": "fd00::/64"}, "server.ipv4_pool: 'fd00::/64' is not an IPv4 prefix"),
        ({"ipv4_pool": "10.0.0.0/31"}, "server.ipv4_pool: '10.0.0.0/31' is too small"),
        ({"dns": ["1.1.1.1", "nope"]}, "server.dns: item 1: 'nope' is not an IP address"),
        ({"interface": "a" * 16}, "server.interface: "),
        ({"nftables_table": "oxr-table"}, "server.nftables_table: 'oxr-table' is not valid"),
        ({"allow_destinations": ["cloud"]}, "server.allow_destinations: unknown 'cloud'"),
        ({"nat": "yes"}, "server.nat: must be true or false, got a string"),
        ({"mut": 1400}, "server.mut: unknown key (did you mean 'mtu'?)"),
        ({"ipv4_pool": "", "ipv6_pool": ""}, "at least one pool is needed"),
    ],
)
def test_server_errors_name_key_and_problem(overrides: dict[str, object], expected: str) -> None:
    errors = errors_of(parse_server, server(**overrides))
    assert any(expected in e for e in errors), errors
    assert all(e.startswith("/etc/oxidize/x.toml: ") for e in errors)


def test_all_errors_reported_together() -> None:
    data = server(mtu=1, keepalive=-1)
    del data["server"]["private_key_file"]  # type: ignore[attr-defined]
    errors = errors_of(parse_server, data)
    assert len(errors) == 3
    assert any("server.private_key_file: required" in e for e in errors)


def test_peers_checked_for_duplicates_and_bad_keys() -> None:
    data = server()
    data["peers"] = [
        {"name": "a", "public_key": KEY},
        {"name": "a", "public_key": KEY2},
        {"name": "b", "public_key": KEY},
        {"name": "c", "public_key": "short"},
        {"name": "d"},
    ]
    errors = errors_of(parse_server, data)
    text = "\n".join(errors)
    assert "peers[1].name: 'a' already used by peers[0]" in text
    assert "peers[2].public_key: same key as peers[0]" in text
    assert "peers[3].public_key: is not valid base64" in text or "peers[3].public_key: must decode" in text
    assert "peers[4].public_key: required" in text


def test_unknown_section_suggests() -> None:
    data = server()
    data["sever"] = {}
    expected = "[sever]: unknown section (did you mean [server]?)"
    assert any(expected in e for e in errors_of(parse_server, data))


def test_client_defaults() -> None:
    c = parse_client(client(), Path("/home/u/client.toml"))
    assert c.private_key_file == Path("/home/u/c.key") and c.private_key is None
    assert (c.server.host, c.server.port) == ("192.0.2.1", 51820)
    assert c.mode == "auto" and c.exclude == ("dns", "dhcp", "ntp", "mdns", "localhost")
    assert c.mtu is None and c.keepalive is None and c.fwmark == 0x4F58


def test_client_endpoint_forms() -> None:
    for text, host, port in [("[2001:db8::1]:443", "2001:db8::1", 443), ("vpn.example.com:51820",
                             "vpn.example.com", 51820), ("2001:db8::2", "2001:db8::2", 51820)]:
        c = parse_client(client(server=text), Path("c.toml"))
        assert (c.server.host, c.server.port) == (host, port)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"private_key": KEY}, "give exactly one of them"),
        ({"mode": "partial"}, "client.mode: must be one of 'auto', 'full', 'split', got 'partial'"),
        ({"exclude": ["dns", "smtp"]}, "client.exclude: unknown 'smtp'"),
        ({"routes": ["10.0.0.0/33"]}, "client.routes: item 0: '10.0.0.0/33' is not a valid prefix"),
        ({"server": "[2001:db8::1"}, "client.server: '[2001:db8::1': missing ']'"),
        ({"server": "bad host!"}, "neither an IP address nor a host name"),
        ({"server_public_key": KEY[:-4]}, "client.server_public_key: must decode to 32 bytes"),
        ({"reconnect_min": 10.0, "reconnect_max": 5.0}, "client.reconnect_max: must not be smaller"),
        ({"fwmark": 0}, "client.fwmark: must be between 1 and 4294967295, got 0"),
    ],
)
def test_client_errors(overrides: dict[str, object], expected: str) -> None:
    errors = errors_of(parse_client, client(**overrides))
    assert any(expected in e for e in errors), errors


def test_bad_toml_is_reported_with_path(tmp_path: Path) -> None:
    path = tmp_path / "server.toml"
    path.write_text("[server\nmtu = 1")
    with pytest.raises(ConfigError, match=re.escape(str(path)) + ": not valid TOML"):
        config.load_server(path)
    with pytest.raises(ConfigError, match="no such file"):
        config.load_server(tmp_path / "missing.toml")


def test_every_key_has_a_kind_and_doc() -> None:
    for key in SERVER_KEYS + CLIENT_KEYS + PEER_KEYS:
        assert key.check.kind and key.doc, key.name


def test_defaults_pass_their_own_validators() -> None:
    for key in SERVER_KEYS + CLIENT_KEYS:
        if key.default is not config.REQUIRED:
            key.check(key.default)


def test_readme_configuration_tables_are_current() -> None:
    readme = (ROOT / "README.md").read_text()
    for keys in (SERVER_KEYS, PEER_KEYS, CLIENT_KEYS, config.SERVER_TCP_KEYS, config.SERVER_QUIC_KEYS,
                 config.SERVER_MASQUE_KEYS, config.CLIENT_FALLBACK_KEYS):
        assert config.markdown_table(keys) in readme, "README Configuration table is stale: " \
            "regenerate it with `python -m oxidize.config`"


@pytest.mark.parametrize(("server_cipher", "client_cipher", "used"), [
    ("chacha20-poly1305", "chacha20-poly1305", "CHACHA20_POLY1305"),
    ("aes-256-gcm", "chacha20-poly1305", "CHACHA20_POLY1305"),
    ("chacha20-poly1305", "aes-256-gcm", "CHACHA20_POLY1305"),
    ("aes-256-gcm", "aes-256-gcm", "AES_256_GCM"),  # only when both ends prefer it (BRIEF §2.3)
])
def test_cipher_keys_reach_the_handshake(server_cipher: str, client_cipher: str, used: str,
                                         tmp_path: Path) -> None:
    from oxidize.client import client_config
    from oxidize.server import server_config
    from oxtunnel.client import ClientSession
    from oxtunnel.config import Cipher
    from oxtunnel.crypto import public_key
    from oxtunnel.server import ServerEndpoint
    from oxtunnel.types import PeerAddress

    server_key, client_key = tmp_path / "server.key", tmp_path / "c.key"
    server_key.write_text(base64.b64encode(bytes(range(3, 35))).decode() + "\n")
    client_key.write_text(base64.b64encode(bytes(range(5, 37))).decode() + "\n")
    server_key.chmod(0o600)
    client_key.chmod(0o600)
    client_pub = base64.b64encode(public_key(bytes(range(5, 37)))).decode()
    server_pub = base64.b64encode(public_key(bytes(range(3, 35)))).decode()
    s = parse_server({"server": {"private_key_file": str(server_key), "cipher": server_cipher},
                      "peers": [{"name": "laptop", "public_key": client_pub}]}, tmp_path / "server.toml")
    c = parse_client(client(private_key_file=str(client_key), server_public_key=server_pub,
                            cipher=client_cipher), tmp_path / "client.toml")
    assert server_config(s).ciphers[0] == config.CIPHERS[server_cipher]
    addr = PeerAddress("192.0.2.1", 51820)
    endpoint = ServerEndpoint(server_config(s), rng=lambda n: bytes(range(n)))
    session = ClientSession(client_config(c, addr), rng=lambda n: bytes(range(7, 7 + n)))
    session.connect(0.0)
    for data, _ in session.datagrams_to_send(0.0):
        endpoint.receive_datagram(data, PeerAddress("198.51.100.7", 40000), 0.0)
    for data, _ in endpoint.datagrams_to_send(0.0):
        session.receive_datagram(data, addr, 0.0)
    assert session.established and session.current is not None
    assert session.current.cipher == Cipher[used]
