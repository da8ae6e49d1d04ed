"""TCP transport: framing, full duplex over loopback, and the abuse a hostile client can try."""

from __future__ import annotations

import socket
import struct
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oxtunnel.types import PeerAddress
from runtimes.tcp import FrameDecoder, FramingError, TcpClientBind, TcpConfig, TcpServerBind, encode_frame


def datagram(payload: bytes = b"x") -> bytes:
    """Something shaped like an OxTunnel datagram (magic + 7 header bytes + body)."""
    return b"\x4f\x58" + bytes(7) + payload


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def pump_until(cond, binds, timeout: float = 3.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        for b in binds:
            b.recv_batch(1024)
        time.sleep(0.002)


def collect(bind, n: int, *others, timeout: float = 3.0) -> list[tuple[bytes, PeerAddress]]:  # type: ignore[no-untyped-def]
    """Receive n datagrams from bind while driving the other binds (a stand-in for the pump loop)."""
    got: list[tuple[bytes, PeerAddress]] = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        for other in others:
            assert other.recv_batch(1024) == []
        got += bind.recv_batch(1024)
        time.sleep(0.001)
    return got


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    cfg = TcpConfig(host="127.0.0.1", port=_free_port(), first_frame_timeout=5, max_connections_per_ip=4)
    bind = TcpServerBind(cfg)
    yield bind
    bind.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- framing -------------------------------------------------------------------------------------------


@given(st.lists(st.binary(min_size=0, max_size=300), min_size=1, max_size=20), st.integers(1, 50))
def test_decoder_reassembles_frames_split_anywhere(bodies: list[bytes], step: int) -> None:
    grams = [datagram(b) for b in bodies]
    stream = b"".join(encode_frame(g) for g in grams)
    dec = FrameDecoder()
    out: list[bytes] = []
    for i in range(0, len(stream), step):
        out += dec.feed(stream[i : i + step])
    assert out == grams
    assert dec.buffered == 0


def test_decoder_rejects_length_below_header() -> None:
    with pytest.raises(FramingError, match="below the 9-byte header"):
        FrameDecoder().feed(struct.pack("!H", 8) + bytes(8))


def test_decoder_rejects_non_oxtunnel_bytes() -> None:
    with pytest.raises(FramingError, match="magic"):
        FrameDecoder().feed(b"GET / HTTP/1.1\r\n")


def test_decoder_holds_only_the_incomplete_frame() -> None:
    dec = FrameDecoder()
    frame = encode_frame(datagram(bytes(1000)))
    assert dec.feed(frame + frame[:100]) == [datagram(bytes(1000))]
    assert dec.buffered == 100


def test_encode_frame_bounds() -> None:
    with pytest.raises(ValueError):
        encode_frame(b"short")
    with pytest.raises(ValueError):
        encode_frame(bytes(65536))
    assert encode_frame(datagram()) == b"\x00\x0a" + datagram()


def test_config_names_the_bad_key() -> None:
    with pytest.raises(ValueError, match="tcp.idle_timeout"):
        TcpConfig(idle_timeout=0)


# --- full duplex over loopback -------------------------------------------------------------------------


def test_full_duplex_round_trip(server: TcpServerBind) -> None:
    client = TcpClientBind("127.0.0.1", server.local_port)
    try:
        up = [datagram(i.to_bytes(4, "big") * 300) for i in range(200)]
        client.send_batch([(d, client.server) for d in up])  # queued while connecting
        got = collect(server, len(up), client)
        assert [d for d, _ in got] == up
        peer = got[0][1]
        assert peer.transport == "tcp" and peer.host == "127.0.0.1"
        down = [datagram(bytes([i % 256]) * 1400) for i in range(300)]  # within send_queue_limit
        server.send_batch([(d, peer) for d in down])
        back = collect(client, len(down), server)
        assert [d for d, _ in back] == down
        assert all(a == client.server for _, a in back)
        assert client.connected
        assert client._conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        client.close()


def test_send_to_unknown_peer_is_counted_not_raised(server: TcpServerBind) -> None:
    server.send_batch([(datagram(), PeerAddress("127.0.0.1", 9, "tcp"))])
    assert server.stats.frames_dropped_no_connection == 1


def test_client_reports_refused_connection() -> None:
    client = TcpClientBind("127.0.0.1", _free_port(), TcpConfig(connect_timeout=1))
    try:
        pump_until(lambda: client.state == "closed", [client])
        assert client.error and "ECONNREFUSED" in client.error
    finally:
        client.close()


# --- abuse ---------------------------------------------------------------------------------------------


def test_garbage_closes_only_that_connection(server: TcpServerBind) -> None:
    good = TcpClientBind("127.0.0.1", server.local_port)
    bad = socket.create_connection(("127.0.0.1", server.local_port))
    try:
        good.send_batch([(datagram(b"1"), good.server)])
        assert collect(server, 1, good)
        bad.sendall(b"\x00\x05hello")  # length 5 < 9
        pump_until(lambda: server.stats.closed.get("framing", 0) == 1, [server])
        bad.settimeout(2)
        assert bad.recv(10) == b""  # server closed it
        good.send_batch([(datagram(b"2"), good.server)])
        assert [d for d, _ in collect(server, 1)] == [datagram(b"2")]
    finally:
        good.close()
        bad.close()


def test_silent_connection_is_closed_after_first_frame_timeout() -> None:
    clock = FakeClock()
    srv = TcpServerBind(TcpConfig(host="127.0.0.1", port=_free_port(), first_frame_timeout=2), clock=clock)
    lurker = socket.create_connection(("127.0.0.1", srv.local_port))
    try:
        pump_until(lambda: srv.connection_count == 1, [srv])
        lurker.sendall(encode_frame(datagram(bytes(100)))[:50])  # half a frame, then nothing
        srv.recv_batch(10)
        timer = srv.get_timer()
        assert timer is not None
        clock.now += 1.5
        srv.handle_timer(clock.now)
        assert srv.connection_count == 1
        clock.now += 1.0
        srv.handle_timer(clock.now)
        assert srv.connection_count == 0
        assert srv.stats.closed == {"no frame within first_frame_timeout": 1}
    finally:
        lurker.close()
        srv.close()


def test_idle_connection_is_closed() -> None:
    clock = FakeClock()
    srv = TcpServerBind(TcpConfig(host="127.0.0.1", port=_free_port(), idle_timeout=30), clock=clock)
    c = socket.create_connection(("127.0.0.1", srv.local_port))
    try:
        c.sendall(encode_frame(datagram()))
        assert collect(srv, 1)
        clock.now += 29
        srv.handle_timer(clock.now)
        assert srv.connection_count == 1
        clock.now += 2
        srv.handle_timer(clock.now)
        assert srv.connection_count == 0 and srv.stats.closed == {"idle_timeout": 1}
    finally:
        c.close()
        srv.close()


def test_per_ip_and_total_limits() -> None:
    srv = TcpServerBind(
        TcpConfig(host="127.0.0.1", port=_free_port(), max_connections_per_ip=2, max_connections=3)
    )
    socks = [socket.create_connection(("127.0.0.1", srv.local_port)) for _ in range(4)]
    try:
        pump_until(lambda: srv.stats.accepted + srv.stats.rejected_ip_limit == 4, [srv])
        assert srv.connection_count == 2 and srv.stats.rejected_ip_limit == 2
    finally:
        for s in socks:
            s.close()
        srv.close()
    srv = TcpServerBind(TcpConfig(host="127.0.0.1", port=_free_port(), max_connections=1))
    socks = [socket.create_connection(("127.0.0.1", srv.local_port)) for _ in range(2)]
    try:
        pump_until(lambda: srv.stats.accepted + srv.stats.rejected_total_limit == 2, [srv])
        assert srv.connection_count == 1 and srv.stats.rejected_total_limit == 1
    finally:
        for s in socks:
            s.close()
        srv.close()


def test_slow_reader_gets_bounded_queue_then_write_stall_close() -> None:
    clock = FakeClock()
    limit = 64 * 1024
    srv = TcpServerBind(
        TcpConfig(host="127.0.0.1", port=_free_port(), send_queue_limit=limit, write_stall_timeout=10),
        clock=clock,
    )
    reader = socket.socket()
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    reader.connect(("127.0.0.1", srv.local_port))
    try:
        reader.sendall(encode_frame(datagram()))
        ((_, peer),) = collect(srv, 1)
        big = datagram(bytes(1400))
        for _ in range(200):  # ~28 MB offered to a peer that never reads
            srv.send_batch([(big, peer)] * 100)
        conn = srv._by_peer[peer]
        assert len(conn.out) <= limit
        assert srv.stats.frames_dropped_queue_full > 15000
        clock.now += 11
        srv.handle_timer(clock.now)
        assert srv.connection_count == 0 and srv.stats.closed == {"write_stall_timeout": 1}
    finally:
        reader.close()
        srv.close()


def test_partial_writes_never_split_a_frame() -> None:
    """Whatever the kernel accepts, the reader sees whole frames in order (some may be dropped whole)."""
    srv = TcpServerBind(TcpConfig(host="127.0.0.1", port=_free_port(), send_queue_limit=20000))
    client = TcpClientBind("127.0.0.1", srv.local_port)
    try:
        client.send_batch([(datagram(), client.server)])
        ((_, peer),) = collect(srv, 1, client)
        sent = [datagram(i.to_bytes(2, "big") * 700) for i in range(3000)]
        for i in range(0, len(sent), 100):
            srv.send_batch([(d, peer) for d in sent[i : i + 100]])
        got: list[bytes] = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            srv.recv_batch(1024)
            got += [d for d, _ in client.recv_batch(4096)]
            if not srv._by_peer[peer].out and len(got) >= len(sent) - srv.stats.frames_dropped_queue_full:
                break
        assert len(got) == len(sent) - srv.stats.frames_dropped_queue_full
        index = {d: i for i, d in enumerate(sent)}
        order = [index[d] for d in got]
        assert order == sorted(order)
    finally:
        client.close()
        srv.close()
