"""Ones' complement sums: the numpy, struct and big-integer paths agree with RFC 1071 word by word."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtimes.linux import checksum


def reference(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def same_value(a: int, b: int) -> bool:
    """0 and 0xFFFF are the same number in ones' complement (only all-zero data gives 0 itself)."""
    return a == b or {a, b} == {0, 0xFFFF}


@pytest.mark.parametrize("numpy", [True, False])
@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=3000))
def test_sum16_paths_agree(numpy: bool, data: bytes) -> None:
    if numpy and not checksum.numpy_available:
        pytest.skip("numpy not installed")
    saved = checksum.numpy_available
    checksum.numpy_available = numpy
    try:
        assert same_value(checksum.sum16(data), reference(data))
        assert checksum.sum16(data) == (0 if not any(data) else checksum.sum16(data))
    finally:
        checksum.numpy_available = saved


@settings(max_examples=200, deadline=None)
@given(data=st.binary(min_size=1, max_size=6000), size=st.integers(1, 1500))
def test_segment_sums_are_congruent_to_the_sums_of_the_segments(data: bytes, size: int) -> None:
    got = checksum.segment_sums(memoryview(data), size)
    want = [reference(data[i:i + size]) for i in range(0, len(data), size)]
    assert len(got) == len(want)
    assert [a % 0xFFFF for a in got] == [b % 0xFFFF for b in want]  # congruent: callers reduce mod 0xFFFF


def test_ipv4_header_checksum_verifies() -> None:
    header = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 60, 1, 0x4000, 64, 6, 0xABCD,
                                   bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])))
    struct.pack_into("!H", header, 10, checksum.ipv4_header_checksum(header))
    assert reference(bytes(header)) == 0xFFFF
