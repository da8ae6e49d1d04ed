"""The core's one door to the generated codecs (``generated.codecs``): every byte on the wire passes here.

Re-exports the structures, constants and hot-path helpers the core uses, and adds the conversions
between the wire's ``session_config`` and the runtime-friendly ``SessionParameters``.  Nothing in
``oxtunnel/`` packs a wire structure by hand.
"""

from __future__ import annotations

import ipaddress

from generated.codecs import (
    Batch,
    BatchEntry,
    CompressionEnvelope,
    ControlMessage,
    CookieReply,
    DecodeError,
    EncodeError,
    HandshakeInit,
    HandshakeResponse,
    InitPayload,
    IpAddress,
    IpPrefix,
    SessionConfig,
    fast,
)
from generated.codecs import constants as C
from oxtunnel.events import SessionParameters

__all__ = [
    "Batch",
    "BatchEntry",
    "CompressionEnvelope",
    "ControlMessage",
    "CookieReply",
    "DecodeError",
    "EncodeError",
    "HandshakeInit",
    "HandshakeResponse",
    "InitPayload",
    "SessionConfig",
    "fast",
]

Codec = HandshakeInit | HandshakeResponse

ControlType = C.ControlType
DisconnectReason = C.DisconnectReason
Cipher = C.Cipher
Features = C.Features

MAGIC = C.MAGIC
HEADER_SIZE = C.HEADER_SIZE
TAG_SIZE = C.TAG_SIZE
MAC_SIZE = C.MAC_SIZE
ENVELOPE_PREFIX_SIZE = C.ENVELOPE_PREFIX_SIZE
ENVELOPE_OVERHEAD = C.ENVELOPE_OVERHEAD
MIN_ENVELOPE_LENGTH = C.MIN_ENVELOPE_LENGTH
HANDSHAKE_FLAGS = fast.HANDSHAKE_FLAGS
NOISE_PROTOCOL_NAME = C.NOISE_PROTOCOL_NAME
NOISE_PROLOGUE = C.NOISE_PROLOGUE
COOKIE_REFRESH_TIME = C.COOKIE_REFRESH_TIME

FLAG_ENCRYPTED = int(C.Flags.ENCRYPTED)
FLAG_COMPRESSED = int(C.Flags.COMPRESSED)
FLAG_BATCH = int(C.Flags.BATCH)
FLAG_CONTROL = int(C.Flags.CONTROL)
FLAG_IPV6 = int(C.Flags.IPV6)

pack_envelope_prefix = fast.pack_envelope_prefix
unpack_envelope_prefix = fast.unpack_envelope_prefix

BATCH_OVERHEAD = fast.BATCH_OVERHEAD  # batch count (u2)
BATCH_ENTRY_OVERHEAD = fast.BATCH_ENTRY_OVERHEAD  # length prefix (u2) of each batch entry

# -- control messages ---------------------------------------------------------------------------------

_KEEPALIVE = ControlMessage(ControlType.KEEPALIVE)


def control_keepalive() -> ControlMessage:
    return _KEEPALIVE


def control_disconnect(reason: int) -> ControlMessage:
    return ControlMessage(ControlType.DISCONNECT, reason=DisconnectReason(reason))


def control_ack(counter: int) -> ControlMessage:
    return ControlMessage(ControlType.ACK, acked_counter=counter)


def control_key_rotation(retired_index: int) -> ControlMessage:
    return ControlMessage(ControlType.KEY_ROTATION, retired_index=retired_index)


_REKEY_REQUEST = ControlMessage(ControlType.REKEY_REQUEST)


def control_rekey_request() -> ControlMessage:
    return _REKEY_REQUEST


def control_config_update(config_id: int, config: SessionConfig) -> ControlMessage:
    return ControlMessage(ControlType.CONFIG_UPDATE, config_id=config_id, config=config)


# -- batch and compression envelopes ---------------------------------------------------------------


# generated function forms (no dataclass per inner packet); same checks and errors as Batch.encode/decode
encode_batch = fast.encode_batch
decode_batch = fast.decode_batch


def encode_compression_envelope(original_length: int, block: bytes) -> bytes:
    return CompressionEnvelope(original_length, block).encode()


def decode_compression_envelope(body: bytes) -> tuple[int, bytes]:
    envelope = CompressionEnvelope.decode(body)
    return envelope.original_length, envelope.block


# -- session_config <-> SessionParameters --------------------------------------------------------------

_NO_V4 = bytes(4)
_NO_V6 = bytes(16)


def parameters_from_config(config: SessionConfig) -> SessionParameters:
    """Decode addresses and prefixes into ipaddress objects; ValueError for an inconsistent config."""
    ipv4 = ipv6 = None
    if config.ipv4_address != _NO_V4 or config.ipv4_prefix_length:
        ipv4 = ipaddress.IPv4Interface((config.ipv4_address, config.ipv4_prefix_length))
    if config.ipv6_address != _NO_V6 or config.ipv6_prefix_length:
        ipv6 = ipaddress.IPv6Interface((config.ipv6_address, config.ipv6_prefix_length))
    dns = tuple(ipaddress.ip_address(entry.address) for entry in config.dns_servers)
    routes = tuple(ipaddress.ip_network((entry.address, entry.prefix_length)) for entry in config.routes)
    return SessionParameters(
        cipher=int(config.cipher),
        features=int(config.features),
        mtu=config.mtu,
        keepalive_interval=config.keepalive_interval,
        ipv4=ipv4,
        ipv6=ipv6,
        dns_servers=dns,
        routes=routes,
    )


def config_from_parameters(parameters: SessionParameters) -> SessionConfig:
    v4, v6 = parameters.ipv4, parameters.ipv6
    return SessionConfig(
        cipher=Cipher(parameters.cipher),
        features=parameters.features,
        mtu=parameters.mtu,
        keepalive_interval=parameters.keepalive_interval,
        ipv4_address=v4.ip.packed if v4 is not None else _NO_V4,
        ipv4_prefix_length=v4.network.prefixlen if v4 is not None else 0,
        ipv6_address=v6.ip.packed if v6 is not None else _NO_V6,
        ipv6_prefix_length=v6.network.prefixlen if v6 is not None else 0,
        dns_servers=tuple(IpAddress(a.version, a.packed) for a in parameters.dns_servers),
        routes=tuple(IpPrefix(n.version, n.network_address.packed, n.prefixlen) for n in parameters.routes),
    )
