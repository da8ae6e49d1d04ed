"""The real core over the real fallback transports on loopback: one session survives TCP → QUIC.

Keys and the assigned address are kept (one handshake), the server follows the client by
receiver-index roaming across transports, and authenticated-plaintext is used on QUIC only.
"""

from __future__ import annotations

import time
from pathlib import Path

from oxtunnel.client import ClientSession
from oxtunnel.config import ClientConfig, DataPathConfig, PeerConfig, ServerConfig
from oxtunnel.crypto import public_key
from oxtunnel.events import EndpointChanged, HandshakeCompleted, PacketsReceived
from oxtunnel.server import ServerEndpoint
from oxtunnel.types import PeerAddress
from runtimes.quic.certs import ensure_server_certificate
from runtimes.quic.client import QuicClientBind
from runtimes.quic.config import QuicConfig
from runtimes.quic.server import QuicServerBind
from runtimes.tcp import TcpClientBind, TcpConfig, TcpServerBind
from tests.oxtunnel.harness import Rng, WallClock, ipv4_packet, key
from tests.runtimes.quic_helpers import free_udp_port

QUIC_CONFIDENTIAL = DataPathConfig(confidential_transports=frozenset({"quic"}))


def test_session_survives_tcp_to_quic(tmp_path: Path) -> None:
    wall = WallClock()
    cert = ensure_server_certificate(tmp_path / "state", ["127.0.0.1"])
    tcp_srv = TcpServerBind(TcpConfig(host="127.0.0.1", port=free_udp_port()))
    quic_srv = QuicServerBind(QuicConfig(host="127.0.0.1", port=free_udp_port()), cert)
    server = ServerEndpoint(
        ServerConfig(
            private_key=key("server"),
            peers=(PeerConfig(public_key(key("client")), name="c"),),
            wall_clock=wall,
            data=QUIC_CONFIDENTIAL,
        ),
        rng=Rng("s"),
    )
    tcp_cli = TcpClientBind("127.0.0.1", tcp_srv.local_port)
    quic_cli = QuicClientBind("127.0.0.1", quic_srv.local_port, pin=cert.spki_sha256)
    client = ClientSession(
        ClientConfig(
            private_key=key("client"),
            server_public_key=public_key(key("server")),
            endpoint=tcp_cli.server,
            wall_clock=wall,
            data=QUIC_CONFIDENTIAL,
        ),
        rng=Rng("c"),
    )
    server_binds = {"tcp": tcp_srv, "quic": quic_srv}
    client_binds = {"tcp": tcp_cli, "quic": quic_cli}
    events: dict[str, list[object]] = {"client": [], "server": []}
    quic_wire: list[bytes] = []

    def step() -> None:
        now = time.monotonic()
        for b in (*server_binds.values(), *client_binds.values()):
            t = b.get_timer()
            if t is not None and t <= now:
                b.handle_timer(now)
        for b in server_binds.values():
            items = b.recv_batch(256)
            if items:
                server.receive_datagrams(items, now)
        for b in client_binds.values():
            items = b.recv_batch(256)
            if items:
                client.receive_datagrams(items, now)
        for core, binds, name in ((client, client_binds, "client"), (server, server_binds, "server")):
            timer = core.get_timer()
            if timer is not None and timer <= now:
                core.handle_timer(now)
            for data, addr in core.datagrams_to_send(now):
                if addr.transport == "quic" and name == "client":
                    quic_wire.append(data)
                binds[addr.transport].send_batch([(data, addr)])
            while (e := core.next_event()) is not None:
                events[name].append(e)

    def until(cond, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not cond():
            assert time.monotonic() < deadline, "condition not reached"
            step()
            time.sleep(0.001)

    try:
        client.connect(time.monotonic())
        until(lambda: any(isinstance(e, HandshakeCompleted) for e in events["client"]))
        src = str(client.parameters.ipv4.ip)  # type: ignore[union-attr]
        client.send_packet(ipv4_packet(src, "198.51.100.1", b"over tcp"), time.monotonic())
        until(lambda: any(isinstance(e, PacketsReceived) for e in events["server"]))

        client.set_endpoint(PeerAddress(quic_cli.server.host, quic_cli.server.port, "quic"))
        client.send_packet(ipv4_packet(src, "198.51.100.1", b"over quic"), time.monotonic())
        until(lambda: any(isinstance(e, EndpointChanged) for e in events["server"]))
        moved = [e for e in events["server"] if isinstance(e, EndpointChanged)][-1]
        assert moved.new.transport == "quic"
        until(lambda: sum(len(e.packets) for e in events["server"] if isinstance(e, PacketsReceived)) == 2)
        # the reply goes back over QUIC, to the same session (same address, no second handshake)
        server.send_packet(ipv4_packet("198.51.100.1", src, b"reply"), time.monotonic())
        until(lambda: any(isinstance(e, PacketsReceived) for e in events["client"]))
        assert quic_cli.stats.received >= 1
        assert len([e for e in events["client"] if isinstance(e, HandshakeCompleted)]) == 1
        assert len([e for e in events["server"] if isinstance(e, HandshakeCompleted)]) == 1
        # QUIC is confidential (pinned): the envelope is authenticated plaintext (flags without 0x01)
        assert quic_wire and all(d[2] & 0x01 == 0 for d in quic_wire if d[2] & 0x08 == 0)
    finally:
        for b in (*server_binds.values(), *client_binds.values()):
            b.close()
