"""Decode a byte string with each decoder (codec, Kaitai, scapy) and compare with expected field values."""

from __future__ import annotations

import importlib
from typing import Any

import kaitaistruct
from kaitaistruct import KaitaiStream

from spec.codegen.model import Profile, Struct, camel, profiles

PROFILES = {p.name: p for p in profiles()}
KAITAI_PACKAGES = {
    "v3": "generated.kaitai",
    "masque": "generated.kaitai.masque",
    "legacy": "generated.legacy.kaitai",
}


def codec_class(profile: Profile, sid: str) -> Any:
    if profile.struct(sid).primitive:
        return importlib.import_module("generated.masque.varint").QuicVarint
    return getattr(importlib.import_module(f"{profile.package}.{sid}"), camel(sid))


def kaitai_class(profile: Profile, sid: str) -> Any:
    return getattr(importlib.import_module(f"{KAITAI_PACKAGES[profile.name]}.{sid}"), camel(sid))


def kaitai_parse(profile: Profile, sid: str, data: bytes) -> Any:
    """The Kaitai object, or None when Kaitai rejects the bytes or leaves some unread."""
    cls = kaitai_class(profile, sid)
    try:
        obj = cls(KaitaiStream(kaitaistruct.BytesIO(data)))
        obj._fetch_instances()
    except (kaitaistruct.KaitaiStructError, EOFError, ValueError):
        return None
    return obj if obj._io.is_eof() else None


def _plain(value: Any) -> Any:
    return int(value) if isinstance(value, int) else value


def codec_fields(profile: Profile, struct: Struct, obj: Any, derived: bool = True) -> dict[str, Any]:
    """Every field of a decoded codec value, as plain ints/bytes/dicts/lists (None for absent).

    derived=False leaves out computed fields (they describe the canonical encoding, which differs from
    the input when a varint was not minimally encoded)."""
    if struct.primitive:
        return {"value": obj.value, "len": obj.length}
    out: dict[str, Any] = {}
    for f in struct.fields:
        if f.derive and not derived:
            continue
        value = getattr(obj, f.id)
        if f.kind == "struct" and value is not None:
            sub = profile.struct(str(f.type_name))
            value = (
                [codec_fields(profile, sub, v, derived) for v in value]
                if f.repeat
                else codec_fields(profile, sub, value, derived)
            )
        out[f.id] = _plain(value)
    return out


def without_derived(profile: Profile, struct: Struct, values: dict[str, Any]) -> dict[str, Any]:
    """values minus the computed fields, recursively."""
    if struct.primitive:
        return values
    out: dict[str, Any] = {}
    for f in struct.fields:
        if f.derive or f.id not in values:
            continue
        value = values[f.id]
        if f.kind == "struct" and value is not None:
            sub = profile.struct(str(f.type_name))
            value = (
                [without_derived(profile, sub, v) for v in value]
                if f.repeat
                else without_derived(profile, sub, value)
            )
        out[f.id] = value
    return out


def kaitai_fields(profile: Profile, struct: Struct, obj: Any) -> dict[str, Any]:
    if struct.primitive:
        return {"value": obj.value, "len": obj.len}
    out: dict[str, Any] = {}
    for f in struct.fields:
        value = getattr(obj, f.id, None)
        if value is None:
            out[f.id] = None
            continue
        if f.kind == "varint":
            value = value.value
        elif f.kind == "struct":
            sub = profile.struct(str(f.type_name))
            value = (
                [kaitai_fields(profile, sub, v) for v in value]
                if f.repeat
                else kaitai_fields(profile, sub, value)
            )
        out[f.id] = _plain(value)
    return out


def with_absent(struct: Struct, expected: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """Expected values with conditional fields the vector leaves out set to None (recursively)."""
    if struct.primitive:
        return dict(expected)
    out: dict[str, Any] = {}
    for f in struct.fields:
        value = expected.get(f.id)
        if f.kind == "struct" and value is not None:
            sub = profile.struct(str(f.type_name))
            value = (
                [with_absent(sub, v, profile) for v in value]
                if f.repeat
                else with_absent(sub, value, profile)
            )
        out[f.id] = value
    return out


SCAPY_MODULES = {
    "v3": "generated.scapy_layers.oxtunnel",
    "masque": "generated.scapy_layers.masque",
    "legacy": "generated.legacy.scapy_layers",
}
SCAPY_PREFIX = {"v3": "Ox", "masque": "Masque", "legacy": "Ox"}


def scapy_class(profile: Profile, sid: str) -> Any:
    return getattr(
        importlib.import_module(SCAPY_MODULES[profile.name]), SCAPY_PREFIX[profile.name] + camel(sid)
    )


def scapy_parse(profile: Profile, sid: str, data: bytes) -> Any:
    """The strictly dissected scapy packet, or None when the layer rejects the bytes."""
    layers = importlib.import_module("generated.scapy_layers.oxtunnel")
    try:
        return layers.dissect_strict(scapy_class(profile, sid), data)
    except layers.ScapyStrictError:
        return None


def scapy_fields(profile: Profile, struct: Struct, pkt: Any) -> dict[str, Any]:
    if struct.primitive:
        return {"value": int(pkt.value), "len": pkt.len}
    out: dict[str, Any] = {}
    for f in struct.fields:
        value = pkt.fields.get(f.id) if f.if_expr else pkt.getfieldval(f.id)
        if f.kind == "struct" and value is not None:
            sub = profile.struct(str(f.type_name))
            value = (
                [scapy_fields(profile, sub, v) for v in value]
                if f.repeat
                else scapy_fields(profile, sub, value)
            )
        out[f.id] = _plain(value)
    return out
