"""The structured drop trace: every datagram or packet the core refuses is recorded with a reason.

Peer faults never raise out of the core (BRIEF §3); they end up here, so tests, ``oxidize status`` and
metrics can say *why* something was dropped.  The trace is bounded: the newest records are kept and a
counter per reason is kept forever.
"""

from __future__ import annotations

import enum
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass

from oxtunnel.types import PeerAddress


class DropReason(enum.Enum):
    """Why the core dropped a datagram (from the wire) or a packet (from the local device)."""

    # framing
    MALFORMED = "malformed"  # a codec refused the bytes (DecodeError)
    BAD_FLAGS = "bad_flags"  # reserved bit or a flag combination that does not exist
    UNKNOWN_MESSAGE_TYPE = "unknown_message_type"
    UNEXPECTED_MESSAGE = "unexpected_message"  # valid message, wrong role or state
    # envelope
    UNKNOWN_RECEIVER_INDEX = "unknown_receiver_index"
    AUTHENTICATION_FAILED = "authentication_failed"  # AEAD tag did not verify
    REPLAYED = "replayed"  # counter seen already, or older than the window
    SEQUENCE_MISMATCH = "sequence_mismatch"  # header seq is not the low 32 bits of the counter
    KEYPAIR_EXPIRED = "keypair_expired"  # REJECT_AFTER_TIME / _MESSAGES reached
    PLAINTEXT_REFUSED = "plaintext_refused"  # unencrypted envelope on a session that must encrypt
    # handshake
    MAC1_INVALID = "mac1_invalid"  # sender does not know our public key: never answered
    COOKIE_REQUIRED = "cookie_required"  # under load without a valid mac2: cookie reply sent
    HANDSHAKE_RATE_LIMITED = "handshake_rate_limited"
    HANDSHAKE_FAILED = "handshake_failed"  # Noise decryption failed (wrong key, tampering)
    UNKNOWN_PEER = "unknown_peer"  # static key not in the peers list: no reply at all
    TIMESTAMP_REPLAYED = "timestamp_replayed"  # TAI64N not newer than the last accepted one
    NO_COMMON_CIPHER = "no_common_cipher"
    PLAINTEXT_NOT_ALLOWED = "plaintext_not_allowed"  # response tried to disable encryption unasked
    BAD_SESSION_CONFIG = "bad_session_config"
    ADDRESS_POOL_EXHAUSTED = "address_pool_exhausted"
    SESSION_LIMIT = "session_limit"
    NO_USABLE_ADDRESS = "no_usable_address"  # no pool of a family the client asked for: refused
    COOKIE_INVALID = "cookie_invalid"
    # inner packets
    INVALID_PACKET = "invalid_packet"  # not an IPv4/IPv6 packet, or the IPV6 flag disagrees
    SPOOFED_SOURCE = "spoofed_source"  # inner source is not the address assigned to the peer
    DESTINATION_REFUSED = "destination_refused"  # destination policy (loopback, link-local, metadata, …)
    NO_ROUTE = "no_route"  # no session owns the inner destination
    PACKET_RATE_LIMITED = "packet_rate_limited"
    DECOMPRESSION_FAILED = "decompression_failed"
    TOO_LARGE = "too_large"  # bigger than the session MTU allows
    NO_SESSION = "no_session"  # packet to send while no session and the queue is full
    UNKNOWN_CONTROL_TYPE = "unknown_control_type"


@dataclass(frozen=True, slots=True)
class TraceRecord:
    """One drop: when, why, from/to whom, and a short human detail."""

    now: float
    reason: DropReason
    peer: PeerAddress | None
    detail: str = ""


class Trace:
    """Bounded log of drops plus a counter per reason."""

    __slots__ = ("records", "counts")

    def __init__(self, maxlen: int = 1024) -> None:
        self.records: deque[TraceRecord] = deque(maxlen=maxlen)
        self.counts: Counter[DropReason] = Counter()

    def drop(self, now: float, reason: DropReason, peer: PeerAddress | None = None, detail: str = "") -> None:
        self.records.append(TraceRecord(now, reason, peer, detail))
        self.counts[reason] += 1

    def count(self, reason: DropReason) -> int:
        return self.counts[reason]

    @property
    def last(self) -> TraceRecord | None:
        return self.records[-1] if self.records else None

    def reasons(self) -> list[DropReason]:
        return [r.reason for r in self.records]

    def __iter__(self) -> Iterator[TraceRecord]:
        return iter(self.records)

    def __len__(self) -> int:
        return sum(self.counts.values())
