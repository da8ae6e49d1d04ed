"""One CONNECT-UDP or CONNECT-IP tunnel: what happens to its datagrams and capsules.

A tunnel belongs to one request stream of one QUIC connection (`StreamContext` gives it the means to
send). Context ID 0 carries the payload (a UDP payload or a full IP packet); other context IDs are not
registered by us and their datagrams are dropped (requirements 46, 66).
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from oxtunnel.types import PeerAddress
from runtimes.masque import ippacket
from runtimes.masque.capsules import (
    CAPSULE_ADDRESS_ASSIGN,
    CAPSULE_ADDRESS_REQUEST,
    CAPSULE_DATAGRAM,
    CAPSULE_ROUTE_ADVERTISEMENT,
    MalformedCapsule,
    encode_capsule,
    encode_varint,
    read_varint,
)
from runtimes.masque.templates import IpScope
from runtimes.masque.values import (
    IpAddressRange,
    MasqueAddress,
    decode_address_request,
    decode_addresses,
    decode_routes,
    encode_addresses,
    encode_routes,
    full_range,
    single_address,
)

if TYPE_CHECKING:
    from runtimes.masque.proxy import MasqueConnectionHandler, MasqueProxy

log = logging.getLogger("oxtunnel.runtimes.masque")

MAX_UDP_PAYLOAD = 65527  # RFC 9298 §5
# Linux socket options (Python 3.11's socket module lacks some names).
IP_MTU_DISCOVER = getattr(socket, "IP_MTU_DISCOVER", 10)
IP_PMTUDISC_DO = getattr(socket, "IP_PMTUDISC_DO", 2)
IPV6_MTU_DISCOVER = getattr(socket, "IPV6_MTU_DISCOVER", 23)
IPV6_DONTFRAG = getattr(socket, "IPV6_DONTFRAG", 62)
_RECV_PER_POLL = 64
PTB_INTERVAL = 0.1  # at most 10 ICMP Packet Too Big per second per tunnel


@dataclass
class TunnelStats:
    datagrams_in: int = 0
    datagrams_out: int = 0
    dropped_unknown_context: int = 0
    dropped_too_big: int = 0
    dropped_policy: int = 0
    dropped_spoofed: int = 0
    dropped_malformed: int = 0
    icmp_sent: int = 0
    capsules_skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


class Tunnel:
    """Common parts: context IDs, sending payloads as HTTP datagrams or DATAGRAM capsules."""

    kind = ""
    wanted_capsules: frozenset[int] = frozenset({CAPSULE_DATAGRAM})

    def __init__(self, handler: MasqueConnectionHandler, stream_id: int, now: float) -> None:
        self.handler = handler
        self.stream_id = stream_id
        self.stats = TunnelStats()
        self.last_activity = now
        self.closed = False
        self._qsid = encode_varint(stream_id // 4)

    @property
    def payload_limit(self) -> int:
        """Largest context-0 payload one QUIC DATAGRAM can carry on this stream."""
        return self.handler.conn.max_datagram_payload - len(self._qsid) - 1

    def send_payload(self, payload: bytes) -> bool:
        """Context-0 payload to the client: QUIC DATAGRAM if negotiated (never a capsule fallback for
        an over-size one: requirement 34/50), else a DATAGRAM capsule on the stream."""
        h3 = self.handler.h3
        if h3.datagrams_negotiated:
            if len(payload) > self.payload_limit:
                self.stats.dropped_too_big += 1
                return False
            ok = self.handler.conn.send_datagram(self._qsid + b"\x00" + payload)
        else:
            h3.send_data(
                self.stream_id, encode_capsule(CAPSULE_DATAGRAM, b"\x00" + payload), end_stream=False
            )
            ok = True
        if ok:
            self.stats.datagrams_out += 1
            self.handler.conn.changed()
        return ok

    def on_datagram(self, data: bytes, now: float) -> None:
        """An HTTP datagram payload (context ID ‖ payload) from the client."""
        ctx = read_varint(data, 0)
        if ctx is None:
            self.stats.dropped_malformed += 1
            return
        if ctx[0] != 0:
            self.stats.dropped_unknown_context += 1
            return
        self.stats.datagrams_in += 1
        self.last_activity = now
        self.on_payload(data[ctx[1] :], now)

    def on_capsule(self, capsule_type: int, value: bytes, now: float) -> None:
        if capsule_type == CAPSULE_DATAGRAM:
            self.on_datagram(value, now)

    def on_payload(self, payload: bytes, now: float) -> None:
        raise NotImplementedError

    def opened(self, now: float) -> None:
        """Right after the 2xx response went out."""

    def get_timer(self) -> float | None:
        return None

    def handle_timer(self, now: float) -> None:
        return None

    def close(self) -> None:
        self.closed = True


class UdpTunnel(Tunnel):
    """CONNECT-UDP: a connected UDP socket to one target (the kernel drops replies from elsewhere: req 43)."""

    kind = "connect-udp"

    def __init__(
        self,
        handler: MasqueConnectionHandler,
        stream_id: int,
        now: float,
        target: tuple[str, int],
        idle_timeout: float,
    ) -> None:
        super().__init__(handler, stream_id, now)
        self.target = target
        self.idle_timeout = idle_timeout
        self._last_ptb = float("-inf")
        family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            if family == socket.AF_INET:
                # DF set, over-size sends fail instead of fragmenting (requirement 45); TOS 0 = Not-ECT (51).
                self.sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)
                self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0)
            else:
                self.sock.setsockopt(socket.IPPROTO_IPV6, IPV6_MTU_DISCOVER, IP_PMTUDISC_DO)
                self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, 0)
                self.sock.setsockopt(socket.IPPROTO_IPV6, IPV6_DONTFRAG, 1)
            self.sock.setblocking(False)
            self.sock.connect(target)
        except OSError:
            self.sock.close()
            raise
        handler.conn.endpoint.watch(self.sock.fileno(), self._readable)

    def on_payload(self, payload: bytes, now: float) -> None:
        if len(payload) > MAX_UDP_PAYLOAD:
            self.handler.abort_stream(self.stream_id, "context-0 payload above 65527 bytes")
            return
        try:
            self.sock.send(payload)
        except OSError as exc:
            if exc.errno == errno.EMSGSIZE:
                self.stats.dropped_too_big += 1  # silently, never fragmented (requirement 45)
            elif exc.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH):
                self.handler.finish_stream(self.stream_id, f"target unreachable: {exc.strerror}")
            else:
                self.stats.reasons[exc.strerror or "send error"] = 1

    def _readable(self, now: float) -> None:
        for _ in range(_RECV_PER_POLL):
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                # ICMP unreachable on the connected socket: the socket is dead (requirement 44).
                self.handler.finish_stream(self.stream_id, f"target unreachable: {exc.strerror}")
                return
            self.last_activity = now
            if not self.send_payload(data) and len(data) > self.payload_limit:
                self._too_big(data, now)
        self.handler.conn.changed()

    def _too_big(self, payload: bytes, now: float) -> None:
        """RFC 9298 §6.1 (requirement 50): a reply too big for a QUIC DATAGRAM is dropped, not put in a
        capsule, and the target hears ICMP Packet Too Big quoting the datagram as it sent it."""
        if not self.handler.h3.datagrams_negotiated or now - self._last_ptb < PTB_INTERVAL:
            return
        self._last_ptb = now
        local_ip, local_port = self.sock.getsockname()[:2]
        target_ip, target_port = self.target
        src, dst = ipaddress.ip_address(target_ip).packed, ipaddress.ip_address(local_ip).packed
        original = ippacket.udp_packet(src, target_port, dst, local_port, payload)
        info = ippacket.parse(original)
        if info is None:
            return
        header = 20 if info.version == 4 else 40
        mtu = self.payload_limit + 8 + header  # the largest IP packet whose UDP payload we can carry
        icmp = ippacket.icmp_error(original, info, dst, "too_big", mtu)[header:]
        if self.handler.proxy.send_icmp(info.version, icmp, target_ip):
            self.stats.icmp_sent += 1

    def get_timer(self) -> float | None:
        return self.last_activity + self.idle_timeout

    def handle_timer(self, now: float) -> None:
        if now >= self.last_activity + self.idle_timeout:
            self.handler.finish_stream(self.stream_id, "idle timeout")

    def close(self) -> None:
        if not self.closed:
            self.handler.conn.endpoint.unwatch(self.sock.fileno())
            self.sock.close()
        super().close()


class IpTunnel(Tunnel):
    """CONNECT-IP: packets with the assigned source go to the forwarder or, for the service address,
    to the OxTunnel core; packets for the assigned address come back here."""

    kind = "connect-ip"
    wanted_capsules = frozenset(
        {CAPSULE_DATAGRAM, CAPSULE_ADDRESS_ASSIGN, CAPSULE_ADDRESS_REQUEST, CAPSULE_ROUTE_ADVERTISEMENT}
    )

    def __init__(
        self,
        handler: MasqueConnectionHandler,
        stream_id: int,
        now: float,
        scope: IpScope,
        addresses: list[MasqueAddress],
        service_only: bool,
    ) -> None:
        super().__init__(handler, stream_id, now)
        self.proxy: MasqueProxy = handler.proxy
        self.scope = scope
        self.addresses = addresses  # kept for the life of the stream (requirement 57)
        self.service_only = service_only
        self.service_peers: dict[tuple[bytes, int], PeerAddress] = {}  # our client's data path

    @property
    def own(self) -> dict[int, bytes]:
        return {a.ip_version: a.ip_address for a in self.addresses}

    def opened(self, now: float) -> None:
        self._send_assign()
        self._send_routes()

    def _send_assign(self) -> None:
        """Unsolicited ADDRESS_ASSIGN (request ID 0) with the full list (RFC 9484 §4.7.1, req 59)."""
        self._capsule(CAPSULE_ADDRESS_ASSIGN, encode_addresses(self.addresses))

    def _routes(self) -> list[IpAddressRange]:
        proto = self.scope.protocol or 0
        if self.service_only:
            return [single_address(self.proxy.service_address(v), proto) for v in sorted(self.own)]
        routes = []
        for version in sorted(self.own):
            net = self.scope.network
            if net is None:
                routes.append(full_range(version, proto))
            elif net.version == version:
                routes.append(
                    IpAddressRange(version, net.network_address.packed, net.broadcast_address.packed, proto)
                )
        return routes

    def _send_routes(self) -> None:
        self._capsule(CAPSULE_ROUTE_ADVERTISEMENT, encode_routes(self._routes()))

    def _capsule(self, capsule_type: int, value: bytes) -> None:
        self.handler.h3.send_data(self.stream_id, encode_capsule(capsule_type, value), end_stream=False)
        self.handler.conn.changed()

    def on_capsule(self, capsule_type: int, value: bytes, now: float) -> None:
        if capsule_type == CAPSULE_DATAGRAM:
            self.on_datagram(value, now)
        elif capsule_type == CAPSULE_ADDRESS_REQUEST:
            requests = decode_address_request(value)
            answered = []
            for req in requests:
                mine = self.own.get(req.ip_version)
                if mine is None:  # no pool of that family: the rejection form (requirement 61)
                    size = 4 if req.ip_version == 4 else 16
                    answered.append(MasqueAddress(req.request_id, req.ip_version, bytes(size), size * 8))
                else:
                    answered.append(MasqueAddress(req.request_id, req.ip_version, mine, len(mine) * 8))
            accepted = [a for a in answered if a.ip_address.strip(b"\0")]
            rejected = [a for a in answered if not a.ip_address.strip(b"\0")]
            versions = {a.ip_version for a in accepted}
            full = accepted + [a for a in self.addresses if a.ip_version not in versions]
            self._capsule(CAPSULE_ADDRESS_ASSIGN, encode_addresses(full + rejected))
        elif capsule_type == CAPSULE_ADDRESS_ASSIGN:
            decode_addresses(value)  # validated; the proxy does not route to client-chosen addresses
        elif capsule_type == CAPSULE_ROUTE_ADVERTISEMENT:
            decode_routes(value)  # validated (ordering, overlap); we do not route into the client

    def on_payload(self, packet: bytes, now: float) -> None:
        info = ippacket.parse(packet)
        if info is None:
            self.stats.dropped_malformed += 1
            return
        if self.own.get(info.version) != info.src:
            self.stats.dropped_spoofed += 1  # BCP 38 (requirement 70)
            self._icmp(packet, info, "source_policy")
            return
        if info.dst == self.proxy.service_address(info.version):
            self._to_service(packet, info)
            return
        if self.service_only or not self._in_scope(info):
            self.stats.dropped_policy += 1
            self._icmp(packet, info, "prohibited")
            return
        reason = self.proxy.refusal(info.dst)
        if reason is not None:
            self.stats.dropped_policy += 1
            self.stats.reasons[reason] = self.stats.reasons.get(reason, 0) + 1
            self._icmp(packet, info, "prohibited")
            return
        self.proxy.forward(packet)

    def _in_scope(self, info: ippacket.IpInfo) -> bool:
        scope = self.scope
        if scope.network is not None and (
            scope.network.version != info.version or not _contains(scope.network, info.dst)
        ):
            return False
        icmp = info.protocol in (ippacket.PROTO_ICMP, ippacket.PROTO_ICMPV6)
        return scope.protocol in (None, 0, info.protocol) or icmp

    def _to_service(self, packet: bytes, info: ippacket.IpInfo) -> None:
        udp = ippacket.parse_udp(packet, info)
        if udp is None or udp[1] != self.proxy.config.oxtunnel_service_port:
            self.stats.dropped_policy += 1
            return
        self.proxy.deliver_to_core(self, info.src, udp[0], udp[2])

    def send_packet(self, packet: bytes) -> None:
        """A packet from the network for this client: TTL is decremented on encapsulation (req 67)."""
        info = ippacket.parse(packet)
        if info is None:
            return
        out = ippacket.decrement_ttl(packet)
        if out is None:
            self.proxy.forward(
                ippacket.icmp_error(packet, info, self.proxy.service_address(info.version), "ttl")
            )
            return
        if not self.send_payload(out):
            # Too big for the tunnel: tell the sender (requirement 69); the forwarder routes it back.
            mtu = max(1280 if info.version == 6 else 576, self.payload_limit)
            self.proxy.forward(
                ippacket.icmp_error(packet, info, self.proxy.service_address(info.version), "too_big", mtu)
            )

    def _icmp(self, packet: bytes, info: ippacket.IpInfo, kind: str) -> None:
        if info.protocol in (ippacket.PROTO_ICMP, ippacket.PROTO_ICMPV6):
            return  # never an ICMP error about an ICMP packet
        self.stats.icmp_sent += 1
        self.send_payload(ippacket.icmp_error(packet, info, self.proxy.service_address(info.version), kind))

    def close(self) -> None:
        if not self.closed:
            self.proxy.release(self)
        super().close()


def _contains(net: ipaddress.IPv4Network | ipaddress.IPv6Network, address: bytes) -> bool:
    return ipaddress.ip_address(address) in net


__all__ = ["IpTunnel", "MalformedCapsule", "Tunnel", "UdpTunnel"]
