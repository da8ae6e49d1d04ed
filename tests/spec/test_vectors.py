"""Every golden vector: the codec and the Kaitai parser agree with the expected fields, or both reject."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generated.codecs import DecodeError
from spec.codegen import vectors
from tests.spec.agreement import (
    PROFILES,
    codec_class,
    codec_fields,
    kaitai_fields,
    kaitai_parse,
    scapy_fields,
    scapy_parse,
    with_absent,
    without_derived,
)

ALL = [(name, v) for name, p in PROFILES.items() for v in vectors.load(p)]
VALID = [(n, v) for n, v in ALL if v.valid]
INVALID = [(n, v) for n, v in ALL if not v.valid]


def _ids(item: tuple[str, vectors.Vector]) -> str:
    return f"{item[0]}/{item[1].id}"


def test_every_structure_has_valid_and_invalid_vectors() -> None:
    for name, profile in PROFILES.items():
        for sid, (good, bad) in vectors.counts(profile).items():
            assert good >= 1 and bad >= 1, f"{name}/{sid} needs valid and invalid vectors"


@pytest.mark.parametrize("item", VALID, ids=_ids)
def test_valid_vector_codec(item: tuple[str, vectors.Vector]) -> None:
    name, v = item
    profile = PROFILES[name]
    struct = profile.struct(v.structure)
    value = codec_class(profile, v.structure).decode(v.data)
    expected = with_absent(struct, v.fields, profile)
    if v.canonical is None:
        assert codec_fields(profile, struct, value) == expected
    else:  # non-minimal varints: computed lengths describe the canonical encoding
        assert codec_fields(profile, struct, value, False) == without_derived(profile, struct, expected)
    assert value.encode() == (v.canonical if v.canonical is not None else v.data)


@pytest.mark.parametrize("item", VALID, ids=_ids)
def test_valid_vector_kaitai(item: tuple[str, vectors.Vector]) -> None:
    name, v = item
    profile = PROFILES[name]
    struct = profile.struct(v.structure)
    obj = kaitai_parse(profile, v.structure, v.data)
    assert obj is not None, "Kaitai rejected a valid vector"
    assert kaitai_fields(profile, struct, obj) == with_absent(struct, v.fields, profile)


@pytest.mark.parametrize("item", VALID, ids=_ids)
def test_valid_vector_scapy(item: tuple[str, vectors.Vector]) -> None:
    name, v = item
    profile = PROFILES[name]
    struct = profile.struct(v.structure)
    pkt = scapy_parse(profile, v.structure, v.data)
    assert pkt is not None, "the scapy layer rejected a valid vector"
    assert scapy_fields(profile, struct, pkt) == with_absent(struct, v.fields, profile)
    assert bytes(pkt) == v.data


@pytest.mark.parametrize("item", INVALID, ids=_ids)
def test_invalid_vector_rejected(item: tuple[str, vectors.Vector]) -> None:
    name, v = item
    profile = PROFILES[name]
    with pytest.raises(DecodeError) as info:
        codec_class(profile, v.structure).decode(v.data)
    err = info.value
    if v.error_field:
        assert err.field == v.error_field, str(err)
    expected_structure = v.error_structure or codec_class(profile, v.structure).__name__
    assert err.structure == expected_structure, str(err)
    if "kaitai" in v.skip:
        assert v.why, "a skipped decoder needs a reason"
    else:
        assert kaitai_parse(profile, v.structure, v.data) is None, "Kaitai accepted an invalid vector"
    assert scapy_parse(profile, v.structure, v.data) is None, "the scapy layer accepted an invalid vector"


@pytest.mark.parametrize("item", VALID, ids=_ids)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_mutated_vectors_round_trip_and_agree(item: tuple[str, vectors.Vector], data: st.DataObject) -> None:
    """Flip bytes of a valid vector: whatever the codec accepts re-encodes to a value that decodes equal
    (decode(encode(x)) == x), and Kaitai accepts exactly what the codec accepts (bar codec-only rules)."""
    name, v = item
    profile = PROFILES[name]
    struct = profile.struct(v.structure)
    raw = bytearray(v.data)
    for _ in range(data.draw(st.integers(0, 3))):
        if raw:
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    cls = codec_class(profile, v.structure)
    list_rules = v.structure in ("route_advertisement", "address_request")  # codec-only rules
    obj = kaitai_parse(profile, v.structure, bytes(raw))
    pkt = scapy_parse(profile, v.structure, bytes(raw))
    try:
        value = cls.decode(bytes(raw))
    except DecodeError:
        assert pkt is None, "the scapy layer accepted what the codec rejects"
        assert obj is None or list_rules, "Kaitai accepted what the codec rejects"
        return
    assert cls.decode(value.encode()) == value
    assert pkt is not None, "the codec accepted what the scapy layer rejects"
    assert without_derived(profile, struct, scapy_fields(profile, struct, pkt)) == codec_fields(
        profile, struct, value, False
    )
    assert obj is not None, "codec accepted what Kaitai rejects"
    assert without_derived(profile, struct, kaitai_fields(profile, struct, obj)) == codec_fields(
        profile, struct, value, False
    )
