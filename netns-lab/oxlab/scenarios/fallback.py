"""Transport fallback: the middlebox blocks UDP 51820 (→ QUIC), then all UDP (→ TCP), then nothing
(→ back to UDP); a download runs across all three switches and must arrive intact.

Each scenario starts from the client on UDP, forces one condition with a middlebox rule, measures how
long `oxidize status` takes to report the new transport and until a ping through the tunnel answers,
and proves the traffic crossed the middlebox the way the transport says (QUIC on UDP 51822, TCP on
51821). The client runs with the lab's `[fallback]` timers (oxlab.oxidize.FALLBACK_TOML).
"""

from __future__ import annotations

import time

from oxlab import traffic
from oxlab.lab import Lab
from oxlab.oxidize import OxidizeLab
from oxlab.scenario import Outcome, Scenario
from oxlab.scenarios.common import tunnel
from oxlab.services import HTTP_PORT, sha256_file
from oxlab.topology import ADDR

SWITCH_TIMEOUT_S = 45.0  # dead_after 6 s + a failed QUIC attempt 5 s + slack: far above what it needs
TRAFFIC_TIMEOUT_S = 15.0
AUTO = ("udp",)  # the lab's `udp` runtime runs the client with `transport = "auto"` (the fallback)
DOWNLOAD_SECONDS = 40  # the download's duration at the shaped rate: room for three switches (~30 s)


def wait_switch(lab: Lab, ox: OxidizeLab, wanted: str, timeout: float = SWITCH_TIMEOUT_S) -> float | None:
    """Seconds until the client is on `wanted` while someone uses the tunnel (a ping every ~0.5 s: an
    idle tunnel notices a dead path only when it next sends, at the latest with its keepalive)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if ox.transport() == wanted:
            return round(time.monotonic() - started, 3)
        traffic.ping(lab.topo, "client", ADDR.internet_v4, count=1, deadline_s=0.5)
    return None


def _packets(lab: Lab) -> dict[str, int]:
    return lab.middlebox.packets()


def ensure_udp(lab: Lab, ox: OxidizeLab, out: Outcome) -> bool:
    """Start from UDP: clear the middlebox and wait for the client to move back up if needed."""
    lab.middlebox.clear()
    waited = ox.wait_transport("udp", SWITCH_TIMEOUT_S)
    return out.check("the client starts on UDP", waited is not None, ox.transport())


def force(lab: Lab, ox: OxidizeLab, out: Outcome, impairment: str, value: int, wanted: str,
          key: str) -> float | None:
    """Apply an impairment, time the switch to `wanted` and the first ping through it."""
    rules = lab.middlebox.impair(impairment, value)
    started = time.monotonic()
    switched = wait_switch(lab, ox, wanted)
    out.metric(f"{key}_switch_seconds", switched)
    out.check(f"middlebox {' / '.join(rules)}: the client is on {wanted} within {SWITCH_TIMEOUT_S:.0f} s",
              switched is not None, ox.transport())
    if switched is None:
        return None
    flowing = ox.wait_traffic(ADDR.internet_v4, TRAFFIC_TIMEOUT_S)
    elapsed = round(time.monotonic() - started, 3)
    out.metric(f"{key}_traffic_seconds", elapsed if flowing is not None else None)
    out.check(f"ping through the tunnel answers over {wanted}", flowing is not None)
    return elapsed if flowing is not None else None


def check_server_sees(ox: OxidizeLab, out: Outcome, wanted: str) -> None:
    peers = ox.status("server").get("peers", [])
    seen = [p.get("transport") for p in peers if p.get("transport")]
    out.check(f"the server's session is on {wanted} too (`oxidize status` on the server)",
              wanted in seen, seen)


def run_quic(lab: Lab, out: Outcome) -> None:
    ox = tunnel(lab)
    if not ensure_udp(lab, ox, out):
        return
    handshakes = ox.handshake_marker(ox.status("client"))
    if force(lab, ox, out, "block_udp_port", 51820, "quic", "quic") is None:
        return
    before = _packets(lab)
    echo = traffic.udp_echo(lab.topo, "client", ADDR.internet_v4, count=50, size=1000)
    after = _packets(lab)
    out.check("UDP echo over QUIC: 50/50 back intact",
              echo.get("received") == 50 and echo.get("corrupted") == 0, echo)
    quic_packets = after.get("quic_to_server", 0) - before.get("quic_to_server", 0)
    out.metric("quic_packets_to_server", quic_packets)
    out.check("the echo crossed the middlebox as QUIC on UDP 51822", quic_packets >= 50, quic_packets)
    check_server_sees(ox, out, "quic")
    after = ox.status("client")
    out.check("the switch needed no new handshake (keys and addresses kept)",
              ox.handshake_marker(after) == handshakes, ox.handshake_summary(after))


def run_tcp(lab: Lab, out: Outcome) -> None:
    ox = tunnel(lab)
    if not ensure_udp(lab, ox, out):
        return
    if force(lab, ox, out, "block_udp", 0, "tcp", "tcp") is None:
        return
    before = _packets(lab)
    result = traffic.ping(lab.topo, "client", ADDR.internet_v4, count=20, interval=0.05)
    after = _packets(lab)
    out.check("20 pings through the tunnel over TCP: all answered", result.received == 20, result.as_dict())
    tcp_packets = after.get("tcp_to_server", 0) - before.get("tcp_to_server", 0)
    out.metric("tcp_packets_to_server", tcp_packets)
    out.check("the pings crossed the middlebox as TCP 51821", tcp_packets >= 20, tcp_packets)
    check_server_sees(ox, out, "tcp")


def run_back_to_udp(lab: Lab, out: Outcome) -> None:
    ox = tunnel(lab)
    if ox.transport() == "udp":
        lab.middlebox.impair("block_udp")
        out.check("set-up: the client left UDP while all UDP was blocked",
                  wait_switch(lab, ox, "tcp") is not None, ox.transport())
    lab.middlebox.clear()
    started = time.monotonic()
    back = ox.wait_transport("udp", SWITCH_TIMEOUT_S)
    out.metric("back_to_udp_seconds", round(time.monotonic() - started, 3) if back is not None else None)
    out.check(f"unblocked: the client is back on UDP within {SWITCH_TIMEOUT_S:.0f} s (upward probe)",
              back is not None, ox.transport())
    before = _packets(lab)
    echo = traffic.udp_echo(lab.topo, "client", ADDR.internet_v4, count=50, size=1000)
    grown = {k: v - before.get(k, 0) for k, v in _packets(lab).items()}
    out.check("UDP echo after moving back: 50/50", echo.get("received") == 50, echo)
    out.check("the traffic is on UDP 51820 again", grown.get("tunnel_to_server", 0) >= 50, grown)
    check_server_sees(ox, out, "udp")
    switched = {k: v for k, v in ox.metrics().items() if k.startswith("oxidize_transport_switches_total")}
    out.metric("server_switch_metric", switched)
    out.check("the server counts the switches (oxidize_transport_switches_total)",
              any('to="udp"' in k and v >= 1 for k, v in switched.items()), switched)
    client = ox.status("client")
    out.metric("client_transport_switches", client.get("transport_switches"))
    out.check("`oxidize status` on the client counts the switches",
              (client.get("transport_switches") or 0) >= 2, client.get("recent_switches"))


def run_download(lab: Lab, out: Outcome) -> None:
    """A rate-limited download that lasts through UDP → QUIC → TCP → UDP; checksum at the end."""
    ox = tunnel(lab)
    if not ensure_udp(lab, ox, out):
        return
    blob = lab.services.blobs["blob.bin"]
    seconds = DOWNLOAD_SECONDS
    kbit = max(256, blob.size * 8 // seconds // 1000)
    dest = lab.workdir / "fallback-download.bin"
    dest.unlink(missing_ok=True)
    url = f"http://{ADDR.internet_v4}:{HTTP_PORT}{blob.url_path}"
    argv = ["curl", "-sS", "--noproxy", "*", "-o", str(dest), "--connect-timeout", "5",
            "--max-time", str(seconds * 4), url]
    # the internet host's uplink shaped (tbf) so the download lasts long enough for three switches
    lab.topo.run("internet", ["tc", "qdisc", "replace", "dev", "eth-server", "root", "tbf", "rate",
                              f"{kbit}kbit", "burst", "64kb", "latency", "1s"])
    started = time.monotonic()
    proc = lab.procs.start("fallback-download", argv, netns=lab.topo.ns["client"])
    switches: list[str] = []
    try:
        time.sleep(2.0)
        for impairment, value, wanted in (("block_udp_port", 51820, "quic"), ("block_udp", 0, "tcp"),
                                          ("none", 0, "udp")):
            if proc.popen.poll() is not None:
                break
            lab.middlebox.impair(impairment, value)
            if wait_switch(lab, ox, wanted) is not None:
                switches.append(f"{wanted}@{time.monotonic() - started:.1f}s")
            time.sleep(2.0)
        code = proc.popen.wait(timeout=seconds * 4 + 10)
    finally:
        lab.middlebox.clear()
        lab.topo.run("internet", ["tc", "qdisc", "del", "dev", "eth-server", "root"], check=False)
        if proc.alive():
            proc.stop(grace=2)
        lab.procs.forget(proc)
    took = time.monotonic() - started
    size = dest.stat().st_size if dest.exists() else 0
    digest_ok = size == blob.size and sha256_file(dest) == blob.sha256
    dest.unlink(missing_ok=True)
    out.metric("bytes", size)
    out.metric("download_seconds", round(took, 3))
    out.metric("shaped_kbit_s", kbit)
    out.metric("switches_during_download", switches)
    out.check("the download ran across UDP → QUIC → TCP → UDP (3 switches while it ran)",
              len(switches) == 3 and [s.split("@")[0] for s in switches] == ["quic", "tcp", "udp"], switches)
    out.check(f"curl finished ({blob.size} bytes) with the right SHA-256", code == 0 and digest_ok,
              f"exit {code}, {size} bytes, sha256 ok: {digest_ok}, {proc.log_tail()[-300:]}")


SCENARIOS = (
    Scenario("fallback_quic", "middlebox blocks UDP 51820: client on QUIC, traffic flows", run_quic,
             budget_s=90, runtimes=AUTO),
    Scenario("fallback_tcp", "middlebox blocks all UDP: client on TCP, traffic flows", run_tcp, budget_s=120,
             runtimes=AUTO),
    Scenario("fallback_back_to_udp", "middlebox unblocks: client back on UDP", run_back_to_udp, budget_s=120,
             runtimes=AUTO),
    Scenario("fallback_download", "download across forced switches UDP → QUIC → TCP → UDP, checksum",
             run_download, budget_s=300, runtimes=AUTO),
)
