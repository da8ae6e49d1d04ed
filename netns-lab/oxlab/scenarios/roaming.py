"""The client's outer address changes (it moves to a second link and loses the first address):
traffic continues without a new handshake, because the receiver index, not the source address,
finds the session."""

from __future__ import annotations

import time

from oxlab import traffic
from oxlab.lab import Lab
from oxlab.scenario import Outcome, Scenario
from oxlab.scenarios.common import middlebox_delta, tunnel
from oxlab.topology import ADDR, Topology

HOME = ("eth-mbox", ADDR.client_gw_v4, ADDR.client_gw_v6)
ROAM = ("eth-roam", ADDR.client_roam_gw_v4, ADDR.client_roam_gw_v6)


def move_client(topo: Topology, to: tuple[str, str, str], away: tuple[str, str, str]) -> None:
    """Bring the new link up with its addresses, point the default routes at it, drop the old ones."""
    dev, gw4, gw6 = to
    topo.address_link(topo.link("client", dev))
    topo.ip("client", "-4", "route", "replace", "default", "via", gw4, "dev", dev)
    topo.ip("client", "-6", "route", "replace", "default", "via", gw6, "dev", dev)
    topo.ip("client", "addr", "flush", "dev", away[0], "scope", "global")
    topo.ip("client", "link", "set", away[0], "down")


def run(lab: Lab, out: Outcome) -> None:
    ox = tunnel(lab)
    before = ox.status("client")
    handshakes_before = ox.handshake_marker(before)
    out.metric("handshakes_before", handshakes_before)
    out.check("traffic flows before the move", traffic.ping_ok(lab.topo, "client", ADDR.internet_v4))
    moved_at = time.monotonic()
    move_client(lab.topo, ROAM, HOME)
    try:
        with middlebox_delta(lab) as grown:
            resumed = ox.wait_traffic(ADDR.internet_v4, timeout=15)
            echo = traffic.udp_echo(lab.topo, "client", ADDR.internet_v4, count=100, size=800)
        out.metric("resume_seconds", resumed)
        out.metric("since_move_seconds", round(time.monotonic() - moved_at, 3))
        out.check("traffic continues from the new address", resumed is not None)
        out.check("UDP echo from the new address: 100/100 back", echo.get("received") == 100, echo)
        carried = sum(grown.get(f"{t}_to_server", 0) for t in ("tunnel", "quic", "tcp"))  # any transport
        out.metric("middlebox_tunnel_packets", carried)
        out.check("the tunnel datagrams crossed the new link", carried >= 100, grown)
        after = ox.status("client")
        handshakes_after = ox.handshake_marker(after)
        out.metric("handshakes_after", handshakes_after)
        out.check("no new handshake was needed (the latest handshake in `oxidize status` is unchanged)",
                  handshakes_after == handshakes_before, ox.handshake_summary(after))
        server_view = ox.status("server")
        out.metric("server_sees_endpoint", ox.peer_endpoints(server_view))
        if lab.runtime == "masque":  # the core sees the CONNECT-IP tunnel's inner address, not the outer one
            out.note("masque: the server's session endpoint is the CONNECT-IP address; not compared")
        else:
            out.check(f"the server now sends to the client's new address {ADDR.client_roam_v4}",
                      any(ADDR.client_roam_v4 in e for e in ox.peer_endpoints(server_view)),
                      ox.peer_endpoints(server_view))
    finally:
        move_client(lab.topo, HOME, ROAM)
        back = ox.wait_traffic(ADDR.internet_v4, timeout=15)
        out.metric("back_home_seconds", back)
        out.check("traffic continues after moving back to the first link", back is not None)


SCENARIO = Scenario("roaming", "client address changes: no new handshake", run, budget_s=90)
