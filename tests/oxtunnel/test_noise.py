"""Our Noise IK against the third-party `noiseprotocol` package, in both roles (BRIEF §2.2)."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from noise.connection import Keypair, NoiseConnection

from oxtunnel import noise

NAME = b"Noise_IK_25519_ChaChaPoly_BLAKE2s"
PROLOGUE = b"OxTunnel v3"


def _key(seed: int) -> bytes:
    return hashlib.blake2s(bytes([seed])).digest()


def _rng(seed: int):
    counter = iter(range(10**6))

    def rng(n: int) -> bytes:
        return hashlib.blake2s(bytes([seed]) + next(counter).to_bytes(4, "big"), digest_size=n).digest()

    return rng


def _theirs(initiator: bool, static: bytes, remote: bytes | None) -> NoiseConnection:
    conn = NoiseConnection.from_name(NAME)
    conn.set_prologue(PROLOGUE)
    conn.set_keypair_from_private_bytes(Keypair.STATIC, static)
    if remote is not None:
        conn.set_keypair_from_public_bytes(Keypair.REMOTE_STATIC, remote)
    if initiator:
        conn.set_as_initiator()
    else:
        conn.set_as_responder()
    conn.start_handshake()
    return conn


def _split_keys(conn: NoiseConnection) -> tuple[bytes, bytes]:
    proto = conn.noise_protocol
    return proto.cipher_state_encrypt.k, proto.cipher_state_decrypt.k


@pytest.mark.parametrize("payload1,payload2", [(b"", b""), (b"x" * 16, b"config" * 10)])
def test_our_initiator_with_their_responder(payload1: bytes, payload2: bytes) -> None:
    client = X25519PrivateKey.from_private_bytes(_key(1))
    server_priv = _key(2)
    server_pub = noise.public_bytes(X25519PrivateKey.from_private_bytes(server_priv))
    ours = noise.Initiator(client, noise.IKPrefix(NAME, PROLOGUE, server_pub))
    theirs = _theirs(False, server_priv, None)

    msg1 = ours.write_message_1(payload1, _rng(7))
    assert len(msg1) == 32 + 48 + len(payload1) + 16
    assert bytes(theirs.read_message(msg1)) == payload1
    msg2 = bytes(theirs.write_message(payload2))
    got, result = ours.read_message_2(msg2)

    assert got == payload2
    assert theirs.handshake_finished
    assert result.handshake_hash == theirs.get_handshake_hash()
    their_send, their_recv = _split_keys(theirs)
    assert (result.send_key, result.receive_key) == (their_recv, their_send)
    assert result.remote_static == server_pub
    # transport messages agree too (their CipherState uses the Noise nonce layout)
    assert theirs.decrypt(_encrypt(result.send_key, b"hi")) == b"hi"


def _encrypt(key: bytes, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    return ChaCha20Poly1305(key).encrypt(bytes(12), data, None)


@pytest.mark.parametrize("payload1,payload2", [(b"", b""), (bytes(16), b"\x01" * 70)])
def test_their_initiator_with_our_responder(payload1: bytes, payload2: bytes) -> None:
    client_priv = _key(3)
    client_pub = noise.public_bytes(X25519PrivateKey.from_private_bytes(client_priv))
    server = X25519PrivateKey.from_private_bytes(_key(4))
    server_pub = noise.public_bytes(server)
    theirs = _theirs(True, client_priv, server_pub)
    ours = noise.Responder(server, noise.IKPrefix(NAME, PROLOGUE, server_pub))

    msg1 = bytes(theirs.write_message(payload1))
    remote, got = ours.read_message_1(msg1)
    assert (remote, got) == (client_pub, payload1)
    msg2, result = ours.write_message_2(payload2, _rng(9))
    assert bytes(theirs.read_message(msg2)) == payload2

    assert result.handshake_hash == theirs.get_handshake_hash()
    their_send, their_recv = _split_keys(theirs)
    assert (result.send_key, result.receive_key) == (their_recv, their_send)
    assert result.remote_static == client_pub


def test_ours_with_ours_and_cached_static_static() -> None:
    client = X25519PrivateKey.from_private_bytes(_key(5))
    server = X25519PrivateKey.from_private_bytes(_key(6))
    server_pub = noise.public_bytes(server)
    client_pub = noise.public_bytes(client)
    prefix = noise.IKPrefix(NAME, PROLOGUE, server_pub)
    ss = noise.dh(server, client_pub)
    ini = noise.Initiator(client, prefix, static_static=ss)
    resp = noise.Responder(server, prefix)
    msg1 = ini.write_message_1(b"p1", _rng(1))
    assert resp.read_message_1(msg1, lambda rs: ss if rs == client_pub else None) == (client_pub, b"p1")
    msg2, r_result = resp.write_message_2(b"p2", _rng(2))
    payload, i_result = ini.read_message_2(msg2)
    assert payload == b"p2"
    assert i_result.send_key == r_result.receive_key and i_result.receive_key == r_result.send_key
    assert i_result.handshake_hash == r_result.handshake_hash
    assert i_result.send_key != i_result.receive_key


def test_tampered_messages_fail_authentication() -> None:
    client = X25519PrivateKey.from_private_bytes(_key(5))
    server = X25519PrivateKey.from_private_bytes(_key(6))
    prefix = noise.IKPrefix(NAME, PROLOGUE, noise.public_bytes(server))
    msg1 = noise.Initiator(client, prefix).write_message_1(b"p", _rng(1))
    for i in range(len(msg1)):
        bad = bytearray(msg1)
        bad[i] ^= 0x40
        with pytest.raises(noise.NoiseError):
            noise.Responder(server, prefix).read_message_1(bytes(bad))
    ini = noise.Initiator(client, prefix)
    resp = noise.Responder(server, prefix)
    resp.read_message_1(ini.write_message_1(b"", _rng(1)))
    msg2, _ = resp.write_message_2(b"cfg", _rng(2))
    for i in range(len(msg2)):
        bad = bytearray(msg2)
        bad[i] ^= 0x01
        with pytest.raises(noise.NoiseError):
            ini.read_message_2(bytes(bad))
    assert ini.read_message_2(msg2)[0] == b"cfg"  # a failed attempt leaves the initiator usable


def test_wrong_server_key_fails_and_short_messages_are_errors() -> None:
    client = X25519PrivateKey.from_private_bytes(_key(5))
    server = X25519PrivateKey.from_private_bytes(_key(6))
    other = X25519PrivateKey.from_private_bytes(_key(8))
    msg1 = noise.Initiator(client, noise.IKPrefix(NAME, PROLOGUE, noise.public_bytes(other))).write_message_1(
        b"", _rng(1)
    )
    with pytest.raises(noise.NoiseError):
        noise.Responder(server, noise.IKPrefix(NAME, PROLOGUE, noise.public_bytes(server))).read_message_1(
            msg1
        )
    with pytest.raises(noise.NoiseError):
        noise.Responder(server, noise.IKPrefix(NAME, PROLOGUE, noise.public_bytes(server))).read_message_1(
            b"x"
        )
    ini = noise.Initiator(client, noise.IKPrefix(NAME, PROLOGUE, noise.public_bytes(server)))
    with pytest.raises(RuntimeError):
        ini.read_message_2(bytes(48))
    ini.write_message_1(b"", _rng(1))
    with pytest.raises(noise.NoiseError):
        ini.read_message_2(bytes(10))
    with pytest.raises(RuntimeError):
        noise.Responder(server, noise.IKPrefix(NAME, PROLOGUE, noise.public_bytes(server))).write_message_2(
            b"", _rng(1)
        )


def test_low_order_ephemeral_is_rejected() -> None:
    server = X25519PrivateKey.from_private_bytes(_key(6))
    prefix = noise.IKPrefix(NAME, PROLOGUE, noise.public_bytes(server))
    with pytest.raises(noise.NoiseError):
        noise.Responder(server, prefix).read_message_1(bytes(32) + bytes(80))


def test_long_protocol_name_is_hashed_and_prefix_validates_key() -> None:
    long_name = b"Noise_IK_25519_ChaChaPoly_BLAKE2s_with_a_long_suffix_for_hashing"
    state = noise.SymmetricState.initialize(long_name)
    assert state.h == hashlib.blake2s(long_name).digest() == state.ck
    assert len(NAME) == 33  # our protocol name is hashed
    short = b"Noise_NN_25519_AESGCM_SHA256"
    assert noise.SymmetricState.initialize(short).h == short.ljust(32, b"\0")
    with pytest.raises(ValueError):
        noise.IKPrefix(NAME, PROLOGUE, b"short")
    state.mix_key(b"k")
    assert state.key is not None
    with pytest.raises(ValueError):
        state.copy()


@pytest.mark.parametrize("key_size", [0, 1, 32, 64, 65, 200])
def test_hmac_blake2s_matches_the_standard_library(key_size: int) -> None:
    import hmac

    key = bytes(range(key_size % 256)) * (key_size // 256 + 1)
    key = key[:key_size]
    for data in (b"", b"x", bytes(1000)):
        assert noise.hmac_blake2s(key, data) == hmac.new(key, data, hashlib.blake2s).digest()


def test_responder_refuses_an_unknown_initiator_before_the_second_dh() -> None:
    client = X25519PrivateKey.from_private_bytes(_key(5))
    server = X25519PrivateKey.from_private_bytes(_key(6))
    prefix = noise.IKPrefix(NAME, PROLOGUE, noise.public_bytes(server))
    msg1 = noise.Initiator(client, prefix).write_message_1(b"p", _rng(1))
    seen: list[bytes] = []

    def refuse(rs: bytes) -> bytes | None:
        seen.append(rs)
        return None

    with pytest.raises(noise.UnknownInitiator) as caught:
        noise.Responder(server, prefix).read_message_1(msg1, refuse)
    assert caught.value.static == noise.public_bytes(client) == seen[0]
    responder = noise.Responder(server, prefix)
    assert responder.read_message_1(msg1, lambda rs: b"")[1] == b"p"  # accepted, not cached: computed
    assert responder.static_static == noise.dh(server, noise.public_bytes(client))
