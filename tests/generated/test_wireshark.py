"""tshark with generated/wireshark/oxtunnel.lua names every field of every valid datagram vector and
flags the invalid ones (skipped when tshark is not installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import wrpcap

from generated.codecs import CookieReply, DataEnvelope, DecodeError, HandshakeInit, HandshakeResponse
from spec.codegen import vectors
from spec.codegen.model import ROOT, profiles

LUA = ROOT / "generated" / "wireshark" / "oxtunnel.lua"
DATAGRAMS = ("data_envelope", "handshake_init", "handshake_response", "cookie_reply")
pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
V3 = profiles()[0]


def _frames(selected: list[vectors.Vector]) -> list[object]:
    out = []
    for v in selected:
        l4 = (
            TCP(sport=40000, dport=51821, flags="PA")
            if v.structure == "tcp_frame"
            else UDP(sport=40000, dport=51820)
        )
        out.append(Ether() / IP(src="127.0.0.1", dst="127.0.0.1") / l4 / v.data)
    return out


def _tshark(tmp_path: Path, selected: list[vectors.Vector]) -> list[str]:
    pcap = tmp_path / "vectors.pcap"
    wrpcap(str(pcap), _frames(selected))
    result = subprocess.run(
        [
            "tshark",
            "-X",
            f"lua_script:{LUA}",
            "-r",
            str(pcap),
            "-V",
            "-o",
            "tcp.analyze_sequence_numbers:FALSE",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Lua Error" not in result.stdout + result.stderr
    return re.split(r"\nFrame \d+:", "\n" + result.stdout)[1:]


def test_every_field_of_every_valid_datagram_is_named(tmp_path: Path) -> None:
    selected = [v for v in vectors.load(V3) if v.valid and v.structure in (*DATAGRAMS, "tcp_frame")]
    frames = _tshark(tmp_path, selected)
    assert len(frames) == len(selected)
    for v, text in zip(selected, frames, strict=True):
        structure = _dispatch(v.data[2:]) if v.structure == "tcp_frame" else v.structure
        for f in V3.struct(structure).fields:
            assert re.search(rf"^\s+{f.id}: ", text, re.MULTILINE), f"{v.id}: no line for {f.id}"
        assert "Expert Info" not in text, v.id
        assert "ENCRYPTED" in text and "OxTunnel v3" in text


def test_invalid_datagrams_are_flagged(tmp_path: Path) -> None:
    selected = [v for v in vectors.load(V3) if not v.valid and v.structure in DATAGRAMS]
    frames = _tshark(tmp_path, selected)
    for v, text in zip(selected, frames, strict=True):
        if _valid_as_another_message(v.data):
            continue  # e.g. an INIT with flags 0x09 is a well-formed control envelope: nothing to flag
        assert "Expert Info" in text, f"{v.id} not flagged"


def _dispatch(datagram: bytes) -> str:
    """The structure a receiver decodes a datagram as (flags 0x08 → by control type)."""
    if datagram[2] != 0x08:
        return "data_envelope"
    return {1: "handshake_init", 2: "handshake_response", 10: "cookie_reply"}.get(datagram[9], "header")


def _valid_as_another_message(data: bytes) -> bool:
    for cls in (DataEnvelope, HandshakeInit, HandshakeResponse, CookieReply):
        try:
            cls.decode(data)
        except DecodeError:
            continue
        return True
    return False
