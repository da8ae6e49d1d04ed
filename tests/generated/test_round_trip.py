"""Hypothesis: decode(encode(x)) == x for values built field by field (the vectors cover the bytes side)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from generated.codecs import (
    Batch,
    BatchEntry,
    CompressionEnvelope,
    ControlMessage,
    DataEnvelope,
    Header,
    IpAddress,
    IpPrefix,
    SessionConfig,
    TcpFrame,
    constants,
    fast,
)
from generated.masque import AddressAssign, Capsule, DatagramCapsule, HttpDatagram, MasqueAddress, QuicVarint

u8 = st.integers(0, 255)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
varint = st.integers(0, 2**62 - 1)


@st.composite
def ip_address(draw: st.DrawFn) -> IpAddress:
    version = draw(st.sampled_from([4, 6]))
    size = 4 if version == 4 else 16
    return IpAddress(version, draw(st.binary(min_size=size, max_size=size)))


@st.composite
def ip_prefix(draw: st.DrawFn) -> IpPrefix:
    version = draw(st.sampled_from([4, 6]))
    size, bits = (4, 32) if version == 4 else (16, 128)
    return IpPrefix(version, draw(st.binary(min_size=size, max_size=size)), draw(st.integers(0, bits)))


session_config = st.builds(
    SessionConfig,
    cipher=st.sampled_from(list(constants.Cipher)),
    features=st.integers(0, 15),
    mtu=st.integers(576, 65470),
    keepalive_interval=u16,
    ipv4_address=st.binary(min_size=4, max_size=4),
    ipv4_prefix_length=st.integers(0, 32),
    ipv6_address=st.binary(min_size=16, max_size=16),
    ipv6_prefix_length=st.integers(0, 128),
    dns_servers=st.lists(ip_address(), max_size=4).map(tuple),
    routes=st.lists(ip_prefix(), max_size=4).map(tuple),
)

control_message = st.one_of(
    st.just(ControlMessage(constants.ControlType.KEEPALIVE)),
    st.builds(
        ControlMessage,
        st.just(constants.ControlType.DISCONNECT),
        reason=st.sampled_from(list(constants.DisconnectReason)),
    ),
    st.builds(ControlMessage, st.just(constants.ControlType.ACK), acked_counter=st.integers(0, 2**64 - 1)),
    st.builds(
        ControlMessage, st.just(constants.ControlType.CONFIG_UPDATE), config_id=u32, config=session_config
    ),
    st.builds(ControlMessage, st.just(constants.ControlType.KEY_ROTATION), retired_index=u32),
)

VALUES = st.one_of(
    st.builds(Header, st.sampled_from(sorted(fast.HEADER_FLAGS)), u32, st.integers(28, 65526)),
    st.builds(
        DataEnvelope,
        st.sampled_from(sorted(fast.ENVELOPE_FLAGS)),
        u32,
        st.integers(0, 2**64 - 2**13 - 2),
        st.binary(max_size=300),
        st.binary(min_size=16, max_size=16),
    ),
    control_message,
    session_config,
    st.builds(
        Batch,
        st.lists(st.builds(BatchEntry, st.binary(min_size=1, max_size=64)), min_size=1, max_size=8).map(
            tuple
        ),
    ),
    st.builds(CompressionEnvelope, st.integers(1, 0xFFFF), st.binary(max_size=64)),
    st.builds(TcpFrame, st.binary(min_size=9, max_size=200)),
    st.builds(Capsule, varint, st.binary(max_size=64)),
    st.builds(DatagramCapsule, varint, st.binary(max_size=64)),
    st.builds(HttpDatagram, st.integers(0, 2**60 - 1), varint, st.binary(max_size=64)),
    st.builds(
        AddressAssign,
        st.lists(
            st.builds(
                MasqueAddress, varint, st.just(4), st.binary(min_size=4, max_size=4), st.integers(0, 32)
            ),
            max_size=4,
        ).map(tuple),
    ),
    st.builds(QuicVarint, varint),
)


@given(VALUES)
def test_decode_of_encode_is_identity(value: object) -> None:
    wire = value.encode()  # type: ignore[attr-defined]
    assert type(value).decode(wire) == value  # type: ignore[attr-defined]
    assert type(value).decode(wire).encode() == wire  # type: ignore[attr-defined]
