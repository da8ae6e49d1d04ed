#!/usr/bin/env python3
"""Micro-benchmark of the sans-IO core (not a test): handshakes/s and seal+open packets/s.

Everything runs in this one process on one core, so each figure is the CPU cost of *both* ends:

* ``handshake``: a full INIT → RESPONSE → KEY_ROTATION exchange through ClientSession/ServerEndpoint.
* ``server INIT``: the server's share only (mac1, Noise IK responder, lease, RESPONSE).
* ``envelope``: Keypair.seal on one side + Keypair.open on the other (the per-packet crypto path).
* ``session``: the whole API path in batches of 64: client.send_packets → datagrams_to_send →
  server.receive_datagrams (frame checks, replay window, anti-spoofing, destination policy, rate limit)
  → PacketsReceived event.

Figures are per second of CPU time (time.process_time, so other load on a shared machine counts less),
the median of ``--runs`` runs.  Usage: ``.venv/bin/python scripts/bench_core.py [--json]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generated.codecs import constants as C  # noqa: E402
from oxtunnel.client import ClientSession  # noqa: E402
from oxtunnel.config import ClientConfig, PeerConfig, ServerConfig  # noqa: E402
from oxtunnel.crypto import public_key  # noqa: E402
from oxtunnel.events import PacketsReceived  # noqa: E402
from oxtunnel.keypair import Keypair  # noqa: E402
from oxtunnel.server import ServerEndpoint  # noqa: E402
from oxtunnel.types import PeerAddress  # noqa: E402

SERVER = PeerAddress("192.0.2.1", C.PORT_UDP)
CLIENT = PeerAddress("198.51.100.7", 40000)
CIPHERS = {"chacha20-poly1305": C.Cipher.CHACHA20_POLY1305, "aes-256-gcm": C.Cipher.AES_256_GCM}


class Ticking:
    """A wall clock that moves 1 ms per call, so every INIT carries a fresh timestamp."""

    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def __call__(self) -> float:
        self.t += 0.001
        return self.t


def _key(name: str) -> bytes:
    return hashlib.blake2s(name.encode()).digest()


def _server(
    client_keys: list[bytes], wall: Ticking, cipher: int = C.Cipher.CHACHA20_POLY1305
) -> ServerEndpoint:
    config = ServerConfig(
        private_key=_key("server"),
        peers=tuple(PeerConfig(public_key(c)) for c in client_keys),
        wall_clock=wall,
        handshake_rate=1e9,
        handshake_burst=1e9,
        load_threshold=1e9,
        packet_rate=1e12,
        packet_burst=1e12,
        ciphers=(C.Cipher(cipher),),
        max_sessions=10**6,
    )
    return ServerEndpoint(config, rng=os.urandom)


def _client(
    private: bytes, wall: Ticking, cipher: int = C.Cipher.CHACHA20_POLY1305, batching: bool = True
) -> ClientSession:
    config = ClientConfig(
        private_key=private,
        server_public_key=public_key(_key("server")),
        endpoint=SERVER,
        wall_clock=wall,
        ciphers=(C.Cipher(cipher),),
        batching=batching,
    )
    return ClientSession(config, rng=os.urandom)


def _connect(client: ClientSession, server: ServerEndpoint, now: float = 0.0) -> None:
    client.connect(now)
    for data, _ in client.datagrams_to_send(now):
        server.receive_datagram(data, CLIENT, now)
    for data, _ in server.datagrams_to_send(now):
        client.receive_datagram(data, SERVER, now)
    for data, _ in client.datagrams_to_send(now):
        server.receive_datagram(data, CLIENT, now)
    if not client.established:
        raise SystemExit("benchmark handshake failed: " + repr(list(server.trace) + list(client.trace)))
    while client.next_event() or server.next_event():
        pass


def bench_handshake(count: int) -> float:
    wall = Ticking()
    private = _key("client")
    server = _server([private], wall)
    start = time.process_time()
    for _ in range(count):
        _connect(_client(private, wall), server)
    return count / (time.process_time() - start)


def bench_server_init(count: int) -> float:
    wall = Ticking()
    privates = [_key(f"client {i}") for i in range(count)]
    server = _server(privates, wall)
    inits = []
    for private in privates:
        client = _client(private, wall)
        client.connect(0.0)
        inits.append(client.datagrams_to_send(0.0)[0][0])
    start = time.process_time()
    for data in inits:
        server.receive_datagram(data, CLIENT, 0.0)
    elapsed = time.process_time() - start
    if len(server.datagrams_to_send(0.0)) != count:
        raise SystemExit("server did not answer every INIT")
    return count / elapsed


def bench_envelope(cipher: int, size: int, count: int) -> float:
    key_a, key_b = os.urandom(32), os.urandom(32)
    common = {
        "cipher": cipher,
        "created": 0.0,
        "plaintext": False,
        "rekey_after_time": 1e9,
        "reject_after_time": 2e9,
    }
    sender = Keypair(
        local_index=1, remote_index=2, send_key=key_a, receive_key=key_b, initiator=True, **common
    )
    receiver = Keypair(
        local_index=2, remote_index=1, send_key=key_b, receive_key=key_a, initiator=False, **common
    )
    body = os.urandom(size)
    seal, open_, accept = sender.seal, receiver.open, receiver.replay.accept
    start = time.process_time()
    for counter in range(count):
        datagram = seal(0x01, body)
        if open_(datagram, 0x01) is None or not accept(counter):
            raise SystemExit("envelope did not open")
    return count / (time.process_time() - start)


def bench_session(cipher: int, size: int, count: int, batch: int = 64, batching: bool = True) -> float:
    wall = Ticking()
    private = _key("client")
    server = _server([private], wall, cipher)
    client = _client(private, wall, cipher, batching)
    _connect(client, server)
    assert client.parameters is not None and client.parameters.ipv4 is not None
    src = client.parameters.ipv4.ip.packed
    payload = os.urandom(max(0, size - 20))
    header = bytes([0x45, 0]) + size.to_bytes(2, "big") + bytes(4) + bytes([64, 17]) + bytes(2)
    packets = [header + src + bytes([203, 0, 113, 5]) + payload] * batch
    received = 0
    rounds = count // batch
    start = time.process_time()
    for _ in range(rounds):
        client.send_packets(packets, 0.0)
        server.receive_datagrams(client.datagrams_to_send(0.0), 0.0)
        while (event := server.next_event()) is not None:
            if isinstance(event, PacketsReceived):
                received += len(event.packets)
    elapsed = time.process_time() - start
    if received != rounds * batch:
        raise SystemExit(f"lost packets in the session benchmark: {received} of {rounds * batch}")
    return received / elapsed


def _median(fn: Callable[[], float], runs: int) -> float:
    return statistics.median(fn() for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (the median is reported)")
    parser.add_argument("--packets", type=int, default=50_000, help="packets per run")
    parser.add_argument("--handshakes", type=int, default=300, help="handshakes per run")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    results: dict[str, float] = {
        "handshake (client+server) /s": _median(lambda: bench_handshake(args.handshakes), args.runs),
        "server INIT->RESPONSE /s": _median(lambda: bench_server_init(args.handshakes), args.runs),
    }
    for name, cipher in CIPHERS.items():
        for size in (64, 1400):
            results[f"envelope seal+open {name} {size} B /s"] = _median(
                lambda c=cipher, s=size: bench_envelope(c, s, args.packets), args.runs
            )
            results[f"session path {name} {size} B /s"] = _median(
                lambda c=cipher, s=size: bench_session(c, s, args.packets), args.runs
            )
        results[f"session path {name} 64 B unbatched /s"] = _median(
            lambda c=cipher: bench_session(c, 64, args.packets, batching=False), args.runs
        )
    if args.json:
        print(json.dumps({"runs": args.runs, "results": results}, indent=2))
    else:
        width = max(map(len, results))
        print(f"OxTunnel core micro-benchmark (median of {args.runs} runs, one process, one core)")
        for name, value in results.items():
            print(f"  {name:<{width}}  {value:>12,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
