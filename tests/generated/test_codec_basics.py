"""Behaviour of the generated dataclass codecs beyond the golden vectors."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import generated.codecs as codecs
import generated.masque as masque
from generated.codecs import (
    Batch,
    BatchEntry,
    ControlMessage,
    DecodeError,
    EncodeError,
    IpAddress,
    IpPrefix,
    SessionConfig,
    constants,
)

STRUCTURES = [
    obj
    for module in (codecs, masque)
    for name in module.__all__
    if inspect.isclass(obj := getattr(module, name)) and dataclasses.is_dataclass(obj)
]


@pytest.mark.parametrize("cls", STRUCTURES, ids=lambda c: c.__name__)
@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_give_a_value_or_decode_error(cls: type, data: bytes) -> None:
    try:
        value = cls.decode(data)  # type: ignore[attr-defined]
    except DecodeError as exc:
        assert exc.structure and exc.field and 0 <= exc.offset <= len(data)
        return
    assert type(value) is cls


def _config(**changes: object) -> SessionConfig:
    base = SessionConfig(
        cipher=constants.Cipher.CHACHA20_POLY1305,
        features=3,
        mtu=1415,
        keepalive_interval=25,
        ipv4_address=bytes([10, 7, 0, 2]),
        ipv4_prefix_length=24,
        ipv6_address=bytes(16),
        ipv6_prefix_length=0,
        dns_servers=(IpAddress(4, bytes([10, 7, 0, 1])),),
        routes=(IpPrefix(4, bytes(4), 0),),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_counts_are_derived_on_encode() -> None:
    wire = _config().encode()
    assert SessionConfig.decode(wire) == _config()
    assert _config().dns_count == 1 and _config().route_count == 1


def test_encode_refuses_what_decode_refuses() -> None:
    with pytest.raises(EncodeError, match="mtu"):
        _config(mtu=100).encode()
    with pytest.raises(EncodeError, match="ipv4_address"):
        _config(ipv4_address=b"\x00").encode()
    with pytest.raises(EncodeError, match="required"):
        ControlMessage(constants.ControlType.ACK).encode()
    with pytest.raises(EncodeError, match="must be None"):
        ControlMessage(constants.ControlType.KEEPALIVE, acked_counter=1).encode()
    with pytest.raises(EncodeError, match="count"):
        Batch(()).encode()


def test_count_is_checked_before_allocating() -> None:
    with pytest.raises(DecodeError) as info:
        Batch.decode(b"\xff\xff" + b"\x00\x01x")
    assert info.value.field == "entries" and "65535 items" in info.value.reason


def test_batch_round_trip() -> None:
    batch = Batch((BatchEntry(b"\x45" * 20), BatchEntry(b"\x60" * 40)))
    assert Batch.decode(batch.encode()) == batch
    assert batch.count == 2
