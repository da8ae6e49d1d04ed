"""One lab run: topology, middlebox table, internet services, the tunnel under test — and teardown.

`Lab` is a context manager; leaving it (normally, by exception, by Ctrl-C or SIGTERM, which the
topology turns into SystemExit) stops every process it started and removes every namespace.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from oxlab import netstate, shell, traffic
from oxlab.middlebox import Middlebox
from oxlab.oxidize import OxidizeLab
from oxlab.profiles import Profile
from oxlab.services import Blob, InternetServices
from oxlab.shell import Process, ProcessTable
from oxlab.topology import Topology

CAPTURE_PACKETS = 400


class Lab:
    def __init__(self, profile: Profile, runtime: str = "udp", log_dir: Path | None = None,
                 with_tunnel: bool = True) -> None:
        self.profile = profile
        self.runtime = runtime
        self.topo = Topology()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"oxl-{self.topo.run_id}-"))
        self.log_dir = log_dir or self.workdir / "logs"
        self.procs = ProcessTable(self.log_dir)
        self.middlebox = Middlebox(self.topo)
        self.services = InternetServices(self.topo, self.procs, self.workdir)
        self.tunnel = OxidizeLab(self.topo, self.procs, self.workdir, runtime) if with_tunnel else None
        self.blob: Blob | None = None
        self.tunnel_error: str | None = "not started"
        self.server_baseline: dict[str, list[str]] = {}
        self.client_baseline: dict[str, list[str]] = {}
        self.client_resolv_baseline = ""
        self.capture: Process | None = None
        self.capture_file: Path | None = None

    def up(self) -> Lab:
        try:
            self.topo.up()
            self.middlebox.install()
            self.blob = self.services.add_blob(self.profile.download_bytes, "blob.bin")
            if self.profile.loss_download_bytes == self.profile.download_bytes:
                self.services.blobs["loss-blob.bin"] = self.blob
            else:
                self.services.add_blob(self.profile.loss_download_bytes, "loss-blob.bin")
            self.services.start()
        except BaseException:
            self.down()
            raise
        return self

    def start_tunnel(self) -> None:
        """Server then client through the CLI; failures are kept so tunnel scenarios can report them."""
        assert self.tunnel is not None
        try:
            self.server_baseline = netstate.snapshot(self.topo, "server")
            self.client_baseline = netstate.snapshot(self.topo, "client")
            self.client_resolv_baseline = self.topo.resolv_conf("client").read_text()
            self.tunnel.prepare()
            self.tunnel.start_server()
            self.start_capture()
            self.tunnel.start_client()
        except Exception as exc:
            self.tunnel_error = str(exc)[-800:]
            raise
        self.tunnel_error = None

    def start_capture(self) -> None:
        """Record the first tunnel datagrams (handshake included) on the middlebox, for the rogue."""
        self.capture_file = self.workdir / "tunnel-start.pcap"
        self.capture = self.procs.start(
            "middlebox-capture",
            traffic.capture_argv("eth-client", CAPTURE_PACKETS, self.capture_file, "udp", "port", "51820"),
            netns=self.topo.ns["middlebox"],
        )
        if not shell.wait_until(lambda: "listening on" in self.capture.log_tail(), timeout=10):
            raise RuntimeError(f"tcpdump did not start: {self.capture.log_tail()}")

    def reset_impairments(self) -> None:
        self.middlebox.clear()

    def down(self) -> list[str]:
        self.procs.stop_all()
        problems = self.topo.down()
        shutil.rmtree(self.workdir, ignore_errors=True)
        return problems

    def __enter__(self) -> Lab:
        return self.up()

    def __exit__(self, *exc: object) -> None:
        self.down()
