"""Internet services and traffic tools over the plain path (no tunnel): the instruments themselves."""

from __future__ import annotations

from pathlib import Path

import pytest
from oxlab import traffic
from oxlab.services import InternetServices
from oxlab.shell import ProcessTable
from oxlab.topology import ADDR, Topology


@pytest.mark.root
def test_http_udp_echo_and_dns(tmp_path: Path) -> None:
    procs = ProcessTable(tmp_path / "logs")
    with Topology(roles=("client", "middlebox", "server", "internet")) as topo:
        try:
            services = InternetServices(topo, procs, tmp_path)
            blob = services.add_blob(2 << 20, "blob.bin")
            services.start()
            for host in (ADDR.internet_v4, ADDR.internet_v6):
                result = traffic.http_download(topo, "client", host, blob.url_path, blob.sha256,
                                               tmp_path / "dl", 30)
                assert result.ok and result.bytes == blob.size
                echo = traffic.udp_echo(topo, "client", host, count=50, interval=0.002)
                assert echo["received"] == 50 and echo["corrupted"] == 0
            (tmp_path / "www" / "blob.bin").write_bytes(b"tampered")
            assert not traffic.http_download(topo, "client", ADDR.internet_v4, blob.url_path, blob.sha256,
                                             tmp_path / "dl", 30).ok
            topo.resolv_conf("client").write_text(f"nameserver {ADDR.dns_pushed_v6}\n")
            assert traffic.resolve(topo, "client", "files.lab.test") == [ADDR.internet_v4]
            assert traffic.resolve(topo, "client", "nope.lab.test") == []
            queries = services.dns_queries()
            assert queries
            assert all(q["src"] == ADDR.client_v6 and q["dst"] == ADDR.dns_pushed_v6 for q in queries)
        finally:
            procs.stop_all()
