"""`oxidize status` text rendering from the status document."""

from __future__ import annotations

from oxidize import status

DOC = {
    "role": "server", "interface": "oxs0", "pid": 42, "public_key": "S=", "listen": "[::]:51820",
    "state": "running", "addresses": ["10.77.0.1/24"], "mtu": 1420,
    "peers": [
        {"name": "laptop", "public_key": "L=", "endpoint": "192.0.2.7:40000", "transport": "udp",
         "addresses": ["10.77.0.5/24"], "last_handshake": 1000.0, "rx_bytes": 1536, "tx_bytes": 3 << 20},
        {"name": "phone", "public_key": "P=", "endpoint": None, "transport": None, "addresses": [],
         "last_handshake": None, "rx_bytes": 0, "tx_bytes": 0},
    ],
    "drops": {"replayed": 2, "mac1_invalid": 7},
}


def test_render_like_wg_show() -> None:
    text = status.render(DOC, now=1000.0 + 3725)
    assert text.splitlines()[:6] == [
        "interface: oxs0 (server, pid 42)",
        "  public key: S=",
        "  listening: [::]:51820",
        "  state: running",
        "  addresses: 10.77.0.1/24",
        "  mtu: 1420",
    ]
    assert "peer: laptop (L=)\n  endpoint: 192.0.2.7:40000 (udp)\n  addresses: 10.77.0.5/24" in text
    assert "  latest handshake: 1 hour, 2 minutes, 5 seconds ago" in text
    assert "  transfer: 1.50 KiB received, 3.00 MiB sent" in text
    assert "peer: phone (P=)\n  latest handshake: never" in text
    assert text.endswith("drops: mac1_invalid 7, replayed 2")


def test_sizes_and_ages() -> None:
    assert status.size(0) == "0 B" and status.size(1023) == "1023 B" and status.size(5 << 30) == "5.00 GiB"
    assert status.ago(None) == "never" and status.ago(10.0, now=10.4) == "0 seconds ago"
    assert status.ago(0.0, now=86400 + 1) == "1 day, 1 second ago"


def test_client_shows_its_transport_and_switches() -> None:
    doc = {"role": "client", "interface": "oxtun0", "pid": 7, "state": "connected", "transport": "quic",
           "transport_switches": 1, "fallback_order": ["udp", "quic", "tcp"],
           "peers": [{"name": "server", "endpoint": "203.0.113.2:51822", "transport": "quic"}]}
    text = status.render(doc, now=0.0)
    assert "  transport: quic (1 switch; order udp → quic → tcp)" in text
    assert "  endpoint: 203.0.113.2:51822 (quic)" in text
    server = {**DOC, "listening": ["TCP :51821", "QUIC :51822 (oxtunnel/3, h3 (MASQUE))"]}
    assert "  also listening: TCP :51821, QUIC :51822" in status.render(server, now=0.0)
