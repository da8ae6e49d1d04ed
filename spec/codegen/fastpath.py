"""Emit generated/codecs/fast.py: per-packet helpers for the header, the data envelope and TCP framing.

Formats, flag tables, offsets and checks are all computed from header.ksy, data_envelope.ksy and
tcp_frame.ksy; the helpers raise the same DecodeError (same structure and field names) as the
dataclass codecs, and tests check both agree on every vector.
"""

from __future__ import annotations

from spec.codegen import expr
from spec.codegen.model import Field, Profile, SpecError, Struct
from spec.codegen.pycodec import _FMT, header

_TEMPLATE = '''\
{banner}"""Hot-path helpers for the header, the data envelope and TCP framing (precompiled struct.Struct).

The protocol core calls these per packet. They check exactly what Header/DataEnvelope/TcpFrame.decode()
check, without building dataclasses. Packers trust their arguments (the caller is the sender) except
for what struct itself refuses.
"""

from __future__ import annotations

import struct

from generated.codecs._runtime import Buffer, DecodeError

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

TCP_FRAME_STRUCT = struct.Struct({tcp_fmt!r})
TCP_FRAME_MIN = {tcp_min}
TCP_FRAME_MAX = {tcp_max}

_ENV = "DataEnvelope"
_pack_header = HEADER_STRUCT.pack
_unpack_header = HEADER_STRUCT.unpack_from
_pack_prefix = ENVELOPE_PREFIX_STRUCT.pack
_pack_prefix_into = ENVELOPE_PREFIX_STRUCT.pack_into
_unpack_prefix = ENVELOPE_PREFIX_STRUCT.unpack_from
_pack_tcp = TCP_FRAME_STRUCT.pack
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
        banner=header("spec/header.ksy, spec/data_envelope.ksy and spec/tcp_frame.ksy"),
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
    )
