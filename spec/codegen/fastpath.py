"""Emit generated/codecs/fast.py: per-packet helpers for the header, the data envelope, batches and TCP
framing.

Formats, flag tables, offsets and checks are all computed from header.ksy, data_envelope.ksy,
batch.ksy/batch_entry.ksy and tcp_frame.ksy; the helpers raise the same DecodeError/EncodeError (same
structure, field and offset) as the dataclass codecs, and tests check both agree on every vector.
"""

from __future__ import annotations

from spec.codegen import expr
from spec.codegen.model import Field, Profile, SpecError, Struct
from spec.codegen.pycodec import _FMT, header

_TEMPLATE = '''\
{banner}"""Hot-path helpers for the header, the data envelope, batches and TCP framing (precompiled
struct.Struct).

The protocol core calls these per packet. They check exactly what Header/DataEnvelope/Batch/TcpFrame
.decode() check, without building dataclasses. Packers trust their arguments (the caller is the sender)
except for what struct itself refuses; encode_batch checks what Batch.encode() checks.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from generated.codecs._runtime import Buffer, DecodeError, EncodeError

MAGIC = {magic:#06x}
HEADER_SIZE = {header_size}
HEADER_STRUCT = struct.Struct({header_fmt!r})
"""magic, flags, seq, length"""
HEADER_FLAGS = frozenset({header_flags})
"""Every flags value a header may carry (header.ksy `valid`)."""
ENVELOPE_FLAGS = frozenset({envelope_flags})
"""Every flags value an envelope may carry (data_envelope.ksy `valid`)."""
HANDSHAKE_FLAGS = {handshake_flags:#04x}
"""Flags of every handshake message (handshake_init.ksy, handshake_response.ksy, cookie_reply.ksy)."""

ENVELOPE_PREFIX_STRUCT = struct.Struct({env_fmt!r})
"""magic, flags, seq, length, receiver_index, counter"""
ENVELOPE_PREFIX_SIZE = {env_prefix}
NONCE_OFFSET = {nonce_offset}
NONCE_SIZE = {nonce_size}
TAG_SIZE = {tag_size}
ENVELOPE_OVERHEAD = {overhead}
ENVELOPE_LENGTH_EXTRA = {length_extra}
"""header length − body length"""
ENVELOPE_MIN_LENGTH = {env_min}
ENVELOPE_MAX_LENGTH = {env_max}

BATCH_COUNT_STRUCT = struct.Struct({batch_count_fmt!r})
BATCH_LENGTH_STRUCT = struct.Struct({batch_length_fmt!r})
BATCH_OVERHEAD = {batch_count_size}
"""bytes of a batch before its first entry (count)"""
BATCH_ENTRY_OVERHEAD = {batch_length_size}
"""bytes of each entry before its packet (length)"""
BATCH_COUNT_MIN = {batch_count_min}
BATCH_COUNT_MAX = {batch_count_max}
BATCH_PACKET_MIN = {batch_length_min}
BATCH_PACKET_MAX = {batch_length_max}

TCP_FRAME_STRUCT = struct.Struct({tcp_fmt!r})
TCP_FRAME_MIN = {tcp_min}
TCP_FRAME_MAX = {tcp_max}

_ENV = "DataEnvelope"
_BATCH = {batch_name!r}
_ENTRY = {entry_name!r}
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
        raise DecodeError("Header", "magic", 0, f"needs {{HEADER_SIZE}} bytes, {{size}} left", truncated=True)
    magic, flags, seq, length = _unpack_header(datagram, 0)
    if magic != MAGIC:
        raise DecodeError("Header", "magic", 0, f"expected {magic:04x}, got {{magic:04x}}")
    if flags not in HEADER_FLAGS:
        raise DecodeError("Header", "flags", 2, f"flags {{flags:#04x}} not allowed")
    if length != size - HEADER_SIZE:
        follow = size - HEADER_SIZE
        raise DecodeError("Header", "length", 7, f"{{length}} but {{follow}} bytes follow the header")
    return flags, seq, length


def pack_envelope_prefix(flags: int, receiver_index: int, counter: int, body_length: int) -> bytes:
    """The first 21 bytes of an envelope (header ‖ receiver_index ‖ counter) for a body of body_length."""
    length = body_length + ENVELOPE_LENGTH_EXTRA
    return _pack_prefix(MAGIC, flags, {seq_from_counter}, length, receiver_index, counter)


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
    _pack_prefix_into(buffer, offset, MAGIC, flags, {seq_from_counter}, length, receiver_index, counter)


def unpack_envelope_prefix(datagram: Buffer) -> tuple[int, int, int]:
    """(flags, receiver_index, counter) of a whole envelope datagram after every DataEnvelope check.

    The AEAD inputs are then: AAD datagram[:9], nonce datagram[9:21], ciphertext‖tag datagram[21:].
    """
    size = len(datagram)
    if size < ENVELOPE_OVERHEAD:
        reason = f"needs {{ENVELOPE_OVERHEAD}} bytes, {{size}} left"
        raise DecodeError(_ENV, "magic", 0, reason, truncated=True)
    magic, flags, seq, length, receiver_index, counter = _unpack_prefix(datagram, 0)
    if magic != MAGIC:
        raise DecodeError(_ENV, "magic", 0, f"expected {magic:04x}, got {{magic:04x}}")
    if flags not in ENVELOPE_FLAGS:
        raise DecodeError(_ENV, "flags", 2, f"flags {{flags:#04x}} not allowed in an envelope")
    if length != size - HEADER_SIZE:
        follow = size - HEADER_SIZE
        raise DecodeError(_ENV, "length", 7, f"{{length}} but {{follow}} bytes follow the header")
    if length > ENVELOPE_MAX_LENGTH:
        raise DecodeError(_ENV, "length", 7, f"must be at most {{ENVELOPE_MAX_LENGTH}}, got {{length}}")
    if not ({counter_check}):
        reason = f"counter {{counter}} disagrees with seq {{seq}} or is too large"
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
                f"{{size}} does not fit in {batch_length_size} byte(s)"
                if size > BATCH_PACKET_MAX
                else f"must be at least {{BATCH_PACKET_MIN}}, got {{size}}"
            )
            raise EncodeError(_ENTRY, {length_id!r}, reason)
        append(_pack_length(size))
        append(packet)
    count = len(packets)
    if not BATCH_COUNT_MIN <= count <= BATCH_COUNT_MAX:
        reason = (
            f"{{count}} does not fit in {batch_count_size} byte(s)"
            if count > BATCH_COUNT_MAX
            else f"must be at least {{BATCH_COUNT_MIN}}, got {{count}}"
        )
        raise EncodeError(_BATCH, {count_id!r}, reason)
    parts[0] = _pack_count(count)
    return b"".join(parts)


def decode_batch(body: Buffer) -> list[bytes]:
    """The packets of a batch body, with every check of Batch.decode() (count ≥ {batch_count_min}, entries
    of ≥ {batch_length_min} byte, the body consumed exactly) and the same DecodeError, without dataclasses."""
    data = body if type(body) is bytes else bytes(body)
    end = len(data)
    if end < {batch_count_size}:
        reason = f"needs {batch_count_size} bytes, {{end}} left"
        raise DecodeError(_BATCH, {count_id!r}, 0, reason, truncated=True)
    (count,) = _unpack_count(data, 0)
    if count < BATCH_COUNT_MIN:
        raise DecodeError(_BATCH, {count_id!r}, 0, f"must be at least {{BATCH_COUNT_MIN}}, got {{count}}")
    off = {batch_count_size}
    if count * {batch_length_size} > end - off:
        reason = f"{{count}} items need at least {{count * {batch_length_size}}} bytes, {{end - off}} left"
        raise DecodeError(_BATCH, {entries_id!r}, off, reason, truncated=True)
    packets: list[bytes] = []
    append = packets.append
    for _ in range(count):
        if end - off < {batch_length_size}:
            reason = f"needs {batch_length_size} bytes, {{end - off}} left"
            raise DecodeError(_ENTRY, {length_id!r}, off, reason, truncated=True)
        (size,) = _unpack_length(data, off)
        if size < BATCH_PACKET_MIN:
            reason = f"must be at least {{BATCH_PACKET_MIN}}, got {{size}}"
            raise DecodeError(_ENTRY, {length_id!r}, off, reason)
        off += {batch_length_size}
        if end - off < size:
            reason = f"needs {{size}} bytes, {{end - off}} left"
            raise DecodeError(_ENTRY, {packet_id!r}, off, reason, truncated=True)
        append(data[off : off + size])
        off += size
    if off != end:
        raise DecodeError(_BATCH, "(end)", off, f"{{end - off}} trailing bytes")
    return packets


def pack_tcp_frame(datagram: bytes) -> bytes:
    """One TCP stream frame (length prefix ‖ datagram)."""
    size = len(datagram)
    if not TCP_FRAME_MIN <= size <= TCP_FRAME_MAX:
        raise ValueError(f"a TCP frame carries {{TCP_FRAME_MIN}} … {{TCP_FRAME_MAX}} bytes, not {{size}}")
    return _pack_tcp(size) + datagram


def split_tcp_frames(stream: Buffer) -> tuple[list[bytes], int]:
    """The complete frames at the start of a TCP byte stream and how many bytes they used.

    A frame_length below TCP_FRAME_MIN is a DecodeError (the connection is unusable); an incomplete
    frame at the end is left for the next read.
    """
    frames: list[bytes] = []
    data = bytes(stream)
    off, end = 0, len(data)
    while end - off >= {tcp_prefix}:
        (length,) = _unpack_tcp(data, off)
        if length < TCP_FRAME_MIN:
            reason = f"must be at least {{TCP_FRAME_MIN}}, got {{length}}"
            raise DecodeError("TcpFrame", "frame_length", off, reason)
        if end - off - {tcp_prefix} < length:
            break
        frames.append(data[off + {tcp_prefix}:off + {tcp_prefix} + length])
        off += {tcp_prefix} + length
    return frames, off
'''


def _fmt(fields: list[Field]) -> str:
    parts = []
    for f in fields:
        if f.kind == "contents":
            assert f.contents is not None
            parts.append(_FMT[len(f.contents)])
        elif f.kind == "int":
            parts.append(_FMT[f.int_size])
        else:
            raise SpecError(f"fast path: field {f.id} is not a fixed integer")
    return ">" + "".join(parts)


def _flag_table(s: Struct) -> list[int]:
    rule = s.field_by_id("flags").valid
    if "expr" in rule:
        return [v for v in range(256) if expr.evaluate(rule["expr"], {"_": v})]
    return [int(rule["eq"])]


def _prefix(s: Struct, upto: str) -> list[Field]:
    out = []
    for f in s.fields:
        out.append(f)
        if f.id == upto:
            return out
    raise SpecError(f"{s.id}: no field {upto}")


def _py(text: str, mapping: dict[str, str]) -> str:
    ctx = expr.Context(name=lambda n: mapping[n], enum_value=lambda e, m: 0)
    return expr.to_python(expr.parse(text), ctx)


def _batch_shape(profile: Profile) -> dict[str, object]:
    """The template values of the batch helpers; SpecError unless batch.ksy is `count` then `count`
    entries of batch_entry, and batch_entry is `length` then `length` bytes of packet."""
    batch, entry = profile.struct("batch"), profile.struct("batch_entry")
    if len(batch.fields) != 2 or len(entry.fields) != 2:
        raise SpecError("fast path: batch/batch_entry must have exactly two fields each")
    count, entries = batch.fields
    length, packet = entry.fields
    if (
        count.kind != "int"
        or entries.kind != "struct"
        or entries.type_name != entry.id
        or entries.repeat != "expr"
        or entries.repeat_expr != count.id
        or length.kind != "int"
        or packet.kind != "bytes"
        or packet.size != length.id
    ):
        raise SpecError("fast path: batch must be count + count × (length + packet[length])")
    return {
        "batch_name": batch.class_name,
        "entry_name": entry.class_name,
        "count_id": count.id,
        "entries_id": entries.id,
        "length_id": length.id,
        "packet_id": packet.id,
        "batch_count_fmt": ">" + _FMT[count.int_size],
        "batch_length_fmt": ">" + _FMT[length.int_size],
        "batch_count_size": count.int_size,
        "batch_length_size": length.int_size,
        "batch_count_min": int(count.valid.get("min", 0)),
        "batch_count_max": int(count.valid.get("max", (1 << (8 * count.int_size)) - 1)),
        "batch_length_min": int(length.valid.get("min", 0)),
        "batch_length_max": int(length.valid.get("max", (1 << (8 * length.int_size)) - 1)),
    }


def generate(profile: Profile) -> str:
    hdr = profile.struct("header")
    env = profile.struct("data_envelope")
    tcp = profile.struct("tcp_frame")
    hs_flags = {
        int(profile.struct(n).field_by_id("flags").valid["eq"])
        for n in ("handshake_init", "handshake_response", "cookie_reply")
    }
    if len(hs_flags) != 1:
        raise SpecError("handshake messages disagree on their flags")
    header_fields = _prefix(hdr, "length")
    prefix_fields = _prefix(env, "counter")
    magic_field = hdr.field_by_id("magic")
    assert magic_field.contents is not None
    header_size = sum(f.fixed_size or 0 for f in header_fields)
    env_prefix = sum(f.fixed_size or 0 for f in prefix_fields)
    tag = env.field_by_id("tag").fixed_size or 0
    body_index = [f.id for f in env.fields].index("body")
    after_body = sum(f.fixed_size or 0 for f in env.fields[body_index + 1 :])
    length = env.field_by_id("length")
    counter = env.field_by_id("counter")
    seq = env.field_by_id("seq")
    tcp_len = tcp.field_by_id("frame_length")
    tcp_max = int(tcp_len.valid.get("max", (1 << (8 * tcp_len.int_size)) - 1))
    return _TEMPLATE.format(
        banner=header("spec/header.ksy, spec/data_envelope.ksy, spec/batch.ksy and spec/tcp_frame.ksy"),
        magic=int.from_bytes(magic_field.contents, "big"),
        header_size=header_size,
        header_fmt=_fmt(header_fields),
        header_flags="{" + ", ".join(f"{v:#04x}" for v in _flag_table(hdr)) + "}",
        envelope_flags="{" + ", ".join(f"{v:#04x}" for v in _flag_table(env)) + "}",
        handshake_flags=hs_flags.pop(),
        env_fmt=_fmt(prefix_fields),
        env_prefix=env_prefix,
        nonce_offset=header_size,
        nonce_size=env_prefix - header_size,
        tag_size=tag,
        overhead=env_prefix + after_body,
        length_extra=env_prefix - header_size + after_body,
        env_min=length.valid["min"],
        env_max=length.valid["max"],
        seq_from_counter=_py(str(seq.derive), {"counter": "counter"}),
        counter_check=_py(str(counter.valid["expr"]), {"_": "counter", "seq": "seq"}),
        tcp_fmt=">" + _FMT[tcp_len.int_size],
        tcp_prefix=tcp_len.int_size,
        tcp_min=tcp_len.valid["min"],
        tcp_max=tcp_max,
        **_batch_shape(profile),
    )
