"""HTTP/3 for MASQUE on aioquic: datagram settings, datagram checks, and extended-CONNECT validation.

aioquic's `H3Connection` sends SETTINGS_ENABLE_CONNECT_PROTOCOL=1 but H3_DATAGRAM only together with
WebTransport; `MasqueH3Connection` always sends H3_DATAGRAM=1 (requirement 17) and never WebTransport.
It also closes the two gaps in aioquic's datagram intake: a Quarter Stream ID above 2^60-1 is a
connection error H3_DATAGRAM_ERROR (requirement 19), and datagrams are only surfaced once H3_DATAGRAM=1
has been both sent and received (requirement 15; earlier ones are dropped).

`check_request` is the extended-CONNECT rule table (requirements 11, 12, 28, 39): it returns what to do
with a request — accept, a stream error, or a status code.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from aioquic.buffer import Buffer, BufferReadError
from aioquic.h3.connection import DatagramError, ErrorCode, H3Connection, MessageError, Setting
from aioquic.h3.events import DatagramReceived, H3Event
from aioquic.quic.connection import QuicConnection
from aioquic.quic.events import StreamDataReceived

from runtimes.wire import QUARTER_STREAM_ID_MAX

H3_MESSAGE_ERROR = int(ErrorCode.H3_MESSAGE_ERROR)
H3_DATAGRAM_ERROR = int(ErrorCode.H3_DATAGRAM_ERROR)
H3_REQUEST_CANCELLED = int(ErrorCode.H3_REQUEST_CANCELLED)
H3_ID_ERROR = int(ErrorCode.H3_ID_ERROR)

PROTOCOLS = ("connect-udp", "connect-ip")


class MasqueH3Connection(H3Connection):
    """H3Connection with HTTP Datagrams (RFC 9297) enabled and checked."""

    def __init__(self, quic: QuicConnection) -> None:
        self.malformed_streams: set[int] = set()
        super().__init__(quic)

    def _receive_stream_data(self, event: StreamDataReceived) -> list[H3Event]:
        """A malformed message is a *stream* error H3_MESSAGE_ERROR (RFC 9114 §4.1.2); aioquic would
        close the whole connection, taking every other tunnel of this client with it."""
        if event.stream_id in self.malformed_streams:
            return []
        try:
            return super()._receive_stream_data(event)
        except MessageError:
            if event.stream_id % 4 != 0:  # not a request stream: keep aioquic's connection error
                raise
            self.malformed_streams.add(event.stream_id)
            self._stream.pop(event.stream_id, None)
            for abort in (self._quic.reset_stream, self._quic.stop_stream):
                with contextlib.suppress(Exception):  # the stream may already be closed that way
                    abort(event.stream_id, int(ErrorCode.H3_MESSAGE_ERROR))
            return []

    def _get_local_settings(self) -> dict[int, int]:
        settings = super()._get_local_settings()
        settings[Setting.ENABLE_CONNECT_PROTOCOL] = 1
        settings[Setting.H3_DATAGRAM] = 1
        return settings

    @property
    def datagrams_negotiated(self) -> bool:
        """H3_DATAGRAM=1 sent and received: HTTP datagrams may flow (otherwise use DATAGRAM capsules)."""
        received = self.received_settings or {}
        sent = self.sent_settings or {}
        return received.get(Setting.H3_DATAGRAM) == 1 and sent.get(Setting.H3_DATAGRAM) == 1

    def _receive_datagram(self, data: bytes) -> list[H3Event]:
        buf = Buffer(data=data)
        try:
            quarter_stream_id = buf.pull_uint_var()
        except BufferReadError:
            raise DatagramError("Could not parse quarter stream ID") from None
        if quarter_stream_id > QUARTER_STREAM_ID_MAX:
            raise DatagramError("Quarter stream ID exceeds 2^60-1")
        if not self.datagrams_negotiated:
            return []
        return [DatagramReceived(data=data[buf.tell() :], stream_id=quarter_stream_id * 4)]


@dataclass(frozen=True)
class Verdict:
    """What to do with a request: `protocol` set = accept; else a stream error or a status."""

    protocol: str | None = None
    stream_error: int | None = None
    status: int | None = None
    reason: str = ""


def _single(headers: list[tuple[bytes, bytes]], name: bytes) -> list[bytes]:
    return [v for k, v in headers if k == name]


def capsule_protocol_header(values: list[bytes]) -> bool:
    """Capsule-Protocol as a Structured Field Boolean: `?1` (parameters ignored); twice = a List = absent."""
    if len(values) != 1:
        return False
    item = values[0].split(b";", 1)[0].strip()
    return item == b"?1"


# (test, verdict) — checked in order; the first that matches decides (requirements 11, 12, 28, 39).
def _rules() -> list[tuple[object, Verdict]]:
    def has(name: bytes):  # type: ignore[no-untyped-def]
        return lambda h, d: bool(_single(h, name))

    return [
        (
            lambda h, d: d.get(b":method") != b"CONNECT" and has(b":protocol")(h, d),
            Verdict(stream_error=H3_MESSAGE_ERROR, reason=":protocol on a request that is not CONNECT"),
        ),
        (
            lambda h, d: (
                d.get(b":method") == b"CONNECT"
                and has(b":protocol")(h, d)
                and not (d.get(b":scheme") and d.get(b":path") and d.get(b":authority"))
            ),
            Verdict(
                stream_error=H3_MESSAGE_ERROR, reason="extended CONNECT without :scheme, :path and :authority"
            ),
        ),
        (
            lambda h, d: d.get(b":method") == b"CONNECT" and not has(b":protocol")(h, d),
            Verdict(status=501, reason="plain CONNECT is not offered; use connect-udp or connect-ip"),
        ),
        (
            lambda h, d: d.get(b":method") != b"CONNECT",
            Verdict(status=404, reason="this endpoint only serves MASQUE"),
        ),
        (
            lambda h, d: d.get(b":protocol", b"").decode("latin-1") not in PROTOCOLS,
            Verdict(status=501, reason="unknown :protocol"),
        ),
        (
            lambda h, d: any(
                _single(h, n) for n in (b"content-length", b"content-type", b"transfer-encoding")
            ),
            Verdict(stream_error=H3_MESSAGE_ERROR, reason="capsule protocol with content headers"),
        ),
    ]


RULES = _rules()


def check_request(headers: list[tuple[bytes, bytes]]) -> Verdict:
    d: dict[bytes, bytes] = {}
    for k, v in headers:
        d.setdefault(k, v)
    for test, verdict in RULES:
        if test(headers, d):  # type: ignore[operator]
            return verdict
    return Verdict(protocol=d[b":protocol"].decode("latin-1"))
