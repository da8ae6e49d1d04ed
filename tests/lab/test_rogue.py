"""The rogue's forgeries change exactly what they claim to (offsets of spec/README.md §1–2)."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest
from oxlab.shell import ProcessTable, python_argv, wait_until
from oxlab.tools.rogue import HANDSHAKE_INIT_SIZE, MUTATIONS, Captured, fake_init, phases
from oxlab.topology import ADDR, Topology
from oxlab.traffic import capture_argv

HEADER = b"\x4f\x58\x01" + struct.pack("!IH", 7, 12 + 40 + 16)
ENVELOPE = HEADER + struct.pack("!IQ", 0xABCD, 7) + os.urandom(56)


def test_each_mutation_changes_the_datagram() -> None:
    for name, mutate in MUTATIONS.items():
        assert mutate(ENVELOPE) != ENVELOPE, name


def test_mutations_touch_the_documented_fields() -> None:
    assert MUTATIONS["reserved_flag"](ENVELOPE)[2] & 0x20
    assert MUTATIONS["bad_magic"](ENVELOPE)[:2] != b"\x4f\x58"
    length = struct.unpack_from("!H", MUTATIONS["length_mismatch"](ENVELOPE), 7)[0]
    assert length == len(ENVELOPE) - 9 + 1
    assert struct.unpack_from("!Q", MUTATIONS["counter_ahead"](ENVELOPE), 13)[0] == 7 + (1 << 32)
    assert MUTATIONS["tag_flipped"](ENVELOPE)[:-1] == ENVELOPE[:-1]


def test_fake_init_has_the_init_shape() -> None:
    init = fake_init()
    assert len(init) == HANDSHAKE_INIT_SIZE and init[:3] == b"\x4f\x58\x08" and init[9] == 0x01
    assert struct.unpack_from("!H", init, 7)[0] == HANDSHAKE_INIT_SIZE - 9


def test_phases_cover_every_attack_with_the_same_budget() -> None:
    plan = list(phases([Captured(ENVELOPE, "198.51.100.2", 40000)], 5))
    names = [name for name, _, _ in plan]
    assert {"garbage", "fake_handshake_init", "replay_own_address", "replay_spoofed_client"} <= set(names)
    assert all(len(datagrams) == 5 for _, datagrams, _ in plan)
    assert [spoof for _, _, spoof in plan].count(True) == 1


@pytest.mark.root
def test_rogue_replays_a_capture_against_an_echo_sink(tmp_path: Path) -> None:
    """Against a UDP echo on the tunnel port every unspoofed datagram is answered, which shows the
    rogue really sends each phase and counts replies; the capture path (tcpdump on the middlebox) and
    raw spoofing (scapy) run as in the scenario."""
    procs = ProcessTable(tmp_path / "logs")
    pcap = tmp_path / "c.pcap"
    with Topology() as topo:
        try:
            procs.start("sink", python_argv("oxlab.tools.udp_echo", "serve", "--port", "51820",
                                            "--bind", ADDR.server_v4), netns=topo.ns["server"])
            cap = procs.start("cap", capture_argv("eth-client", 50, pcap, "udp", "dst", "port", "51820"),
                              netns=topo.ns["middlebox"])
            assert wait_until(lambda: "listening on" in cap.log_tail(), 10)
            topo.run("client", python_argv("oxlab.tools.udp_echo", "probe", ADDR.server_v4, "--port", "51820",
                                           "--count", "10", "--size", "80"))
            cap.stop()
            done = topo.run("rogue", python_argv("oxlab.tools.rogue", "--server", ADDR.server_v4, "--pcap",
                                                 str(pcap), "--packets", "100", "--seconds", "5"), timeout=60)
        finally:
            procs.stop_all()
    report = json.loads(done.stdout)
    assert report["captured"] == 10
    assert report["sent_total"] == 100
    for name, phase in report["phases"].items():
        expected = 0 if name == "replay_spoofed_client" else phase["sent"]  # spoofed replies go to the client
        assert phase["sent"] == 10 and phase["replies"] == expected, name
