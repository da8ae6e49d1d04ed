# Generated from spec/header.ksy, spec/data_envelope.ksy, spec/batch.ksy and spec/tcp_frame.ksy by spec/codegen — do not edit; run `make generate`.
"""Hot-path helpers for the header, the data envelope, batches and TCP framing (precompiled
struct.Struct).

The protocol core calls these per packet. They check exactly what Header/DataEnvelope/Batch/TcpFrame
.decode() check, without building dataclasses. Packers trust their arguments (the caller is the sender)
except for what struct itself refuses; encode_batch checks what Batch.encode() checks.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from generated.codecs._runtime import Buffer, DecodeError, EncodeError

MAGIC = 0x4f58
HEADER_SIZE = 9
HEADER_STRUCT = struct.Struct('>HBIH')
"""magic, flags, seq, length"""
HEADER_FLAGS = frozenset({0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x10, 0x11, 0x12, 0x13})
"""Every flags value a header may carry (header.ksy `valid`)."""
ENVELOPE_FLAGS = frozenset({0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x09, 0x10, 0x11, 0x12, 0x13})
"""Every flags value an envelope may carry (data_envelope.ksy `valid`)."""
HANDSHAKE_FLAGS = 0x08
"""Flags of every handshake message (handshake_init.ksy, handshake_response.ksy, cookie_reply.ksy)."""

ENVELOPE_PREFIX_STRUCT = struct.Struct('>HBIHIQ')
"""magic, flags, seq, length, receiver_index, counter"""
ENVELOPE_PREFIX_SIZE = 21
NONCE_OFFSET = 9
NONCE_SIZE = 12
TAG_SIZE = 16
ENVELOPE_OVERHEAD = 37
ENVELOPE_LENGTH_EXTRA = 28
"""header length − body length"""
ENVELOPE_MIN_LENGTH = 28
ENVELOPE_MAX_LENGTH = 65526

BATCH_COUNT_STRUCT = struct.Struct('>H')
BATCH_LENGTH_STRUCT = struct.Struct('>H')
BATCH_OVERHEAD = 2
"""bytes of a batch before its first entry (count)"""
BATCH_ENTRY_OVERHEAD = 2
"""bytes of each entry before its packet (length)"""
BATCH_COUNT_MIN = 1
BATCH_COUNT_MAX = 65535
BATCH_PACKET_MIN = 1
BATCH_PACKET_MAX = 65535

TCP_FRAME_STRUCT = struct.Struct('>H')
TCP_FRAME_MIN = 9
TCP_FRAME_MAX = 65535

_ENV = "DataEnvelope"
_BATCH = 'Batch'
_ENTRY = 'BatchEntry'
_pack_header = HEADER_STRUCT.pack
_unpack_header = HEADER_STRUCT.unpack_from
_pack_prefix = ENVELOPE_PREFIX_STRUCT.pack
_pack_prefix_into = ENVELOPE_PREFIX_STRUCT.pack_into
_unpack_prefix = ENVELOPE_PREFIX_STRUCT.unpack_from
_pack_tcp = TCP_FRAME_STRUCT.pack
_pack_count = BATCH_COUNT_STRUCT.pack
_unpack_count = BATCH_COUNT_STRUCT.unpack_from
_pack_length = BATCH_LENGTH_STRUCT.pack
_unpack_length = BATCH_LENGTH_STRUCT.unpack_from
_unpack_tcp = TCP_FRAME_STRUCT.unpack_from


def pack_header(flags: int, seq: int, length: int) -> bytes:
    """The 9 header bytes."""
    return _pack_header(MAGIC, flags, seq, length)


def unpack_header(datagram: Buffer) -> tuple[int, int, int]:
    """(flags, seq, length) of a whole datagram, checking magic, flags and length == len − 9."""
    size = len(datagram)
    if size < HEADER_SIZE:
        raise DecodeError("Header", "magic", 0, f"needs {HEADER_SIZE} bytes, {size} left", truncated=True)
    magic, flags, seq, length = _unpack_header(datagram, 0)
    if magic != MAGIC:
        raise DecodeError("Header", "magic", 0, f"expected 4f58, got {magic:04x}")
    if flags not in HEADER_FLAGS:
        raise DecodeError("Header", "flags", 2, f"flags {flags:#04x} not allowed")
    if length != size - HEADER_SIZE:
        follow = size - HEADER_SIZE
        raise DecodeError("Header", "length", 7, f"{length} but {follow} bytes follow the header")
    return flags, seq, length


def pack_envelope_prefix(flags: int, receiver_index: int, counter: int, body_length: int) -> bytes:
    """The first 21 bytes of an envelope (header ‖ receiver_index ‖ counter) for a body of body_length."""
    length = body_length + ENVELOPE_LENGTH_EXTRA
    return _pack_prefix(MAGIC, flags, counter & 0xffffffff, length, receiver_index, counter)


def pack_envelope_prefix_into(
    buffer: bytearray | memoryview,
    offset: int,
    flags: int,
    receiver_index: int,
    counter: int,
    body_length: int,
) -> None:
    """Write the 21-byte prefix into buffer at offset (zero-copy batches)."""
    length = body_length + ENVELOPE_LENGTH_EXTRA
    _pack_prefix_into(buffer, offset, MAGIC, flags, counter & 0xffffffff, length, receiver_index, counter)


def unpack_envelope_prefix(datagram: Buffer) -> tuple[int, int, int]:
    """(flags, receiver_index, counter) of a whole envelope datagram after every DataEnvelope check.

    The AEAD inputs are then: AAD datagram[:9], nonce datagram[9:21], ciphertext‖tag datagram[21:].
    """
    size = len(datagram)
    if size < ENVELOPE_OVERHEAD:
        reason = f"needs {ENVELOPE_OVERHEAD} bytes, {size} left"
        raise DecodeError(_ENV, "magic", 0, reason, truncated=True)
    magic, flags, seq, length, receiver_index, counter = _unpack_prefix(datagram, 0)
    if magic != MAGIC:
        raise DecodeError(_ENV, "magic", 0, f"expected 4f58, got {magic:04x}")
    if flags not in ENVELOPE_FLAGS:
        raise DecodeError(_ENV, "flags", 2, f"flags {flags:#04x} not allowed in an envelope")
    if length != size - HEADER_SIZE:
        follow = size - HEADER_SIZE
        raise DecodeError(_ENV, "length", 7, f"{length} but {follow} bytes follow the header")
    if length > ENVELOPE_MAX_LENGTH:
        raise DecodeError(_ENV, "length", 7, f"must be at most {ENVELOPE_MAX_LENGTH}, got {length}")
    if not ((counter & 0xffffffff) == seq and counter < 18446744073709543423):
        reason = f"counter {counter} disagrees with seq {seq} or is too large"
        raise DecodeError(_ENV, "counter", 13, reason)
    return flags, receiver_index, counter


def pack_envelope(flags: int, receiver_index: int, counter: int, body: bytes, tag: bytes) -> bytes:
    """A whole envelope datagram."""
    return b"".join((pack_envelope_prefix(flags, receiver_index, counter, len(body)), body, tag))


def unpack_envelope(datagram: Buffer) -> tuple[int, int, int, bytes, bytes]:
    """(flags, receiver_index, counter, body, tag) of a whole envelope datagram."""
    flags, receiver_index, counter = unpack_envelope_prefix(datagram)
    data = bytes(datagram)
    return flags, receiver_index, counter, data[ENVELOPE_PREFIX_SIZE:-TAG_SIZE], data[-TAG_SIZE:]


def encode_batch(packets: Sequence[Buffer]) -> bytes:
    """The body of a batch (count ‖ (length ‖ packet)…), i.e. Batch(entries).encode() without a
    dataclass per packet; the same EncodeError for a packet or a count the spec forbids."""
    parts: list[Buffer] = [b""]
    append = parts.append
    for packet in packets:
        size = len(packet)
        if not BATCH_PACKET_MIN <= size <= BATCH_PACKET_MAX:
            reason = (
                f"{size} does not fit in 2 byte(s)"
                if size > BATCH_PACKET_MAX
                else f"must be at least {BATCH_PACKET_MIN}, got {size}"
            )
            raise EncodeError(_ENTRY, 'length', reason)
        append(_pack_length(size))
        append(packet)
    count = len(packets)
    if not BATCH_COUNT_MIN <= count <= BATCH_COUNT_MAX:
        reason = (
            f"{count} does not fit in 2 byte(s)"
            if count > BATCH_COUNT_MAX
            else f"must be at least {BATCH_COUNT_MIN}, got {count}"
        )
        raise EncodeError(_BATCH, 'count', reason)
    parts[0] = _pack_count(count)
    return b"".join(parts)


def decode_batch(body: Buffer) -> list[bytes]:
    """The packets of a batch body, with every check of Batch.decode() (count ≥ 1, entries
    of ≥ 1 byte, the body consumed exactly) and the same DecodeError, without dataclasses."""
    data = body if type(body) is bytes else bytes(body)
    end = len(data)
    if end < 2:
        reason = f"needs 2 bytes, {end} left"
        raise DecodeError(_BATCH, 'count', 0, reason, truncated=True)
    (count,) = _unpack_count(data, 0)
    if count < BATCH_COUNT_MIN:
        raise DecodeError(_BATCH, 'count', 0, f"must be at least {BATCH_COUNT_MIN}, got {count}")
    off = 2
    if count * 2 > end - off:
        reason = f"{count} items need at least {count * 2} bytes, {end - off} left"
        raise DecodeError(_BATCH, 'entries', off, reason, truncated=True)
    packets: list[bytes] = []
    append = packets.append
    for _ in range(count):
        if end - off < 2:
            reason = f"needs 2 bytes, {end - off} left"
            raise DecodeError(_ENTRY, 'length', off, reason, truncated=True)
        (size,) = _unpack_length(data, off)
        if size < BATCH_PACKET_MIN:
            reason = f"must be at least {BATCH_PACKET_MIN}, got {size}"
            raise DecodeError(_ENTRY, 'length', off, reason)
        off += 2
        if end - off < size:
            reason = f"needs {size} bytes, {end - off} left"
            raise DecodeError(_ENTRY, 'packet', off, reason, truncated=True)
        append(data[off : off + size])
        off += size
    if off != end:
        raise DecodeError(_BATCH, "(end)", off, f"{end - off} trailing bytes")
    return packets


def pack_tcp_frame(datagram: bytes) -> bytes:
    """One TCP stream frame (length prefix ‖ datagram)."""
    size = len(datagram)
    if not TCP_FRAME_MIN <= size <= TCP_FRAME_MAX:
        raise ValueError(f"a TCP frame carries {TCP_FRAME_MIN} … {TCP_FRAME_MAX} bytes, not {size}")
    return _pack_tcp(size) + datagram


def split_tcp_frames(stream: Buffer) -> tuple[list[bytes], int]:
    """The complete frames at the start of a TCP byte stream and how many bytes they used.

    A frame_length below TCP_FRAME_MIN is a DecodeError (the connection is unusable); an incomplete
    frame at the end is left for the next read.
    """
    frames: list[bytes] = []
    data = bytes(stream)
    off, end = 0, len(data)
    while end - off >= 2:
        (length,) = _unpack_tcp(data, off)
        if length < TCP_FRAME_MIN:
            reason = f"must be at least {TCP_FRAME_MIN}, got {length}"
            raise DecodeError("TcpFrame", "frame_length", off, reason)
        if end - off - 2 < length:
            break
        frames.append(data[off + 2:off + 2 + length])
        off += 2 + length
    return frames, off
