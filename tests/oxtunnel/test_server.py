"""ServerEndpoint: who gets an answer, addresses, the per-packet checks, routing, limits, lifecycle."""

from __future__ import annotations

import pytest

from generated.codecs import constants as C
from generated.codecs import fast
from oxtunnel.client import ClientSession
from oxtunnel.config import ClientConfig, ConfigError, PeerConfig, ServerConfig
from oxtunnel.crypto import public_key
from oxtunnel.events import (
    EndpointChanged,
    HandshakeCompleted,
    PacketsReceived,
    SessionTerminated,
    TerminationReason,
)
from oxtunnel.server import ServerEndpoint
from oxtunnel.trace import DropReason
from oxtunnel.types import PeerAddress

from .harness import (
    CLIENT_ADDR,
    SERVER_ADDR,
    Rng,
    WallClock,
    client_source,
    drain,
    ipv4_packet,
    ipv6_packet,
    key,
    make_pair,
)


def _client(name: str, wall: WallClock, **kw: object) -> ClientSession:
    config = ClientConfig(
        private_key=key(name),
        server_public_key=public_key(key("server")),
        endpoint=SERVER_ADDR,
        wall_clock=wall,
        **kw,
    )  # type: ignore[arg-type]
    return ClientSession(config, rng=Rng(name))


def _server(names: list[str], wall: WallClock, **kw: object) -> ServerEndpoint:
    peers = tuple(PeerConfig(public_key(key(n)), name=n) for n in names)
    return ServerEndpoint(
        ServerConfig(private_key=key("server"), peers=peers, wall_clock=wall, **kw),  # type: ignore[arg-type]
        rng=Rng("server"),
    )


def _handshake(client: ClientSession, server: ServerEndpoint, addr: PeerAddress, now: float = 0.0) -> None:
    if not client.active:
        client.connect(now)
    for _ in range(4):
        for data, _ in client.datagrams_to_send(now):
            server.receive_datagram(data, addr, now)
        for data, dest in server.datagrams_to_send(now):
            if dest == addr:
                client.receive_datagram(data, SERVER_ADDR, now)


def test_unknown_client_gets_no_reply_at_all() -> None:
    wall = WallClock()
    server = _server(["alice"], wall)
    mallory = _client("mallory", wall)
    mallory.connect(0.0)
    for data, _ in mallory.datagrams_to_send(0.0):
        server.receive_datagram(data, CLIENT_ADDR, 0.0)
    assert server.datagrams_to_send(0.0) == []
    assert server.trace.last is not None and server.trace.last.reason is DropReason.UNKNOWN_PEER
    assert server.status() == [] and server.next_event() is None


def test_replayed_init_is_refused_by_its_timestamp() -> None:
    pair = make_pair()
    init = pair.to_server[0]
    pair.server.receive_datagram(init, CLIENT_ADDR, pair.now + 1)
    assert pair.server.datagrams_to_send(pair.now) == []
    assert (
        pair.server.trace.last is not None and pair.server.trace.last.reason is DropReason.TIMESTAMP_REPLAYED
    )


def test_per_source_ip_handshake_rate_limit() -> None:
    wall = WallClock()
    server = _server(["alice"], wall, handshake_rate=1.0, handshake_burst=2.0)
    answered = 0
    for i in range(6):
        client = _client("alice", wall)
        wall.now += 1  # fresh timestamps
        client.connect(0.0)
        for data, _ in client.datagrams_to_send(0.0):
            server.receive_datagram(data, PeerAddress("198.51.100.7", 40000 + i), 0.0)
        answered += len(server.datagrams_to_send(0.0))
    assert answered == 2
    assert server.trace.count(DropReason.HANDSHAKE_RATE_LIMITED) == 4
    client = _client("alice", wall)
    wall.now += 1
    _handshake(client, server, PeerAddress("198.51.100.99", 1))  # another source IP is not affected
    assert client.established


def test_under_load_the_server_demands_a_cookie_before_any_dh() -> None:
    wall = WallClock()
    server = _server(["alice", "bob"], wall, load_threshold=1.0)
    alice, bob = _client("alice", wall), _client("bob", wall)
    _handshake(alice, server, CLIENT_ADDR)
    assert alice.established
    bob_addr = PeerAddress("198.51.100.8", 40000)
    _handshake(bob, server, bob_addr)
    assert not bob.established
    assert server.trace.count(DropReason.COOKIE_REQUIRED) == 1
    # bob's retransmission carries mac2 made with the cookie and is answered even though still under load
    bob.handle_timer(bob.get_timer() or 0.0)
    for data, _ in bob.datagrams_to_send(6.0):
        server.receive_datagram(data, bob_addr, 6.0)
        server.receive_datagram(data, bob_addr, 6.0)  # (a duplicate: refused by its timestamp)
    for data, _ in server.datagrams_to_send(6.0):
        bob.receive_datagram(data, SERVER_ADDR, 6.0)
    assert bob.established
    assert server.trace.count(DropReason.TIMESTAMP_REPLAYED) == 1


def test_addresses_are_stable_per_key_and_pinned_addresses_are_honoured() -> None:
    wall = WallClock()
    names = ["alice", "bob", "carol"]
    first = _server(names, wall)
    leases = {}
    for n in names:
        client = _client(n, wall)
        _handshake(client, first, PeerAddress("198.51.100.1", hash(n) % 60000))
        assert client.parameters is not None
        leases[n] = (client.parameters.ipv4, client.parameters.ipv6)
    assert len({v4 for v4, _ in leases.values()}) == 3
    # a restarted server (new object) derives the same addresses from the keys
    again = _server(list(reversed(names)), wall)
    for n in reversed(names):
        client = _client(n, wall)
        wall.now += 1
        _handshake(client, again, PeerAddress("198.51.100.2", hash(n) % 60000))
        assert client.parameters is not None
        assert (client.parameters.ipv4, client.parameters.ipv6) == leases[n]
    peers = (
        PeerConfig(public_key(key("alice")), ipv4_address="10.66.0.77", ipv6_address="fd4f:5854:756e::77"),
    )
    pinned = ServerEndpoint(
        ServerConfig(private_key=key("server"), peers=peers, wall_clock=wall), rng=Rng("p")
    )
    client = _client("alice", wall)
    wall.now += 1
    _handshake(client, pinned, CLIENT_ADDR)
    assert client.parameters is not None and str(client.parameters.ipv4) == "10.66.0.77/16"
    assert str(client.parameters.ipv6) == "fd4f:5854:756e::77/64"


def test_exhausted_pool_is_a_clean_authenticated_refusal() -> None:
    wall = WallClock()
    server = _server(["alice", "bob"], wall, ipv4_pool="10.9.0.0/30", ipv6_pool=None)
    alice, bob = _client("alice", wall), _client("bob", wall)
    _handshake(alice, server, CLIENT_ADDR)
    assert alice.established and alice.parameters is not None and str(alice.parameters.ipv4) == "10.9.0.2/30"
    _handshake(bob, server, PeerAddress("198.51.100.8", 1))
    events = drain(bob)  # a refusal, not a session: no HandshakeCompleted before (or after) the end
    assert [(type(e), e.reason, e.by_peer) for e in events] == [
        (SessionTerminated, TerminationReason.ADDRESS_POOL_EXHAUSTED, True)
    ]
    assert not bob.active and not bob.established and bob.datagrams_to_send(0.0) == []
    assert server.trace.count(DropReason.ADDRESS_POOL_EXHAUSTED) == 1
    assert [s.name for s in server.status()] == ["alice"]
    # once alice is gone, her (sticky) lease is recycled for bob
    alice.close(1.0)
    for data, _ in alice.datagrams_to_send(1.0):
        server.receive_datagram(data, CLIENT_ADDR, 1.0)
    wall.now += 1
    _handshake(bob, server, PeerAddress("198.51.100.8", 1), 2.0)
    assert bob.established and bob.parameters is not None and str(bob.parameters.ipv4) == "10.9.0.2/30"


def test_session_limit_refuses_cleanly() -> None:
    wall = WallClock()
    server = _server(["alice", "bob"], wall, max_sessions=1)
    alice, bob = _client("alice", wall), _client("bob", wall)
    _handshake(alice, server, CLIENT_ADDR)
    _handshake(bob, server, PeerAddress("198.51.100.8", 1))
    assert alice.established and not bob.active
    assert server.trace.count(DropReason.SESSION_LIMIT) == 1
    assert [(type(e), e.reason) for e in drain(bob)] == [(SessionTerminated, TerminationReason.POLICY)]


def test_no_address_of_a_family_the_client_uses_is_a_refusal() -> None:
    wall = WallClock()
    server = _server(["alice"], wall, ipv4_pool=None, ipv6_pool="fd00:9::/64")
    alice = _client("alice", wall, ipv6=False)
    _handshake(alice, server, CLIENT_ADDR)
    assert [(type(e), e.reason, e.by_peer) for e in drain(alice)] == [
        (SessionTerminated, TerminationReason.POLICY, True)
    ]
    assert server.trace.count(DropReason.NO_USABLE_ADDRESS) == 1 and not server.sessions
    assert not [e for e in drain(server) if isinstance(e, HandshakeCompleted)]


def test_a_refusal_whose_disconnect_is_lost_is_retried_then_given_up() -> None:
    pair = make_pair(
        connect=False, server_kw={"ipv4_pool": "10.9.0.0/30", "ipv6_pool": None, "max_sessions": 1}
    )
    squatter = _client("squatter", pair.wall)
    pair.server.add_peer(PeerConfig(public_key(key("squatter"))))
    _handshake(squatter, pair.server, PeerAddress("198.51.100.9", 9))
    assert squatter.established
    pair.client.connect(pair.now)
    disconnects = []

    def lose_disconnects(data: bytes) -> bytes | None:
        if data[2] == 0x09:
            disconnects.append(data)
            return None
        return data

    pair.flush(s2c=lose_disconnects)
    assert len(disconnects) == 1 and pair.client.active and not pair.client.established
    pair.client.send_packet(ipv4_packet("10.9.0.2", "203.0.113.5"), pair.now)  # no handshake storm
    assert pair.client.datagrams_to_send(pair.now) == []
    pair.advance(C.REKEY_TIMEOUT + 1, s2c=lose_disconnects)  # the INIT is retried and refused again
    assert len(disconnects) == 2 and pair.client.active
    pair.advance(C.REKEY_ATTEMPT_TIME - C.REKEY_TIMEOUT - 3, s2c=lose_disconnects)
    assert pair.client.active and not pair.client_events and len(disconnects) >= 10  # retried all along
    pair.advance(C.REKEY_TIMEOUT, s2c=lose_disconnects)  # REKEY_ATTEMPT_TIME after the first INIT
    assert [(type(e), e.reason, e.by_peer) for e in pair.client_events] == [
        (SessionTerminated, TerminationReason.POLICY, False)
    ]
    late = disconnects[0]  # a DISCONNECT arriving after the end changes nothing
    pair.client.receive_datagram(late, SERVER_ADDR, pair.now)
    assert drain(pair.client) == [] and pair.client.trace.last is not None
    assert pair.client.trace.last.reason is DropReason.UNKNOWN_RECEIVER_INDEX


def test_nothing_but_disconnect_is_read_under_a_refusals_keys() -> None:
    wall = WallClock()
    server = _server(["alice", "bob"], wall, max_sessions=1)
    alice, bob = _client("alice", wall), _client("bob", wall)
    _handshake(alice, server, CLIENT_ADDR)
    bob.connect(0.0)
    for data, _ in bob.datagrams_to_send(0.0):
        server.receive_datagram(data, PeerAddress("198.51.100.8", 1), 0.0)
    response, disconnect = (d for d, _ in server.datagrams_to_send(0.0))
    bob.receive_datagram(response, SERVER_ADDR, 0.0)
    assert bob.datagrams_to_send(0.0) == [] and drain(bob) == []  # no KEY_ROTATION, no event
    index = int.from_bytes(response[14:18], "big")  # the RESPONSE's receiver_index: bob's for these keys
    data = fast.pack_envelope(0x01, index, 0, ipv4_packet("10.66.0.5", "203.0.113.5"), bytes(16))
    bob.receive_datagrams([(data, SERVER_ADDR), (data, SERVER_ADDR)], 0.0)
    assert bob.trace.last is not None and bob.trace.last.reason is DropReason.UNEXPECTED_MESSAGE
    control = fast.pack_envelope(0x09, index, 5, b"\x03", bytes(16))  # KEEPALIVE-sized, forged
    bob.receive_datagram(control, SERVER_ADDR, 0.0)
    assert bob.trace.last.reason is DropReason.AUTHENTICATION_FAILED and bob.active
    forged = bytearray(disconnect)
    forged[-1] ^= 1
    bob.receive_datagram(bytes(forged), SERVER_ADDR, 0.0)
    assert bob.active and bob.trace.last is not None
    assert bob.trace.last.reason is DropReason.AUTHENTICATION_FAILED
    bob.receive_datagram(disconnect, SERVER_ADDR, 0.0)
    assert [(type(e), e.reason) for e in drain(bob)] == [(SessionTerminated, TerminationReason.POLICY)]


def test_inner_source_must_be_the_assigned_address() -> None:
    pair = make_pair()
    v4, v6 = client_source(pair, 4), client_source(pair, 6)
    pair.client.send_packets(
        [
            ipv4_packet("10.66.0.99", "203.0.113.5"),
            ipv6_packet("fd4f:5854:756e::99", "2001:db8::1"),
            ipv4_packet(v4, "203.0.113.5", b"ok4"),
            ipv6_packet(v6, "2001:db8::1", b"ok6"),
        ],
        pair.now,
    )
    pair.flush()
    assert pair.server.trace.count(DropReason.SPOOFED_SOURCE) == 2
    (got,) = pair.take(PacketsReceived, "server")
    assert [p[-3:] for p in got.packets] == [b"ok4", b"ok6"]


DESTINATIONS = [
    ("127.0.0.1", "loopback"),
    ("::1", "loopback"),
    ("169.254.169.254", "metadata"),
    ("fd00:ec2::254", "metadata"),
    ("169.254.10.1", "link_local"),
    ("fe80::1", "link_local"),
    ("224.0.0.251", "multicast"),
    ("ff02::fb", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("255.255.255.255", "broadcast"),
    ("10.66.0.200", "client_to_client"),
    ("fd4f:5854:756e::200", "client_to_client"),
]


@pytest.mark.parametrize("destination,rule", DESTINATIONS)
def test_destination_policy_refuses_unless_allowed(destination: str, rule: str) -> None:
    pair = make_pair()
    six = ":" in destination
    src = client_source(pair, 6 if six else 4)
    packet = (ipv6_packet if six else ipv4_packet)(src, destination)
    pair.client.send_packet(packet, pair.now)
    pair.flush()
    assert (
        pair.server.trace.last is not None and pair.server.trace.last.reason is DropReason.DESTINATION_REFUSED
    )
    assert rule in pair.server.trace.last.detail
    allow = (
        {"allow_client_to_client": True}
        if rule == "client_to_client"
        else {"allowed_destinations": frozenset({rule})}
    )
    if rule == "metadata":
        allow = {"allowed_destinations": frozenset({"metadata", "link_local"})}
    pair = make_pair(server_kw=allow)
    pair.client.send_packet(packet, pair.now)
    pair.flush()
    assert pair.take(PacketsReceived, "server")


def test_the_servers_own_tunnel_address_and_extra_denied_networks() -> None:
    pair = make_pair(server_kw={"denied_networks": ("203.0.113.0/24",)})
    src = client_source(pair)
    pair.client.send_packets([ipv4_packet(src, "10.66.0.1"), ipv4_packet(src, "203.0.113.9")], pair.now)
    pair.flush()
    (got,) = pair.take(PacketsReceived, "server")
    assert len(got.packets) == 1 and pair.server.trace.count(DropReason.DESTINATION_REFUSED) == 1


def test_send_packets_routes_by_inner_destination() -> None:
    wall = WallClock()
    server = _server(["alice", "bob"], wall)
    alice, bob = _client("alice", wall), _client("bob", wall)
    a_addr, b_addr = PeerAddress("198.51.100.1", 1), PeerAddress("198.51.100.2", 2)
    _handshake(alice, server, a_addr)
    _handshake(bob, server, b_addr)
    drain(alice)
    drain(bob)
    assert alice.parameters and bob.parameters and alice.parameters.ipv4 and bob.parameters.ipv4
    assert alice.parameters.ipv6 and bob.parameters.ipv6
    to_a = ipv4_packet("203.0.113.5", str(alice.parameters.ipv4.ip))
    to_b = ipv6_packet("2001:db8::5", str(bob.parameters.ipv6.ip))
    server.send_packets([to_a, to_b, ipv4_packet("203.0.113.5", "10.66.255.254"), b"\x00junk"], 0.0)
    for data, dest in server.datagrams_to_send(0.0):
        (alice if dest == a_addr else bob).receive_datagram(data, SERVER_ADDR, 0.0)
    assert [e.packets for e in drain(alice) if isinstance(e, PacketsReceived)] == [[to_a]]
    assert [e.packets for e in drain(bob) if isinstance(e, PacketsReceived)] == [[to_b]]
    assert server.trace.count(DropReason.NO_ROUTE) == 1 and server.trace.count(DropReason.INVALID_PACKET) == 1


def test_packets_for_a_client_before_it_confirmed_its_keys_are_queued() -> None:
    pair = make_pair(connect=False)
    pair.client.connect(pair.now)
    for data, _ in pair.client.datagrams_to_send(pair.now):
        pair.server.receive_datagram(data, CLIENT_ADDR, pair.now)
    response = pair.server.datagrams_to_send(pair.now)
    session = next(iter(pair.server.sessions.values()))
    assert session.lease.ipv4 is not None
    down = ipv4_packet("203.0.113.5", str(session.lease.ipv4.ip))
    pair.server.send_packet(down, pair.now)
    assert pair.server.datagrams_to_send(pair.now) == []  # no confirmed keypair yet
    for data, _ in response:
        pair.client.receive_datagram(data, SERVER_ADDR, pair.now)
    pair.flush()
    assert [e.packets for e in pair.take(PacketsReceived)] == [[down]]


def test_per_client_packet_rate_limit() -> None:
    pair = make_pair(server_kw={"packet_rate": 10.0, "packet_burst": 5.0}, client_kw={"batching": False})
    src = client_source(pair)
    pair.client.send_packets([ipv4_packet(src, "203.0.113.5", bytes([i]) * 30) for i in range(8)], pair.now)
    pair.flush()
    assert sum(len(e.packets) for e in pair.take(PacketsReceived, "server")) == 5
    assert pair.server.trace.count(DropReason.PACKET_RATE_LIMITED) == 3
    pair.advance(1.0)
    pair.client.send_packets([ipv4_packet(src, "203.0.113.5", bytes([i]) * 30) for i in range(8)], pair.now)
    pair.flush()
    assert sum(len(e.packets) for e in pair.take(PacketsReceived, "server")) == 5


def test_idle_sessions_end_and_free_their_routes() -> None:
    pair = make_pair(client_kw={"persistent_keepalive": 0}, server_kw={"idle_timeout": 100.0})
    src = client_source(pair)
    pair.advance(99.0, step=10.0)
    assert pair.server.status()
    pair.advance(5.0)
    (ended,) = pair.take(SessionTerminated, "server")
    assert ended.reason is TerminationReason.IDLE and not ended.by_peer
    (told,) = pair.take(SessionTerminated)  # the client's keys were still valid: it hears why
    assert told.reason is TerminationReason.IDLE and told.by_peer
    pair.server.send_packet(ipv4_packet("203.0.113.5", src), pair.now)
    assert pair.server.trace.last is not None and pair.server.trace.last.reason is DropReason.NO_ROUTE


def test_disconnect_and_update_config_api() -> None:
    pair = make_pair()
    peer = pair.server.status()[0].peer
    with pytest.raises(KeyError):
        pair.server.disconnect(b"\x00" * 32, pair.now)
    with pytest.raises(KeyError):
        pair.server.update_config(b"\x00" * 32, pair.now, mtu=1300)
    with pytest.raises(ValueError):
        pair.server.update_config(peer, pair.now, cipher=2)
    pair.server.disconnect(peer, pair.now)
    pair.flush()
    (ended,) = pair.take(SessionTerminated)
    assert ended.reason is TerminationReason.POLICY and ended.by_peer


def test_unacknowledged_config_update_gives_up() -> None:
    pair = make_pair()
    peer = pair.server.status()[0].peer
    pair.server.update_config(peer, pair.now, mtu=1300)
    pair.advance(60.0, s2c=lambda d: None if d[2] == 0x09 and len(d) > 60 else d)
    updates = [d for d in pair.to_client if d[2] == 0x09 and len(d) > 60]
    assert len(updates) == 5  # config_update_retries
    assert "never acknowledged" in " ".join(r.detail for r in pair.server.trace)


def test_status_counts_bytes_and_packets() -> None:
    pair = make_pair()
    src = client_source(pair)
    pair.client.send_packets([ipv4_packet(src, "203.0.113.5", b"x" * 500)] * 3, pair.now)
    pair.flush()
    (row,) = pair.server.status()
    assert row.name == "alice" and row.endpoint == CLIENT_ADDR and row.rx_packets == 3
    assert row.rx_bytes > 1500 and row.ipv4 is not None and row.last_handshake == 0.0
    assert row.handshakes == 1 and row.transport == "udp"
    mine = pair.client.status()
    assert mine.ipv4 == row.ipv4 and mine.tx_packets == 3 and mine.handshakes == 1
    assert mine.endpoint == SERVER_ADDR


def test_server_config_is_validated() -> None:
    wall = WallClock()
    peer = PeerConfig(public_key(key("alice")))
    base = {"private_key": key("server"), "peers": (peer,), "wall_clock": wall}
    cases = [
        ({"private_key": b"x"}, "private_key"),
        ({"peers": (peer, peer)}, r"peers\[1\]"),
        ({"peers": (PeerConfig(b"short"),)}, r"peers\[0\].public_key"),
        ({"mtu": 1000}, "mtu"),
        ({"keepalive_interval": 70000}, "keepalive_interval"),
        ({"dns_servers": ("not an ip",)}, "dns_servers"),
        ({"routes": ("10.0.0.1/8",)}, "routes"),
        ({"ipv4_pool": "10.0.0.0/31"}, "ipv4_pool"),
        ({"ipv6_pool": "10.0.0.0/8"}, "ipv6_pool"),
        ({"ipv4_pool": "garbage"}, "ipv4_pool"),
        ({"ipv4_pool": None, "ipv6_pool": None}, "ipv4_pool"),
        ({"ciphers": ()}, "ciphers"),
        ({"handshake_rate": 0}, "handshake_rate"),
        ({"max_sessions": 0}, "max_sessions"),
        ({"allowed_destinations": frozenset({"everything"})}, "unknown destination rule"),
    ]
    for bad, field in cases:
        with pytest.raises((ConfigError, ValueError), match=field):
            ServerEndpoint(ServerConfig(**{**base, **bad}), rng=Rng("x"))  # type: ignore[arg-type]
    assert C.MTU_MIN_IPV6 == 1280


def test_handshake_completed_is_reported_once_per_session() -> None:
    pair = make_pair()
    assert len(pair.take(HandshakeCompleted, "server")) == 1
    pair.advance(130.0, step=5.0)  # a rekey happens (keepalive keeps the session in use)
    assert not pair.take(HandshakeCompleted, "server")


def test_a_handshake_from_a_new_address_moves_the_endpoint() -> None:
    pair = make_pair(client_kw={"persistent_keepalive": 0})
    pair.advance(C.REJECT_AFTER_TIME + 5, step=20.0)  # idle: every key expired, the session is kept
    new_addr = PeerAddress("203.0.113.50", 1234)
    pair.client_addr = new_addr
    pair.client.send_packet(ipv4_packet(client_source(pair), "203.0.113.5"), pair.now)  # queued: INIT first
    pair.flush()
    (moved,) = pair.take(EndpointChanged, "server")
    assert moved.old == CLIENT_ADDR and moved.new == new_addr
    assert pair.take(PacketsReceived, "server") and pair.server.status()[0].endpoint == new_addr


def test_ipv6_is_granted_exactly_when_an_ipv6_address_is_assigned_across_rehandshakes() -> None:
    """A re-handshake renegotiates features; the addresses (and anti-spoofing) must follow (HS-008)."""
    pair = make_pair(client_kw={"ipv6": True})
    first = pair.client.parameters
    assert first is not None and first.ipv6 is not None and first.features & C.FEATURE_IPV6
    old_v6 = str(first.ipv6.ip)

    for ipv6, expect_v6 in ((False, None), (True, first.ipv6)):
        pair.wall.now += 1.0  # a later TAI64N timestamp: the INIT is not a replay
        pair.client = ClientSession(
            ClientConfig(
                private_key=key("client"),
                server_public_key=public_key(key("server")),
                endpoint=SERVER_ADDR,
                wall_clock=pair.wall,
                ipv6=ipv6,
            ),
            rng=Rng(f"again{ipv6}"),
        )
        pair.client.connect(pair.now)
        pair.flush()
        params = pair.client.parameters
        assert params is not None
        assert bool(params.features & C.FEATURE_IPV6) == (params.ipv6 is not None)
        assert params.ipv6 == expect_v6
        assert params.ipv4 == first.ipv4  # the IPv4 address is stable across re-handshakes
        drain(pair.server)
        pair.server.trace.records.clear()
        pair.client.send_packet(ipv6_packet(old_v6, "2001:db8::1"), pair.now)
        pair.flush()
        forwarded = [e for e in pair.server_events if isinstance(e, PacketsReceived)]
        if expect_v6 is None:
            assert not forwarded  # the withdrawn IPv6 address is no longer a valid inner source
            assert DropReason.SPOOFED_SOURCE in pair.server.trace.reasons()
        else:
            assert forwarded and forwarded[-1].packets
        pair.server_events.clear()

# -- live peer changes ------------------------------------------------------------------------------------


def test_add_peer_answers_a_new_key_at_once() -> None:
    wall = WallClock()
    server = _server(["alice"], wall)
    bob = _client("bob", wall)
    _handshake(bob, server, CLIENT_ADDR)
    assert not bob.established and server.trace.count(DropReason.UNKNOWN_PEER) >= 1
    server.add_peer(PeerConfig(public_key(key("bob")), name="bob", ipv4_address="10.66.0.9"))
    assert [p.name for p in server.config.peers] == ["alice", "bob"]
    bob.close(0.0)
    wall.now += 1
    _handshake(bob, server, CLIENT_ADDR, 1.0)
    assert bob.established and bob.parameters is not None and str(bob.parameters.ipv4) == "10.66.0.9/16"
    assert [s.name for s in server.status()] == ["bob"]


def test_add_peer_refuses_bad_input_and_changes_nothing() -> None:
    wall = WallClock()
    server = _server(["alice"], wall, ipv4_pool="10.3.0.0/24", ipv6_pool=None)
    before = server.config
    cases = [
        (PeerConfig(b"short"), "peer.public_key"),
        (PeerConfig(public_key(key("alice"))), "listed already"),
        (PeerConfig(public_key(key("bob")), ipv4_address="10.9.9.9"), "not a client address"),
        (PeerConfig(public_key(key("bob")), ipv6_address="fd00::5"), "no network of that family"),
    ]
    for peer, message in cases:
        with pytest.raises(ConfigError, match=message):
            server.add_peer(peer)
    assert server.config is before and public_key(key("bob")) not in server.pool


def test_remove_peer_ends_the_session_and_frees_the_address() -> None:
    wall = WallClock()
    server = _server(["alice", "bob"], wall, ipv4_pool="10.9.0.0/30", ipv6_pool=None)  # one client slot
    alice, bob = _client("alice", wall), _client("bob", wall)
    _handshake(alice, server, CLIENT_ADDR)
    src = str(alice.parameters.ipv4.ip) if alice.parameters and alice.parameters.ipv4 else ""
    drain(alice)
    drain(server)
    with pytest.raises(KeyError):
        server.remove_peer(public_key(key("carol")), 1.0)
    assert server.remove_peer(public_key(key("alice")), 1.0) is True
    ended = [e for e in drain(server) if isinstance(e, SessionTerminated)]
    assert [(e.reason, e.by_peer) for e in ended] == [(TerminationReason.POLICY, False)]
    for data, _ in server.datagrams_to_send(1.0):  # the authenticated DISCONNECT(policy)
        alice.receive_datagram(data, SERVER_ADDR, 1.0)
    told = [e for e in drain(alice) if isinstance(e, SessionTerminated)]
    assert [(e.reason, e.by_peer) for e in told] == [(TerminationReason.POLICY, True)]
    assert [p.name for p in server.config.peers] == ["bob"] and not server.sessions
    server.send_packet(ipv4_packet("203.0.113.5", src), 1.0)
    assert server.trace.last is not None and server.trace.last.reason is DropReason.NO_ROUTE
    # her address is free for bob at once (a sticky lease of an authorized key would not be)
    _handshake(bob, server, PeerAddress("198.51.100.8", 1), 1.0)
    assert bob.established and bob.parameters is not None and str(bob.parameters.ipv4) == "10.9.0.2/30"
    # and her INITs go unanswered now
    wall.now += 1
    unknown = server.trace.count(DropReason.UNKNOWN_PEER)
    _handshake(alice, server, CLIENT_ADDR, 2.0)
    assert not alice.established and server.trace.count(DropReason.UNKNOWN_PEER) == unknown + 1


def test_remove_peer_before_the_client_confirmed_its_keys_still_tells_it() -> None:
    pair = make_pair(connect=False)
    pair.client.connect(pair.now)
    for data, _ in pair.client.datagrams_to_send(pair.now):
        pair.server.receive_datagram(data, CLIENT_ADDR, pair.now)
    for data, _ in pair.server.datagrams_to_send(pair.now):  # RESPONSE: the client switches keys
        pair.client.receive_datagram(data, SERVER_ADDR, pair.now)
    pair.client.datagrams_to_send(pair.now)  # its KEY_ROTATION is lost: the server only has ``next``
    assert pair.server.remove_peer(public_key(key("client")), pair.now)
    pair.flush()
    (told,) = pair.take(SessionTerminated)
    assert told.reason is TerminationReason.POLICY and told.by_peer


def test_rename_peer_keeps_the_session() -> None:
    pair = make_pair()
    pair.server.rename_peer(public_key(key("client")), "laptop")
    assert [s.name for s in pair.server.status()] == ["laptop"]
    assert [p.name for p in pair.server.config.peers] == ["laptop"]
    with pytest.raises(KeyError):
        pair.server.rename_peer(public_key(key("nobody")), "x")
