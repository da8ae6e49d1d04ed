# Generated from spec/*.ksy by spec/codegen — do not edit; run `make generate`.
"""OxTunnel v3 codecs: one dataclass per structure of spec/*.ksy."""

from __future__ import annotations

from generated.codecs import constants, fast
from generated.codecs._runtime import DecodeError, EncodeError
from generated.codecs.batch import Batch
from generated.codecs.batch_entry import BatchEntry
from generated.codecs.compression_envelope import CompressionEnvelope
from generated.codecs.control_message import ControlMessage
from generated.codecs.cookie_reply import CookieReply
from generated.codecs.data_envelope import DataEnvelope
from generated.codecs.fast import (
    decode_batch,
    encode_batch,
    pack_envelope,
    pack_envelope_prefix,
    pack_envelope_prefix_into,
    pack_header,
    pack_tcp_frame,
    split_tcp_frames,
    unpack_envelope,
    unpack_envelope_prefix,
    unpack_header,
)
from generated.codecs.handshake_init import HandshakeInit
from generated.codecs.handshake_response import HandshakeResponse
from generated.codecs.header import Header
from generated.codecs.init_payload import InitPayload
from generated.codecs.ip_address import IpAddress
from generated.codecs.ip_prefix import IpPrefix
from generated.codecs.session_config import SessionConfig
from generated.codecs.tcp_frame import TcpFrame

__all__ = [
    "Batch",
    "BatchEntry",
    "CompressionEnvelope",
    "ControlMessage",
    "CookieReply",
    "DataEnvelope",
    "DecodeError",
    "EncodeError",
    "HandshakeInit",
    "HandshakeResponse",
    "Header",
    "InitPayload",
    "IpAddress",
    "IpPrefix",
    "SessionConfig",
    "TcpFrame",
    "constants",
    "decode_batch",
    "encode_batch",
    "fast",
    "pack_envelope",
    "pack_envelope_prefix",
    "pack_envelope_prefix_into",
    "pack_header",
    "pack_tcp_frame",
    "split_tcp_frames",
    "unpack_envelope",
    "unpack_envelope_prefix",
    "unpack_header",
]
