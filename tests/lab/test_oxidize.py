"""Reading what the implementation exposes: Prometheus metrics and `oxidize status --json`."""

from __future__ import annotations

from oxlab.oxidize import parse_metrics, status_endpoints, sum_matching

METRICS = """# HELP oxtunnel_drops_total Datagrams dropped, by reason
# TYPE oxtunnel_drops_total counter
oxtunnel_drops_total{reason="bad_mac"} 12
oxtunnel_drops_total{reason="replay"} 3.0
oxtunnel_drops_created 1.7e9
oxtunnel_sessions 1
"""


def test_parse_and_sum_metrics() -> None:
    parsed = parse_metrics(METRICS)
    assert parsed['oxtunnel_drops_total{reason="bad_mac"}'] == 12
    assert parsed["oxtunnel_sessions"] == 1
    assert sum_matching(parsed, "drop") == 15


def test_status_helpers_walk_nested_peers() -> None:
    status = {"peers": [{"endpoint": "203.0.113.2:51820", "last_handshake": 1.5e9},
                        {"endpoint": "198.51.100.66:40000", "last_handshake": None}], "role": "server"}
    assert status_endpoints(status) == ["203.0.113.2:51820", "198.51.100.66:40000"]
