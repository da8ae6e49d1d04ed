"""Our client's MASQUE data path: OxTunnel datagrams in CONNECT-IP (RFC 9484) over HTTP/3 (`masque`).

An alternative to the `oxtunnel/3` QUIC path for networks that let only HTTP/3 through. The bind opens a
pinned QUIC connection with ALPN `h3` (`QuicClientConnection`), waits for the server's SETTINGS and sends
the extended CONNECT only when they carry SETTINGS_ENABLE_CONNECT_PROTOCOL=1 (requirement 10). The
request is scoped to the proxy's service address and UDP (`/.well-known/masque/ip/<service>/17/`), which
needs no bearer token: the OxTunnel handshake inside authenticates us. Any response but 2xx — 3xx
included — aborts the stream and fails the transport (requirements 40, 56), as does a 2xx without
`Capsule-Protocol: ?1`.

After ADDRESS_ASSIGN each OxTunnel datagram travels as an IP/UDP packet `assigned:port → service:51820`
in an HTTP datagram (Quarter Stream ID ‖ Context ID 0 ‖ packet); DATAGRAM capsules are used instead when
the peer did not enable H3_DATAGRAM (requirement 15). Packets from anyone but the service port are
dropped. A GREASE capsule (requirement 35) and an ADDRESS_REQUEST for one address of the service's family
(requirement 59) follow the request; an unsolicited ADDRESS_ASSIGN is taken as well.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import time
from collections.abc import Callable, Sequence

from aioquic.h3.connection import Setting
from aioquic.h3.events import DatagramReceived, DataReceived, H3Event, HeadersReceived
from aioquic.quic import events

from oxtunnel.types import PeerAddress
from runtimes.masque import ippacket
from runtimes.masque.capsules import (
    CAPSULE_ADDRESS_ASSIGN,
    CAPSULE_ADDRESS_REQUEST,
    CAPSULE_DATAGRAM,
    CAPSULE_ROUTE_ADVERTISEMENT,
    CapsuleReader,
    MalformedCapsule,
    encode_capsule,
    encode_varint,
    grease_capsule,
    read_varint,
)
from runtimes.masque.h3 import H3_REQUEST_CANCELLED, MasqueH3Connection, capsule_protocol_header
from runtimes.masque.templates import expand
from runtimes.masque.values import MasqueAddress, decode_addresses, decode_routes, encode_address_request
from runtimes.quic.client import QuicClientConnection
from runtimes.quic.config import QuicConfig
from runtimes.wire import MASQUE_ALPN, MASQUE_IP_PATH, PORT_UDP

log = logging.getLogger("oxtunnel.runtimes.masque")

IP_TEMPLATE = MASQUE_IP_PATH + "{target}/{ipproto}/"
DEFAULT_SERVICE = "10.89.0.1"  # first host of the proxy's default CONNECT-IP pool
ADDRESS_REQUEST_ID = 1
LOCAL_PORT = PORT_UDP  # our UDP source port inside the tunnel (any port works; the service answers it)


class ClientH3Connection(MasqueH3Connection):
    """HTTP/3 client side: H3_DATAGRAM=1, and no ENABLE_CONNECT_PROTOCOL (a server's setting)."""

    def _get_local_settings(self) -> dict[int, int]:
        settings = super()._get_local_settings()
        settings.pop(Setting.ENABLE_CONNECT_PROTOCOL, None)
        return settings


class MasqueClientBind(QuicClientConnection):
    """DatagramBind: OxTunnel datagrams through a CONNECT-IP tunnel to the proxy's service address."""

    transport = "masque"

    def __init__(
        self,
        host: str,
        port: int,
        config: QuicConfig | None = None,
        *,
        pin: str | None = None,
        cafile: str | None = None,
        server_name: str | None = None,
        service: str = DEFAULT_SERVICE,
        service_port: int = PORT_UDP,
        token: str | None = None,
        fwmark: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = ipaddress.ip_address(service)
        self.service_port = service_port
        self.token = token
        self.authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.h3: ClientH3Connection | None = None
        self.stream_id: int | None = None
        self.tunnel = "waiting for SETTINGS"
        self.address: bytes | None = None
        self.reader = CapsuleReader(frozenset({CAPSULE_DATAGRAM, CAPSULE_ADDRESS_ASSIGN,
                                               CAPSULE_ROUTE_ADVERTISEMENT}))
        self._qsid = b""
        self._pending: list[bytes] = []
        self._inbox: list[tuple[bytes, PeerAddress]] = []
        self.dropped: dict[str, int] = {}
        config = config or QuicConfig()
        super().__init__(host, port, config, alpn=MASQUE_ALPN, pin=pin, cafile=cafile,
                         server_name=server_name, fwmark=fwmark, clock=clock)
        self.open_deadline = self.started + 2 * config.handshake_timeout

    # -- DatagramBind -------------------------------------------------------------------------------
    def recv_batch(self, max_datagrams: int) -> list[tuple[bytes, PeerAddress]]:
        if len(self._inbox) < max_datagrams:
            self.poll()
        out, self._inbox = self._inbox[:max_datagrams], self._inbox[max_datagrams:]
        return out

    def send_batch(self, items: Sequence[tuple[bytes, PeerAddress]]) -> None:
        if self.state == "closed":
            self.stats.dropped_not_ready += len(items)
            return
        if self.address is None:
            room = self.send_queue_limit - len(self._pending)
            self._pending += [d for d, _ in items[:room]]
            self.stats.dropped_not_ready += max(0, len(items) - room)
            return
        for data, _ in items:
            self._send(data)
        self.transmit(self.clock())
        self.rearm()

    def has_data(self) -> bool:
        return bool(self._inbox)

    @property
    def ready(self) -> bool:
        """The tunnel is open and has our address: datagrams flow."""
        return self.address is not None and self.state == "connected"

    # -- timers: the whole CONNECT-IP set-up is bounded, not only the QUIC handshake ------------------------
    def get_timer(self) -> float | None:
        t = super().get_timer()
        if self.state != "closed" and self.address is None:
            t = self.open_deadline if t is None else min(t, self.open_deadline)
        return t

    def handle_timer(self, now: float) -> None:
        if self.state != "closed" and self.address is None and now >= self.open_deadline:
            waited = self.open_deadline - self.started
            self._abort(f"CONNECT-IP not open after {waited:.0f} s ({self.tunnel})")
            return
        super().handle_timer(now)

    # -- QUIC / HTTP/3 events ---------------------------------------------------------------------------
    def on_connected(self, now: float) -> None:
        self.h3 = ClientH3Connection(self.quic)

    def on_event(self, event: events.QuicEvent, now: float) -> None:
        if self.h3 is None:
            return
        for h3_event in self.h3.handle_event(event):
            self._h3_event(h3_event)
            if self.state == "closed":
                return
        if self.stream_id is None and self.h3.received_settings is not None:
            self._request()

    def _request(self) -> None:
        assert self.h3 is not None
        settings = self.h3.received_settings or {}
        if settings.get(Setting.ENABLE_CONNECT_PROTOCOL) != 1:
            self._abort("the server does not enable extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL)")
            return
        target = str(self.service)
        path = expand(IP_TEMPLATE, {"target": target, "ipproto": str(ippacket.PROTO_UDP)})
        headers = [(b":method", b"CONNECT"), (b":protocol", b"connect-ip"), (b":scheme", b"https"),
                   (b":authority", self.authority.encode()), (b":path", path.encode()),
                   (b"capsule-protocol", b"?1")]
        if self.token:
            headers.append((b"authorization", b"Bearer " + self.token.encode()))
        sid = self.quic.get_next_available_stream_id()
        self.stream_id = sid
        self._qsid = encode_varint(sid // 4)
        self.h3.send_headers(sid, headers, end_stream=False)
        # we need an address: ask for one of the service's family (requirement 59); "any" = all zeros
        size = 4 if self.service.version == 4 else 16
        want = MasqueAddress(ADDRESS_REQUEST_ID, self.service.version, bytes(size), size * 8)
        self.h3.send_data(sid, grease_capsule() + encode_capsule(CAPSULE_ADDRESS_REQUEST,
                                                                 encode_address_request([want])),
                          end_stream=False)
        self.tunnel = "waiting for the response"

    def _h3_event(self, event: H3Event) -> None:
        if getattr(event, "stream_id", None) != self.stream_id:
            return
        if isinstance(event, HeadersReceived):
            if self.tunnel == "waiting for the response":
                self._response(event.headers)
            if event.stream_ended:
                self._abort("the proxy ended the tunnel stream")
        elif isinstance(event, DataReceived):
            try:
                for capsule_type, value in self.reader.feed(event.data):
                    self._capsule(capsule_type, value)
                if event.stream_ended:
                    self.reader.finish()
            except MalformedCapsule as exc:
                self._abort(f"malformed capsule from the proxy: {exc}")
                return
            if event.stream_ended:
                self._abort("the proxy closed the tunnel stream")
        elif isinstance(event, DatagramReceived):
            self._datagram(event.data)

    def _response(self, headers: list[tuple[bytes, bytes]]) -> None:
        status = dict(headers).get(b":status", b"").decode("latin-1")
        if not (len(status) == 3 and status.startswith("2")):
            self._abort(f"CONNECT-IP refused with status {status or 'none'}")  # 3xx too (req. 40, 56)
            return
        if not capsule_protocol_header([v for k, v in headers if k == b"capsule-protocol"]):
            self._abort("2xx response without Capsule-Protocol: ?1")
            return
        self.tunnel = "waiting for ADDRESS_ASSIGN"

    def _capsule(self, capsule_type: int, value: bytes) -> None:
        if capsule_type == CAPSULE_DATAGRAM:
            self._datagram(value, capsule=True)
        elif capsule_type == CAPSULE_ADDRESS_ASSIGN:
            version = self.service.version
            mine = [a for a in decode_addresses(value) if a.ip_version == version
                    and a.ip_prefix_length == len(a.ip_address) * 8 and a.ip_address.strip(b"\0")]
            if not mine:
                self._abort(f"ADDRESS_ASSIGN holds no IPv{version} host address for us")
                return
            first = self.address is None
            self.address = mine[0].ip_address
            if first:
                self.tunnel = "open"
                log.info("masque: CONNECT-IP open to %s, our address %s", self.service,
                         ipaddress.ip_address(self.address))
                pending, self._pending = self._pending, []
                for data in pending:
                    self._send(data)
        elif capsule_type == CAPSULE_ROUTE_ADVERTISEMENT:
            decode_routes(value)  # validated (ordering, overlap: requirement 63); we route only the service

    # -- data ---------------------------------------------------------------------------------------------
    def _send(self, datagram: bytes) -> None:
        assert self.address is not None and self.h3 is not None and self.stream_id is not None
        packet = ippacket.udp_packet(self.address, LOCAL_PORT, self.service.packed, self.service_port,
                                     datagram, checksum_v4=False)
        if self.h3.datagrams_negotiated:
            self.send_datagram(self._qsid + b"\x00" + packet)
        else:
            self.h3.send_data(self.stream_id, encode_capsule(CAPSULE_DATAGRAM, b"\x00" + packet),
                              end_stream=False)
            self.stats.sent += 1

    def _datagram(self, data: bytes, capsule: bool = False) -> None:
        ctx = read_varint(data, 0)
        if ctx is None or ctx[0] != 0:
            self._drop("unknown context id")
            return
        packet = data[ctx[1]:]
        info = ippacket.parse(packet)
        if info is None:
            self._drop("malformed IP packet")
            return
        if info.protocol in (ippacket.PROTO_ICMP, ippacket.PROTO_ICMPV6):
            self._drop("ICMP from the proxy")  # e.g. Packet Too Big: the core's datagrams are sized anyway
            return
        udp = ippacket.parse_udp(packet, info)
        if (udp is None or info.src != self.service.packed or udp[0] != self.service_port
                or info.dst != self.address):
            self._drop("not from the OxTunnel service")
            return
        self.stats.received += 1
        self._inbox.append((udp[2], self.server))

    def _drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def _abort(self, reason: str) -> None:
        """Fail the transport: cancel the request stream and close the connection."""
        log.warning("masque: %s", reason)
        if self.stream_id is not None:
            for stop in (self.quic.reset_stream, self.quic.stop_stream):
                with contextlib.suppress(Exception):
                    stop(self.stream_id, H3_REQUEST_CANCELLED)
        if self.state != "closed":
            self.quic.close(error_code=0x100, reason_phrase=reason[:100])  # H3_NO_ERROR
            self.transmit(self.clock())
        self._fail(reason)
