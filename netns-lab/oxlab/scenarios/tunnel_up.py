"""The server and client start through the CLI; the client gets its tunnel addresses and a handshake."""

from __future__ import annotations

import time

from oxlab.lab import Lab
from oxlab.scenario import Outcome, Scenario


def run(lab: Lab, out: Outcome) -> None:
    started = time.monotonic()
    lab.start_tunnel()
    out.metric("start_seconds", round(time.monotonic() - started, 3))
    assert lab.tunnel is not None
    addrs = lab.tunnel.tunnel_addresses()
    out.metric("tunnel_v4", addrs.v4)
    out.metric("tunnel_v6", addrs.v6)
    out.check("the client's oxtun0 has an IPv4 address from the pool", addrs.v4 is not None, addrs)
    out.check("the client's oxtun0 has an IPv6 address from the pool", addrs.v6 is not None, addrs)
    status = lab.tunnel.status("client")
    out.metric("client_status", status)
    out.check("`oxidize status --json` on the client reports a handshake",
              any(when is not None for _, when in lab.tunnel.handshake_marker(status)),
              lab.tunnel.handshake_summary(status))


SCENARIO = Scenario("tunnel_up", "server and client start through the CLI", run, needs_tunnel=False,
                    budget_s=60)
