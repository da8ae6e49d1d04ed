"""The hot-path helpers (generated/codecs/fast.py) agree with the dataclass codecs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generated.codecs import DataEnvelope, DecodeError, Header, TcpFrame, fast

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
