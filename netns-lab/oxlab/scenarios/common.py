"""Helpers several scenarios share: the tunnel guard, counter deltas, proof that traffic was tunnelled."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from oxlab import netstate
from oxlab.lab import Lab
from oxlab.middlebox import delta
from oxlab.oxidize import OxidizeLab
from oxlab.scenario import Outcome


class TunnelNotUp(RuntimeError):
    """A tunnel scenario cannot run because the tunnel did not come up (the reason is attached)."""


def tunnel(lab: Lab) -> OxidizeLab:
    if lab.tunnel is None or lab.tunnel_error is not None or lab.tunnel.client is None:
        raise TunnelNotUp("the tunnel is not up (see the tunnel_up scenario)")
    return lab.tunnel


@contextmanager
def middlebox_delta(lab: Lab) -> Iterator[dict[str, int]]:
    """Yields a dict that, after the block, holds how much each middlebox counter grew inside it."""
    before = lab.middlebox.packets()
    grown: dict[str, int] = {}
    try:
        yield grown
    finally:
        grown.update(delta(before, lab.middlebox.packets()))


def check_tunnelled(out: Outcome, grown: dict[str, int], min_tunnel_packets: int,
                    min_bytes_from_server: int = 0) -> None:
    """Nothing reached the internet prefix in the clear; the tunnel port carried the traffic."""
    out.metric("middlebox_leak_packets", grown.get("leak_v4", 0) + grown.get("leak_v6", 0))
    # whichever transport carries the tunnel: UDP 51820, QUIC 51822 (OxTunnel or MASQUE), TCP 51821
    to_server = sum(grown.get(f"{t}_to_server", 0) for t in ("tunnel", "quic", "tcp"))
    from_server = sum(grown.get(f"{t}_from_server", 0) for t in ("tunnel", "quic", "tcp"))
    out.metric("middlebox_tunnel_packets", to_server + from_server)
    out.check("no packet crossed the middlebox to the internet outside the tunnel",
              grown.get("leak_v4", 0) == 0 and grown.get("leak_v6", 0) == 0,
              f"leak_v4={grown.get('leak_v4', 0)} leak_v6={grown.get('leak_v6', 0)}")
    out.check(f"the middlebox saw >= {min_tunnel_packets} tunnel datagrams each way",
              to_server >= min_tunnel_packets and from_server >= min_tunnel_packets,
              f"to_server={to_server} from_server={from_server}")
    if min_bytes_from_server:
        carried = sum(grown.get(f"{t}_from_server_bytes", 0) for t in ("tunnel", "quic", "tcp"))
        out.metric("middlebox_tunnel_bytes_from_server", carried)
        out.check(f"the tunnel datagrams from the server carried >= {min_bytes_from_server} bytes",
                  carried >= min_bytes_from_server, carried)


def check_stopped_cleanly(out: Outcome, lab: Lab, role: str, code: int | None, log: str,
                          baseline: dict[str, list[str]]) -> None:
    """A daemon stopped by SIGTERM exits 0 and leaves its namespace exactly as it found it: nothing
    added (links, rules, routes, nftables tables, sysctls) and nothing removed."""
    out.metric(f"{role}_exit_code", code)
    out.check(f"the {role} exits cleanly on SIGTERM", code == 0, log)
    now = netstate.snapshot(lab.topo, role)
    left, lost = netstate.added_since(baseline, now), netstate.added_since(now, baseline)
    out.metric(f"{role}_leftovers", left)
    out.metric(f"{role}_missing", lost)
    out.check(f"the stopped {role} left no link, rule, route, nftables table or sysctl change behind",
              not left, left)
    out.check(f"the stopped {role} removed nothing that was there before it started", not lost, lost)
