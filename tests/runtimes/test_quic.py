"""QUIC transport over loopback with real aioquic on both ends: pinning, datagrams, limits."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import pytest
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection

from runtimes.quic.certs import ensure_server_certificate, generate_self_signed, load_certificate
from runtimes.quic.client import QuicClientBind
from runtimes.quic.config import QuicConfig, datagram_payload_limit
from runtimes.quic.server import QuicServerBind
from tests.runtimes.quic_helpers import Loop, free_udp_port


def datagram(body: bytes = b"x") -> bytes:
    return b"\x4f\x58" + bytes(7) + body


@pytest.fixture
def cert(tmp_path: Path):  # type: ignore[no-untyped-def]
    return ensure_server_certificate(tmp_path / "state", ["127.0.0.1", "localhost"])


@pytest.fixture
def server(cert):  # type: ignore[no-untyped-def]
    bind = QuicServerBind(QuicConfig(host="127.0.0.1", port=free_udp_port(), max_connections_per_ip=3), cert)
    yield bind
    bind.close()


def client_for(server: QuicServerBind, pin: str, **kw) -> QuicClientBind:  # type: ignore[no-untyped-def]
    return QuicClientBind("127.0.0.1", server.local_port, QuicConfig(**kw), pin=pin)


# --- certificate ----------------------------------------------------------------------------------------


def test_certificate_is_created_once_and_private(tmp_path: Path) -> None:
    first = ensure_server_certificate(tmp_path / "s")
    again = ensure_server_certificate(tmp_path / "s")
    assert first.spki_sha256 == again.spki_sha256 and len(first.spki_sha256) == 64
    assert stat.S_IMODE(os.stat(first.key_path).st_mode) == 0o600


def test_mismatched_key_is_refused(tmp_path: Path) -> None:
    cert_pem, _ = generate_self_signed(["a"])
    _, other_key = generate_self_signed(["b"])
    (tmp_path / "c.pem").write_bytes(cert_pem)
    (tmp_path / "k.pem").write_bytes(other_key)
    with pytest.raises(ValueError, match="not the private key"):
        load_certificate(tmp_path / "c.pem", tmp_path / "k.pem")


def test_half_missing_pair_is_an_error_not_a_silent_regeneration(tmp_path: Path) -> None:
    c = ensure_server_certificate(tmp_path / "s")
    c.key_path.unlink()
    with pytest.raises(FileNotFoundError, match="quic-key.pem"):
        ensure_server_certificate(tmp_path / "s")


def test_client_refuses_to_run_unverified() -> None:
    with pytest.raises(ValueError, match="refusing an unverified server"):
        QuicClientBind("127.0.0.1", 9, QuicConfig())


# --- datagrams ------------------------------------------------------------------------------------------


def test_round_trip_with_pinned_certificate(server: QuicServerBind, cert) -> None:  # type: ignore[no-untyped-def]
    client = client_for(server, cert.spki_sha256)
    loop = Loop(server, client)
    try:
        up = [datagram(bytes([i]) * 1000) for i in range(50)]
        client.send_batch([(d, client.server) for d in up])  # queued until verified
        loop.until(lambda: len(loop.got(server)) == 50)
        assert [d for d, _ in loop.got(server)] == up or sorted(d for d, _ in loop.got(server)) == sorted(up)
        peer = loop.got(server)[0][1]
        assert peer.transport == "quic" and peer.host == "127.0.0.1"
        assert client.connected and client.confidential
        server.send_batch([(datagram(b"down%d" % i), peer) for i in range(20)])
        loop.until(lambda: len(loop.got(client)) == 20)
        assert {d for d, _ in loop.got(client)} == {datagram(b"down%d" % i) for i in range(20)}
        assert all(a == client.server and a.transport == "quic" for _, a in loop.got(client))
    finally:
        client.close()


def test_wrong_pin_aborts_before_any_datagram(server: QuicServerBind) -> None:
    client = client_for(server, "00" * 32)
    loop = Loop(server, client)
    try:
        client.send_batch([(datagram(b"secret"), client.server)])
        loop.until(lambda: client.state == "closed")
        assert client.error and "does not match the pinned value" in client.error
        loop.run(0.2)
        assert loop.got(server) == []
    finally:
        client.close()


def test_oversize_datagram_is_dropped_without_blocking_the_queue(server: QuicServerBind, cert) -> None:  # type: ignore[no-untyped-def]
    client = client_for(server, cert.spki_sha256)
    loop = Loop(server, client)
    try:
        loop.until(lambda: client.connected)
        limit = client.max_datagram_payload
        assert 1380 <= limit <= 1452
        client.send_batch([(datagram(bytes(limit)), client.server), (datagram(b"after"), client.server)])
        loop.until(lambda: len(loop.got(server)) == 1)
        assert loop.got(server)[0][0] == datagram(b"after")
        assert client.stats.dropped_too_big == 1
        client.send_batch([(bytes(limit), client.server)])  # exactly the limit fits
        loop.until(lambda: len(loop.got(server)) == 2)
    finally:
        client.close()


def test_payload_limit_counts_the_whole_frame() -> None:
    # A peer advertising max_datagram_frame_size=100: type (1) + length (2) + payload must be <= 100.
    assert datagram_payload_limit(1452, 8, 100) == 97
    assert datagram_payload_limit(1452, 8, None) == 0
    assert datagram_payload_limit(1452, 8, 65535) == 1452 - 8 - 24


def test_no_datagram_to_a_peer_that_did_not_advertise_support(server: QuicServerBind, cert) -> None:  # type: ignore[no-untyped-def]
    """Requirement 1: a raw aioquic client without max_datagram_frame_size gets no DATAGRAM frames."""
    import socket
    import time

    conf = QuicConfiguration(is_client=True, alpn_protocols=["oxtunnel/3"], verify_mode=0)
    quic = QuicConnection(configuration=conf)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    addr = ("127.0.0.1", server.local_port)
    quic.connect(addr, now=time.monotonic())
    frames_seen = []
    loop = Loop(server)
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not server.endpoint.connections:
            for d, a in quic.datagrams_to_send(now=time.monotonic()):
                sock.sendto(d, a)
            loop.step()
        conn = next(iter(server.endpoint.connections))
        while time.monotonic() < deadline and not conn.quic._handshake_complete:
            for d, a in quic.datagrams_to_send(now=time.monotonic()):
                sock.sendto(d, a)
            loop.step()
            with contextlib.suppress(BlockingIOError):
                quic.receive_datagram(sock.recv(65536), addr, time.monotonic())
        assert conn.send_datagram(datagram()) is False
        assert conn.stats.dropped_not_ready == 1
        while (e := quic.next_event()) is not None:
            frames_seen.append(type(e).__name__)
        assert "DatagramFrameReceived" not in frames_seen
    finally:
        sock.close()


def test_unknown_alpn_is_refused(server: QuicServerBind, cert) -> None:  # type: ignore[no-untyped-def]
    from runtimes.quic.client import QuicClientConnection

    class Other(QuicClientConnection):
        pass

    other = Other("127.0.0.1", server.local_port, QuicConfig(), alpn="nope/1", pin=cert.spki_sha256)
    loop = Loop(server)
    try:
        loop.until(lambda: (other.poll(), other.state == "closed")[1])
        assert other.error is not None
    finally:
        other.close()


def test_per_ip_connection_limit(server: QuicServerBind, cert) -> None:  # type: ignore[no-untyped-def]
    clients = [client_for(server, cert.spki_sha256, handshake_timeout=1.5) for _ in range(4)]
    loop = Loop(server, *clients)
    try:
        loop.until(lambda: sum(c.connected for c in clients) == 3 and server.endpoint.refused >= 1)
        loop.until(lambda: sum(c.state == "closed" for c in clients) == 1, timeout=4)
        assert [c.error for c in clients if c.state == "closed"] == ["QUIC handshake timeout"]
    finally:
        for c in clients:
            c.close()
