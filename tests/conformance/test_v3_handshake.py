"""The suite's Noise IK initiator and v3 layouts against an independent responder built in the test.

The responder here is written from spec/README.md §3 directly on ``noiseprotocol`` (responder role), so
it shares no code with ``conformance/v3``: if both agree, the byte layout and key schedule are as the
spec says, not merely self-consistent.
"""

from __future__ import annotations

import hashlib
import os
import struct

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from noise.connection import Keypair, NoiseConnection

from conformance.v3 import handshake as hs
from conformance.v3 import wire
from conformance.v3.client import HandshakeError, V3Client


def _mac(key: bytes, data: bytes) -> bytes:
    return hashlib.blake2s(data, key=key, digest_size=16).digest()


def _hash(data: bytes) -> bytes:
    return hashlib.blake2s(data).digest()


SESSION_CONFIG = (
    struct.pack(">BHHH", 1, 0, 1420, 25)
    + bytes([10, 66, 0, 2, 24])
    + bytes.fromhex("fd000000000000000000000000000002")
    + bytes([64])
    + bytes([1, 4, 10, 66, 0, 1])  # one DNS server
    + bytes([1, 4, 0, 0, 0, 0, 0])  # one route 0.0.0.0/0
)


class Responder:
    """Spec §3 from the server side, in ~40 lines."""

    def __init__(self) -> None:
        self.private = hs.random_private_key()
        self.public = hs.public_key(self.private)

    def answer(
        self, init: bytes, client_public: bytes, config: bytes = SESSION_CONFIG
    ) -> tuple[bytes, object]:
        assert len(init) == 158 and init[:2] == b"OX" and init[2] == 0x08
        assert struct.unpack(">H", init[7:9])[0] == 149 and init[9] == 0x01
        assert init[-32:-16] == _mac(_hash(b"mac1----" + self.public), init[:-32])
        assert init[-16:] == bytes(16)
        (sender,) = struct.unpack(">I", init[10:14])
        noise = NoiseConnection.from_name(b"Noise_IK_25519_ChaChaPoly_BLAKE2s")
        noise.set_as_responder()
        noise.set_prologue(b"OxTunnel v3")
        noise.set_keypair_from_private_bytes(Keypair.STATIC, self.private)
        noise.start_handshake()
        payload = bytes(noise.read_message(init[14:126]))
        assert len(payload) == 16
        assert noise.noise_protocol.handshake_state.rs.public_bytes == client_public
        message = bytes(noise.write_message(config))
        body = bytes([0x02]) + struct.pack(">II", 0xABCD0001, sender) + message
        head = struct.pack(">HBIH", 0x4F58, 0x08, 0, len(body) + 32)
        mac1 = _mac(_hash(b"mac1----" + client_public), head + body)
        self.payload = payload
        return head + body + mac1 + bytes(16), noise


class NullLink:
    transport = "udp"
    bytes_sent = bytes_received = datagrams_received = 0

    def send(self, datagram: bytes) -> None: ...
    def recv(self, timeout: float) -> bytes | None:
        return None

    def close(self) -> None: ...


def _client(responder: Responder) -> V3Client:
    return V3Client(NullLink(), hs.random_private_key(), responder.public, hs.Timestamps())


def test_handshake_interoperates_with_an_independent_responder() -> None:
    responder = Responder()
    client = _client(responder)
    attempt = client.make_init(features=wire.FEATURE_BATCHING)
    response, noise = responder.answer(attempt.init, client.client_public)
    session = client.finish(attempt, response)
    assert responder.payload[12:] == bytes([0x01, 0x01, 0x00, 0x02])  # ciphers, preferred, features
    assert session.remote_index == 0xABCD0001 and session.local_index == attempt.sender_index
    assert session.config.ipv4 is not None and str(session.config.ipv4) == "10.66.0.2/24"
    assert str(session.config.ipv6) == "fd00::2/64" and session.config.mtu == 1420
    assert session.config.dns == ("10.66.0.1",) and session.config.routes == ("0.0.0.0/0",)
    # Split(): initiator's send key is the responder's receive key and vice versa
    assert session.keys.send == bytes(noise.noise_protocol.cipher_state_decrypt.k)  # type: ignore[attr-defined]
    assert session.keys.receive == bytes(noise.noise_protocol.cipher_state_encrypt.k)  # type: ignore[attr-defined]
    assert session.keys.send != session.keys.receive


def test_envelope_layout_matches_spec() -> None:
    key = os.urandom(32)
    packet = bytes.fromhex("4500001c000100004001f9c50a4200020a420001") + bytes(8)
    datagram = wire.raw_envelope(key, 1, wire.FLAG_ENCRYPTED, 0x01020304, 7, packet)
    assert datagram[:9] == struct.pack(">HBIH", 0x4F58, 0x01, 7, 12 + len(packet) + 16)
    assert datagram[9:21] == bytes.fromhex("01020304") + (7).to_bytes(8, "big")
    assert ChaCha20Poly1305(key).decrypt(datagram[9:21], datagram[21:], datagram[:9]) == packet
    opened = wire.open_envelope(key, 1, datagram)
    assert (opened.receiver_index, opened.counter, opened.plaintext) == (0x01020304, 7, packet)
    plain = wire.raw_envelope(key, 1, 0x00, 5, 9, packet)
    assert plain[21:-16] == packet
    ChaCha20Poly1305(key).decrypt(plain[9:21], plain[-16:], plain[: 21 + len(packet)])
    assert wire.open_envelope(key, 1, plain).plaintext == packet
    tampered = bytearray(datagram)
    tampered[2] |= wire.FLAG_COMPRESSED
    with pytest.raises(InvalidTag):
        wire.open_envelope(key, 1, bytes(tampered))


def test_cookie_reply_round_trip() -> None:
    responder = Responder()
    client = _client(responder)
    attempt = client.make_init()
    cookie = os.urandom(16)
    nonce = os.urandom(12)
    sealed = ChaCha20Poly1305(_hash(b"cookie--" + responder.public)).encrypt(
        nonce, cookie, attempt.init[-32:-16]
    )
    reply = (
        struct.pack(">HBIH", 0x4F58, 0x08, 0, 49) + bytes([0x0A]) + struct.pack(">I", attempt.sender_index)
    )
    reply += nonce + sealed
    assert len(reply) == wire.COOKIE_REPLY_SIZE
    assert client.read_cookie(attempt, reply) == cookie
    client.cookie = cookie
    again = client.make_init()
    assert again.init[-16:] == _mac(cookie, again.init[:-16])


def test_responses_that_must_be_rejected() -> None:
    responder = Responder()
    client = _client(responder)
    attempt = client.make_init()
    response, _ = responder.answer(attempt.init, client.client_public)
    bad_mac = response[:-17] + bytes([response[-17] ^ 1]) + response[-16:]
    with pytest.raises(HandshakeError, match="mac1"):
        client.finish(attempt, bad_mac)
    other = client.make_init()
    with pytest.raises(HandshakeError, match="receiver_index"):
        client.finish(other, response)
    attempt2 = client.make_init()
    truncated_config, _ = responder.answer(attempt2.init, client.client_public, SESSION_CONFIG[:-1])
    with pytest.raises(HandshakeError, match="session_config"):
        client.finish(attempt2, truncated_config)


def test_timestamps_strictly_increase_and_are_tai64n() -> None:
    stamps = hs.Timestamps()
    key = os.urandom(32)
    values = [stamps.next(key) for _ in range(50)]
    assert values == sorted(values) and len(set(values)) == 50
    seconds = int.from_bytes(values[0][:8], "big") - hs.TAI64_BASE
    assert abs(seconds - __import__("time").time()) < 5
