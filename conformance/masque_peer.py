"""An HTTP/3 MASQUE test peer (client role) on aioquic, able to send what a correct client never would.

aioquic's ``H3Connection`` does the HTTP/3 framing and QPACK; the suite overrides the SETTINGS it sends
(e.g. ``H3_DATAGRAM=2``) and writes capsules and HTTP datagrams byte by byte with ``generated.masque``
(so it can use non-minimal varints, GREASE types, bad quarter stream IDs). Everything the proxy sends
back — SETTINGS, response headers, capsules, datagrams, stream resets, connection close — is recorded
per stream for the checks to inspect.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aioquic.h3.connection import H3Connection
from aioquic.h3.events import DatagramReceived, DataReceived, HeadersReceived
from aioquic.quic import events

from conformance.quic_link import QuicClient
from generated import masque as M
from generated.codecs import constants as C

SETTINGS_QPACK_MAX_TABLE_CAPACITY = 0x1
SETTINGS_QPACK_BLOCKED_STREAMS = 0x7


class _SuiteH3(H3Connection):
    """aioquic's HTTP/3 with the SETTINGS the check asks for."""

    local_settings: dict[int, int] = {}

    def _get_local_settings(self) -> dict[int, int]:
        return dict(self.local_settings)


@dataclass
class StreamState:
    headers: list[tuple[bytes, bytes]] | None = None
    data: bytes = b""
    ended: bool = False
    reset: int | None = None
    stop_sending: int | None = None
    datagrams: list[bytes] = field(default_factory=list)

    @property
    def status(self) -> int | None:
        for name, value in self.headers or []:
            if name == b":status":
                return int(value)
        return None

    def header(self, name: bytes) -> bytes | None:
        return next((v for n, v in self.headers or [] if n == name), None)

    @property
    def aborted(self) -> int | None:
        return self.reset if self.reset is not None else self.stop_sending

    def capsules(self) -> tuple[list[M.Capsule], bytes]:
        """Complete capsules received so far, and the undecodable remainder."""
        found: list[M.Capsule] = []
        offset = 0
        while offset < len(self.data):
            try:
                capsule, offset = M.Capsule.decode_prefix(self.data, offset)
            except M.DecodeError:
                break
            found.append(capsule)
        return found, self.data[offset:]


def default_settings(h3_datagram: int | None = 1) -> dict[int, int]:
    settings = {SETTINGS_QPACK_MAX_TABLE_CAPACITY: 0, SETTINGS_QPACK_BLOCKED_STREAMS: 0}
    if h3_datagram is not None:
        settings[C.H3_SETTINGS_H3_DATAGRAM] = h3_datagram
    return settings


class H3Peer:
    def __init__(
        self,
        host: str,
        port: int,
        server_name: str = "localhost",
        *,
        settings: dict[int, int] | None = None,
        max_datagram_frame_size: int | None = 65535,
    ) -> None:
        self.streams: dict[int, StreamState] = {}
        self.h3: _SuiteH3 | None = None
        self._settings = default_settings() if settings is None else settings
        self.client = QuicClient(
            host,
            port,
            C.MASQUE_ALPN,
            server_name,
            max_datagram_frame_size=max_datagram_frame_size,
            handler=self._event,
        )

    def connect(self, timeout: float) -> None:
        self.client.connect(timeout)
        self.client.until(lambda: self.peer_settings is not None, timeout)

    @property
    def terminated(self) -> events.ConnectionTerminated | None:
        return self.client.terminated

    @property
    def peer_settings(self) -> dict[int, int] | None:
        return self.h3.received_settings if self.h3 else None

    def stream(self, stream_id: int) -> StreamState:
        return self.streams.setdefault(stream_id, StreamState())

    def _event(self, event: events.QuicEvent) -> None:
        if isinstance(event, events.ProtocolNegotiated):
            _SuiteH3.local_settings = self._settings
            self.h3 = _SuiteH3(self.client.quic)
        if isinstance(event, events.StreamReset):
            self.stream(event.stream_id).reset = event.error_code
        if isinstance(event, events.StopSendingReceived):
            self.stream(event.stream_id).stop_sending = event.error_code
        if self.h3 is None:
            return
        for h3_event in self.h3.handle_event(event):
            if isinstance(h3_event, HeadersReceived):
                state = self.stream(h3_event.stream_id)
                state.headers = list(h3_event.headers)
                state.ended |= h3_event.stream_ended
            elif isinstance(h3_event, DataReceived):
                state = self.stream(h3_event.stream_id)
                state.data += h3_event.data
                state.ended |= h3_event.stream_ended
            elif isinstance(h3_event, DatagramReceived):
                self.stream(h3_event.stream_id).datagrams.append(h3_event.data)

    def request(self, headers: list[tuple[bytes, bytes]], end_stream: bool = False) -> int:
        assert self.h3 is not None
        stream_id = self.client.quic.get_next_available_stream_id()
        self.h3.send_headers(stream_id, headers, end_stream=end_stream)
        self.stream(stream_id)
        self.client.flush()
        return stream_id

    def send_stream_data(self, stream_id: int, data: bytes, end_stream: bool = False) -> None:
        """Capsule bytes inside HTTP/3 DATA frames on the request stream."""
        assert self.h3 is not None
        self.h3.send_data(stream_id, data, end_stream=end_stream)
        self.client.flush()

    def send_capsule(
        self,
        stream_id: int,
        capsule_type: int,
        value: bytes,
        *,
        type_length: int | None = None,
        length_length: int | None = None,
    ) -> None:
        """One capsule, optionally with non-minimal varints for its type and length."""
        data = (
            M.QuicVarint(capsule_type, type_length).encode()
            + M.QuicVarint(len(value), length_length).encode()
            + value
        )
        self.send_stream_data(stream_id, data)

    def send_datagram(
        self,
        quarter_stream_id: int,
        context_id: int,
        payload: bytes,
        *,
        qsid_length: int | None = None,
        context_length: int | None = None,
    ) -> None:
        """An HTTP/3 datagram written by hand: quarter stream ID ‖ context ID ‖ payload (RFC 9297 §2.1)."""
        raw = (
            M.QuicVarint(quarter_stream_id, qsid_length).encode()
            + M.QuicVarint(context_id, context_length).encode()
            + payload
        )
        self.send_raw_datagram(raw)

    def send_raw_datagram(self, raw: bytes) -> None:
        self.client.quic.send_datagram_frame(raw)
        self.client.flush()

    def until(self, condition: object, timeout: float) -> bool:
        return self.client.until(condition, timeout)  # type: ignore[arg-type]

    def close(self) -> None:
        self.client.close()


def connect_headers(
    protocol: bytes,
    path: bytes,
    authority: bytes,
    token: bytes | None = None,
    drop: tuple[bytes, ...] = (),
    method: bytes = b"CONNECT",
) -> list[tuple[bytes, bytes]]:
    """An extended CONNECT request (RFC 9220 §3 / RFC 9484 §4.4), minus the pseudo-headers in ``drop``."""
    headers = [
        (b":method", method),
        (b":protocol", protocol),
        (b":scheme", b"https"),
        (b":authority", authority),
        (b":path", path),
        (b"capsule-protocol", b"?1"),
    ]
    if token is not None:
        headers.append((b"authorization", b"Bearer " + token))
    return [h for h in headers if h[0] not in drop]
