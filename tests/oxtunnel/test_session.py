"""A client and a server talking in one process with a fake clock: the behaviours both ends share."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generated.codecs import constants as C
from generated.codecs import fast
from oxtunnel import wire
from oxtunnel.config import DataPathConfig, TimerConfig
from oxtunnel.events import (
    EndpointChanged,
    HandshakeCompleted,
    PacketsReceived,
    RekeyCompleted,
    SessionTerminated,
    TerminationReason,
)
from oxtunnel.trace import DropReason
from oxtunnel.types import PeerAddress

from .harness import CLIENT_ADDR, SERVER_ADDR, Pair, client_source, ipv4_packet, ipv6_packet, make_pair


def _received(events: list[object]) -> list[bytes]:
    return [p for e in events if isinstance(e, PacketsReceived) for p in e.packets]


def test_handshake_completes_on_both_sides() -> None:
    pair = make_pair()
    (client_done,) = pair.take(HandshakeCompleted)
    (server_done,) = pair.take(HandshakeCompleted, "server")
    assert len(pair.to_server[0]) == C.HANDSHAKE_INIT_SIZE == 158
    assert client_done.parameters == server_done.parameters
    params = client_done.parameters
    assert (
        params.ipv4 is not None
        and params.ipv4.ip in params.ipv4.network
        and str(params.ipv4.network) == "10.66.0.0/16"
    )
    assert params.ipv6 is not None and str(params.ipv6.network) == "fd4f:5854:756e::/64"
    assert params.mtu == C.MTU_DEFAULT and params.keepalive_interval == 25
    assert params.cipher == C.Cipher.CHACHA20_POLY1305
    assert server_done.endpoint == CLIENT_ADDR
    assert pair.client.established
    assert len(pair.client.trace) == 0 and len(pair.server.trace) == 0


def test_data_flows_both_ways_ipv4_and_ipv6() -> None:
    pair = make_pair()
    v4, v6 = client_source(pair, 4), client_source(pair, 6)
    up = [ipv4_packet(v4, "203.0.113.5", b"a" * 300), ipv6_packet(v6, "2001:db8::5", b"b" * 700)]
    pair.client.send_packets(up, pair.now)
    pair.flush()
    assert _received(pair.server_events) == up
    down = [ipv4_packet("203.0.113.5", v4, b"c" * 1000), ipv6_packet("2001:db8::5", v6, b"d" * 1200)]
    pair.server.send_packets(down, pair.now)
    pair.flush()
    assert _received(pair.client_events) == down
    # every data datagram is individually encrypted: no plaintext on the wire
    for datagram in pair.to_server[2:] + pair.to_client[1:]:
        assert datagram[2] & C.Flags.ENCRYPTED
        assert b"a" * 50 not in datagram and b"c" * 50 not in datagram


def test_packets_sent_before_the_handshake_are_queued_and_delivered() -> None:
    pair = make_pair(connect=False)
    pair.client.connect(pair.now)
    early = [ipv4_packet("10.66.0.9", "203.0.113.5")]  # source unknown yet: the server will judge it
    pair.client.send_packets(early, pair.now)
    pair.flush()
    assert pair.client.established
    # the queued packet had the wrong source (address not yet known) and is refused by anti-spoofing
    assert pair.server.trace.count(DropReason.SPOOFED_SOURCE) == 1


def test_send_without_a_session_is_dropped_and_connecting_twice_is_api_misuse() -> None:
    pair = make_pair(connect=False)
    pair.client.send_packet(ipv4_packet("10.0.0.1", "10.0.0.2"), 0.0)  # dropped, not raised: a race
    assert pair.client.trace.last is not None and pair.client.trace.last.reason is DropReason.NO_SESSION
    assert pair.client.datagrams_to_send(0.0) == []
    pair.client.connect(0.0)
    with pytest.raises(RuntimeError):
        pair.client.connect(0.0)


def test_rekey_by_time_under_traffic_loses_nothing() -> None:
    pair = make_pair()
    src = client_source(pair)
    sent_up, sent_down = [], []
    for second in range(420):
        up = ipv4_packet(src, "203.0.113.5", second.to_bytes(4, "big") * 10)
        down = ipv4_packet("203.0.113.5", src, second.to_bytes(4, "big") * 12)
        sent_up.append(up)
        sent_down.append(down)
        pair.client.send_packet(up, pair.now)
        pair.server.send_packet(down, pair.now)
        pair.advance(1.0)
    assert _received(pair.server_events) == sent_up
    assert _received(pair.client_events) == sent_down
    rekeys = pair.take(RekeyCompleted)
    assert len(rekeys) >= 3  # every REKEY_AFTER_TIME (120 s)
    assert len(pair.take(RekeyCompleted, "server")) == len(rekeys)
    assert not pair.take(SessionTerminated) and not pair.take(SessionTerminated, "server")
    assert pair.server.trace.count(DropReason.KEYPAIR_EXPIRED) == 0


def test_rekey_by_message_count_with_reordering_across_the_switch() -> None:
    timers = TimerConfig(rekey_after_messages=40, reject_after_messages=200)
    pair = make_pair(client_kw={"timers": timers, "batching": False}, server_kw={"timers": timers})
    src = client_source(pair)
    sent = []
    for burst in range(12):
        packets = [ipv4_packet(src, "203.0.113.5", bytes([burst, i]) * 30) for i in range(10)]
        sent += packets
        pair.client.send_packets(packets, pair.now)
        # deliver this burst's datagrams in reverse order: packets of both keypairs cross
        datagrams = pair.client.datagrams_to_send(pair.now)
        for data, _ in reversed(datagrams):
            pair.server.receive_datagram(data, CLIENT_ADDR, pair.now)
        pair.flush()
        pair.advance(1.0)
    got = _received(pair.server_events)
    assert sorted(got) == sorted(sent) and len(got) == len(sent)
    assert len(pair.take(RekeyCompleted)) >= 2
    assert pair.server.trace.count(DropReason.KEYPAIR_EXPIRED) == 0


def _rekey_requests(datagrams: list[bytes], pair: Pair) -> int:
    """How many of the server's datagrams were REKEY_REQUESTs (by size: a one-byte control body)."""
    return sum(1 for d in datagrams if d[2] == 0x09 and len(d) == C.ENVELOPE_OVERHEAD + 1)


def test_server_message_count_triggers_the_rekey_under_traffic_and_loses_nothing() -> None:
    """The server sends 20× what the client sends; only the server's (lower) REKEY_AFTER_MESSAGES can
    trigger, by REKEY_REQUEST (the client's own limits are the protocol's 2**60 and 120 s)."""
    server_timers = TimerConfig(rekey_after_messages=300, reject_after_messages=100_000)
    pair = make_pair(server_kw={"timers": server_timers}, client_kw={"batching": False})
    src = client_source(pair)
    sent_up, sent_down = [], []
    for step in range(170):  # 17 s of fake time, 20 packets down and 1 up per 100 ms
        tag = step.to_bytes(2, "big")
        down = [ipv4_packet("203.0.113.5", src, tag + bytes([i]) * 200) for i in range(20)]
        up = [ipv4_packet(src, "203.0.113.5", step.to_bytes(2, "big") * 20)]
        sent_down += down
        sent_up += up
        pair.server.send_packets(down, pair.now)
        pair.client.send_packets(up, pair.now)
        pair.flush()
        pair.now += 0.1
        pair.wall.now += 0.1
        pair.client.handle_timer(pair.now)
        pair.server.handle_timer(pair.now)
        pair.flush()
    assert _received(pair.client_events) == sent_down  # in order, nothing lost across the rekeys
    assert _received(pair.server_events) == sent_up
    rekeys = pair.take(RekeyCompleted)
    # due after 300 packets (1.5 s), asked once the keypair is REKEY_TIMEOUT old: at 5, 10 and 15 s
    assert len(rekeys) == 3 and len(pair.take(RekeyCompleted, "server")) == 3
    session = next(iter(pair.server.sessions.values()))
    assert session.rekey_requests == 3 == _rekey_requests(pair.to_client, pair)
    assert pair.client.current is not None and pair.client.current.send_counter < 100  # not its count
    assert pair.server.trace.count(DropReason.KEYPAIR_EXPIRED) == 0 and len(pair.client.trace) == 0
    assert not pair.take(SessionTerminated) and not pair.take(SessionTerminated, "server")


def test_server_keypair_age_triggers_the_rekey_after_a_grace() -> None:
    server_timers = TimerConfig(rekey_after_time=30.0, reject_after_time=60.0)
    pair = make_pair(server_kw={"timers": server_timers}, client_kw={"persistent_keepalive": 0})
    src = client_source(pair)
    sent_down = []
    for second in range(100):
        down = ipv4_packet("203.0.113.5", src, second.to_bytes(4, "big") * 10)
        sent_down.append(down)
        pair.server.send_packet(down, pair.now)
        pair.advance(1.0)
    assert _received(pair.client_events) == sent_down
    rekeys = pair.take(RekeyCompleted)
    assert len(rekeys) == 2  # at about 35 s and 70 s: rekey_after_time + rekey_timeout grace, not 120 s
    assert pair.server.trace.count(DropReason.KEYPAIR_EXPIRED) == 0


def test_rekey_request_is_repeated_until_the_client_rekeys_and_never_loops() -> None:
    server_timers = TimerConfig(rekey_after_messages=20, reject_after_messages=100_000)
    pair = make_pair(server_kw={"timers": server_timers}, client_kw={"batching": False})
    src = client_source(pair)

    def no_inits(data: bytes) -> bytes | None:
        return None if data[2] == 0x08 else data  # the client's handshakes are lost for now

    for _ in range(30):  # 30 s of server traffic while every INIT is lost
        pair.server.send_packets([ipv4_packet("203.0.113.5", src)] * 5, pair.now)
        pair.advance(1.0, c2s=no_inits)
    session = next(iter(pair.server.sessions.values()))
    # at most one per REKEY_TIMEOUT, not one per packet
    assert 30 / (C.REKEY_TIMEOUT + 1) <= session.rekey_requests <= 30 / C.REKEY_TIMEOUT + 1
    assert not pair.take(RekeyCompleted)
    pair.server.send_packets([ipv4_packet("203.0.113.5", src)] * 5, pair.now)
    pair.advance(C.REKEY_TIMEOUT + 1)  # INITs get through again
    assert len(pair.take(RekeyCompleted)) == 1
    asked = session.rekey_requests
    pair.server.send_packets([ipv4_packet("203.0.113.5", src)] * 5, pair.now)  # 5 < 20: not due yet
    pair.flush()
    assert session.rekey_requests == asked
    # a request within REKEY_TIMEOUT of the client's last INIT starts nothing (no loop) ...
    pair.client.receive_control(wire.control_rekey_request(), 0, SERVER_ADDR, pair.now)
    assert pair.client.datagrams_to_send(pair.now) == []
    # ... one later does; and the server drops one sent to it
    pair.client.receive_control(wire.control_rekey_request(), 0, SERVER_ADDR, pair.now + C.REKEY_TIMEOUT)
    (init,) = pair.client.datagrams_to_send(pair.now + C.REKEY_TIMEOUT)
    assert init[0][2] == 0x08 and len(init[0]) == C.HANDSHAKE_INIT_SIZE
    session.receive_control(wire.control_rekey_request(), 0, CLIENT_ADDR, pair.now)
    last = pair.server.trace.last
    assert last is not None and last.reason is DropReason.UNEXPECTED_MESSAGE


def test_roaming_follows_the_latest_authenticated_packet_only() -> None:
    pair = make_pair()
    src = client_source(pair)
    pair.client.send_packet(ipv4_packet(src, "203.0.113.5", b"old path"), pair.now)
    delayed = pair.client.datagrams_to_send(pair.now)
    new_addr = PeerAddress("203.0.113.77", 41000)
    pair.client_addr = new_addr
    pair.client.send_packet(ipv4_packet(src, "203.0.113.5", b"new path"), pair.now)
    pair.flush()
    (moved,) = pair.take(EndpointChanged, "server")
    assert moved.old == CLIENT_ADDR and moved.new == new_addr
    # the delayed packet from the old address still counts as data but does not move the endpoint back
    pair.server.receive_datagram(delayed[0][0], CLIENT_ADDR, pair.now)
    assert not pair.take(EndpointChanged, "server")
    pair.server.send_packet(ipv4_packet("203.0.113.5", src), pair.now)
    pair.flush()
    assert pair.server_sent_to[-1] == new_addr


def test_replayed_datagram_is_dropped() -> None:
    pair = make_pair()
    src = client_source(pair)
    pair.client.send_packet(ipv4_packet(src, "203.0.113.5"), pair.now)
    pair.flush()
    data = pair.to_server[-1]
    pair.server.receive_datagram(data, CLIENT_ADDR, pair.now)
    assert pair.server.trace.last is not None and pair.server.trace.last.reason is DropReason.REPLAYED
    assert len(_received(pair.server_events)) == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_loss_and_reordering_deliver_exactly_the_surviving_packets(data: st.DataObject) -> None:
    pair = make_pair(client_kw={"batching": False})
    src = client_source(pair)
    packets = [ipv4_packet(src, "203.0.113.5", i.to_bytes(2, "big") * 40) for i in range(60)]
    pair.client.send_packets(packets, pair.now)
    datagrams = [d for d, _ in pair.client.datagrams_to_send(pair.now)]
    assert len(datagrams) == len(packets)
    order = data.draw(st.permutations(range(len(datagrams))))
    lost = data.draw(st.sets(st.integers(0, len(datagrams) - 1), max_size=20))
    duplicated = data.draw(st.sets(st.integers(0, len(datagrams) - 1), max_size=5))
    for i in order:
        if i not in lost:
            pair.server.receive_datagram(datagrams[i], CLIENT_ADDR, pair.now)
            if i in duplicated:
                pair.server.receive_datagram(datagrams[i], CLIENT_ADDR, pair.now)
    pair.flush()
    got = _received(pair.server_events)
    expected = [packets[i] for i in order if i not in lost]
    assert got == expected
    assert pair.server.trace.count(DropReason.REPLAYED) == len(duplicated - lost)


def _kind(datagram: bytes) -> str:
    if datagram[2] == 0x08:
        return {1: "init", 2: "response", 10: "cookie_reply"}[datagram[9]]
    return "control" if datagram[2] == 0x09 else f"data-{datagram[2]:#04x}"


def _tamper_probe(pair: Pair, side: str, seen: Counter[str]) -> Callable[[bytes], bytes]:
    """A link filter: before delivering a datagram, deliver every single-byte corruption of it and check
    that each one is dropped with exactly one trace record, no event and no reply but a cookie."""
    receiver = pair.server if side == "server" else pair.client
    addr = CLIENT_ADDR if side == "server" else SERVER_ADDR

    def probe(datagram: bytes) -> bytes:
        pending = receiver.datagrams_to_send(pair.now)
        events = len(receiver.ctx.events)
        for offset in range(len(datagram)):
            bad = bytearray(datagram)
            bad[offset] ^= 0x20
            drops = len(receiver.trace)
            receiver.receive_datagram(bytes(bad), addr, pair.now)
            assert len(receiver.trace) == drops + 1, (_kind(datagram), offset)
            assert len(receiver.ctx.events) == events, (_kind(datagram), offset)
            replies = receiver.datagrams_to_send(pair.now)
            assert all(_kind(reply) == "cookie_reply" for reply, _ in replies), (_kind(datagram), offset)
        receiver.ctx.out[:0] = pending
        seen[_kind(datagram)] += 1
        return datagram

    return probe


def test_any_single_byte_of_any_datagram_tampered_is_dropped_with_a_reason() -> None:
    seen: Counter[str] = Counter()
    pair = make_pair(
        connect=False, server_kw={"dns_servers": ("10.66.0.1", "fd4f:5854:756e::1"), "load_threshold": 1.0}
    )
    links = {"c2s": _tamper_probe(pair, "server", seen), "s2c": _tamper_probe(pair, "client", seen)}
    pair.client.connect(pair.now)
    # the tampered copies of the INIT whose mac1 is intact use up the load budget (1/s): the genuine
    # INIT gets a cookie reply and its retransmission carries mac2
    pair.flush(**links)
    assert seen["cookie_reply"] == 1 and not pair.client.established
    pair.advance(6.0, **links)
    assert pair.client.established
    src = client_source(pair)
    small = [ipv4_packet(src, "203.0.113.5", bytes([i]) * 10) for i in range(3)]
    pair.client.send_packets([ipv4_packet(src, "203.0.113.5", b"p" * 400), *small], pair.now)
    pair.client.send_packet(ipv6_packet(client_source(pair, 6), "2001:db8::1"), pair.now)
    pair.server.send_packet(ipv4_packet("203.0.113.5", src, b"q" * 100), pair.now)
    pair.flush(**links)
    pair.server.update_config(pair.server.status()[0].peer, pair.now, mtu=1400)
    pair.flush(**links)
    pair.advance(30.0, step=5.0, **links)  # keepalives
    pair.client.close(pair.now)
    pair.flush(**links)
    # reconnect with a cookie still fresh: mac2 is sent, checked and accepted
    pair.advance(2.0)
    pair.client.connect(pair.now)
    pair.advance(6.0, **links)
    assert pair.client.established
    assert {"init", "response", "cookie_reply", "control", "data-0x01", "data-0x05", "data-0x11"} <= set(seen)
    assert seen["init"] >= 3 and seen["control"] >= 6, seen


def test_tampered_envelopes_of_a_live_session_are_dropped_with_a_reason() -> None:
    pair = make_pair()
    src = client_source(pair)
    pair.client.send_packet(ipv4_packet(src, "203.0.113.5", b"z" * 64), pair.now)
    (datagram,) = [d for d, _ in pair.client.datagrams_to_send(pair.now)]
    for offset in range(len(datagram)):
        bad = bytearray(datagram)
        bad[offset] ^= 0x01
        drops = len(pair.server.trace)
        pair.server.receive_datagram(bytes(bad), CLIENT_ADDR, pair.now)
        assert len(pair.server.trace) == drops + 1, offset
        assert pair.server.trace.last is not None
    assert not _received(pair.server_events + [pair.server.next_event()])
    reasons = set(pair.server.trace.counts)
    assert reasons <= {
        DropReason.MALFORMED,
        DropReason.BAD_FLAGS,
        DropReason.SEQUENCE_MISMATCH,
        DropReason.UNKNOWN_RECEIVER_INDEX,
        DropReason.AUTHENTICATION_FAILED,
        DropReason.PLAINTEXT_REFUSED,
        DropReason.REPLAYED,
    }
    pair.server.receive_datagram(datagram, CLIENT_ADDR, pair.now)  # the original still gets through
    pair.flush()
    assert len(_received(pair.server_events)) == 1


def test_disconnect_is_authenticated_both_ways() -> None:
    pair = make_pair()
    pair.client.close(pair.now)
    pair.flush()
    (ended,) = pair.take(SessionTerminated, "server")
    assert ended.by_peer and ended.reason is TerminationReason.NORMAL
    assert pair.server.status() == []
    (mine,) = pair.take(SessionTerminated)
    assert not mine.by_peer and not pair.client.established

    pair = make_pair()
    pair.server.close(pair.now)
    pair.flush()
    (ended,) = pair.take(SessionTerminated)
    assert ended.by_peer and ended.reason is TerminationReason.SHUTDOWN


def test_forged_disconnect_is_ignored() -> None:
    pair = make_pair()
    # a DISCONNECT built by someone without the keys: right index, valid framing, bogus tag
    index = next(iter(pair.client.ctx.by_index))
    body = bytes([C.ControlType.DISCONNECT, 0])
    forged = fast.pack_envelope(0x09, index, 5, body, bytes(16))
    pair.client.receive_datagram(forged, PeerAddress("192.0.2.1", 51820), pair.now)
    assert pair.client.trace.last is not None
    assert pair.client.trace.last.reason is DropReason.AUTHENTICATION_FAILED
    assert pair.client.established and not pair.take(SessionTerminated)


def test_plaintext_mode_only_when_client_asks_and_server_allows() -> None:
    for asks, allows, expect in ((True, True, True), (True, False, False), (False, True, False)):
        pair = make_pair(client_kw={"request_plaintext": asks}, server_kw={"allow_plaintext": allows})
        src = client_source(pair)
        pair.client.send_packet(ipv4_packet(src, "203.0.113.5", b"visible" * 10), pair.now)
        pair.flush()
        data = pair.to_server[-1]
        assert bool(data[2] & C.Flags.ENCRYPTED) is not expect
        assert (b"visible" * 10 in data) is expect
        assert len(_received(pair.server_events)) == 1


def test_plaintext_envelopes_are_still_authenticated() -> None:
    pair = make_pair(client_kw={"request_plaintext": True}, server_kw={"allow_plaintext": True})
    src = client_source(pair)
    pair.client.send_packet(ipv4_packet(src, "203.0.113.5", b"visible" * 10), pair.now)
    (datagram,) = [d for d, _ in pair.client.datagrams_to_send(pair.now)]
    bad = bytearray(datagram)
    bad[40] ^= 0xFF  # a byte of the inner packet
    pair.server.receive_datagram(bytes(bad), CLIENT_ADDR, pair.now)
    assert pair.server.trace.last is not None
    assert pair.server.trace.last.reason is DropReason.AUTHENTICATION_FAILED


def test_encryption_downgrade_fails() -> None:
    pair = make_pair()
    src = client_source(pair)
    pair.client.send_packet(ipv4_packet(src, "203.0.113.5", b"secret" * 10), pair.now)
    (datagram,) = [d for d, _ in pair.client.datagrams_to_send(pair.now)]
    stripped = bytearray(datagram)
    stripped[2] &= ~C.Flags.ENCRYPTED
    pair.server.receive_datagram(bytes(stripped), CLIENT_ADDR, pair.now)
    assert (
        pair.server.trace.last is not None and pair.server.trace.last.reason is DropReason.PLAINTEXT_REFUSED
    )
    # on a transport listed as confidential the plaintext form is considered, and still needs a valid tag
    quic = PeerAddress(CLIENT_ADDR.host, CLIENT_ADDR.port, "quic")
    pair2 = make_pair(server_kw={"data": DataPathConfig(confidential_transports=frozenset({"quic"}))})
    pair2.server.receive_datagram(bytes(stripped), quic, pair2.now)
    assert pair2.server.trace.last is not None
    assert pair2.server.trace.last.reason in (
        DropReason.AUTHENTICATION_FAILED,
        DropReason.UNKNOWN_RECEIVER_INDEX,
    )


def test_confidential_transport_carries_authenticated_plaintext() -> None:
    data = DataPathConfig(confidential_transports=frozenset({"quic"}))
    pair = make_pair(client_kw={"data": data}, server_kw={"data": data}, connect=False)
    quic_server = PeerAddress("192.0.2.1", 51822, "quic")
    pair.client.set_endpoint(quic_server)
    pair.client_addr = PeerAddress(CLIENT_ADDR.host, 40001, "quic")
    pair.client.connect(pair.now)
    pair.flush()
    src = client_source(pair)
    pair.client.send_packet(ipv4_packet(src, "203.0.113.5", b"over quic" * 5), pair.now)
    pair.flush()
    assert not pair.to_server[-1][2] & C.Flags.ENCRYPTED
    assert len(_received(pair.server_events)) == 1


_FUZZ_PAIR = make_pair(server_kw={"load_threshold": 5.0})
_FUZZ_SAMPLES = list(_FUZZ_PAIR.to_server) + list(_FUZZ_PAIR.to_client)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.builds(
            lambda tail, flags: b"OX" + bytes([flags]) + tail, st.binary(max_size=200), st.integers(0, 255)
        ),
        st.builds(
            lambda i, cut, edits: _edit(_FUZZ_SAMPLES[i % len(_FUZZ_SAMPLES)], cut, edits),
            st.integers(0, 100),
            st.integers(0, 400),
            st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=4),
        ),
    )
)
def test_garbage_never_raises_and_never_breaks_the_session(data: bytes) -> None:
    pair = _FUZZ_PAIR
    for receiver, addr in ((pair.server, CLIENT_ADDR), (pair.client, SERVER_ADDR)):
        drops = len(receiver.trace)
        receiver.receive_datagram(data, addr, pair.now)
        receiver.datagrams_to_send(pair.now)
        while receiver.next_event() is not None:
            pass
        assert len(receiver.trace) == drops + 1  # every one of them is dropped, with a reason
    assert pair.client.established and pair.server.status()


def _edit(sample: bytes, cut: int, edits: list[tuple[int, int]]) -> bytes:
    data = bytearray(sample[: max(1, cut)] if cut < len(sample) else sample)
    for offset, value in edits:
        if data:
            data[offset % len(data)] = value
    return bytes(data)


@pytest.mark.parametrize(
    "flags,body,reason",
    [
        (0x09, b"\x99", DropReason.MALFORMED),  # control type that does not exist
        (0x09, bytes([C.ControlType.DISCONNECT]), DropReason.MALFORMED),  # reason missing
        (0x05, b"\x00\x00", DropReason.MALFORMED),  # batch with count 0
        (0x03, b"\x00", DropReason.MALFORMED),  # compression envelope cut short
        (0x03, b"\x00\x10\x00", DropReason.DECOMPRESSION_FAILED),  # block shorter than announced
        (0x01, b"\x00" * 5, DropReason.INVALID_PACKET),  # not an IP packet
        (0x11, bytes([0x45]) + bytes(40), DropReason.INVALID_PACKET),  # IPV6 flag on an IPv4 packet
        (0x01, bytes([0x60]) + bytes(50), DropReason.INVALID_PACKET),  # IPv6 packet without the flag
    ],
)
def test_authenticated_but_malformed_bodies_are_dropped(flags: int, body: bytes, reason: DropReason) -> None:
    """A buggy (or compromised) peer with valid keys still cannot make the core raise."""
    pair = make_pair()
    kp = pair.client.current
    assert kp is not None
    pair.server.receive_datagram(kp.seal(flags, body), CLIENT_ADDR, pair.now)
    assert pair.server.trace.last is not None and pair.server.trace.last.reason is reason
    assert pair.server.status() and not pair.server.next_event()


def test_envelopes_on_an_expired_keypair_are_dropped() -> None:
    pair = make_pair(client_kw={"persistent_keepalive": 0})
    kp = pair.client.current
    assert kp is not None
    late = kp.seal(0x01, ipv4_packet(client_source(pair), "203.0.113.5"))
    pair.now += C.REJECT_AFTER_TIME + 1
    pair.server.receive_datagram(late, CLIENT_ADDR, pair.now)
    assert pair.server.trace.last is not None and pair.server.trace.last.reason is DropReason.KEYPAIR_EXPIRED


def test_probe_bookkeeping_is_bounded() -> None:
    pair = make_pair()
    counters = [pair.client.send_probe(pair.now) for _ in range(80)]
    pair.flush()
    acknowledged = [e.counter for e in pair.client_events if type(e).__name__ == "ProbeAcknowledged"]
    assert acknowledged == counters[-64:]  # the oldest 16 were forgotten: their ACKs are ignored
    pair.client.close(pair.now)
    pair.client.close(pair.now)  # closing twice is harmless
