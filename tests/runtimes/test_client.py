"""The client's host configuration for granted parameters (pure), and the reconnect stand-in."""

from __future__ import annotations

import ipaddress

from oxtunnel.events import SessionParameters
from runtimes.client import ClientOptions, _Waiting, network_state


def params(routes: tuple[str, ...] = ("0.0.0.0/0", "::/0"), v6: bool = True,
           dns: tuple[str, ...] = ("10.77.0.1", "fd77::1")) -> SessionParameters:
    return SessionParameters(
        cipher=1, features=0, mtu=1400, keepalive_interval=25,
        ipv4=ipaddress.IPv4Interface("10.77.0.5/24"),
        ipv6=ipaddress.IPv6Interface("fd77::5/64") if v6 else None,
        dns_servers=tuple(ipaddress.ip_address(d) for d in dns),
        routes=tuple(ipaddress.ip_network(r) for r in routes),
    )


OPTS = ClientOptions(relay_hosts=("192.0.2.1",))


def test_auto_with_default_routes_is_a_full_tunnel_per_family() -> None:
    state = network_state(params(), OPTS)
    assert state.addresses == ("10.77.0.5/24", "fd77::5/64") and state.mtu == 1400
    lines = state.plan.describe()
    assert "ip -4 route add 0.0.0.0/0 dev oxtun0 table 51820" in lines
    assert "ip -6 route add ::/0 dev oxtun0 table 51820" in lines
    assert "ip -4 rule add to 192.0.2.1/32 lookup main priority 31000" in lines
    assert state.dns_servers == ("10.77.0.1", "fd77::1")


def test_auto_with_only_specific_routes_is_split() -> None:
    state = network_state(params(routes=("10.1.0.0/16", "fd01::/48")), OPTS)
    assert state.plan.rules == ()
    assert state.plan.describe() == ["ip -4 route add 10.1.0.0/16 dev oxtun0",
                                     "ip -6 route add fd01::/48 dev oxtun0"]


def test_split_mode_ignores_default_routes_and_adds_own_routes() -> None:
    opts = ClientOptions(mode="split", routes=("172.16.0.0/12",))
    state = network_state(params(), opts)
    assert state.plan.describe() == ["ip -4 route add 172.16.0.0/12 dev oxtun0"]


def test_full_tunnel_without_ipv6_address_blocks_ipv6_instead_of_leaking_it() -> None:
    for state in (network_state(params(routes=(), v6=False), ClientOptions(mode="full")),
                  network_state(params(v6=False), ClientOptions(mode="auto"))):
        lines = state.plan.describe()
        assert "ip -4 route add 0.0.0.0/0 dev oxtun0 table 51820" in lines
        assert "ip -6 route add unreachable ::/0 table 51820" in lines
        assert "ip -6 rule add not fwmark 0x4f58 lookup 51820 priority 31100" in lines
        assert "ip -6 rule add ipproto udp dport 53 lookup main priority 31001" in lines
        assert state.dns_servers == ("10.77.0.1",)


def test_auto_without_pushed_ipv6_default_leaves_ipv6_alone() -> None:
    state = network_state(params(routes=("0.0.0.0/0",), v6=False), OPTS)
    assert all(line.startswith("ip -4") for line in state.plan.describe())


def test_dns_off_and_mtu_override() -> None:
    state = network_state(params(), ClientOptions(dns=False, mtu=1300))
    assert state.dns_servers == () and state.mtu == 1300


def test_same_parameters_give_equal_states() -> None:
    assert network_state(params(), OPTS) == network_state(params(), OPTS)
    assert network_state(params(), OPTS) != network_state(params(v6=False), OPTS)


def test_waiting_drops_packets_and_reconnects_at_its_time() -> None:
    fired: list[float] = []
    waiting = _Waiting(10.0, fired.append)
    waiting.send_packets([b"a", b"b"], 1.0)
    waiting.handle_timer(5.0)
    assert waiting.dropped == 2 and fired == [] and waiting.get_timer() == 10.0
    waiting.handle_timer(10.0)
    assert fired == [10.0] and waiting.datagrams_to_send(10.0) == [] and waiting.next_event() is None
