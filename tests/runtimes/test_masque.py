"""MASQUE proxy over loopback with a real aioquic HTTP/3 client: the rules of RFC 9297/9298/9484."""

from __future__ import annotations

import contextlib
import hashlib
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from runtimes.masque import ippacket
from runtimes.masque.capsules import (
    CAPSULE_ADDRESS_ASSIGN,
    CAPSULE_ADDRESS_REQUEST,
    CAPSULE_DATAGRAM,
    CAPSULE_ROUTE_ADVERTISEMENT,
    encode_capsule,
    encode_varint,
)
from runtimes.masque.config import MasqueConfig
from runtimes.masque.h3 import H3_DATAGRAM_ERROR, H3_MESSAGE_ERROR, H3_REQUEST_CANCELLED
from runtimes.masque.proxy import MasqueProxy
from runtimes.masque.values import MasqueAddress, decode_addresses, decode_routes, encode_addresses
from runtimes.quic.certs import ensure_server_certificate
from runtimes.quic.config import QuicConfig
from runtimes.quic.server import QuicServerBind
from tests.runtimes.masque_helpers import FakeDevice, H3Client, connect_headers
from tests.runtimes.quic_helpers import free_udp_port

TOKEN_HASH = hashlib.sha256(b"secret").hexdigest()


class Env:
    def __init__(self, tmp: Path, **masque: object) -> None:
        cert = ensure_server_certificate(tmp / "state", ["127.0.0.1"])
        self.device = FakeDevice()
        cfg = MasqueConfig(token_sha256=[TOKEN_HASH], **masque)  # type: ignore[arg-type]
        self.proxy = MasqueProxy(cfg, device=self.device, own_addresses=["192.0.2.1"])
        self.server = QuicServerBind(
            QuicConfig(host="127.0.0.1", port=free_udp_port()), cert, {"h3": self.proxy.handler_for}
        )
        self.clients: list[H3Client] = []
        self.inbox: list[tuple[bytes, object]] = []

    def client(self, **kw: object) -> H3Client:
        c = H3Client(self.server.local_port, **kw)  # type: ignore[arg-type]
        self.clients.append(c)
        self.until(lambda: c.h3 is not None and c.h3.received_settings is not None)
        return c

    def step(self) -> None:
        self.inbox += self.server.recv_batch(1024)
        now = time.monotonic()
        t = self.server.get_timer()
        if t is not None and t <= now:
            self.server.handle_timer(now)
        for c in self.clients:
            c.step()

    def until(self, cond: Callable[[], object], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached")
            self.step()
            time.sleep(0.0005)

    def run(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.step()
            time.sleep(0.0005)

    def close(self) -> None:
        for c in self.clients:
            c.close()
        self.server.close()
        self.proxy.close()
        self.device.close()


@pytest.fixture
def env(tmp_path: Path):  # type: ignore[no-untyped-def]
    e = Env(tmp_path, allow_destinations=["loopback"])
    yield e
    e.close()


@pytest.fixture
def echo():  # type: ignore[no-untyped-def]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.setblocking(False)
    yield s
    s.close()


def pump_echo(sock: socket.socket) -> None:
    try:
        while True:
            data, addr = sock.recvfrom(65536)
            sock.sendto(b"echo:" + data, addr)
    except BlockingIOError:
        pass


def udp_path(port: int, host: str = "127.0.0.1") -> bytes:
    return f"/.well-known/masque/udp/{host}/{port}/".encode()


# --- settings and request rules ----------------------------------------------------------------------


def test_server_settings_enable_connect_and_datagrams(env: Env) -> None:
    c = env.client()
    settings = c.h3.received_settings  # type: ignore[union-attr]
    assert settings[0x08] == 1 and settings[0x33] == 1
    assert 0xFFD277 not in settings  # never the draft code point


@pytest.mark.parametrize(
    ("headers", "expect"),
    [
        (
            [
                (b":method", b"GET"),
                (b":protocol", b"connect-udp"),
                (b":scheme", b"https"),
                (b":authority", b"p"),
                (b":path", b"/"),
            ],
            ("reset", H3_MESSAGE_ERROR),
        ),
        (
            [
                (b":method", b"CONNECT"),
                (b":protocol", b"connect-udp"),
                (b":authority", b"p"),
                (b":path", b"/.well-known/masque/udp/127.0.0.1/53/"),
            ],
            ("reset", H3_MESSAGE_ERROR),
        ),
        (
            [
                (b":method", b"CONNECT"),
                (b":protocol", b"connect-udp"),
                (b":scheme", b"https"),
                (b":authority", b"p"),
            ],
            ("reset", H3_MESSAGE_ERROR),
        ),
        (connect_headers(b"websocket", b"/chat"), ("status", 501)),
        (connect_headers(b"connect-udp", b"/.well-known/masque/udp//0/"), ("status", 400)),
        (connect_headers(b"connect-udp", b"/.well-known/masque/udp/127.0.0.1/0/"), ("status", 400)),
        (connect_headers(b"connect-udp", b"/rfc9298/127.0.0.1/53/"), ("status", 404)),
        (
            connect_headers(b"connect-udp", b"/.well-known/masque/udp/127.0.0.1/53/", token=None),
            ("status", 407),
        ),
        (
            connect_headers(b"connect-udp", b"/.well-known/masque/udp/127.0.0.1/53/", token=b"wrong"),
            ("status", 407),
        ),
        (connect_headers(b"connect-udp", b"/.well-known/masque/udp/169.254.169.254/53/"), ("status", 403)),
        (connect_headers(b"connect-udp", b"/.well-known/masque/udp/192.0.2.1/53/"), ("status", 403)),
        (
            connect_headers(
                b"connect-udp", b"/.well-known/masque/udp/127.0.0.1/53/", extra=[(b"content-length", b"0")]
            ),
            ("reset", H3_MESSAGE_ERROR),
        ),
        (connect_headers(b"connect-ip", b"/.well-known/masque/ip/10.0.0.1%2F8/6/"), ("status", 400)),
        (connect_headers(b"connect-ip", b"/.well-known/masque/ip/10.0.0.0%2F33/6/"), ("status", 400)),
        (connect_headers(b"connect-ip", b"/.well-known/masque/ip/*/256/"), ("status", 400)),
        (
            [(b":method", b"GET"), (b":scheme", b"https"), (b":authority", b"p"), (b":path", b"/")],
            ("status", 404),
        ),
    ],
)
def test_bad_requests(env: Env, headers: list[tuple[bytes, bytes]], expect: tuple[str, int]) -> None:
    c = env.client()
    sid = c.request(headers)
    kind, value = expect
    if kind == "reset":
        env.until(lambda: sid in c.resets)
        assert c.resets[sid] == value
    else:
        env.until(lambda: c.status(sid) is not None)
        assert c.status(sid) == value
        assert b"capsule-protocol" not in dict(c.headers[sid])  # never on a non-2xx (requirement 33)
        assert b"proxy-status" in dict(c.headers[sid])


def test_dns_failure_is_502_dns_error(env: Env) -> None:
    c = env.client()
    sid = c.request(connect_headers(b"connect-udp", b"/.well-known/masque/udp/does-not-exist.invalid/53/"))
    env.until(lambda: c.status(sid) is not None)
    assert c.status(sid) == 502
    assert b"dns_error" in dict(c.headers[sid])[b"proxy-status"]


# --- CONNECT-UDP ---------------------------------------------------------------------------------------


def open_udp(env: Env, echo: socket.socket) -> tuple[H3Client, int]:
    c = env.client()
    sid = c.request(connect_headers(b"connect-udp", udp_path(echo.getsockname()[1])))
    env.until(lambda: c.status(sid) is not None)
    assert c.status(sid) == 200
    assert dict(c.headers[sid])[b"capsule-protocol"] == b"?1"
    return c, sid


def test_connect_udp_round_trip_with_quic_datagrams(env: Env, echo: socket.socket) -> None:
    c, sid = open_udp(env, echo)
    c.h3.send_datagram(sid, b"\x00" + b"ping")  # type: ignore[union-attr]
    env.until(lambda: (pump_echo(echo), sid in c.datagrams)[1])
    assert c.datagrams[sid] == [b"\x00echo:ping"]


def test_non_minimal_varints_grease_and_datagram_capsules(env: Env, echo: socket.socket) -> None:
    c, sid = open_udp(env, echo)
    # QUIC datagram with an 8-byte Quarter Stream ID and a 4-byte Context ID (requirement 24)
    c.quic.send_datagram_frame(encode_varint(sid // 4, 8) + encode_varint(0, 4) + b"one")
    # GREASE capsules (unknown types) on the stream, then a DATAGRAM capsule with non-minimal fields
    grease = encode_capsule(0x17, b"noise") + encode_capsule(0x29 * 7 + 0x17, bytes(300))
    datagram_capsule = (
        encode_varint(CAPSULE_DATAGRAM, 8) + encode_varint(6, 2) + encode_varint(0, 2) + b"two!"
    )
    c.h3.send_data(sid, grease + datagram_capsule, end_stream=False)  # type: ignore[union-attr]
    c.flush()
    got: list[bytes] = []

    def seen() -> bool:
        pump_echo(echo)
        got[:] = c.datagrams.get(sid, [])
        return len(got) == 2

    env.until(seen)
    assert sorted(got) == [b"\x00echo:one", b"\x00echo:two!"]


def ptb_scenario(tmp: str) -> None:
    """Run inside a private namespace (the PTB teaches that namespace's kernel a smaller path MTU for the
    proxy's address; in the host namespace that would shrink 127.0.0.1 for everyone for ten minutes)."""
    import json

    env = Env(Path(tmp), allow_destinations=["loopback"])
    echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    echo.bind(("127.0.0.1", 0))
    echo.setblocking(False)
    listener = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    listener.setblocking(False)
    try:
        c, sid = open_udp(env, echo)
        big = b"\x00" + bytes(1700)  # capsules carry it to the proxy; the echo doubles back 1705 bytes
        c.h3.send_data(sid, encode_capsule(CAPSULE_DATAGRAM, big), end_stream=False)  # type: ignore[union-attr]
        c.flush()
        found: list[bytes] = []

        def ptb() -> bool:
            pump_echo(echo)
            with contextlib.suppress(BlockingIOError):
                while True:
                    pkt = listener.recv(65536)
                    ihl = (pkt[0] & 0x0F) * 4
                    quoted = pkt[ihl + 8:]
                    qihl = (quoted[0] & 0x0F) * 4 if quoted else 0
                    port = echo.getsockname()[1].to_bytes(2, "big")
                    if pkt[ihl:ihl + 2] == bytes([3, 4]) and quoted[qihl:qihl + 2] == port:
                        found.append(pkt)
            return bool(found)

        env.until(ptb)
        ihl = (found[0][0] & 0x0F) * 4
        tunnel = env.proxy.handlers.copy().pop().tunnels[sid]
        print(json.dumps({"mtu": int.from_bytes(found[0][ihl + 6:ihl + 8], "big"),
                          "dropped_too_big": tunnel.stats.dropped_too_big,
                          "icmp_sent": tunnel.stats.icmp_sent,
                          "largest_datagram": max((len(d) for d in c.datagrams.get(sid, [])), default=0)}))
    finally:
        listener.close()
        echo.close()
        env.close()


@pytest.mark.root
def test_reply_too_big_for_a_datagram_gets_icmp_ptb_to_the_target(netns, run_in, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Requirement 50: dropped, not put in a capsule; ICMP Packet Too Big to the target, quoting its
    datagram."""
    import json
    import sys

    ns = netns("ptb")
    root = Path(__file__).resolve().parents[2]
    code = (f"import sys; sys.path.insert(0, {str(root)!r}); "
            f"from tests.runtimes.test_masque import ptb_scenario; ptb_scenario({str(tmp_path)!r})")
    done = run_in(ns, sys.executable, "-c", code, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert 1280 <= result["mtu"] < 1500, result
    assert result["dropped_too_big"] >= 1 and result["icmp_sent"] == 1, result
    assert result["largest_datagram"] < 1500, "never sent on as a capsule"


def test_unknown_context_id_is_dropped(env: Env, echo: socket.socket) -> None:
    c, sid = open_udp(env, echo)
    c.h3.send_datagram(sid, encode_varint(2) + b"ctx2")  # type: ignore[union-attr]
    c.h3.send_datagram(sid, b"\x00after")  # type: ignore[union-attr]
    env.until(lambda: (pump_echo(echo), sid in c.datagrams)[1])
    assert c.datagrams[sid] == [b"\x00echo:after"]


def test_fin_inside_a_capsule_is_malformed(env: Env, echo: socket.socket) -> None:
    c, sid = open_udp(env, echo)
    c.h3.send_data(sid, encode_capsule(CAPSULE_DATAGRAM, b"\x00abcdef")[:5], end_stream=True)  # type: ignore[union-attr]
    c.flush()
    env.until(lambda: sid in c.resets)
    assert c.resets[sid] == H3_MESSAGE_ERROR


def test_huge_datagram_capsule_is_discarded_without_buffering(env: Env, echo: socket.socket) -> None:
    c, sid = open_udp(env, echo)
    header = encode_varint(CAPSULE_DATAGRAM) + encode_varint(1 << 30)
    c.h3.send_data(sid, header + bytes(200_000), end_stream=False)  # type: ignore[union-attr]
    c.flush()
    env.run(0.3)
    handler = next(iter(env.server.endpoint.connections)).handler
    reader = handler.readers[sid]  # type: ignore[union-attr]
    assert reader.stats.discarded_oversize == 1 and len(reader._value) == 0
    assert sid not in c.resets  # the tunnel is still up
    c.h3.send_datagram(sid, b"\x00still")  # type: ignore[union-attr]
    env.until(lambda: (pump_echo(echo), sid in c.datagrams)[1])


def test_clean_fin_closes_the_tunnel(env: Env, echo: socket.socket) -> None:
    c, sid = open_udp(env, echo)
    c.h3.send_data(sid, b"", end_stream=True)  # type: ignore[union-attr]
    c.flush()
    env.until(lambda: sid in c.ended)
    assert not next(iter(env.server.endpoint.connections)).handler.tunnels  # type: ignore[union-attr]


def test_quarter_stream_id_above_2_60_is_a_connection_error(env: Env) -> None:
    c = env.client()
    c.quic.send_datagram_frame(encode_varint(1 << 60, 8) + b"\x00x")
    c.flush()
    env.until(lambda: c.terminated is not None or c.quic._close_event is not None)
    event = c.terminated or c.quic._close_event
    assert event.error_code == H3_DATAGRAM_ERROR  # type: ignore[union-attr]


@pytest.mark.parametrize(("datagram", "code"), [
    (b"", H3_DATAGRAM_ERROR),  # requirement 20: too short for a Quarter Stream ID
    (encode_varint(10_000) + b"\x00x", 0x108),  # requirement 22: beyond the stream limit, H3_ID_ERROR
])
def test_unparseable_or_out_of_range_datagrams_close_the_connection(env: Env, datagram: bytes,
                                                                     code: int) -> None:
    c = env.client()
    c.quic.send_datagram_frame(datagram)
    c.flush()
    env.until(lambda: c.terminated is not None or c.quic._close_event is not None)
    event = c.terminated or c.quic._close_event
    assert event.error_code == code  # type: ignore[union-attr]


def test_datagram_on_a_plain_request_aborts_it(env: Env) -> None:
    c = env.client()
    sid = c.request([(b":method", b"GET"), (b":scheme", b"https"), (b":authority", b"p"), (b":path", b"/")])
    env.until(lambda: c.status(sid) == 404)
    c.h3.send_datagram(sid, b"\x00x")  # type: ignore[union-attr]
    c.flush()
    env.until(lambda: sid in c.resets or sid in c.stop_sending)
    assert c.stop_sending.get(sid, c.resets.get(sid)) == H3_DATAGRAM_ERROR


# --- CONNECT-IP ----------------------------------------------------------------------------------------


def open_ip(env: Env, path: bytes = b"/.well-known/masque/ip/*/*/", token: bytes | None = b"secret"):  # type: ignore[no-untyped-def]
    c = env.client()
    sid = c.request(connect_headers(b"connect-ip", path, token=token))
    env.until(lambda: len(c.capsules(sid, frozenset({1, 3}))) >= 2)
    assert c.status(sid) == 200
    caps = dict(c.capsules(sid, frozenset({1, 3})))
    return (
        c,
        sid,
        decode_addresses(caps[CAPSULE_ADDRESS_ASSIGN]),
        decode_routes(caps[CAPSULE_ROUTE_ADVERTISEMENT]),
    )


def test_connect_ip_to_a_name_is_resolved_before_the_reply(env: Env) -> None:
    """Requirement 55: a DNS target is resolved first; the tunnel is scoped to what it resolved to."""
    import ipaddress as ip

    c, sid, assigned, routes = open_ip(env, b"/.well-known/masque/ip/localhost/17/")
    (route,) = routes
    assert route.start_address == route.end_address and route.ip_protocol == 17
    assert ip.ip_address(route.start_address).is_loopback
    assert [a.ip_version for a in assigned] == [route.ip_version]
    bad = c.request(connect_headers(b"connect-ip", b"/.well-known/masque/ip/does-not-exist.invalid/17/"))
    env.until(lambda: c.status(bad) is not None)
    assert c.status(bad) == 502 and b"dns_error" in dict(c.headers[bad])[b"proxy-status"]


def test_proxy_greases_the_capsule_stream_after_2xx(env: Env, echo: socket.socket) -> None:
    """Requirement 35: reserved capsule types on the send side, so peers that reject unknown types
    are caught; ours (and any RFC 9297 client) skip them."""
    from runtimes.masque.capsules import is_grease, read_varint

    for c, sid in (open_udp(env, echo), open_ip(env)[:2]):
        env.until(lambda c=c, sid=sid: bool(c.data.get(sid)))
        first = read_varint(c.data[sid], 0)
        assert first is not None and is_grease(first[0]), "a GREASE capsule leads the capsule stream"


def test_connect_ip_assigns_addresses_and_routes(env: Env) -> None:
    c, sid, assigned, routes = open_ip(env)
    v4 = [a for a in assigned if a.ip_version == 4][0]
    assert v4.request_id == 0 and v4.ip_prefix_length == 32 and v4.ip_address[:3] == bytes([10, 89, 0])
    assert [(r.ip_version, r.ip_protocol) for r in routes] == [(4, 0), (6, 0)]
    assert routes[0].start_address == bytes(4) and routes[0].end_address == b"\xff" * 4
    # ADDRESS_REQUEST(id=1, v4 any) is answered with the same address under request ID 1
    req = encode_addresses([MasqueAddress(1, 4, bytes(4), 32)])
    c.h3.send_data(sid, encode_capsule(CAPSULE_ADDRESS_REQUEST, req), end_stream=False)  # type: ignore[union-attr]
    c.flush()
    env.until(lambda: len([x for x in c.capsules(sid, frozenset({1})) if x[0] == 1]) >= 2)
    latest = decode_addresses([x for x in c.capsules(sid, frozenset({1}))][-1][1])
    assert MasqueAddress(1, 4, v4.ip_address, 32) in latest


def test_address_request_with_zero_entries_aborts(env: Env) -> None:
    c, sid, _, _ = open_ip(env)
    c.h3.send_data(sid, encode_capsule(CAPSULE_ADDRESS_REQUEST, b""), end_stream=False)  # type: ignore[union-attr]
    c.flush()
    env.until(lambda: sid in c.resets)


def test_route_advertisement_overlap_across_protocols_aborts(env: Env) -> None:
    c, sid, _, _ = open_ip(env)
    bad = (
        bytes([4])
        + bytes([10, 0, 0, 0])
        + bytes([10, 0, 0, 255])
        + bytes([0])
        + bytes([4])
        + bytes([10, 0, 0, 5])
        + bytes([10, 0, 0, 6])
        + bytes([17])
    )
    c.h3.send_data(sid, encode_capsule(CAPSULE_ROUTE_ADVERTISEMENT, bad), end_stream=False)  # type: ignore[union-attr]
    c.flush()
    env.until(lambda: sid in c.resets)
    assert c.resets[sid] == H3_MESSAGE_ERROR


def test_packets_forwarded_spoofing_dropped_and_ttl_decremented_on_encapsulation(env: Env) -> None:
    c, sid, assigned, _ = open_ip(env)
    me = [a for a in assigned if a.ip_version == 4][0].ip_address
    dst = bytes([198, 51, 100, 7])
    good = ippacket.udp_packet(me, 4000, dst, 53, b"query")
    spoofed = ippacket.udp_packet(bytes([10, 89, 0, 200]), 4000, dst, 53, b"spoof")
    metadata = ippacket.udp_packet(me, 4000, bytes([169, 254, 169, 254]), 80, b"meta")
    for p in (spoofed, metadata, good):
        c.h3.send_datagram(sid, b"\x00" + p)  # type: ignore[union-attr]
    c.flush()
    env.until(lambda: env.device.written)
    env.run(0.1)
    assert env.device.written == [good]
    # ICMP errors came back for the spoofed (code 5) and the prohibited (code 13) packets
    env.until(lambda: len(c.datagrams.get(sid, [])) >= 1)
    reply = ippacket.udp_packet(dst, 53, me, 4000, b"answer")
    env.device.inject(reply)
    env.until(lambda: any(d[1:] != reply and d[1 + 9] == 17 for d in c.datagrams.get(sid, [])))
    got = [d[1:] for d in c.datagrams[sid] if d[1 + 9] == 17][0]
    assert got[8] == reply[8] - 1 and ippacket.checksum(got[:20]) == 0 and got[20:] == reply[20:]


def test_too_big_for_the_tunnel_gives_icmp_ptb(env: Env) -> None:
    c, sid, assigned, _ = open_ip(env)
    me = [a for a in assigned if a.ip_version == 4][0].ip_address
    big = ippacket.udp_packet(bytes([198, 51, 100, 7]), 53, me, 4000, bytes(1440))
    env.device.inject(big)
    env.until(lambda: env.device.written)
    icmp = env.device.written[-1]
    assert icmp[9] == 1 and icmp[20] == 3 and icmp[21] == 4  # Destination Unreachable / frag needed
    assert int.from_bytes(icmp[26:28], "big") >= 1280


def test_connect_ip_aborts_when_quic_cannot_carry_1280(env: Env) -> None:
    c = env.client(max_datagram_frame_size=1200)
    sid = c.request(connect_headers(b"connect-ip", b"/.well-known/masque/ip/*/*/"))
    env.until(lambda: sid in c.resets)
    assert c.resets[sid] == H3_REQUEST_CANCELLED


def test_service_scope_reaches_the_oxtunnel_core_without_a_token(env: Env) -> None:
    c, sid, assigned, routes = open_ip(env, b"/.well-known/masque/ip/10.89.0.1/17/", token=None)
    assert [(r.start_address, r.end_address, r.ip_protocol) for r in routes] == [
        (bytes([10, 89, 0, 1]), bytes([10, 89, 0, 1]), 17)
    ]
    assert dict(c.headers[sid])[b"oxtunnel-service"] == b"10.89.0.1:51820"
    me = assigned[0].ip_address
    oxt = b"\x4f\x58" + bytes(7) + b"hello"
    c.h3.send_datagram(sid, b"\x00" + ippacket.udp_packet(me, 5555, bytes([10, 89, 0, 1]), 51820, oxt))  # type: ignore[union-attr]
    # anything else is out of scope
    c.h3.send_datagram(sid, b"\x00" + ippacket.udp_packet(me, 5555, bytes([198, 51, 100, 1]), 53, b"x"))  # type: ignore[union-attr]
    c.flush()
    env.until(lambda: env.inbox)
    data, peer = env.inbox[0]
    assert data == oxt and peer.transport == "masque" and peer.port == 5555  # type: ignore[attr-defined]
    assert env.device.written == []
    env.server.send_batch([(b"\x4f\x58" + bytes(7) + b"back", peer)])  # type: ignore[list-item]
    env.until(lambda: any(d[1 + 9] == 17 for d in c.datagrams.get(sid, [])))
    pkt = [d[1:] for d in c.datagrams[sid] if d[1 + 9] == 17][0]
    info = ippacket.parse(pkt)
    assert info is not None and info.src == bytes([10, 89, 0, 1]) and info.dst == me
    assert ippacket.parse_udp(pkt, info) == (51820, 5555, b"\x4f\x58" + bytes(7) + b"back")


def test_general_connect_ip_needs_a_token(env: Env) -> None:
    c = env.client()
    sid = c.request(connect_headers(b"connect-ip", b"/.well-known/masque/ip/*/*/", token=None))
    env.until(lambda: c.status(sid) is not None)
    assert c.status(sid) == 407
