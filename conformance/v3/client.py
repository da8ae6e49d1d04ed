"""A v3 test client: completes handshakes over a Link and moves envelopes, with every knob exposed.

It handles COOKIE_REPLY the way a real client must (decrypt the cookie, resend a fresh INIT with mac2),
so a server under load still admits the suite, and it keeps every datagram it could not open so a check
can tell "no reply" from "a reply we did not expect".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag

from conformance.links import Link
from conformance.v3 import handshake as hs
from conformance.v3 import wire


class HandshakeError(Exception):
    """The target did not complete a handshake; the message says what it did instead."""


@dataclass
class Attempt:
    """One INIT sent and what came back."""

    init: bytes
    sender_index: int
    initiator: hs.Initiator
    replies: list[bytes] = field(default_factory=list)


class V3Session:
    """An established session: seal and open envelopes with the keys of one handshake."""

    def __init__(
        self,
        link: Link,
        keys: hs.TransportKeys,
        local_index: int,
        remote_index: int,
        config: wire.SessionConfig,
        init: bytes,
        response: wire.Response,
    ) -> None:
        self.link = link
        self.keys = keys
        self.local_index = local_index
        self.remote_index = remote_index
        self.config = config
        self.cipher = config.cipher
        self.init = init
        self.response = response
        self.send_counter = 0
        self.opened: list[wire.Opened] = []
        self.unopened: list[bytes] = []

    @property
    def address(self) -> str | None:
        return str(self.config.ipv4.ip) if self.config.ipv4 else None

    @property
    def address6(self) -> str | None:
        return str(self.config.ipv6.ip) if self.config.ipv6 else None

    def next_counter(self) -> int:
        counter = self.send_counter
        self.send_counter += 1
        return counter

    def seal(
        self,
        body: bytes,
        flags: int = wire.FLAG_ENCRYPTED,
        *,
        counter: int | None = None,
        receiver_index: int | None = None,
        key: bytes | None = None,
        **overrides: Any,
    ) -> bytes:
        """An envelope for the server; ``overrides`` go to ``wire.raw_envelope`` (seq, length, ...)."""
        return wire.raw_envelope(
            key or self.keys.send,
            self.cipher,
            flags,
            self.remote_index if receiver_index is None else receiver_index,
            self.next_counter() if counter is None else counter,
            body,
            **overrides,
        )

    def seal_ip(self, packet: bytes, **overrides: Any) -> bytes:
        flags = overrides.pop("flags", wire.ip_flags(packet))
        return self.seal(packet, flags, **overrides)

    def seal_control(self, control: int, body: bytes = b"", **overrides: Any) -> bytes:
        return self.seal(
            wire.control_body(control, body), wire.FLAG_ENCRYPTED | wire.FLAG_CONTROL, **overrides
        )

    def send(self, datagram: bytes) -> None:
        self.link.send(datagram)

    def receive(self, timeout: float) -> wire.Opened | None:
        """The next envelope from the server that opens with our receive key (others are kept aside)."""
        deadline = time.monotonic() + timeout
        while True:
            data = self.link.recv(max(0.0, deadline - time.monotonic()))
            if data is None:
                return None
            try:
                opened = wire.open_envelope(self.keys.receive, self.cipher, data)
            except (ValueError, InvalidTag):
                self.unopened.append(data)
                continue
            self.opened.append(opened)
            return opened

    def receive_ip(self, timeout: float, wanted: object = None) -> bytes | None:
        """The next inner IP packet (control messages such as KEEPALIVE are recorded and skipped).

        ``wanted`` is an optional predicate: packets failing it are skipped too."""
        deadline = time.monotonic() + timeout
        while True:
            opened = self.receive(max(0.0, deadline - time.monotonic()))
            if opened is None:
                return None
            if opened.flags & wire.FLAG_CONTROL:
                continue
            if wanted is None or wanted(opened.plaintext):  # type: ignore[operator]
                return opened.plaintext

    def exchange(self, datagram: bytes, answer: object, timeout: float) -> bytes | None:
        """Send one datagram and wait for the inner packet ``answer(packet)`` accepts."""
        self.send(datagram)
        return self.receive_ip(timeout, answer)

    def close(self) -> None:
        self.link.close()


class V3Client:
    """Builds INITs for one client key against one server key and turns responses into sessions."""

    def __init__(
        self,
        link: Link,
        client_private: bytes,
        server_public: bytes,
        timestamps: hs.Timestamps,
        pace: Callable[[], None] | None = None,
    ) -> None:
        self.link = link
        self.client_private = client_private
        self.client_public = hs.public_key(client_private)
        self.server_public = server_public
        self.timestamps = timestamps
        self.pace = pace
        self.cookie: bytes | None = None
        self.cookie_replies: list[bytes] = []

    def make_init(
        self,
        *,
        supported: int = 0x01,
        preferred: int = wire.CIPHER_CHACHA20_POLY1305,
        features: int = wire.FEATURE_IPV6,  # as a real client asks: IPv6 inside the tunnel when offered
        timestamp: bytes | None = None,
        sender_index: int | None = None,
        cookie: bytes | None = None,
    ) -> Attempt:
        initiator = hs.Initiator(self.client_private, self.server_public)
        payload = wire.init_payload(
            timestamp or self.timestamps.next(self.client_public), supported, preferred, features
        )
        index = sender_index if sender_index is not None else hs.random_index()
        noise = initiator.write_init(payload)
        init = wire.build_init(
            index, noise, self.server_public, cookie if cookie is not None else self.cookie
        )
        return Attempt(init, index, initiator)

    def send_init(self, attempt: Attempt | bytes) -> None:
        """Send an INIT the server will process, within the suite's handshake rate."""
        if self.pace:
            self.pace()
        self.link.send(attempt.init if isinstance(attempt, Attempt) else attempt)

    def await_reply(self, attempt: Attempt, timeout: float) -> bytes | None:
        """The next datagram answering ``attempt`` (response or cookie reply), or None on silence."""
        deadline = time.monotonic() + timeout
        while True:
            data = self.link.recv(max(0.0, deadline - time.monotonic()))
            if data is None:
                return None
            attempt.replies.append(data)
            kind = wire.control_type(data)
            if kind in (wire.CT_HANDSHAKE_RESPONSE, wire.CT_COOKIE_REPLY):
                return data

    def finish(self, attempt: Attempt, data: bytes) -> V3Session:
        """Verify a HANDSHAKE_RESPONSE for ``attempt`` and derive the session."""
        try:
            response = wire.parse_response(data)
        except ValueError as exc:
            raise HandshakeError(f"malformed HANDSHAKE_RESPONSE: {exc}") from None
        if response.receiver_index != attempt.sender_index:
            raise HandshakeError(
                f"response receiver_index {response.receiver_index:#x} != our sender_index "
                f"{attempt.sender_index:#x}"
            )
        if not wire.response_mac1_ok(response, self.client_public):
            raise HandshakeError("response mac1 is not keyed by our static public key")
        try:
            payload = attempt.initiator.read_response(response.noise_message)
        except Exception as exc:  # noqa: BLE001 - noiseprotocol raises several types; all mean "bad"
            raise HandshakeError(f"Noise message 2 does not verify: {exc!r}") from None
        try:
            config = wire.parse_session_config(payload)
        except (ValueError, IndexError) as exc:
            raise HandshakeError(f"session_config does not parse: {exc}") from None
        return V3Session(
            self.link,
            attempt.initiator.keys(),
            attempt.sender_index,
            response.sender_index,
            config,
            attempt.init,
            response,
        )

    def handshake(self, timeout: float, retries: int = 3, **init_options: Any) -> V3Session:
        """INIT → RESPONSE, following COOKIE_REPLY with a fresh INIT carrying mac2."""
        options = dict(init_options)
        for _ in range(retries):
            attempt = self.make_init(**options)
            self.send_init(attempt)
            reply = self.await_reply(attempt, timeout)
            if reply is None and getattr(self.link, "closed_by_peer", False):
                raise HandshakeError("the server closed the connection instead of answering the INIT")
            if reply is None:
                raise HandshakeError(
                    f"no reply to HANDSHAKE_INIT within {timeout:.1f} s"
                    + (f" (got {len(attempt.replies)} other datagrams)" if attempt.replies else "")
                )
            if wire.control_type(reply) == wire.CT_COOKIE_REPLY:
                self.cookie_replies.append(reply)
                self.cookie = self.read_cookie(attempt, reply)
                options.pop("timestamp", None)  # the retry is a new INIT and needs a newer timestamp
                continue
            return self.finish(attempt, reply)
        raise HandshakeError(f"still answered with COOKIE_REPLY after {retries} INITs carrying mac2")

    def read_cookie(self, attempt: Attempt, reply: bytes) -> bytes:
        try:
            parsed = wire.parse_cookie_reply(reply)
        except ValueError as exc:
            raise HandshakeError(f"malformed COOKIE_REPLY: {exc}") from None
        if parsed.receiver_index != attempt.sender_index:
            raise HandshakeError("COOKIE_REPLY receiver_index does not match the INIT's sender_index")
        try:
            return hs.open_cookie(
                self.server_public, parsed.nonce, parsed.encrypted_cookie, wire.init_mac1(attempt.init)
            )
        except InvalidTag:
            raise HandshakeError(
                "COOKIE_REPLY does not decrypt with HASH('cookie--' ‖ server key), AAD = the INIT's mac1"
            ) from None
