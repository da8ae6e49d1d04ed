"""A third-party MASQUE client (oxlab.masque_client: aioquic only, none of OxTunnel's client code)
uses our server as a proxy: CONNECT-UDP to the internet host's UDP echo, CONNECT-IP with ICMP echo and
UDP through the server's MASQUE TUN; without the bearer token it is refused."""

from __future__ import annotations

import json
from typing import Any

from oxlab import shell
from oxlab.lab import Lab
from oxlab.oxidize import MASQUE_TOKEN, QUIC_PORT
from oxlab.scenario import Outcome, Scenario
from oxlab.scenarios.common import middlebox_delta, tunnel
from oxlab.services import UDP_ECHO_PORT
from oxlab.topology import ADDR

COUNT = 20


def masque(lab: Lab, pin: str, *args: str, token: str | None = MASQUE_TOKEN) -> dict[str, Any]:
    argv = shell.python_argv("oxlab.masque_client", "--proxy", f"{ADDR.server_v4}:{QUIC_PORT}", "--pin", pin,
                             "--count", str(COUNT), "--timeout", "20", *(["--token", token] if token else []),
                             *args)
    done = lab.topo.run("client", argv, timeout=40, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"error": (done.stderr or done.stdout).strip()[-400:]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def run(lab: Lab, out: Outcome) -> None:
    ox = tunnel(lab)
    pin = ox.client_setting("quic_spki_sha256")
    out.check("genconfig wrote the QUIC certificate pin into client.toml", bool(pin), pin)
    if not pin:
        return
    target = f"{ADDR.internet_v4}:{UDP_ECHO_PORT}"
    with middlebox_delta(lab) as grown:
        udp = masque(lab, pin, "udp", "--target", target)
        ip = masque(lab, pin, "ip", "--ping", ADDR.internet_v4, "--udp", target, "--closed-port", "9")
    out.metric("connect_udp", udp)
    out.metric("connect_ip", ip)
    out.check(f"CONNECT-UDP to {target}: {COUNT}/{COUNT} echoes", udp.get("received") == COUNT, udp)
    out.check(f"CONNECT-IP: {COUNT}/{COUNT} pings of {ADDR.internet_v4} answered",
              ip.get("ping_replies") == COUNT, ip)
    out.check(f"CONNECT-IP: {COUNT}/{COUNT} UDP echoes from {target}", ip.get("udp_echoes") == COUNT, ip)
    out.check("an ICMP port unreachable reaches the tunnel that caused it, and no other (RFC 9484 §11)",
              ip.get("icmp_unreachable_to_sender", 0) >= 1 and ip.get("icmp_to_other_tunnel") == 0, ip)
    out.check("no packet reached the internet outside the proxy",
              grown.get("leak_v4", 0) == 0 and grown.get("leak_v6", 0) == 0, grown)
    refused = masque(lab, pin, "udp", "--target", target, token=None)
    out.check("without the bearer token the proxy answers 407", "407" in str(refused.get("error")), refused)
    wrong = masque(lab, "00" * 32, "udp", "--target", target)
    out.check("a wrong certificate pin is refused by the client", "pin" in str(wrong.get("error")), wrong)


SCENARIO = Scenario("masque_proxy", "third-party MASQUE client: CONNECT-UDP and CONNECT-IP via our server",
                    run, budget_s=120)
