"""Handshake framing: forgeries by someone who knows a public key (so mac1 passes) still fail."""

from __future__ import annotations

import dataclasses

import pytest

from generated.codecs import HandshakeInit, HandshakeResponse, IpPrefix, SessionConfig
from generated.codecs import constants as C
from oxtunnel import handshake as hs
from oxtunnel import noise
from oxtunnel.cookies import Mac1
from oxtunnel.crypto import public_key
from oxtunnel.trace import DropReason

from .harness import CLIENT_ADDR, SERVER_ADDR, Rng, key, make_pair


def _with_mac1(message: HandshakeInit | HandshakeResponse, mac1: Mac1) -> bytes:
    covered = message.encode()[: -2 * C.MAC_SIZE]
    return dataclasses.replace(message, mac1=mac1.compute(covered)).encode()


def test_init_with_valid_mac1_but_garbage_noise_gets_no_reply() -> None:
    pair = make_pair(connect=False)
    rng = Rng("forger")
    forged = HandshakeInit(
        sender_index=7,
        ephemeral=rng(32),
        encrypted_static=rng(48),
        encrypted_payload=rng(32),
        mac1=bytes(16),
        mac2=bytes(16),
    )
    pair.server.receive_datagram(_with_mac1(forged, Mac1(public_key(key("server")))), CLIENT_ADDR, 0.0)
    assert pair.server.trace.last is not None and pair.server.trace.last.reason is DropReason.HANDSHAKE_FAILED
    assert pair.server.datagrams_to_send(0.0) == []


def test_response_with_valid_mac1_but_garbage_noise_is_dropped() -> None:
    pair = make_pair(connect=False)
    pair.client.connect(0.0)
    ((init, _),) = pair.client.datagrams_to_send(0.0)
    sender = HandshakeInit.decode(init).sender_index
    rng = Rng("forger")
    forged = HandshakeResponse(
        sender_index=9,
        receiver_index=sender,
        ephemeral=rng(32),
        encrypted_payload=rng(47),
        mac1=bytes(16),
        mac2=bytes(16),
    )
    pair.client.receive_datagram(_with_mac1(forged, Mac1(public_key(key("client")))), SERVER_ADDR, 0.0)
    assert pair.client.trace.last is not None and pair.client.trace.last.reason is DropReason.HANDSHAKE_FAILED
    assert not pair.client.established


def test_a_server_sending_an_undecodable_session_config_is_refused() -> None:
    pair = make_pair(connect=False)
    pair.client.connect(0.0)
    ((init_bytes, _),) = pair.client.datagrams_to_send(0.0)
    init = HandshakeInit.decode(init_bytes)
    server_static = noise.X25519PrivateKey.from_private_bytes(key("server"))
    prefix = noise.IKPrefix(C.NOISE_PROTOCOL_NAME, C.NOISE_PROLOGUE, public_key(key("server")))
    responder = noise.Responder(server_static, prefix)
    responder.read_message_1(init.ephemeral + init.encrypted_static + init.encrypted_payload)
    message, _ = responder.write_message_2(b"\x07" * 40, Rng("evil server"))  # not a session_config
    response = HandshakeResponse(
        sender_index=5,
        receiver_index=init.sender_index,
        ephemeral=message[:32],
        encrypted_payload=message[32:],
        mac1=bytes(16),
        mac2=bytes(16),
    )
    pair.client.receive_datagram(_with_mac1(response, Mac1(public_key(key("client")))), SERVER_ADDR, 0.0)
    assert pair.client.trace.last is not None
    assert pair.client.trace.last.reason is DropReason.BAD_SESSION_CONFIG
    # and a config that decodes but is inconsistent (host bits in a route) is refused too
    responder = noise.Responder(server_static, prefix)
    responder.read_message_1(init.ephemeral + init.encrypted_static + init.encrypted_payload)
    bad = SessionConfig(
        cipher=C.Cipher.CHACHA20_POLY1305,
        features=0,
        mtu=1400,
        keepalive_interval=0,
        ipv4_address=bytes(4),
        ipv4_prefix_length=0,
        ipv6_address=bytes(16),
        ipv6_prefix_length=0,
        dns_servers=(),
        routes=(IpPrefix(4, bytes([10, 0, 0, 1]), 8),),
    )
    message, _ = responder.write_message_2(bad.encode(), Rng("evil server 2"))
    response = dataclasses.replace(response, ephemeral=message[:32], encrypted_payload=message[32:])
    pair.client.receive_datagram(_with_mac1(response, Mac1(public_key(key("client")))), SERVER_ADDR, 0.0)
    assert pair.client.trace.last.reason is DropReason.BAD_SESSION_CONFIG
    assert not pair.client.established


def test_init_payload_that_does_not_decode_is_malformed() -> None:
    with pytest.raises(hs.HandshakeError, match="init payload") as caught:
        hs.decode_init_payload(b"\x00" * 16)  # supported_ciphers 0: invalid
    assert caught.value.reason is DropReason.MALFORMED
