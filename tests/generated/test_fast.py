"""The hot-path helpers (generated/codecs/fast.py) agree with the dataclass codecs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generated.codecs import Batch, BatchEntry, DataEnvelope, DecodeError, EncodeError, Header, TcpFrame, fast
from spec.codegen import vectors
from spec.codegen.model import profiles

flags_st = st.sampled_from(sorted(fast.ENVELOPE_FLAGS))
counter_st = st.integers(0, 2**64 - 2**13 - 2)


@given(
    flags_st,
    st.integers(0, 2**32 - 1),
    counter_st,
    st.binary(max_size=64),
    st.binary(min_size=16, max_size=16),
)
def test_pack_envelope_equals_dataclass(
    flags: int, index: int, counter: int, body: bytes, tag: bytes
) -> None:
    wire = fast.pack_envelope(flags, index, counter, body, tag)
    assert wire == DataEnvelope(flags, index, counter, body, tag).encode()
    assert fast.unpack_envelope(wire) == (flags, index, counter, body, tag)
    assert fast.unpack_header(wire) == (flags, counter & 0xFFFFFFFF, len(body) + 28)
    buf = bytearray(len(wire))
    fast.pack_envelope_prefix_into(buf, 0, flags, index, counter, len(body))
    assert bytes(buf[: fast.ENVELOPE_PREFIX_SIZE]) == wire[: fast.ENVELOPE_PREFIX_SIZE]


@given(st.binary(max_size=80))
def test_unpack_envelope_prefix_agrees_with_decode(data: bytes) -> None:
    try:
        expected = DataEnvelope.decode(data)
    except DecodeError:
        with pytest.raises(DecodeError):
            fast.unpack_envelope_prefix(data)
        return
    assert fast.unpack_envelope_prefix(data) == (expected.flags, expected.receiver_index, expected.counter)


def test_flag_tables_follow_the_spec_rules() -> None:
    assert 0x08 in fast.HEADER_FLAGS and 0x08 not in fast.ENVELOPE_FLAGS
    assert 0x09 in fast.ENVELOPE_FLAGS and 0x0B not in fast.ENVELOPE_FLAGS
    assert not any(f & 0xE0 for f in fast.HEADER_FLAGS)
    assert 0x14 not in fast.HEADER_FLAGS and 0x17 not in fast.ENVELOPE_FLAGS
    assert fast.ENVELOPE_FLAGS < fast.HEADER_FLAGS


def test_unpack_header_checks_the_datagram_length() -> None:
    wire = Header(0x01, 0, 28).encode() + bytes(28)
    assert fast.unpack_header(wire) == (1, 0, 28)
    with pytest.raises(DecodeError) as info:
        fast.unpack_header(wire + b"x")
    assert (info.value.structure, info.value.field) == ("Header", "length")
    with pytest.raises(DecodeError) as info:
        fast.unpack_header(b"OX\x21" + wire[3:])
    assert info.value.field == "flags"


def test_split_tcp_frames_keeps_partial_frames() -> None:
    one = bytes(range(40))
    stream = fast.pack_tcp_frame(one) + fast.pack_tcp_frame(one)[:10]
    frames, used = fast.split_tcp_frames(stream)
    assert frames == [one] and used == 42
    assert TcpFrame.decode(stream[:used]).datagram == one
    with pytest.raises(DecodeError):
        fast.split_tcp_frames(b"\x00\x03abc")


# -- batches: the function forms agree with the Batch dataclass codec ----------------------------------

V3 = next(p for p in profiles() if p.name == "v3")
BATCH_VECTORS = [v for v in vectors.load(V3) if v.structure == "batch"]


def _decoded_by_both(data: bytes) -> tuple[object, object]:
    """(dataclass result, fast result): the packets, or (structure, field, offset, truncated) of the error."""
    results = []
    for decode in (lambda d: [e.packet for e in Batch.decode(d).entries], fast.decode_batch):
        try:
            results.append(decode(data))
        except DecodeError as exc:
            results.append((exc.structure, exc.field, exc.offset, exc.truncated))
    return results[0], results[1]


@pytest.mark.parametrize("vector", BATCH_VECTORS, ids=lambda v: v.name)
def test_decode_batch_agrees_on_every_vector(vector: vectors.Vector) -> None:
    expected, got = _decoded_by_both(vector.data)
    assert got == expected
    if vector.valid:
        assert got == [e["packet"] for e in vector.fields["entries"]]
        assert fast.encode_batch(got) == vector.data  # type: ignore[arg-type]
    else:
        assert isinstance(got, tuple) and got[1] == vector.error_field


@given(st.binary(max_size=64))
def test_decode_batch_agrees_on_any_bytes(data: bytes) -> None:
    expected, got = _decoded_by_both(data)
    assert got == expected
    assert _decoded_by_both(bytearray(data))[1] == expected  # any buffer type


@given(st.lists(st.binary(max_size=40), max_size=8))
def test_encode_batch_agrees_with_the_dataclass(packets: list[bytes]) -> None:
    try:
        expected: object = Batch(tuple(BatchEntry(p) for p in packets)).encode()
    except EncodeError as exc:
        with pytest.raises(EncodeError) as info:
            fast.encode_batch(packets)
        assert (info.value.structure, info.value.field) == (exc.structure, exc.field)
        return
    assert fast.encode_batch(packets) == expected
    assert fast.decode_batch(fast.encode_batch(packets)) == packets


def test_batch_limits_come_from_the_spec() -> None:
    assert (fast.BATCH_OVERHEAD, fast.BATCH_ENTRY_OVERHEAD, fast.BATCH_COUNT_MIN, fast.BATCH_PACKET_MIN) == (
        2, 2, 1, 1)
    with pytest.raises(EncodeError, match="BatchEntry.length"):
        fast.encode_batch([b"x" * 65536])
    with pytest.raises(EncodeError, match="Batch.count"):
        fast.encode_batch([b"x"] * 65536)
    assert fast.decode_batch(fast.encode_batch([memoryview(b"ab"), bytearray(b"c")])) == [b"ab", b"c"]
