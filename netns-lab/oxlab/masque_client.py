"""A MASQUE test client written directly on aioquic, sharing no code with OxTunnel's client: it shows
that any RFC-conforming MASQUE client can use our server as a proxy.

`python -m oxlab.masque_client --proxy HOST:PORT --pin SPKI_SHA256 --token T udp --target HOST:PORT`
sends numbered datagrams through CONNECT-UDP (RFC 9298) to a UDP echo server;
`... ip --ping HOST --udp HOST:PORT` opens CONNECT-IP (RFC 9484), takes the address from ADDRESS_ASSIGN
and sends ICMP echo requests and UDP datagrams as IP packets. Each prints one JSON line of results. The
server is verified by the SHA-256 of its certificate's public key (the pin `oxidize genconfig` writes).
Everything is bounded: `--count` packets, `--timeout` seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import os
import select
import socket
import ssl
import struct
import sys
import time
from typing import Any

from aioquic.h3.connection import H3Connection
from aioquic.h3.events import DatagramReceived, DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection
from aioquic.quic.events import ConnectionTerminated, HandshakeCompleted
from cryptography.hazmat.primitives import serialization

SETTINGS_H3_DATAGRAM = 0x33  # RFC 9297 §5.1
SETTINGS_ENABLE_CONNECT_PROTOCOL = 0x08  # RFC 9220 §5
ADDRESS_ASSIGN = 0x01  # RFC 9484 §4.7.1


def varint(data: bytes, pos: int) -> tuple[int, int]:
    """RFC 9000 §16 variable-length integer at `pos`: (value, next position)."""
    length = 1 << (data[pos] >> 6)
    value = data[pos] & 0x3F
    for b in data[pos + 1: pos + length]:
        value = (value << 8) | b
    return value, pos + length


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4(src: bytes, dst: bytes, proto: int, payload: bytes) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0, src, dst)
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + payload


def icmp_echo(src: bytes, dst: bytes, ident: int, seq: int) -> bytes:
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"oxlab-masque-ping"
    body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
    return ipv4(src, dst, 1, body)


def udp4(src: bytes, sport: int, dst: bytes, dport: int, payload: bytes) -> bytes:
    length = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, length)
    csum = checksum(pseudo + struct.pack("!HHHH", sport, dport, length, 0) + payload) or 0xFFFF
    return ipv4(src, dst, 17, struct.pack("!HHHH", sport, dport, length, csum) + payload)


class DatagramH3(H3Connection):
    """aioquic's HTTP/3 with HTTP Datagrams (it enables them only for WebTransport)."""

    def _get_local_settings(self) -> dict[int, int]:
        settings = super()._get_local_settings()
        settings[SETTINGS_H3_DATAGRAM] = 1
        settings.pop(SETTINGS_ENABLE_CONNECT_PROTOCOL, None)  # a server's setting
        return settings


class MasqueClient:
    def __init__(self, proxy: str, pin: str, timeout: float) -> None:
        host, _, port = proxy.rpartition(":")
        self.addr = (host.strip("[]"), int(port))
        self.authority = proxy
        self.pin = pin.lower().removeprefix("sha256:").replace(":", "")
        self.deadline = time.monotonic() + timeout
        config = QuicConfiguration(is_client=True, alpn_protocols=["h3"], verify_mode=ssl.CERT_NONE,
                                   max_datagram_frame_size=65535)
        self.quic = QuicConnection(configuration=config)
        family = socket.AF_INET6 if ":" in self.addr[0] else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.h3: DatagramH3 | None = None
        self.headers: dict[int, dict[bytes, bytes]] = {}
        self.body: dict[int, bytes] = {}
        self.datagrams: dict[int, list[bytes]] = {}
        self.error: str | None = None
        self.quic.connect(self.addr, now=time.monotonic())
        self.flush()

    def flush(self) -> None:
        for data, addr in self.quic.datagrams_to_send(now=time.monotonic()):
            self.sock.sendto(data, addr)

    def step(self, wait: float = 0.02) -> None:
        if time.monotonic() > self.deadline:
            raise TimeoutError(self.error or "timed out")
        select.select([self.sock], [], [], wait)
        now = time.monotonic()
        while True:
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                break
            self.quic.receive_datagram(data, self.addr, now)
        timer = self.quic.get_timer()
        if timer is not None and timer <= now:
            self.quic.handle_timer(now)
        while (event := self.quic.next_event()) is not None:
            if isinstance(event, HandshakeCompleted):
                self.verify_pin()
                self.h3 = DatagramH3(self.quic)
            elif isinstance(event, ConnectionTerminated):
                raise ConnectionError(f"connection closed: {event.error_code:#x} {event.reason_phrase}")
            if self.h3 is not None:
                for h in self.h3.handle_event(event):
                    if isinstance(h, HeadersReceived):
                        self.headers[h.stream_id] = dict(h.headers)
                    elif isinstance(h, DataReceived):
                        self.body[h.stream_id] = self.body.get(h.stream_id, b"") + h.data
                    elif isinstance(h, DatagramReceived):
                        self.datagrams.setdefault(h.stream_id, []).append(h.data)
        self.flush()

    def verify_pin(self) -> None:
        cert = self.quic.tls._peer_certificate
        if cert is None:
            raise ssl.SSLError("the proxy sent no certificate")
        spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
        if hashlib.sha256(spki).hexdigest() != self.pin:
            self.quic.close(error_code=0x12A, reason_phrase="certificate pin mismatch")
            self.flush()
            raise ssl.SSLError("the proxy's certificate does not match the pin")

    def until(self, cond: Any) -> None:
        while not cond():
            self.step()

    def connect(self, protocol: str, path: str, token: str | None) -> int:
        """Extended CONNECT once the server allowed it; returns the stream on a 2xx, raises otherwise."""
        self.until(lambda: self.h3 is not None and self.h3.received_settings is not None)
        assert self.h3 is not None
        if (self.h3.received_settings or {}).get(SETTINGS_ENABLE_CONNECT_PROTOCOL) != 1:
            raise ConnectionError("proxy does not enable extended CONNECT")
        sid = self.quic.get_next_available_stream_id()
        headers = [(b":method", b"CONNECT"), (b":protocol", protocol.encode()), (b":scheme", b"https"),
                   (b":authority", self.authority.encode()), (b":path", path.encode()),
                   (b"capsule-protocol", b"?1")]
        if token:
            headers.append((b"proxy-authorization", f"Bearer {token}".encode()))
        self.h3.send_headers(sid, headers, end_stream=False)
        self.flush()
        self.until(lambda: sid in self.headers)
        status = self.headers[sid].get(b":status", b"")
        if not status.startswith(b"2"):
            raise ConnectionError(f"{protocol} refused: {status.decode()} "
                                  f"{self.headers[sid].get(b'proxy-status', b'').decode()}")
        return sid

    def send(self, sid: int, payload: bytes) -> None:
        assert self.h3 is not None
        self.h3.send_datagram(sid, b"\x00" + payload)  # Context ID 0
        self.flush()

    def received(self, sid: int) -> list[bytes]:
        out = []
        for d in self.datagrams.pop(sid, []):
            ctx, pos = varint(d, 0)
            if ctx == 0:
                out.append(d[pos:])
        return out

    def assigned_ipv4(self, sid: int) -> bytes:
        """The first IPv4 address of ADDRESS_ASSIGN (capsules on the request stream)."""
        while True:
            data, pos = self.body.get(sid, b""), 0
            while pos < len(data):
                try:
                    ctype, p = varint(data, pos)
                    length, p = varint(data, p)
                except IndexError:
                    break
                if p + length > len(data):
                    break
                if ctype == ADDRESS_ASSIGN:
                    value, q = data[p: p + length], 0
                    while q < len(value):
                        _rid, q = varint(value, q)
                        version = value[q]
                        size = 4 if version == 4 else 16
                        address = value[q + 1: q + 1 + size]
                        q += 2 + size
                        if version == 4:
                            return address
                pos = p + length
            self.step()

    def close(self) -> None:
        self.quic.close()
        self.flush()
        self.sock.close()


def run_udp(client: MasqueClient, target: str, token: str | None, count: int) -> dict[str, Any]:
    host, _, port = target.rpartition(":")
    sid = client.connect("connect-udp", f"/.well-known/masque/udp/{host}/{port}/", token)
    got: set[int] = set()
    started = time.monotonic()
    for seq in range(count):
        client.send(sid, struct.pack("!I", seq) + os.urandom(64))
        client.step(0.005)
        got |= {struct.unpack("!I", d[:4])[0] for d in client.received(sid) if len(d) == 68}
    end = time.monotonic() + 2.0
    while len(got) < count and time.monotonic() < end:
        client.step()
        got |= {struct.unpack("!I", d[:4])[0] for d in client.received(sid) if len(d) == 68}
    return {"mode": "connect-udp", "sent": count, "received": len(got),
            "seconds": round(time.monotonic() - started, 3)}


def run_ip(client: MasqueClient, ping: str, udp: str | None, token: str | None, count: int,
           closed: int | None = None) -> dict[str, Any]:
    sid = client.connect("connect-ip", "/.well-known/masque/ip/*/*/", token)
    me = client.assigned_ipv4(sid)
    dst = ipaddress.ip_address(ping).packed
    ident = os.getpid() & 0xFFFF
    replies: set[int] = set()
    echoes: set[int] = set()
    if udp:
        uhost, _, uport = udp.rpartition(":")
        udst, uport_n = ipaddress.ip_address(uhost).packed, int(uport)

    def collect() -> None:
        for packet in client.received(sid):
            if len(packet) < 28 or packet[0] >> 4 != 4:
                continue
            ihl = (packet[0] & 0x0F) * 4
            if packet[9] == 1 and packet[ihl] == 0 and packet[12:16] == dst:  # ICMP echo reply
                replies.add(struct.unpack_from("!H", packet, ihl + 6)[0])
            elif packet[9] == 17 and udp and packet[12:16] == udst:
                echoes.add(struct.unpack_from("!I", packet, ihl + 8)[0])

    started = time.monotonic()
    for seq in range(count):
        client.send(sid, icmp_echo(me, dst, ident, seq))
        if udp:
            client.send(sid, udp4(me, 40000 + seq % 1000, udst, uport_n, struct.pack("!I", seq) + b"x" * 60))
        client.step(0.01)
        collect()
    end = time.monotonic() + 2.0
    while (len(replies) < count or (udp and len(echoes) < count)) and time.monotonic() < end:
        client.step()
        collect()
    result = {"mode": "connect-ip", "address": str(ipaddress.ip_address(me)), "sent": count,
              "ping_replies": len(replies), "udp_echoes": len(echoes) if udp else None,
              "seconds": round(time.monotonic() - started, 3)}
    if closed:
        result.update(icmp_errors(client, token, sid, me, dst, closed))
    return result


def icmp_errors(client: MasqueClient, token: str | None, sid: int, me: bytes, dst: bytes,
                closed: int) -> dict[str, Any]:
    """A second CONNECT-IP tunnel beside the first; UDP from the first to a closed port: the ICMP port
    unreachable must reach the first tunnel only (RFC 9484 §11)."""
    other = client.connect("connect-ip", "/.well-known/masque/ip/*/*/", token)
    other_address = client.assigned_ipv4(other)
    for seq in range(3):
        client.send(sid, udp4(me, 41000 + seq, dst, closed, b"anyone there?"))
    to_sender = to_other = 0
    end = time.monotonic() + 2.0
    while time.monotonic() < end and to_sender < 3:
        client.step()
        for packet in client.received(sid):
            ihl = (packet[0] & 0x0F) * 4
            quoted = packet[ihl + 8:]
            if packet[9] == 1 and packet[ihl:ihl + 2] == bytes([3, 3]) and quoted[12:16] == me:
                to_sender += 1
        to_other += sum(1 for p in client.received(other) if p[9] == 1)
    return {"icmp_unreachable_to_sender": to_sender, "icmp_to_other_tunnel": to_other,
            "other_address": str(ipaddress.ip_address(other_address))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="oxlab.masque_client", description=__doc__.split("\n\n")[0])
    parser.add_argument("--proxy", required=True, help="HOST:PORT of the MASQUE proxy (HTTP/3)")
    parser.add_argument("--pin", required=True, help="SHA-256 of the proxy certificate's public key")
    parser.add_argument("--token", help="bearer token (Proxy-Authorization)")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=20.0)
    sub = parser.add_subparsers(dest="mode", required=True)
    udp = sub.add_parser("udp", help="CONNECT-UDP to a UDP echo server")
    udp.add_argument("--target", required=True, help="HOST:PORT of the echo server")
    ip = sub.add_parser("ip", help="CONNECT-IP: ICMP echo (and UDP) to a host")
    ip.add_argument("--ping", required=True, help="IPv4 address to ping")
    ip.add_argument("--udp", help="HOST:PORT of a UDP echo server")
    ip.add_argument("--closed-port", type=int, help="a UDP port nobody listens on at --ping's host")
    args = parser.parse_args(argv)
    if not 1 <= args.count <= 1000 or not 1 <= args.timeout <= 120:
        parser.error("--count must be 1..1000 and --timeout 1..120")
    client = MasqueClient(args.proxy, args.pin, args.timeout)
    try:
        if args.mode == "udp":
            result = run_udp(client, args.target, args.token, args.count)
        else:
            result = run_ip(client, args.ping, args.udp, args.token, args.count, args.closed_port)
    except (ConnectionError, TimeoutError, ssl.SSLError) as exc:
        print(json.dumps({"mode": args.mode, "error": str(exc)}))
        return 1
    finally:
        client.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
