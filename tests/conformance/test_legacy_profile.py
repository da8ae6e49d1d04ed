"""The legacy profile: packet building/parsing against hand-built bytes, and the legacy checks end to end.

legacy-dialect.md refers to test vectors in a §10 that the shared copy does not contain (it ends after
§6), so the byte strings below are built by hand from the layout tables (§1.1, §2.1, §2.3, §4.2) and
checked against both the suite's legacy client and the generated (strict) legacy codecs.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from conformance.legacy import wire
from conformance.legacy.client import LegacyClient
from conformance.registry import Status
from conformance.runner import Result, run_target
from conformance.target import parse_target
from generated.legacy import codecs as L
from tests.conformance.legacy_fake import LegacyFake, UdpEcho

CLIENT_ID = bytes(range(32))
SERVER_ID = bytes(range(100, 132))
KEY = bytes(range(200, 232))


def test_header_is_little_endian_after_the_magic() -> None:
    assert wire.header(0x09, 0x01020304, 0x0506) == bytes.fromhex("4f58 09 04030201 0605")
    assert wire.packet(0x08, 0, b"\x03") == bytes.fromhex("4f58 08 00000000 0100 03")
    parsed = wire.parse(bytes.fromhex("4f58 00 2a000000 0200 abcd") + b"trailing")
    assert (parsed.flags, parsed.seq, parsed.payload, parsed.trailing) == (0, 42, b"\xab\xcd", 8)


def test_handshake_init_is_42_bytes() -> None:
    payload = wire.init_payload(CLIENT_ID, 0x0102030405060708, encryption=True)
    assert payload == b"\x01" + CLIENT_ID + bytes.fromhex("0807060504030201") + b"\x01"
    assert len(payload) == 42
    client = LegacyClient(link=None, client_id=CLIENT_ID)  # type: ignore[arg-type]
    init = client.make_init(timestamp=0x0102030405060708, encryption=False)
    assert init[:9] == bytes.fromhex("4f58 08 00000000 2a00") and init[-1] == 0
    assert L.LegacyHandshakeInit.decode(init[9:]).client_id == CLIENT_ID


@pytest.mark.parametrize(
    ("body", "address", "key", "strict"),
    [
        (b"\x02" + SERVER_ID + b"\x04" + bytes([10, 8, 0, 2]) + b"\x01" + KEY, "10.8.0.2", KEY, True),  # 71
        (b"\x02" + SERVER_ID + b"\x04" + bytes([10, 8, 0, 3]) + b"\x00", "10.8.0.3", None, True),  # 39
        (b"\x02" + SERVER_ID + b"\x06" + bytes(15) + b"\x01" + b"\x01" + KEY, "::1", KEY, True),  # 83
        (b"\x02" + SERVER_ID + b"\x04" + bytes([10, 8, 0, 4]) + b"\x01" + KEY[:10], "10.8.0.4", None, False),
        (b"\x02" + SERVER_ID + b"\x04" + bytes([10, 8, 0, 5]) + b"\x07" + KEY, "10.8.0.5", KEY, False),
    ],
    ids=["v4-key", "v4-nokey", "v6-key", "truncated-key-reads-as-none", "nonzero-has-key"],
)
def test_response_read_like_the_rust_client(
    body: bytes, address: str, key: bytes | None, strict: bool
) -> None:
    response = wire.parse_response(body)
    assert (response.assigned_ip, response.key, response.server_id) == (address, key, SERVER_ID)
    assert response.strict_ok is strict


@pytest.mark.parametrize(
    "body", [b"\x02" + SERVER_ID + b"\x05" + bytes(5), b"\x01" + bytes(40), b"\x02" * 10]
)
def test_bad_responses_are_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        wire.parse_response(body)


def test_encryption_nonce_and_unauthenticated_header() -> None:
    packet = wire.encrypted_packet(KEY, 7, b"inner packet")
    head, sealed = packet[:9], packet[9:]
    assert head == bytes.fromhex("4f58 01 07000000") + struct.pack("<H", len(b"inner packet") + 16)
    nonce = bytes(4) + (7).to_bytes(8, "little")
    assert ChaCha20Poly1305(KEY).decrypt(nonce, sealed, b"") == b"inner packet"
    # §4.3: flags are not covered by the tag, so a flipped flag still decrypts
    tampered = bytes([packet[0], packet[1], packet[2] | 0x20]) + packet[3:]
    parsed = wire.parse(tampered)
    assert wire.open_sealed(KEY, parsed.seq, parsed.payload) == b"inner packet"


def test_ping_pong_and_tcp_framing() -> None:
    assert wire.ping(b"abc") == b"OXPIabc"
    assert L.LegacyPong.decode(b"OXPOabc").payload == b"abc"
    assert wire.tcp_frame(b"\x01\x02\x03") == b"\x00\x03\x01\x02\x03"  # big-endian, unlike the header


# --- end to end against the fixture -------------------------------------------------------------------

EXPECTED = {
    # what the suite must report about a server that behaves as legacy-dialect.md documents
    "HS-001": "pass",
    "HS-002": "fail",
    "HS-003": "fail",
    "HS-004": "fail",
    "HS-005": "fail",
    "HS-006": "fail",
    "HS-007": "pass",
    "DATA-001": "pass",
    "DATA-002": "fail",
    "HDR-001": "pass",
    "HDR-002": "pass",
    "HDR-003": "fail",
    "HDR-004": "fail",
    "HDR-005": "pass",
    "HDR-006": "pass",
    "HDR-007": "pass",
    "HDR-009": "pass",
    "HDR-010": "fail",
    "RPL-001": "fail",
    "RPL-002": "fail",
    "TMP-001": "pass",
    "TMP-002": "fail",
    "TMP-003": "pass",
    "CTL-001": "fail",
    "CTL-002": "fail",
    "CTL-003": "skip",
    "CTL-006": "pass",
    "DWN-001": "fail",
    "DWN-002": "fail",
    "FWD-001": "pass",
    "FWD-002": "fail",
    "FWD-003": "fail",
    "FWD-004": "skip",
    "AMP-001": "fail",
    "DOS-001": "fail",
    "DATA-004": "fail",
    "DOS-002": "pass",
    "CTL-007": "fail",
}


@pytest.fixture(scope="module")
def legacy_results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Result]]:
    fake, echo = LegacyFake(), UdpEcho()
    import socket

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    observer_port = probe.getsockname()[1]
    probe.close()
    target = parse_target(
        {
            "name": "legacy-fake",
            "profile": "legacy",
            "address": "127.0.0.1",
            "ports": {"udp": fake.port},
            "echo": {"address": "127.0.0.1", "protocol": "udp", "port": echo.port},
            "observer": {"address": "127.0.0.1", "port": observer_port, "mode": "listen"},
            "timing": {"reply_timeout": 1.0, "silence_window": 0.2, "flood_packets": 200, "flood_seconds": 1},
        },
        source="legacy-fake.toml",
        base=Path(tmp_path_factory.mktemp("legacy")),
    )
    try:
        yield {r.id: r for r in run_target(target, transports=["udp"])}
    finally:
        fake.close()
        echo.close()


def test_the_suite_exposes_every_documented_weakness(legacy_results: dict[str, Result]) -> None:
    got = {cid: str(legacy_results[cid].status) for cid in EXPECTED}
    assert got == EXPECTED, {cid: legacy_results[cid].reason for cid in EXPECTED if got[cid] != EXPECTED[cid]}


def test_reasons_name_the_weakness(legacy_results: dict[str, Result]) -> None:
    assert "in clear" in legacy_results["HS-006"].reason
    assert "plaintext" in legacy_results["DATA-002"].reason
    assert "open relay" in legacy_results["FWD-002"].reason
    assert "PING" in legacy_results["AMP-001"].reason
    assert "replay" in legacy_results["RPL-001"].reason.lower()


def test_rows_without_a_legacy_counterpart_are_skipped_not_passed(legacy_results: dict[str, Result]) -> None:
    for cid in ("DATA-003", "HDR-008", "CTL-004", "DWN-003", "AMP-002", "CTL-005"):
        assert legacy_results[cid].status == Status.SKIP, (cid, legacy_results[cid].reason)
