# Generated from spec/legacy/*.ksy by spec/codegen — do not edit; run `make generate`.
"""The legacy (Rust Oxidize) dialect; only conformance/ may import it."""

from __future__ import annotations

from generated.codecs._runtime import DecodeError, EncodeError
from generated.legacy.codecs import constants
from generated.legacy.codecs.legacy_batch import LegacyBatch
from generated.legacy.codecs.legacy_batch_entry import LegacyBatchEntry
from generated.legacy.codecs.legacy_compressed import LegacyCompressed
from generated.legacy.codecs.legacy_handshake_init import LegacyHandshakeInit
from generated.legacy.codecs.legacy_handshake_init_auth import LegacyHandshakeInitAuth
from generated.legacy.codecs.legacy_handshake_response import LegacyHandshakeResponse
from generated.legacy.codecs.legacy_lz4_block import LegacyLz4Block
from generated.legacy.codecs.legacy_packet import LegacyPacket
from generated.legacy.codecs.legacy_ping import LegacyPing
from generated.legacy.codecs.legacy_pong import LegacyPong
from generated.legacy.codecs.legacy_short_control import LegacyShortControl
from generated.legacy.codecs.legacy_tcp_frame import LegacyTcpFrame

__all__ = [
    "DecodeError",
    "EncodeError",
    "LegacyBatch",
    "LegacyBatchEntry",
    "LegacyCompressed",
    "LegacyHandshakeInit",
    "LegacyHandshakeInitAuth",
    "LegacyHandshakeResponse",
    "LegacyLz4Block",
    "LegacyPacket",
    "LegacyPing",
    "LegacyPong",
    "LegacyShortControl",
    "LegacyTcpFrame",
    "constants",
]
