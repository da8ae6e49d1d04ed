"""Tunnel address pool: one IPv4 and one IPv6 (ULA) address per client key, stable and deterministic.

The first host of each network is the server's own tunnel address.  A client's address is derived from
its public key (BLAKE2s of the key picks the starting slot; collisions probe onward), so the same key
gets the same address across reconnects and — as long as no collision is involved — across server
restarts.  A lease outlives its session (sticky) and is only recycled, least recently used first, when
the pool would otherwise be exhausted; when every address belongs to an *active* session the pool
refuses cleanly (``lease`` returns None).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections import OrderedDict
from dataclasses import dataclass

IPv4Net = ipaddress.IPv4Network
IPv6Net = ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Lease:
    """The addresses assigned to one client (either may be absent when the pool has no such family)."""

    ipv4: ipaddress.IPv4Interface | None
    ipv6: ipaddress.IPv6Interface | None

    @property
    def packed_sources(self) -> tuple[bytes | None, bytes | None]:
        """The raw 4/16-byte addresses the client must use as inner source (anti-spoofing)."""
        return (
            self.ipv4.ip.packed if self.ipv4 is not None else None,
            self.ipv6.ip.packed if self.ipv6 is not None else None,
        )


class _Family:
    """Slots of one network: slot i is host number ``first + i``."""

    def __init__(self, network: IPv4Net | IPv6Net) -> None:
        self.network = network
        self.first = 2  # .0 is the network, .1 the server
        last = network.num_addresses - (2 if network.version == 4 else 1)  # IPv4 keeps broadcast free
        self.size = max(0, last - self.first + 1)
        self.taken: dict[int, bytes] = {}  # slot -> key

    def server(self) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
        return ipaddress.ip_interface(f"{self.network.network_address + 1}/{self.network.prefixlen}")

    def interface(self, slot: int) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
        address = self.network.network_address + self.first + slot
        return ipaddress.ip_interface(f"{address}/{self.network.prefixlen}")

    def slot_of(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> int | None:
        if address not in self.network:
            return None
        slot = int(address) - int(self.network.network_address) - self.first
        return slot if 0 <= slot < self.size else None

    def find_free(self, key: bytes) -> int | None:
        """The key's home slot, or the next free one after it (linear probing, bounded by the size)."""
        if self.size == 0 or len(self.taken) >= self.size:
            return None
        home = int.from_bytes(hashlib.blake2s(b"oxtunnel address " + key).digest()[:16], "big") % self.size
        # IPv6 /64s are huge: probing is expected to stop at the first slot; IPv4 pools are small.
        for step in range(self.size):
            slot = (home + step) % self.size
            if slot not in self.taken:
                return slot
        return None  # pragma: no cover - excluded by the len(taken) check above


class AddressPool:
    """Leases addresses from an IPv4 network and/or an IPv6 network."""

    def __init__(self, ipv4: str | None, ipv6: str | None) -> None:
        self._v4 = _Family(IPv4Net(ipv4)) if ipv4 else None
        self._v6 = _Family(IPv6Net(ipv6)) if ipv6 else None
        if self._v4 is None and self._v6 is None:
            raise ValueError("an address pool needs an IPv4 or an IPv6 network")
        for family in (self._v4, self._v6):
            if family is not None and family.size < 1:
                raise ValueError(f"address pool {family.network} has no room for clients")
        self._leases: OrderedDict[bytes, tuple[int | None, int | None]] = OrderedDict()  # LRU order
        self._active: set[bytes] = set()
        self._pins: set[bytes] = set()

    @property
    def server_ipv4(self) -> ipaddress.IPv4Interface | None:
        return self._v4.server() if self._v4 else None  # type: ignore[return-value]

    @property
    def server_ipv6(self) -> ipaddress.IPv6Interface | None:
        return self._v6.server() if self._v6 else None  # type: ignore[return-value]

    def reserve(self, key: bytes, ipv4: str | None = None, ipv6: str | None = None) -> None:
        """Pin a peer's configured addresses (as WireGuard's per-peer addresses); they are never recycled.

        All or nothing: a ValueError (naming the address) leaves the pool as it was."""
        if key in self._leases:
            raise ValueError("that key holds addresses already")
        slots: list[int | None] = []
        for family, text in ((self._v4, ipv4), (self._v6, ipv6)):
            if family is None:
                if text is not None:
                    raise ValueError(f"address {text}: the pool has no network of that family")
                slots.append(None)
                continue
            if text is None:  # the other family is pinned: this one is derived from the key as usual
                slot = family.find_free(key)
                if slot is None:
                    raise ValueError(f"address pool {family.network} is full")
            else:
                slot = family.slot_of(ipaddress.ip_address(text))
                if slot is None:
                    raise ValueError(f"address {text} is not a client address inside {family.network}")
                owner = family.taken.get(slot)
                if owner is not None and owner != key:
                    what = "reserved twice" if owner in self._pins else "in use by another client"
                    raise ValueError(f"address {text} is {what}")
            slots.append(slot)
        for family, slot in ((self._v4, slots[0]), (self._v6, slots[1])):
            if family is not None and slot is not None:
                family.taken[slot] = key
        self._leases[key] = (slots[0], slots[1])
        self._pins.add(key)  # pinned: never a recycling candidate

    def forget(self, key: bytes) -> None:
        """The key is no longer authorized: free its addresses (pinned or not) for other clients now."""
        slots = self._leases.pop(key, None)
        self._active.discard(key)
        self._pins.discard(key)
        if slots is not None:
            self._free(slots)

    def lease(self, key: bytes) -> Lease | None:
        """The key's addresses (existing or new); None when the pool is exhausted by active clients."""
        slots = self._leases.get(key)
        if slots is None:
            found = self._allocate(key)
            if found is None:
                return None
            slots = found
            self._leases[key] = slots
        self._leases.move_to_end(key)
        self._active.add(key)
        return self._lease_of(slots)

    def release(self, key: bytes) -> None:
        """The session ended: keep the addresses for the key, but allow recycling under pressure."""
        self._active.discard(key)

    def __contains__(self, key: bytes) -> bool:
        return key in self._leases

    def _lease_of(self, slots: tuple[int | None, int | None]) -> Lease:
        v4, v6 = slots
        return Lease(
            self._v4.interface(v4) if self._v4 is not None and v4 is not None else None,  # type: ignore[arg-type]
            self._v6.interface(v6) if self._v6 is not None and v6 is not None else None,  # type: ignore[arg-type]
        )

    def _allocate(self, key: bytes) -> tuple[int | None, int | None] | None:
        while True:
            v4 = self._v4.find_free(key) if self._v4 else None
            v6 = self._v6.find_free(key) if self._v6 else None
            if (self._v4 is None or v4 is not None) and (self._v6 is None or v6 is not None):
                break
            if not self._recycle_one():
                return None
        if self._v4 is not None and v4 is not None:
            self._v4.taken[v4] = key
        if self._v6 is not None and v6 is not None:
            self._v6.taken[v6] = key
        return v4, v6

    def _recycle_one(self) -> bool:
        """Forget the least recently used inactive lease; False when every lease is active."""
        for key, (v4, v6) in self._leases.items():
            if key not in self._active and key not in self._pins:
                del self._leases[key]
                self._free((v4, v6))
                return True
        return False

    def _free(self, slots: tuple[int | None, int | None]) -> None:
        v4, v6 = slots
        if self._v4 is not None and v4 is not None:
            del self._v4.taken[v4]
        if self._v6 is not None and v6 is not None:
            del self._v6.taken[v6]
