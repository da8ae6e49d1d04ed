"""Our client's MASQUE data path (CONNECT-IP over HTTP/3) against the real proxy on loopback, and the
client-side rules: extended CONNECT only after SETTINGS_ENABLE_CONNECT_PROTOCOL=1 (req. 10), abort on
any non-2xx response including 3xx (req. 40, 56), a GREASE capsule after the request (req. 35)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from aioquic.h3.connection import H3Connection, Setting
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic import events

from oxtunnel.client import ClientSession
from oxtunnel.config import ClientConfig, DataPathConfig, PeerConfig, ServerConfig
from oxtunnel.crypto import public_key
from oxtunnel.events import HandshakeCompleted, PacketsReceived
from oxtunnel.server import ServerEndpoint
from runtimes.masque.capsules import CAPSULE_ADDRESS_REQUEST, CapsuleReader, is_grease
from runtimes.masque.client import MasqueClientBind
from runtimes.masque.config import MasqueConfig
from runtimes.masque.proxy import MasqueProxy
from runtimes.masque.values import decode_address_request
from runtimes.quic.certs import ensure_server_certificate
from runtimes.quic.config import QuicConfig
from runtimes.quic.server import QuicServerBind, ServerConnection
from tests.oxtunnel.harness import Rng, WallClock, ipv4_packet, key
from tests.runtimes.quic_helpers import free_udp_port

CONFIDENTIAL = DataPathConfig(confidential_transports=frozenset({"quic", "masque"}))


def drive(binds: list, cond: Callable[[], bool], timeout: float = 5.0,  # type: ignore[type-arg]
          each: Callable[[], None] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        now = time.monotonic()
        for b in binds:
            b.poll()
            t = b.get_timer()
            if t is not None and t <= now:
                b.handle_timer(now)
        if each is not None:
            each()
        time.sleep(0.0005)


def test_oxtunnel_session_over_connect_ip(tmp_path: Path) -> None:
    wall = WallClock()
    cert = ensure_server_certificate(tmp_path / "state", ["127.0.0.1"])
    proxy = MasqueProxy(MasqueConfig(), own_addresses=["127.0.0.1"])
    server_bind = QuicServerBind(QuicConfig(host="127.0.0.1", port=free_udp_port()), cert,
                                 {"h3": proxy.handler_for})
    server = ServerEndpoint(ServerConfig(private_key=key("server"), wall_clock=wall, data=CONFIDENTIAL,
                                         peers=(PeerConfig(public_key(key("client")), name="c"),)),
                            rng=Rng("s"))
    bind = MasqueClientBind("127.0.0.1", server_bind.local_port, pin=cert.spki_sha256)
    config = ClientConfig(private_key=key("client"), server_public_key=public_key(key("server")),
                          endpoint=bind.server, wall_clock=wall, data=CONFIDENTIAL)
    client = ClientSession(config, rng=Rng("c"))
    seen: dict[str, list[object]] = {"client": [], "server": []}
    wire: list[bytes] = []

    def exchange() -> None:
        now = time.monotonic()
        items = server_bind.recv_batch(256)
        if items:
            server.receive_datagrams(items, now)
        items = bind.recv_batch(256)
        if items:
            client.receive_datagrams(items, now)
        for core, out_bind, name in ((client, bind, "client"), (server, server_bind, "server")):
            t = core.get_timer()
            if t is not None and t <= now:
                core.handle_timer(now)
            out = core.datagrams_to_send(now)
            if out:
                if name == "client":
                    wire.extend(d for d, _ in out)
                out_bind.send_batch(out)
            while (e := core.next_event()) is not None:
                seen[name].append(e)

    try:
        client.connect(time.monotonic())  # the INIT waits in the bind until the tunnel is open
        drive([server_bind, bind], lambda: any(isinstance(e, HandshakeCompleted) for e in seen["client"]),
              each=exchange)
        assert bind.ready and bind.tunnel == "open"
        src = str(client.parameters.ipv4.ip)  # type: ignore[union-attr]
        client.send_packet(ipv4_packet(src, "198.51.100.1", b"through connect-ip"), time.monotonic())
        drive([server_bind, bind], lambda: any(isinstance(e, PacketsReceived) for e in seen["server"]),
              each=exchange)
        hello = next(e for e in seen["server"] if isinstance(e, PacketsReceived))
        assert hello.packets[0].endswith(b"through connect-ip")
        server_session = server.status()[0]
        assert server_session.transport == "masque" and server_session.endpoint.host.startswith("10.89.0.")
        server.send_packet(ipv4_packet("198.51.100.1", src, b"reply"), time.monotonic())
        drive([server_bind, bind], lambda: any(isinstance(e, PacketsReceived) for e in seen["client"]),
              each=exchange)
        # confidential (pinned QUIC): the data envelopes are authenticated plaintext, not encrypted twice
        data = [d for d in wire if d[2] & 0x08 == 0 and len(d) > 60]
        assert data and all(d[2] & 0x01 == 0 for d in data)
        assert bind.dropped == {}
    finally:
        bind.close()
        server_bind.close()
        proxy.close()


class FakeH3Server:
    """A minimal HTTP/3 server: chosen SETTINGS, answers every request with `status`."""

    def __init__(self, conn: ServerConnection, *, connect_protocol: bool, status: int) -> None:
        outer = self

        class Settings(H3Connection):
            def _get_local_settings(self) -> dict[int, int]:
                settings = super()._get_local_settings()
                settings[Setting.H3_DATAGRAM] = 1
                if not connect_protocol:
                    settings.pop(Setting.ENABLE_CONNECT_PROTOCOL, None)
                return settings

        self.conn = conn
        self.status = status
        self.h3 = Settings(conn.quic)
        self.requests: list[list[tuple[bytes, bytes]]] = []
        self.body = b""
        conn.changed()
        outer.closed = False

    def handle_event(self, event: events.QuicEvent, now: float) -> None:
        for h in self.h3.handle_event(event):
            if isinstance(h, HeadersReceived):
                self.requests.append(h.headers)
                self.h3.send_headers(h.stream_id, [(b":status", str(self.status).encode()),
                                                   (b"location", b"https://elsewhere/")])
            elif isinstance(h, DataReceived):
                self.body += h.data
        self.conn.changed()

    def get_timer(self) -> float | None:
        return None

    def handle_timer(self, now: float) -> None:
        return None

    def connection_closed(self) -> None:
        self.closed = True


@pytest.mark.parametrize(("connect_protocol", "status", "expect"), [
    (False, 200, "does not enable extended CONNECT"),
    (True, 302, "refused with status 302"),
    (True, 404, "refused with status 404"),
])
def test_client_rules(tmp_path: Path, connect_protocol: bool, status: int, expect: str) -> None:
    cert = ensure_server_certificate(tmp_path / "state", ["127.0.0.1"])
    fakes: list[FakeH3Server] = []

    def handler(conn: ServerConnection, _bind: QuicServerBind) -> FakeH3Server:
        fakes.append(FakeH3Server(conn, connect_protocol=connect_protocol, status=status))
        return fakes[-1]

    server_bind = QuicServerBind(QuicConfig(host="127.0.0.1", port=free_udp_port()), cert, {"h3": handler})
    bind = MasqueClientBind("127.0.0.1", server_bind.local_port, pin=cert.spki_sha256)
    try:
        bind.send_batch([(b"\x4f\x58" + bytes(30), bind.server)])
        drive([server_bind, bind], lambda: bind.state == "closed")
        assert expect in (bind.error or "")
        assert not bind.ready and bind.recv_batch(8) == []
        if not connect_protocol:
            assert fakes and fakes[0].requests == [], "no extended CONNECT without the server's setting"
        else:
            (request,) = fakes[0].requests
            headers = dict(request)
            assert headers[b":method"] == b"CONNECT" and headers[b":protocol"] == b"connect-ip"
            assert headers[b":path"] == b"/.well-known/masque/ip/10.89.0.1/17/"
            assert headers[b"capsule-protocol"] == b"?1"
            drive([server_bind], lambda: len(_capsule_types(fakes[0].body)) >= 2, timeout=2.0)
            types = _capsule_types(fakes[0].body)
            assert is_grease(types[0]), "a GREASE capsule first (requirement 35)"
            (request,) = CapsuleReader(frozenset({CAPSULE_ADDRESS_REQUEST})).feed(fakes[0].body)
            (entry,) = decode_address_request(request[1])
            assert (entry.request_id, entry.ip_version, entry.ip_address, entry.ip_prefix_length) == \
                (1, 4, bytes(4), 32), "an ADDRESS_REQUEST for any IPv4 address (requirement 59)"
    finally:
        bind.close()
        server_bind.close()


def _capsule_types(body: bytes) -> list[int]:
    from runtimes.masque.capsules import read_varint

    types, pos = [], 0
    while pos < len(body):
        t = read_varint(body, pos)
        assert t is not None
        length = read_varint(body, t[1])
        assert length is not None
        types.append(t[0])
        pos = length[1] + length[0]
    return types
