"""Test fixture: a tiny fake of the Rust Oxidize server's *wire behaviour*, on loopback UDP.

Clearly not an implementation of anything we ship: it exists only so the ``legacy`` check functions can
run end to end here, since the Rust server cannot be built. It reproduces what ``legacy-dialect.md``
documents, weaknesses included: PING echoed before anything else (§1.3), trailing bytes and unknown flags
ignored (§1.4), plaintext accepted, the session key sent in clear and downstream data sent in plaintext
(§3.2, §4.4), sessions found by source address, no replay protection, DISCONNECT/KEEPALIVE unauthenticated
(§2), and data from addresses without a session forwarded anyway (§1.4). "Forwarding" is a userspace UDP
NAT: an inner IPv4/UDP packet is re-sent from a socket of the fake to its inner destination on loopback,
and answers come back wrapped as plaintext packets. Where the document is silent (a destination
policy), the fake has none.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import threading
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from scapy.layers.inet import IP, UDP
from scapy.packet import Raw

Addr = tuple[str, int]


@dataclass
class Session:
    addr: Addr
    key: bytes | None
    ip: bytes


def _packet(flags: int, seq: int, payload: bytes) -> bytes:
    return b"OX" + struct.pack("<BIH", flags, seq, len(payload)) + payload


class LegacyFake:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server_id = os.urandom(32)
        self.sessions: dict[bytes, Session] = {}
        self.pool: dict[bytes, bytes] = {}
        self.nat: dict[socket.socket, tuple[Addr, bytes, int]] = {}
        self.nat_by_flow: dict[tuple[Addr, bytes, int], socket.socket] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="legacy-fake", daemon=True)
        self._thread.start()

    # -- plumbing
    def _loop(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.sock, *self.nat], [], [], 0.05)
            for sock in ready:
                try:
                    data, addr = sock.recvfrom(65535)
                except OSError:
                    continue
                if sock is self.sock:
                    self._handle(data, addr)
                else:
                    self._downstream(sock, data, addr)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in [self.sock, *self.nat]:
            sock.close()

    def _send(self, data: bytes, addr: Addr) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendto(data, addr)

    def _session_at(self, addr: Addr) -> Session | None:
        return next((s for s in self.sessions.values() if s.addr == addr), None)

    # -- the dialect
    def _handle(self, data: bytes, addr: Addr) -> None:
        if data[:4] == b"OXPI":
            self._send(b"OXPO" + data[4:], addr)  # before rate limits and parsing (§1.3)
            return
        if len(data) < 9 or data[:2] != b"OX":
            return
        flags, seq, length = struct.unpack_from("<BIH", data, 2)
        if 9 + length > len(data):
            return
        payload = data[9 : 9 + length]  # trailing bytes silently ignored
        if flags & 0x08:
            self._control(payload, addr)
            return
        session = self._session_at(addr)
        if flags & 0x01:
            if session is None or session.key is None or length < 16:
                return
            nonce = bytes(4) + struct.pack("<Q", seq)
            try:
                payload = ChaCha20Poly1305(session.key).decrypt(nonce, payload, b"")
            except InvalidTag:
                return
        self._forward(payload, addr)  # with or without a session (§1.4)

    def _control(self, payload: bytes, addr: Addr) -> None:
        if not payload:
            return
        kind = payload[0]
        if kind == 0x01 and len(payload) >= 42:
            client_id, encryption = payload[1:33], payload[41] != 0
            ip = self.pool.setdefault(client_id, bytes([10, 8, 0, 2 + len(self.pool) % 250]))
            key = os.urandom(32) if encryption else None
            self.sessions[client_id] = Session(addr, key, ip)  # replaces an earlier one
            body = b"\x02" + self.server_id + b"\x04" + ip + (b"\x01" + key if key else b"\x00")
            self._send(_packet(0x08, 0, body), addr)
        elif kind == 0x03:
            self._send(_packet(0x08, 0, b"\x05"), addr)
        elif kind == 0x04:
            for client_id, session in list(self.sessions.items()):
                if session.addr == addr:
                    del self.sessions[client_id]

    def _forward(self, packet: bytes, client: Addr) -> None:
        if not packet or packet[0] >> 4 != 4:
            return
        ip = IP(packet)
        if not ip.haslayer(UDP):
            return
        flow = (client, bytes(socket.inet_aton(ip.src)), int(ip[UDP].sport))
        sock = self.nat_by_flow.get(flow)
        if sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", 0))
            self.nat[sock] = flow
            self.nat_by_flow[flow] = sock
        with contextlib.suppress(OSError):
            sock.sendto(bytes(ip[UDP].payload), (ip.dst, int(ip[UDP].dport)))

    def _downstream(self, sock: socket.socket, data: bytes, source: Addr) -> None:
        client, inner_src, inner_sport = self.nat[sock]
        session = self._session_at(client)
        if session is None:
            return
        reply = IP(src=source[0], dst=socket.inet_ntoa(inner_src)) / UDP(sport=source[1], dport=inner_sport)
        self._send(_packet(0x00, 0, bytes(reply / Raw(data))), client)  # never encrypted (§4.4)


class UdpEcho:
    """A UDP echo service on loopback: the "host behind the server" for legacy echoes."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except (TimeoutError, OSError):
                continue
            with contextlib.suppress(OSError):
                self.sock.sendto(data, addr)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()
