"""Load the golden vectors of spec/vectors (see spec/vectors/README.md for the format)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from spec.codegen.model import SPEC, Profile, SpecError, Struct

VECTORS = SPEC / "vectors"
_REPEAT = re.compile(r"^([0-9a-fA-F]{2})\*(\d+)$")


def parse_hex(text: Any, where: str) -> bytes:
    """Hex groups separated by spaces; `XX*N` repeats a byte N times."""
    if not isinstance(text, str):
        raise SpecError(f"{where}: hex must be a quoted string, got {text!r}")
    out = bytearray()
    for group in text.split():
        m = _REPEAT.match(group)
        if m:
            out += bytes([int(m.group(1), 16)]) * int(m.group(2))
        elif re.fullmatch(r"(?:[0-9a-fA-F]{2})+", group):
            out += bytes.fromhex(group)
        else:
            raise SpecError(f"{where}: bad hex group {group!r}")
    return bytes(out)


@dataclass
class Vector:
    structure: str
    name: str
    data: bytes
    valid: bool
    fields: dict[str, Any] = field(default_factory=dict)  # expected values, bytes already parsed
    canonical: bytes | None = None
    error_structure: str | None = None
    error_field: str | None = None
    skip: tuple[str, ...] = ()
    why: str = ""

    @property
    def id(self) -> str:
        return f"{self.structure}: {self.name}"


def _expected(profile: Profile, struct: Struct, values: dict[str, Any], where: str) -> dict[str, Any]:
    """Convert a `fields` mapping: byte strings parsed, nested structures recursed, unknown names refused."""
    known = {f.id: f for f in struct.fields}
    if struct.primitive:
        return dict(values)
    out: dict[str, Any] = {}
    for name, value in values.items():
        f = known.get(name)
        if f is None:
            raise SpecError(f"{where}: {struct.id} has no field {name!r}")
        if f.kind in ("bytes", "contents"):
            out[name] = parse_hex(value, f"{where}.{name}")
        elif f.kind == "struct":
            sub = profile.struct(str(f.type_name))
            if f.repeat:
                out[name] = [_expected(profile, sub, item, f"{where}.{name}[]") for item in value]
            else:
                out[name] = _expected(profile, sub, value, f"{where}.{name}")
        else:
            if not isinstance(value, int):
                raise SpecError(f"{where}.{name}: expected an integer, got {value!r}")
            out[name] = value
    for f in struct.fields:
        if f.id not in out and not f.if_expr:
            raise SpecError(f"{where}: missing expected value for {f.id}")
    return out


def load(profile: Profile) -> list[Vector]:
    folder = VECTORS if profile.name == "v3" else VECTORS / profile.name
    vectors: list[Vector] = []
    for path in sorted(folder.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text())
        sid = raw["structure"]
        if sid != path.stem:
            raise SpecError(f"{path}: structure must equal the file name")
        struct = profile.struct(sid)
        for item in raw.get("valid", []):
            where = f"{path.name}: {item['name']}"
            canonical = item.get("canonical")
            vectors.append(
                Vector(
                    sid,
                    item["name"],
                    parse_hex(item["hex"], where),
                    True,
                    _expected(profile, struct, item["fields"], where),
                    parse_hex(canonical, where) if canonical is not None else None,
                )
            )
        for item in raw.get("invalid", []):
            where = f"{path.name}: {item['name']}"
            error = item.get("error", {})
            vectors.append(
                Vector(
                    sid,
                    item["name"],
                    parse_hex(item["hex"], where),
                    False,
                    error_structure=error.get("structure"),
                    error_field=error.get("field"),
                    skip=tuple(item.get("skip", ())),
                    why=str(item.get("why", "")),
                )
            )
    return vectors


def counts(profile: Profile) -> dict[str, tuple[int, int]]:
    """{structure: (valid, invalid)} for reports and docs."""
    result: dict[str, tuple[int, int]] = {sid: (0, 0) for sid in profile.structs}
    for v in load(profile):
        good, bad = result[v.structure]
        result[v.structure] = (good + v.valid, bad + (not v.valid))
    return result
