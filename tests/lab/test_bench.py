"""The benchmark: medians and ratios to raw veth; as root, one short veth leg end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from oxlab.bench.measure import median
from oxlab.bench.runner import Leg, run_bench, summarize
from rich.console import Console


def _leg(name: str, runs: list[dict[str, float]]) -> Leg:
    return Leg(name, lambda: None, lambda: None, list, runs=runs)


def test_medians_and_ratios() -> None:
    veth = _leg("veth", [{"tcp1_gbps": 10.0, "tcp4_gbps": 12.0, "udp_gbps": 2.0},
                         {"tcp1_gbps": 8.0, "tcp4_gbps": 14.0, "udp_gbps": 2.0},
                         {"tcp1_gbps": 9.0, "tcp4_gbps": 13.0, "udp_gbps": 2.0}])
    tunnel = _leg("oxtunnel", [{"tcp1_gbps": 3.0, "tcp4_gbps": 2.6, "udp_gbps": 1.0}])
    broken = _leg("wireguard-go", [])
    out = summarize({"veth": veth, "oxtunnel": tunnel, "wireguard-go": broken})
    assert out["veth"]["tcp1_gbps"] == 9.0 and out["veth"]["ratio_to_veth"]["tcp1"] == 1.0
    assert out["oxtunnel"]["ratio_to_veth"] == {"tcp1": round(3 / 9, 4), "tcp4": 0.2, "udp": 0.5}
    assert out["wireguard-go"]["tcp1_gbps"] is None and out["wireguard-go"]["ratio_to_veth"]["tcp1"] is None
    assert median([None, 1.0, 3.0]) == 2.0 and median([None]) is None


@pytest.mark.root
def test_veth_leg_writes_bench_json(tmp_path: Path) -> None:
    code = run_bench(1, 1, ["veth"], tmp_path, Console(file=open("/dev/null", "w")))  # noqa: SIM115
    data = json.loads((tmp_path / "bench.json").read_text())
    veth = data["setups"]["veth"]
    assert code == 0 and veth["tcp1_gbps"] > 0.1 and veth["tcp4_gbps"] > 0.1 and veth["rtt_ms"] > 0
    assert (tmp_path / "bench.png").read_bytes()[:4] == b"\x89PNG"
