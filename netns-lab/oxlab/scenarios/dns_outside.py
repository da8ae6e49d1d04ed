"""DNS stays outside the tunnel: the client uses the resolver the server pushed, and its queries
cross the middlebox in the clear from the client's outer address (the documented exclusion)."""

from __future__ import annotations

from oxlab import traffic
from oxlab.lab import Lab
from oxlab.scenario import Outcome, Scenario
from oxlab.scenarios.common import middlebox_delta, tunnel
from oxlab.services import LAB_ZONE
from oxlab.topology import ADDR

LOOKUPS = ("files.lab.test", "echo.lab.test", "server.lab.test")


def run(lab: Lab, out: Outcome) -> None:
    ox = tunnel(lab)
    resolv = lab.topo.resolv_conf("client").read_text()
    out.metric("resolv_conf", resolv.strip())
    out.check(f"the client's resolv.conf names the DNS server the server pushed ({ADDR.dns_pushed_v4})",
              f"nameserver {ADDR.dns_pushed_v4}" in resolv, resolv.strip())
    seen_before = len(lab.services.dns_queries())
    with middlebox_delta(lab) as grown:
        answers = {name: traffic.resolve(lab.topo, "client", name) for name in LOOKUPS}
    for name, got in answers.items():
        want = sorted(a for a in LAB_ZONE[name] if ":" not in a)
        out.check(f"{name} resolves to {want}", got == want, got)
    queries = lab.services.dns_queries()[seen_before:]
    sources = sorted({str(q["src"]) for q in queries})
    tunnel_addrs = {a for a in (ox.tunnel_addresses().v4, ox.tunnel_addresses().v6) if a}
    out.metric("queries_seen_by_server", len(queries))
    out.metric("query_sources", sources)
    out.metric("middlebox_dns_packets", grown.get("dns_udp", 0))
    out.check("the DNS server saw the queries", len(queries) >= len(LOOKUPS), len(queries))
    out.check("every query came from the client's outer address, none from its tunnel address",
              bool(sources) and set(sources) <= {ADDR.client_v4, ADDR.client_v6}
              and not set(sources) & tunnel_addrs,
              f"sources={sources} tunnel={sorted(tunnel_addrs)}")
    out.check("the middlebox counted the queries in the clear (UDP 53)",
              grown.get("dns_udp", 0) >= len(LOOKUPS), grown.get("dns_udp", 0))


SCENARIO = Scenario("dns_outside", "DNS stays outside the tunnel", run, budget_s=45)
