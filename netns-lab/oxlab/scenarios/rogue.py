"""A rogue host beside the middlebox sends garbage, forged and replayed datagrams at the server while
the client's traffic runs: the session is unaffected, the server stays up and answers the rogue
nothing, and the server's drop counters account for the attack."""

from __future__ import annotations

import json

from oxlab import shell, traffic
from oxlab.lab import Lab
from oxlab.oxidize import sum_matching
from oxlab.scenario import Outcome, Scenario
from oxlab.scenarios.common import tunnel
from oxlab.services import UDP_ECHO_PORT
from oxlab.topology import ADDR

FLOW_INTERVAL_S = 0.01
MAX_FLOW_LOSS_PCT = 1.0


def run(lab: Lab, out: Outcome) -> None:
    ox = tunnel(lab)
    if lab.capture is not None:
        lab.capture.stop(grace=2)
    pcap = str(lab.capture_file) if lab.capture_file and lab.capture_file.exists() else None
    out.check("a capture of the tunnel's first datagrams exists to replay", pcap is not None)
    drops_before = sum_matching(ox.metrics(), "drop")
    reasons_before = dict(ox.status("server").get("drops", {}))
    handshakes_before = ox.handshake_marker(ox.status("client"))
    seconds = lab.profile.rogue_seconds
    flow_count = int((seconds + 2) / FLOW_INTERVAL_S)
    flow = lab.procs.start(
        "rogue-victim-flow",
        shell.python_argv("oxlab.tools.udp_echo", "probe", ADDR.internet_v4, "--port", str(UDP_ECHO_PORT),
                          "--count", str(flow_count), "--size", "600", "--interval", str(FLOW_INTERVAL_S)),
        netns=lab.topo.ns["client"],
    )
    argv = shell.python_argv("oxlab.tools.rogue", "--server", ADDR.server_v4, "--packets",
                             str(lab.profile.rogue_packets), "--seconds", str(seconds),
                             "--spoof", ADDR.client_v4, *(["--pcap", pcap] if pcap else []))
    done = lab.topo.run("rogue", argv, timeout=seconds + 30, check=False)
    flow.wait(timeout=seconds + 20)
    lab.procs.forget(flow)
    attack = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else {}
    out.check("the rogue ran", done.returncode == 0 and attack.get("sent_total", 0) > 0,
              done.stderr.strip()[-400:])
    out.metric("rogue", attack)
    flow_lines = [ln for ln in flow.log_tail(4000).splitlines() if ln.startswith("{")]
    victim = json.loads(flow_lines[-1]) if flow_lines else {}
    out.metric("victim_flow", victim)
    out.check(f"the client's UDP flow during the attack lost <= {MAX_FLOW_LOSS_PCT} %",
              victim.get("sent") == flow_count and float(victim.get("loss_pct", 100)) <= MAX_FLOW_LOSS_PCT,
              victim)
    out.check("the server is still running", ox.server is not None and ox.server.alive(),
              ox.server.log_tail(400) if ox.server else "")
    phases = attack.get("phases", {})
    answered = {name: p["replies"] for name, p in phases.items() if p.get("replies")}
    out.check("the server answered none of the rogue's datagrams", not answered, answered)
    drops = sum_matching(ox.metrics(), "drop") - drops_before
    sent = int(attack.get("sent_total", 0))
    reasons = ox.status("server").get("drops", {})
    out.metric("server_drop_counter_delta", drops)
    out.metric("server_drops_by_reason", {k: v - reasons_before.get(k, 0) for k, v in reasons.items()
                                          if v != reasons_before.get(k, 0)})
    out.check("the server's drop counters (metrics) account for every datagram the rogue sent",
              drops >= sent > 0, f"drops +{drops:.0f} for {sent} sent")
    handshakes_after = ox.handshake_marker(ox.status("client"))
    out.check("the client needed no new handshake", handshakes_after == handshakes_before,
              f"{handshakes_before} -> {handshakes_after}")
    after = traffic.ping(lab.topo, "client", ADDR.internet_v4, count=3)
    out.check("ping through the tunnel after the attack", after.received == 3, after.as_dict())


SCENARIO = Scenario("rogue", "rogue host: garbage, forged, replayed packets", run, budget_s=60)
