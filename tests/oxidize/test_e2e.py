"""End to end through the CLI in three throwaway namespaces: client — server — internet.

Real `oxidize server` and `oxidize up` processes: ping v4 and v6 through the tunnel and the server's NAT,
DNS from the server applied, status and metrics, a server restart the client survives with the same
address, a start that fails and leaves nothing, and SIGTERM leaving nothing behind on either side.
"""

from __future__ import annotations

import difflib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.root
ROOT = Path(__file__).resolve().parents[2]
RESOLV_ORIGINAL = "nameserver 192.0.2.53\nsearch example.test\n"


def sh(*argv: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=timeout)


def ns_exec(ns: str, *argv: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return sh("ip", "netns", "exec", ns, *argv, check=check, timeout=timeout)


def oxidize_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "oxidize", *args]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)
    return time.monotonic() - start


@dataclass
class Lab:
    srv: str
    cli: str
    inet: str
    dir: Path
    procs: list[subprocess.Popen[str]]

    def start(self, ns: str, *args: str, log: str) -> subprocess.Popen[str]:
        out = open(self.dir / log, "a")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(["ip", "netns", "exec", ns, *oxidize_cmd(*args)], stdout=out,
                                stderr=subprocess.STDOUT, text=True, cwd=ROOT)
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> int:
        # `ip netns exec` execs the command, so this pid is the oxidize process itself
        proc.send_signal(sig)
        return proc.wait(timeout=20)

    def log(self, name: str) -> str:
        path = self.dir / name
        return path.read_text() if path.exists() else ""


@pytest.fixture
def lab(netns: Callable[[str], str], tmp_path: Path) -> Iterator[Lab]:
    srv, cli, inet = netns("srv"), netns("cli"), netns("inet")
    for ns in (srv, cli, inet):  # link-local addresses complete at once: "before" snapshots are final
        ns_exec(ns, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0")
    links = [(srv, "oxr-s0", cli, "oxr-c0", "192.168.77", "fd00:77"),
             (srv, "oxr-s1", inet, "oxr-i0", "192.168.88", "fd00:88")]
    for a, ifa, b, ifb, v4, v6 in links:
        sh("ip", "link", "add", ifa, "netns", a, "type", "veth", "peer", "name", ifb, "netns", b)
        for ns, ifname, host in ((a, ifa, 1), (b, ifb, 2)):
            sh("ip", "-n", ns, "addr", "add", f"{v4}.{host}/24", "dev", ifname)
            sh("ip", "-n", ns, "addr", "add", f"{v6}::{host}/64", "dev", ifname, "nodad")
            sh("ip", "-n", ns, "link", "set", ifname, "up")
    resolv = Path("/etc/netns") / cli / "resolv.conf"
    resolv.parent.mkdir(parents=True, exist_ok=True)
    resolv.write_text(RESOLV_ORIGINAL)
    lab = Lab(srv, cli, inet, tmp_path, [])
    try:
        yield lab
    finally:
        for proc in lab.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


def configure(lab: Lab) -> tuple[Path, Path]:
    d = lab.dir
    assert subprocess.run(oxidize_cmd("keygen", str(d / "server.key")), capture_output=True,
                          cwd=ROOT).returncode == 0
    server = d / "server.toml"
    server.write_text(
        "[server]\n"
        f'private_key_file = "{d}/server.key"\n'
        'endpoint = "192.168.77.1:51820"\n'
        'ipv4_pool = "10.77.0.0/24"\n'
        'dns = ["192.168.88.2"]\n'
        'nftables_table = "oxr_test"\n'
        f'state_dir = "{d}/run"\n'
    )
    made = subprocess.run(oxidize_cmd("genconfig", "-c", str(server), "laptop", "-o", str(d / "client.toml"),
                                      "--no-qr"), capture_output=True, text=True, cwd=ROOT)
    assert made.returncode == 0, made.stderr
    client = d / "client.toml"
    with client.open("a") as f:
        f.write(f'resolv_conf = "/etc/netns/{lab.cli}/resolv.conf"\nstate_dir = "{d}/run"\n')
    return server, client


def tunnel_v4(lab: Lab) -> str | None:
    out = ns_exec(lab.cli, "ip", "-j", "-4", "addr", "show", "dev", "oxtun0", check=False)
    if out.returncode != 0:
        return None
    for link in json.loads(out.stdout or "[]"):
        for info in link.get("addr_info", []):
            return str(info["local"])
    return None


def client_state(lab: Lab, client_toml: Path) -> str | None:
    out = ns_exec(lab.cli, *oxidize_cmd("status", "--json", "-c", str(client_toml)), check=False)
    return json.loads(out.stdout).get("state") if out.returncode == 0 else None


def ping(lab: Lab, host: str, count: int = 1) -> bool:
    done = ns_exec(lab.cli, "ping", "-c", str(count), "-W", "1", "-i", "0.2", host, check=False)
    return done.returncode == 0


def leftovers(ns: str) -> dict[str, str]:
    """Everything the tunnel could leave behind in a namespace."""
    return {
        "links": ns_exec(ns, "ip", "-o", "link").stdout,
        "rules4": ns_exec(ns, "ip", "-4", "rule").stdout,
        "rules6": ns_exec(ns, "ip", "-6", "rule").stdout,
        "routes": ns_exec(ns, "ip", "route", "show", "table", "all").stdout
        + ns_exec(ns, "ip", "-6", "route", "show", "table", "all").stdout,
        "nft": ns_exec(ns, "nft", "list", "tables").stdout,
        "forward": ns_exec(ns, "cat", "/proc/sys/net/ipv4/ip_forward").stdout.strip(),
    }


def settled(ns: str) -> dict[str, str]:
    """A snapshot once the veths have carrier and their link-local routes (two equal readings)."""
    previous: dict[str, str] = {}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = leftovers(ns)
        if now == previous and "NO-CARRIER" not in now["links"]:
            return now
        previous = now
        time.sleep(0.2)
    raise AssertionError(f"{ns}: links did not settle")


def assert_same(before: dict[str, str], after: dict[str, str]) -> None:
    diffs = []
    for key in before:
        if before[key] != after[key]:
            lines = difflib.unified_diff(before[key].splitlines(), after[key].splitlines(), lineterm="", n=0)
            diffs += [f"{key}:", *list(lines)[2:]]
    assert not diffs, "left behind:\n" + "\n".join(diffs)


def test_tunnel_end_to_end_and_nothing_left_behind(lab: Lab) -> None:
    server_toml, client_toml = configure(lab)
    before = {ns: settled(ns) for ns in (lab.srv, lab.cli)}

    server = lab.start(lab.srv, "server", "-c", str(server_toml), log="server.log")
    control = lab.dir / "run" / f"oxs0@{lab.srv}" / "control.sock"
    wait_for(lambda: control.exists() or server.poll() is not None, 15, "the server's control socket")
    assert server.poll() is None, lab.log("server.log")
    client = lab.start(lab.cli, "up", "-c", str(client_toml), log="client.log")
    wait_for(lambda: client_state(lab, client_toml) == "connected" or client.poll() is not None, 20,
             "the client to connect")
    assert client.poll() is None, lab.log("client.log")
    address = tunnel_v4(lab)
    assert address is not None and address.startswith("10.77.0.")

    # ping through the tunnel and the server's NAT, both families
    assert ping(lab, "192.168.88.2", 3), lab.log("client.log") + lab.log("server.log")
    assert ping(lab, "fd00:88::2", 2)

    # bulk TCP both ways and both families, digests checked: the TUN write coalescing must be exact
    bulk = [sys.executable, str(Path(__file__).with_name("bulk_helper.py"))]
    server_side = subprocess.Popen(["ip", "netns", "exec", lab.inet, *bulk, "serve", "::", "9000"],
                                   stdout=subprocess.PIPE, text=True)
    lab.procs.append(server_side)  # type: ignore[arg-type]
    assert server_side.stdout is not None and server_side.stdout.readline().strip() == "listening"
    for command, host in (("get", "192.168.88.2"), ("put", "192.168.88.2"), ("get", "fd00:88::2"),
                          ("put", "fd00:88::2")):
        moved = ns_exec(lab.cli, *bulk, command, host, "9000", str(6 << 20), check=False, timeout=120)
        assert moved.returncode == 0, (command, host, moved.stdout, moved.stderr)
    assert "nameserver 192.168.88.2" in (Path("/etc/netns") / lab.cli / "resolv.conf").read_text()

    status = json.loads(ns_exec(lab.cli, *oxidize_cmd("status", "--json", "-c", str(client_toml))).stdout)
    assert status["state"] == "connected" and status["peers"][0]["handshakes"] >= 1
    assert status["peers"][0]["endpoint"] == "192.168.77.1:51820" and status["peers"][0]["rx_bytes"] > 0
    server_status = json.loads(ns_exec(lab.srv, *oxidize_cmd("status", "--json", "-c", str(server_toml)))
                               .stdout)
    assert server_status["peers"][0]["name"] == "laptop" and server_status["sessions"] == 1
    scrape = ns_exec(lab.srv, sys.executable, "-c", "import urllib.request as u;"
                     "print(u.urlopen('http://127.0.0.1:9851/metrics', timeout=5).read().decode())").stdout
    assert "oxidize_sessions 1" in scrape and 'oxidize_handshakes_total{kind="initial"} 1' in scrape

    # the server restarts: the client reconnects and keeps its address
    assert lab.stop(server) == 0
    assert "oxs0" not in ns_exec(lab.srv, "ip", "-o", "link").stdout
    server = lab.start(lab.srv, "server", "-c", str(server_toml), log="server.log")
    waited = wait_for(lambda: ping(lab, "192.168.88.2"), 30, "traffic after the server restart")
    assert tunnel_v4(lab) == address
    print(f"traffic resumed {waited:.1f}s after the server restart")

    # SIGTERM: nothing left on either side
    assert lab.stop(client) == 0, lab.log("client.log")
    assert lab.stop(server) == 0, lab.log("server.log")
    for ns in (lab.srv, lab.cli):
        assert_same(before[ns], leftovers(ns))
    assert (Path("/etc/netns") / lab.cli / "resolv.conf").read_text() == RESOLV_ORIGINAL
    assert not any((lab.dir / "run").iterdir())


def test_failed_start_leaves_nothing(lab: Lab) -> None:
    server_toml, _ = configure(lab)
    before = settled(lab.srv)
    ns_exec(lab.srv, "nft", "add", "table", "inet", "oxr_test")  # the step after TUN and sysctls fails
    before_with_table = settled(lab.srv)
    server = lab.start(lab.srv, "server", "-c", str(server_toml), log="server.log")
    assert server.wait(timeout=20) == 1
    assert "already exists" in lab.log("server.log")
    assert_same(before_with_table, leftovers(lab.srv))
    ns_exec(lab.srv, "nft", "delete", "table", "inet", "oxr_test")
    assert_same(before, leftovers(lab.srv))


def test_client_that_cannot_route_exits_1_and_cleans_up(lab: Lab) -> None:
    server_toml, client_toml = configure(lab)
    ns_exec(lab.cli, "ip", "rule", "add", "priority", "31050", "lookup", "main")  # inside our rule range
    before = settled(lab.cli)
    server = lab.start(lab.srv, "server", "-c", str(server_toml), log="server.log")
    control = lab.dir / "run" / f"oxs0@{lab.srv}" / "control.sock"
    wait_for(lambda: control.exists() or server.poll() is not None, 15, "the server's control socket")
    client = lab.start(lab.cli, "up", "-c", str(client_toml), log="client.log")
    assert client.wait(timeout=30) == 1
    assert "priorities [31050] are already in use" in lab.log("client.log")
    assert_same(before, leftovers(lab.cli))
    assert (Path("/etc/netns") / lab.cli / "resolv.conf").read_text() == RESOLV_ORIGINAL
    assert lab.stop(server) == 0


def _add_second_client_namespace(lab: Lab, netns: Callable[[str], str]) -> str:
    """A second client namespace on its own link to the server (192.168.99.0/24)."""
    cli2 = netns("cli2")
    ns_exec(cli2, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0")
    sh("ip", "link", "add", "oxr-s2", "netns", lab.srv, "type", "veth",
       "peer", "name", "oxr-c2", "netns", cli2)
    for ns, ifname, host in ((lab.srv, "oxr-s2", 1), (cli2, "oxr-c2", 2)):
        sh("ip", "-n", ns, "addr", "add", f"192.168.99.{host}/24", "dev", ifname)
        sh("ip", "-n", ns, "link", "set", ifname, "up")
    resolv = Path("/etc/netns") / cli2 / "resolv.conf"
    resolv.parent.mkdir(parents=True, exist_ok=True)
    resolv.write_text(RESOLV_ORIGINAL)
    return cli2


def test_peers_added_and_removed_while_the_server_runs(lab: Lab, netns: Callable[[str], str]) -> None:
    """genconfig on a running server makes the new client usable at once; removing it from server.toml
    and sending SIGHUP ends its session (DISCONNECT policy) while the other client keeps working."""
    server_toml, client_toml = configure(lab)
    cli2 = _add_second_client_namespace(lab, netns)
    server = lab.start(lab.srv, "server", "-c", str(server_toml), log="server.log")
    control = lab.dir / "run" / f"oxs0@{lab.srv}" / "control.sock"
    wait_for(lambda: control.exists() or server.poll() is not None, 15, "the server's control socket")
    laptop = lab.start(lab.cli, "up", "-c", str(client_toml), log="client.log")
    wait_for(lambda: client_state(lab, client_toml) == "connected" or laptop.poll() is not None, 20,
             "the first client to connect")

    phone_toml = lab.dir / "phone.toml"
    made = ns_exec(lab.srv, *oxidize_cmd("genconfig", "-c", str(server_toml), "phone", "-o", str(phone_toml),
                                         "--endpoint", "192.168.99.1:51820", "--no-qr"))
    assert "the running server answers the new peer now (2 peers)" in made.stderr, made.stderr
    with phone_toml.open("a") as f:
        f.write(f'resolv_conf = "/etc/netns/{cli2}/resolv.conf"\nstate_dir = "{lab.dir}/run"\n'
                'reconnect_min = 0.5\nreconnect_max = 2\n')

    def phone_state() -> str | None:
        out = ns_exec(cli2, *oxidize_cmd("status", "--json", "-c", str(phone_toml)), check=False)
        return json.loads(out.stdout).get("state") if out.returncode == 0 else None

    def phone_ping(count: int) -> bool:
        done = ns_exec(cli2, "ping", "-c", str(count), "-W", "1", "-i", "0.2", "192.168.88.2", check=False)
        return done.returncode == 0

    phone = lab.start(cli2, "up", "-c", str(phone_toml), log="phone.log")
    wait_for(lambda: phone_state() == "connected" or phone.poll() is not None, 20, "the new client")
    assert phone.poll() is None, lab.log("phone.log")
    assert phone_ping(2)
    status = json.loads(ns_exec(lab.srv, *oxidize_cmd("status", "--json", "-c", str(server_toml))).stdout)
    assert status["sessions"] == 2 and sorted(p["name"] for p in status["peers"]) == ["laptop", "phone"]

    # remove phone's [[peers]] table and send SIGHUP: its session ends, the server keeps running
    text = server_toml.read_text()
    start = text.index('name = "phone"')
    start = text.rindex("[[peers]]", 0, start)
    server_toml.write_text(text[:start])
    server.send_signal(signal.SIGHUP)
    wait_for(lambda: "session ended (policy, said the server)" in lab.log("phone.log"), 10,
             "the removed client to hear DISCONNECT(policy)")
    assert server.poll() is None, lab.log("server.log")
    assert "reload: 0 added, 1 removed (phone), 0 renamed; 1 peers" in lab.log("server.log")
    assert "peer phone: session ended (policy)" in lab.log("server.log")
    status = json.loads(ns_exec(lab.srv, *oxidize_cmd("status", "--json", "-c", str(server_toml))).stdout)
    assert status["sessions"] == 1 and [p["name"] for p in status["peers"]] == ["laptop"]
    assert not phone_ping(2)
    assert phone_state() != "connected"  # it retries, unanswered
    assert ping(lab, "192.168.88.2", 2), lab.log("client.log")

    # a bad file is refused by `oxidize reload` and changes nothing
    server_toml.write_text(text[:start] + "[server]\n")
    refused = ns_exec(lab.srv, *oxidize_cmd("reload", "-c", str(server_toml)), check=False)
    assert refused.returncode == 2 and "server.toml" in refused.stderr
    server.send_signal(signal.SIGHUP)  # the server itself refuses it too
    wait_for(lambda: "reload (SIGHUP) refused, nothing changed" in lab.log("server.log"), 10, "the refusal")
    assert server.poll() is None and ping(lab, "192.168.88.2", 1)
    server_toml.write_text(text[:start])
    again = json.loads(ns_exec(lab.srv, *oxidize_cmd("reload", "--json", "-c", str(server_toml))).stdout)
    assert again["added"] == [] and again["removed"] == [] and again["peers"] == 1

    for proc, log in ((phone, "phone.log"), (laptop, "client.log"), (server, "server.log")):
        assert lab.stop(proc) == 0, lab.log(log)
