"""The scapy layers bind to the OxTunnel ports (not WireGuard) and dispatch on flags/control type."""

from __future__ import annotations

import pytest
from scapy.layers.inet import IP, TCP, UDP

from generated.scapy_layers import ScapyStrictError, dissect_strict, oxtunnel
from spec.codegen import vectors
from spec.codegen.model import profiles

V3: dict[str, vectors.Vector] = {}
for _v in vectors.load(profiles()[0]):
    if _v.valid:
        V3.setdefault(_v.structure, _v)  # the first valid vector of each structure


@pytest.mark.parametrize(
    ("structure", "layer"),
    [
        ("data_envelope", oxtunnel.OxDataEnvelope),
        ("handshake_init", oxtunnel.OxHandshakeInit),
        ("handshake_response", oxtunnel.OxHandshakeResponse),
        ("cookie_reply", oxtunnel.OxCookieReply),
    ],
)
def test_udp_51820_dispatches_to_the_message_layer(structure: str, layer: type) -> None:
    wire = bytes(IP(src="127.0.0.1", dst="127.0.0.1") / UDP(sport=40000, dport=51820) / V3[structure].data)
    pkt = IP(wire)
    assert pkt.haslayer(layer), pkt.summary()
    assert "Wireguard" not in pkt.summary()
    reply = IP(bytes(IP() / UDP(sport=51820, dport=40000) / V3[structure].data))
    assert reply.haslayer(layer)


def test_tcp_51821_carries_frames() -> None:
    frame = V3["tcp_frame"].data
    pkt = IP(bytes(IP() / TCP(sport=40000, dport=51821) / frame))
    assert pkt.haslayer(oxtunnel.OxTcpFrame)


def test_dissect_strict_refuses_leftovers_and_rule_breaks() -> None:
    good = V3["data_envelope"].data
    assert dissect_strict(oxtunnel.OxDataEnvelope, good).receiver_index == 7
    with pytest.raises(ScapyStrictError):
        dissect_strict(oxtunnel.OxDataEnvelope, good + b"\x00")
    with pytest.raises(ScapyStrictError, match="flags"):
        dissect_strict(oxtunnel.OxDataEnvelope, good[:2] + b"\x08" + good[3:])
