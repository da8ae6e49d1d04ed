"""`oxidize status` output: the JSON document a running instance returns, printed as `wg show` does.

Document shape (both roles): `role`, `interface`, `pid`, `public_key`, `listen` or `server`, `state`,
`peers`: a list of {`name`, `public_key`, `endpoint`, `transport`, `addresses`, `last_handshake` (Unix
time or null), `rx_bytes`, `tx_bytes`, `rx_packets`, `tx_packets`}; `drops`: reason → count.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any


def ago(then: float | None, now: float | None = None) -> str:
    if then is None:
        return "never"
    seconds = max(0, int((time.time() if now is None else now) - then))
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count, seconds = divmod(seconds, size)
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    if seconds or not parts:
        parts.append(f"{seconds} second{'s' if seconds != 1 else ''}")
    return ", ".join(parts) + " ago"


def size(count: float) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.2f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def render(doc: Mapping[str, Any], now: float | None = None) -> str:
    lines = [f"interface: {doc.get('interface')} ({doc.get('role')}, pid {doc.get('pid')})"]
    for label, key in (("public key", "public_key"), ("listening", "listen"), ("server", "server"),
                       ("state", "state"), ("addresses", "addresses"), ("mtu", "mtu")):
        value = doc.get(key)
        if value not in (None, "", []):
            lines.append(f"  {label}: {', '.join(value) if isinstance(value, list) else value}")
    if doc.get("role") == "client" and doc.get("transport"):
        switches = doc.get("transport_switches", 0)
        order = " → ".join(doc.get("fallback_order", [])) or "fixed"
        lines.append(f"  transport: {doc['transport']} ({switches} switch{'es' if switches != 1 else ''}; "
                     f"order {order})")
    if doc.get("listening"):
        lines.append(f"  also listening: {', '.join(doc['listening'])}")
    peers: Sequence[Mapping[str, Any]] = doc.get("peers", [])
    for peer in peers:
        lines.append("")
        lines.append(f"peer: {peer.get('name') or '(unnamed)'} ({peer.get('public_key')})")
        if peer.get("endpoint"):
            lines.append(f"  endpoint: {peer['endpoint']} ({peer.get('transport', 'udp')})")
        if peer.get("addresses"):
            lines.append(f"  addresses: {', '.join(peer['addresses'])}")
        lines.append(f"  latest handshake: {ago(peer.get('last_handshake'), now)}")
        rx, tx = size(peer.get("rx_bytes", 0)), size(peer.get("tx_bytes", 0))
        lines.append(f"  transfer: {rx} received, {tx} sent")
    drops: Mapping[str, int] = doc.get("drops", {})
    if drops:
        lines.append("")
        lines.append("drops: " + ", ".join(f"{reason} {count}" for reason, count in sorted(drops.items())))
    return "\n".join(lines)
