"""ClientSession: handshake retransmission, timers, keepalive, cookies, config updates, negotiation."""

from __future__ import annotations

import pytest

from generated.codecs import constants as C
from oxtunnel import negotiation
from oxtunnel.client import ClientSession
from oxtunnel.config import ClientConfig, ConfigError, TimerConfig
from oxtunnel.crypto import public_key
from oxtunnel.events import (
    ConfigAcknowledged,
    ConfigUpdated,
    HandshakeCompleted,
    PacketsReceived,
    ProbeAcknowledged,
    SessionTerminated,
    TerminationReason,
)
from oxtunnel.server import ServerEndpoint
from oxtunnel.trace import DropReason
from oxtunnel.types import PeerAddress

from .harness import SERVER_ADDR, Rng, WallClock, client_source, ipv4_packet, key, make_pair

KEEPALIVE_SIZE = 37 + 1  # envelope overhead + control type


def _is_init(datagram: bytes) -> bool:
    return datagram[2] == 0x08 and datagram[9] == C.ControlType.HANDSHAKE_INIT


def test_init_is_retransmitted_with_jitter_then_given_up() -> None:
    pair = make_pair(connect=False)
    pair.client.connect(pair.now)
    inits: list[tuple[float, bytes]] = []
    while pair.now < 100:
        for data, addr in pair.client.datagrams_to_send(pair.now):
            assert addr == SERVER_ADDR and _is_init(data)
            inits.append((pair.now, data))
        timer = pair.client.get_timer()
        if timer is None:
            break
        pair.now = timer
        pair.wall.now += 1
        pair.client.handle_timer(pair.now)
    gaps = [b[0] - a[0] for a, b in zip(inits, inits[1:], strict=False)]
    assert all(C.REKEY_TIMEOUT <= gap <= C.REKEY_TIMEOUT + 0.334 for gap in gaps), gaps
    assert len(set(gaps)) > 1  # jitter from the injected rng
    assert len({data for _, data in inits}) == len(inits)  # a fresh INIT (ephemeral, timestamp) each time
    assert inits[-1][0] <= C.REKEY_ATTEMPT_TIME
    (ended,) = [e for e in iter(pair.client.next_event, None) if isinstance(e, SessionTerminated)]
    assert ended.reason is TerminationReason.HANDSHAKE_TIMEOUT and not ended.by_peer
    assert pair.client.get_timer() is None


def test_wrong_server_key_gets_no_reply_and_no_session() -> None:
    wall = WallClock()
    pair = make_pair(connect=False)
    wrong = ClientSession(
        ClientConfig(
            private_key=key("client"),
            server_public_key=public_key(key("someone else")),
            endpoint=SERVER_ADDR,
            wall_clock=wall,
        ),
        rng=Rng("wrong"),
    )
    pair.client = wrong
    wrong.connect(pair.now)
    pair.advance(100.0, step=1.0)
    assert not pair.to_client  # the server never answered anything
    assert pair.server.trace.count(DropReason.MAC1_INVALID) == len(pair.to_server) >= 10
    assert pair.server.status() == []
    assert [e.reason for e in pair.take(SessionTerminated)] == [TerminationReason.HANDSHAKE_TIMEOUT]


def test_dead_peer_detection_starts_a_new_handshake() -> None:
    pair = make_pair()
    src = client_source(pair)
    # the server restarts and forgets every session
    pair.server = ServerEndpoint(pair.server.config, rng=Rng("server reborn"))
    pair.client.send_packet(ipv4_packet(src, "203.0.113.5"), pair.now)
    pair.flush()
    assert pair.server.trace.count(DropReason.UNKNOWN_RECEIVER_INDEX) == 1
    pair.advance(C.KEEPALIVE_TIMEOUT + C.REKEY_TIMEOUT + 1)
    assert pair.take(HandshakeCompleted, "server")
    assert client_source(pair) == src  # the address is derived from the key: same after a restart
    pair.client.send_packet(ipv4_packet(src, "203.0.113.5", b"after"), pair.now)
    pair.flush()
    assert pair.take(PacketsReceived, "server")


def test_persistent_keepalive_follows_the_server_interval_or_the_override() -> None:
    pair = make_pair()
    pair.advance(100.0)
    keepalives = [d for d in pair.to_server if len(d) == KEEPALIVE_SIZE]
    assert len(keepalives) == 4  # every 25 s when idle
    pair = make_pair(client_kw={"persistent_keepalive": 0})
    pair.advance(100.0)
    assert not [d for d in pair.to_server if len(d) == KEEPALIVE_SIZE]
    pair = make_pair(client_kw={"persistent_keepalive": 10})
    pair.advance(100.0)
    assert len([d for d in pair.to_server if len(d) == KEEPALIVE_SIZE]) == 10


def test_passive_keepalive_after_receiving_data() -> None:
    pair = make_pair(client_kw={"persistent_keepalive": 0})
    src = client_source(pair)
    pair.advance(1)
    pair.server.send_packet(ipv4_packet("203.0.113.5", src), pair.now)
    pair.flush()
    sent = len(pair.to_server)
    pair.advance(C.KEEPALIVE_TIMEOUT - 1)
    assert len(pair.to_server) == sent
    pair.advance(2)
    assert len(pair.to_server) == sent + 1 and len(pair.to_server[-1]) == KEEPALIVE_SIZE


def test_set_endpoint_moves_the_session_to_another_transport() -> None:
    pair = make_pair()
    tcp = PeerAddress("192.0.2.1", 51821, "tcp")
    pair.client.set_endpoint(tcp)
    pair.client_addr = PeerAddress("198.51.100.7", 50000, "tcp")
    src = client_source(pair)
    pair.client.send_packet(ipv4_packet(src, "203.0.113.5"), pair.now)
    pair.flush()
    assert pair.server.status()[0].endpoint == pair.client_addr
    pair.server.send_packet(ipv4_packet("203.0.113.5", src), pair.now)
    pair.flush()
    assert pair.server_sent_to[-1].transport == "tcp"


def test_config_update_is_applied_acknowledged_and_retransmitted_when_lost() -> None:
    pair = make_pair()
    peer = pair.server.status()[0].peer
    lost = []

    def lose_first_update(data: bytes) -> bytes | None:
        if data[2] == 0x09 and len(data) > 60 and not lost:
            lost.append(data)
            return None
        return data

    config_id = pair.server.update_config(peer, pair.now, mtu=1300, dns_servers=())
    pair.flush(s2c=lose_first_update)
    assert lost and not pair.take(ConfigUpdated)
    pair.advance(C.REKEY_TIMEOUT + 1)
    (updated,) = pair.take(ConfigUpdated)
    assert updated.config_id == config_id and updated.parameters.mtu == 1300
    assert pair.client.parameters is not None and pair.client.parameters.mtu == 1300
    assert [e.config_id for e in pair.take(ConfigAcknowledged, "server")] == [config_id]
    # the lost copy arriving late is authentic and unseen: it is ACKed again but applied only once
    pair.client.receive_datagram(lost[0], SERVER_ADDR, pair.now)
    assert len(pair.client.datagrams_to_send(pair.now)) == 1
    assert pair.client.trace.last is None and pair.client.next_event() is None
    # ...and a replay of it is refused by the replay window
    pair.client.receive_datagram(lost[0], SERVER_ADDR, pair.now)
    assert pair.client.trace.last is not None and pair.client.trace.last.reason is DropReason.REPLAYED
    # the new MTU is enforced on what the client sends
    pair.client.send_packet(ipv4_packet(client_source(pair), "203.0.113.5", b"x" * 1290), pair.now)
    assert pair.client.trace.last.reason is DropReason.TOO_LARGE


def test_config_update_that_changes_the_cipher_is_refused() -> None:
    pair = make_pair()
    session = pair.server.sessions[pair.server.status()[0].peer]
    assert session.parameters is not None
    import dataclasses

    session.push_update(dataclasses.replace(session.parameters, cipher=C.Cipher.AES_256_GCM), pair.now)
    pair.flush()
    assert (
        pair.client.trace.last is not None and pair.client.trace.last.reason is DropReason.BAD_SESSION_CONFIG
    )
    assert not pair.take(ConfigUpdated)


def test_aes_gcm_only_when_both_prefer_it() -> None:
    both = make_pair(
        client_kw={"ciphers": (C.Cipher.AES_256_GCM, C.Cipher.CHACHA20_POLY1305)},
        server_kw={"ciphers": (C.Cipher.AES_256_GCM, C.Cipher.CHACHA20_POLY1305)},
    )
    assert both.client.parameters is not None and both.client.parameters.cipher == C.Cipher.AES_256_GCM
    src = client_source(both)
    both.client.send_packet(ipv4_packet(src, "203.0.113.5"), both.now)
    both.flush()
    assert both.take(PacketsReceived, "server")
    one = make_pair(client_kw={"ciphers": (C.Cipher.AES_256_GCM, C.Cipher.CHACHA20_POLY1305)})
    assert one.client.parameters is not None and one.client.parameters.cipher == C.Cipher.CHACHA20_POLY1305
    only_aes = make_pair(client_kw={"ciphers": (C.Cipher.AES_256_GCM,)})
    assert (
        only_aes.client.parameters is not None and only_aes.client.parameters.cipher == C.Cipher.AES_256_GCM
    )
    none = make_pair(
        client_kw={"ciphers": (C.Cipher.AES_256_GCM,)}, server_kw={"ciphers": (C.Cipher.CHACHA20_POLY1305,)}
    )
    assert not none.client.established and none.server.trace.count(DropReason.NO_COMMON_CIPHER) == 1


def test_a_server_granting_unrequested_plaintext_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    original = negotiation.grant_features

    def sloppy(requested: int, **kw: bool) -> int:
        return original(requested, **kw) | C.Features.PLAINTEXT

    monkeypatch.setattr("oxtunnel.server.negotiation.grant_features", sloppy)
    pair = make_pair()
    assert not pair.client.established
    assert pair.client.trace.count(DropReason.PLAINTEXT_NOT_ALLOWED) == 1


def test_unexpected_handshake_messages_are_dropped() -> None:
    pair = make_pair()
    response = pair.to_client[0]
    pair.client.receive_datagram(response, SERVER_ADDR, pair.now)  # no INIT in flight any more
    assert (
        pair.client.trace.last is not None and pair.client.trace.last.reason is DropReason.UNEXPECTED_MESSAGE
    )
    pair.client.receive_datagram(pair.to_server[0], SERVER_ADDR, pair.now)  # an INIT sent to a client
    assert pair.client.trace.last.reason is DropReason.UNEXPECTED_MESSAGE


def test_keys_expire_without_a_server_and_the_session_ends() -> None:
    pair = make_pair()
    src = client_source(pair)
    # from now on the server is unreachable
    while pair.client.active:
        pair.client.send_packet(ipv4_packet(src, "203.0.113.5"), pair.now)
        pair.now += 1.0
        pair.client.handle_timer(pair.now)
        pair.client.datagrams_to_send(pair.now)
    ended = [e for e in iter(pair.client.next_event, None) if isinstance(e, SessionTerminated)]
    assert [e.reason for e in ended] == [TerminationReason.REKEY_FAILED]


def test_wall_clock_stall_still_gives_fresh_timestamps() -> None:
    pair = make_pair(connect=False)
    pair.client.connect(pair.now)
    pair.flush()
    pair.client.close(pair.now)
    pair.flush()
    pair.client.connect(pair.now)  # same wall clock second as the first INIT
    pair.flush()
    assert pair.client.established
    assert pair.server.trace.count(DropReason.TIMESTAMP_REPLAYED) == 0


def test_client_config_is_validated() -> None:
    base = {
        "private_key": key("c"),
        "server_public_key": key("s"),
        "endpoint": SERVER_ADDR,
        "wall_clock": WallClock(),
    }
    for bad, field in (
        ({"private_key": b"short"}, "private_key"),
        ({"server_public_key": b""}, "server_public_key"),
        ({"ciphers": ()}, "ciphers"),
        ({"ciphers": (1, 1)}, "ciphers"),
        ({"ciphers": (7,)}, "ciphers"),
        ({"persistent_keepalive": -1}, "persistent_keepalive"),
        ({"timers": TimerConfig(rekey_timeout=0)}, "timers.rekey_timeout"),
        ({"timers": TimerConfig(rekey_after_time=200)}, "timers.rekey_after_time"),
        ({"timers": TimerConfig(rekey_after_messages=0)}, "timers.rekey_after_messages"),
        ({"timers": TimerConfig(rekey_timeout_jitter=-1)}, "timers.rekey_timeout_jitter"),
    ):
        with pytest.raises(ConfigError, match=field):
            ClientSession(ClientConfig(**{**base, **bad}), rng=Rng("x"))  # type: ignore[arg-type]


def test_probe_is_answered_on_the_path_it_took() -> None:
    pair = make_pair()
    (counter,) = [pair.client.send_probe(pair.now)]
    assert counter is not None
    pair.now += 0.25
    pair.flush()
    (ack,) = pair.take(ProbeAcknowledged)
    assert ack.counter == counter and ack.endpoint == SERVER_ADDR and ack.rtt == 0.25
    # probing another transport: the answer comes back over it (and the server follows the newest packet)
    udp_alt = PeerAddress("192.0.2.1", 51820, "udp6")
    pair.client.send_probe(pair.now, udp_alt)
    (datagram, addr) = pair.client.datagrams_to_send(pair.now)[0]
    assert addr == udp_alt
    probe_source = PeerAddress("198.51.100.7", 40002, "udp6")
    pair.server.receive_datagram(datagram, probe_source, pair.now)
    ((reply, to),) = pair.server.datagrams_to_send(pair.now)
    assert to == probe_source
    pair.client.receive_datagram(reply, udp_alt, pair.now)
    assert [e.endpoint for e in iter(pair.client.next_event, None) if isinstance(e, ProbeAcknowledged)] == [
        udp_alt
    ]
    # ordinary keepalives are acknowledged too, silently
    pair.advance(30.0)
    assert not pair.take(ProbeAcknowledged) and len(pair.client.trace) == 0
    pair.client.close(pair.now)
    assert pair.client.send_probe(pair.now) is None
