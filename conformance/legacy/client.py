"""A legacy-dialect test client: the handshake, encrypted upstream data, plaintext downstream reads.

It behaves like the Rust ``RelayClient`` where that matters to the checks (one connected UDP socket per
session, the data ``sequence`` doubling as the nonce counter, the first datagram after INIT taken as the
response) and records everything, so a check can show exactly which weakness it exposed.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag

from conformance.legacy import wire
from conformance.links import Link


class LegacyHandshakeError(Exception):
    """The target did not answer a legacy HANDSHAKE_INIT."""


@dataclass
class Received:
    flags: int
    seq: int
    payload: bytes  # decrypted when ENCRYPTED was set and the key opened it
    encrypted: bool
    raw: bytes


@dataclass
class LegacySession:
    link: Link
    client_id: bytes
    init: bytes
    response_raw: bytes
    response: wire.Response
    sequence: int = 0
    received: list[Received] = field(default_factory=list)

    @property
    def key(self) -> bytes | None:
        return self.response.key

    @property
    def address(self) -> str:
        return self.response.assigned_ip

    def data_packet(
        self, ip_packet: bytes, *, flags: int | None = None, seq: int | None = None, encrypt: bool = True
    ) -> bytes:
        """Upstream data as RelayClient sends it: encrypted under the session key, seq = nonce counter."""
        seq = self.sequence if seq is None else seq
        self.sequence = max(self.sequence, seq + 1)
        if encrypt and self.key is not None:
            return wire.encrypted_packet(
                self.key, seq, ip_packet, wire.FLAG_ENCRYPTED if flags is None else flags
            )
        return wire.packet(0 if flags is None else flags, seq, ip_packet)

    def send(self, datagram: bytes) -> None:
        self.link.send(datagram)

    def receive(self, timeout: float) -> Received | None:
        """The next V1 data packet from the server (control messages are recorded and skipped)."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0 or remaining == 0:
            data = self.link.recv(max(0.0, remaining))
            if data is None:
                return None
            try:
                parsed = wire.parse(data)
            except (ValueError, wire.L.DecodeError):
                continue
            payload, encrypted = parsed.payload, bool(parsed.flags & wire.FLAG_ENCRYPTED)
            if encrypted and self.key is not None:
                try:
                    payload = wire.open_sealed(self.key, parsed.seq, parsed.payload)
                except InvalidTag:
                    continue
            item = Received(parsed.flags, parsed.seq, payload, encrypted, data)
            self.received.append(item)
            if not parsed.flags & wire.FLAG_CONTROL:
                return item
        return None

    def exchange(self, datagram: bytes, answer: object, timeout: float) -> Received | None:
        self.send(datagram)
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            got = self.receive(remaining)
            if got is None:
                return None
            if answer(got.payload):  # type: ignore[operator]
                return got
        return None


class LegacyClient:
    def __init__(self, link: Link, client_id: bytes | None = None) -> None:
        self.link = link
        self.client_id = client_id or os.urandom(32)

    def make_init(self, timestamp: int | None = None, encryption: bool = True) -> bytes:
        payload = wire.init_payload(
            self.client_id, int(time.time()) if timestamp is None else timestamp, encryption
        )
        return wire.packet(wire.FLAG_CONTROL, 0, payload)

    def handshake(
        self, timeout: float, *, init: bytes | None = None, encryption: bool = True
    ) -> LegacySession:
        init = init or self.make_init(encryption=encryption)
        self.link.send(init)
        data = self.link.recv(timeout)  # RelayClient takes the first datagram as the response (§3.1)
        if data is None:
            raise LegacyHandshakeError(f"no reply to the legacy HANDSHAKE_INIT within {timeout:.1f} s")
        try:
            parsed = wire.parse(data)
            response = wire.parse_response(parsed.payload)
        except (ValueError, wire.L.DecodeError) as exc:
            raise LegacyHandshakeError(f"reply is not a HANDSHAKE_RESPONSE: {exc}") from None
        return LegacySession(self.link, self.client_id, init, data, response)
