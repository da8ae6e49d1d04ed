"""AddressPool: derived, stable, collision-handled, sticky leases; clean exhaustion; pinned addresses."""

from __future__ import annotations

import ipaddress

import pytest

from oxtunnel.addrpool import AddressPool


def _keys(n: int) -> list[bytes]:
    return [bytes([i]) * 32 for i in range(n)]


def test_leases_are_stable_unique_and_inside_the_pool() -> None:
    pool = AddressPool("10.1.0.0/24", "fd00:1::/64")
    leases = {k: pool.lease(k) for k in _keys(50)}
    v4s = [lease.ipv4 for lease in leases.values() if lease]
    assert len(set(v4s)) == 50
    assert all(i is not None and i.ip in ipaddress.ip_network("10.1.0.0/24") for i in v4s)
    assert all(str(i.ip) not in ("10.1.0.0", "10.1.0.1", "10.1.0.255") for i in v4s if i)
    again = AddressPool("10.1.0.0/24", "fd00:1::/64")
    assert {k: again.lease(k) for k in _keys(50)} == leases  # same order: same answers
    assert pool.lease(_keys(1)[0]) == leases[_keys(1)[0]]
    assert pool.server_ipv4 == ipaddress.ip_interface("10.1.0.1/24")
    assert pool.server_ipv6 == ipaddress.ip_interface("fd00:1::1/64")


def test_collisions_probe_onward_and_exhaustion_is_refused() -> None:
    pool = AddressPool("10.2.0.0/29", None)  # 8 addresses: network, server, broadcast -> 5 for clients
    got = [pool.lease(k) for k in _keys(6)]
    assert all(g is not None for g in got[:5]) and got[5] is None
    assert len({g.ipv4 for g in got[:5] if g}) == 5
    assert got[0] is not None and got[0].ipv6 is None and got[0].packed_sources[1] is None


def test_released_leases_are_sticky_until_the_pool_needs_them() -> None:
    pool = AddressPool("10.3.0.0/30", None)  # one client address
    a, b = _keys(2)
    first = pool.lease(a)
    pool.release(a)
    assert pool.lease(a) == first  # sticky
    assert pool.lease(b) is None  # a is active again
    pool.release(a)
    assert pool.lease(b) == first  # recycled, least recently used first
    assert a not in pool and b in pool


def test_pinned_addresses() -> None:
    pool = AddressPool("10.4.0.0/24", "fd00:4::/64")
    a, b, c = _keys(3)
    pool.reserve(a, "10.4.0.50", None)
    lease = pool.lease(a)
    assert lease is not None and str(lease.ipv4) == "10.4.0.50/24" and lease.ipv6 is not None
    pool.release(a)
    with pytest.raises(ValueError, match="reserved twice"):
        pool.reserve(b, "10.4.0.50")
    with pytest.raises(ValueError, match="not a client address"):
        pool.reserve(b, "10.9.0.5")
    with pytest.raises(ValueError, match="not a client address"):
        pool.reserve(b, "10.4.0.1")  # the server's
    only4 = AddressPool("10.5.0.0/30", None)
    with pytest.raises(ValueError, match="no network of that family"):
        only4.reserve(c, None, "fd00::5")
    only4.reserve(c, "10.5.0.2")
    small6 = AddressPool("10.6.0.0/24", "fd00:6::/126")  # two IPv6 client slots
    small6.reserve(a, "10.6.0.10")
    small6.reserve(b, "10.6.0.11")
    with pytest.raises(ValueError, match="is full"):
        small6.reserve(c, "10.6.0.12")
    assert c not in small6
    assert small6.lease(c) is None  # no IPv6 slot left for c: refused, not half-leased


def test_a_failed_reservation_changes_nothing_and_forget_frees_at_once() -> None:
    pool = AddressPool("10.7.0.0/29", "fd00:7::/126")  # 5 IPv4 and 2 IPv6 client slots
    a, b, c = _keys(3)
    pool.reserve(a, "10.7.0.2", "fd00:7::2")
    with pytest.raises(ValueError, match="reserved twice"):
        pool.reserve(b, "10.7.0.3", "fd00:7::2")
    assert b not in pool
    pool.reserve(b, "10.7.0.3", "fd00:7::3")  # 10.7.0.3 was not kept by the failed attempt
    with pytest.raises(ValueError, match="holds addresses already"):
        pool.reserve(b, "10.7.0.4")
    assert pool.lease(c) is None  # IPv6 exhausted by the two pins
    pool.forget(a)
    lease = pool.lease(c)
    assert lease is not None and str(lease.ipv6) == "fd00:7::2/126"
    dynamic = AddressPool("10.8.0.0/24", None)
    got = dynamic.lease(a)
    assert got is not None and got.ipv4 is not None
    with pytest.raises(ValueError, match="in use by another client"):
        dynamic.reserve(b, str(got.ipv4.ip))
    dynamic.forget(a)  # an active lease too: the key is gone
    dynamic.reserve(b, str(got.ipv4.ip))
    assert a not in dynamic


def test_bad_pools() -> None:
    with pytest.raises(ValueError):
        AddressPool(None, None)
    with pytest.raises(ValueError, match="no room"):
        AddressPool("10.0.0.0/31", None)
