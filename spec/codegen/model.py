"""Load .ksy files and constants.yaml into a small model that every generator shares.

Only the Kaitai features our spec uses are accepted (integers, fixed and expression sizes, size-eos,
contents, user types, `repeat: expr|eos`, `if`, `enum`, `valid`), plus three extension keys that
Kaitai ignores (keys starting with "-"):

* `-oxt-derive: EXPR` — a length/count/copy field computed by encode() and checked by decode();
* `-oxt-min-items: N` — a repeated field needs at least N elements;
* `-oxt-ordered: RULE` — a repeated field must satisfy a named ordering rule (generated/codecs/_runtime.py);
* `-oxt-primitive: quic_varint` on a type — the codecs treat the type as a primitive integer.
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from spec.codegen import expr

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec"

_INT_TYPE = re.compile(r"^([us])([1248])(le|be)?$")
_ALLOWED_FIELD_KEYS = {
    "id",
    "doc",
    "type",
    "size",
    "size-eos",
    "contents",
    "repeat",
    "repeat-expr",
    "if",
    "enum",
    "valid",
    "-oxt-derive",
    "-oxt-min-items",
    "-oxt-ordered",
}
_ALLOWED_VALID_KEYS = {"eq", "min", "max", "any-of", "expr"}
VARINT = "quic_varint"


class SpecError(ValueError):
    """A .ksy or constants.yaml file breaks one of the spec's authoring rules."""


@dataclass
class Field:
    """One `seq` entry of a structure."""

    id: str
    doc: str
    kind: str  # int | bytes | contents | struct | varint
    int_size: int = 0
    signed: bool = False
    endian: str = "be"
    size: str | int | None = None  # bytes or sized struct: literal or expression
    size_eos: bool = False
    contents: bytes | None = None
    type_name: str | None = None
    repeat: str | None = None  # None | expr | eos
    repeat_expr: str | None = None
    if_expr: str | None = None
    enum: str | None = None
    valid: dict[str, Any] = field(default_factory=dict)
    derive: str | None = None
    min_items: int = 0
    ordered: str | None = None

    @property
    def fixed_size(self) -> int | None:
        """Encoded size when it is known statically and the field is a single primitive."""
        if self.repeat or self.if_expr:
            return None
        if self.kind == "int":
            return self.int_size
        if self.kind == "contents" and self.contents is not None:
            return len(self.contents)
        if self.kind == "bytes" and isinstance(self.size, int):
            return self.size
        return None

    @property
    def constant(self) -> int | bytes | None:
        """The one value this field may have (contents, `valid: eq` literal, varint `_.value == N`)."""
        if self.kind == "contents":
            return self.contents
        if self.if_expr or self.repeat:
            return None
        if "eq" in self.valid and isinstance(self.valid["eq"], int):
            return int(self.valid["eq"])
        if self.kind == "varint" and "expr" in self.valid:
            m = re.fullmatch(r"\s*_\.value\s*==\s*(0x[0-9a-fA-F]+|\d+)\s*", str(self.valid["expr"]))
            if m:
                return int(m.group(1), 0)
        return None

    @property
    def is_init(self) -> bool:
        """Whether the dataclass takes this field as a constructor argument."""
        return self.constant is None and self.derive is None


@dataclass
class Struct:
    """One .ksy file: one structure."""

    id: str
    title: str
    doc: str
    path: Path
    endian: str
    fields: list[Field]
    enums: dict[str, dict[int, str]]
    imports: list[str]
    primitive: str | None = None
    instances: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def class_name(self) -> str:
        return camel(self.id)

    def field_by_id(self, fid: str) -> Field:
        for f in self.fields:
            if f.id == fid:
                return f
        raise SpecError(f"{self.id}: no field {fid!r}")


@dataclass
class Profile:
    """A set of structures generated into one package (v3, masque, legacy)."""

    name: str
    source: Path
    package: str  # e.g. generated.codecs
    structs: dict[str, Struct]
    constants: Constants | None
    runtime_module: str = "generated.codecs._runtime"
    constants_module: str = "generated.codecs.constants"

    def struct(self, sid: str) -> Struct:
        try:
            return self.structs[sid]
        except KeyError:
            raise SpecError(f"profile {self.name}: unknown structure {sid!r}") from None


@dataclass
class Constant:
    name: str
    value: int | str | bytes | float
    doc: str
    group: str
    source: str  # the text as written (for docs: "2**60")


@dataclass
class EnumDef:
    name: str
    doc: str
    members: dict[str, tuple[int, str]]
    is_flag: bool
    ksy: str | None = None
    prefix: str | None = None


@dataclass
class Constants:
    path: Path
    groups: dict[str, tuple[str, list[Constant]]]
    enums: dict[str, EnumDef]

    def by_ksy(self, ksy_name: str) -> EnumDef | None:
        for e in self.enums.values():
            if e.ksy == ksy_name:
                return e
        return None

    def value(self, name: str) -> int | str | bytes | float:
        for _, items in self.groups.values():
            for c in items:
                if c.name == name:
                    return c.value
        raise SpecError(f"unknown constant {name}")


def camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def _require_doc(where: str, node: dict[str, Any]) -> str:
    doc = node.get("doc")
    if not isinstance(doc, str) or not doc.strip():
        raise SpecError(f"{where}: every field needs a doc")
    return doc.strip()


def load_struct(path: Path) -> Struct:
    """Parse one .ksy file and check the authoring rules (one structure, id = file name, docs)."""
    raw = yaml.safe_load(path.read_text())
    meta = raw.get("meta", {})
    sid = meta.get("id")
    if sid != path.stem:
        raise SpecError(f"{path}: meta.id {sid!r} must equal the file name")
    if "types" in raw:
        raise SpecError(f"{path}: one structure per file (no nested `types:`)")
    endian = meta.get("endian", "be")
    primitive = meta.get("-oxt-primitive")
    if endian not in ("be", "le"):
        raise SpecError(f"{path}: endian must be declared once as be or le")
    fields = [] if primitive else [_load_field(sid, endian, node) for node in raw.get("seq", [])]
    enums = {
        name: {int(k): str(v) for k, v in members.items()} for name, members in raw.get("enums", {}).items()
    }
    return Struct(
        id=sid,
        title=meta.get("title", sid),
        doc=str(raw.get("doc", "")).strip(),
        path=path,
        endian=endian,
        fields=fields,
        enums=enums,
        imports=list(meta.get("imports", [])),
        primitive=primitive,
        instances=raw.get("instances", {}),
        raw=raw,
    )


def _load_field(sid: str, endian: str, node: dict[str, Any]) -> Field:
    fid = str(node.get("id", ""))
    where = f"{sid}.{fid}"
    unknown = set(node) - _ALLOWED_FIELD_KEYS
    if unknown:
        raise SpecError(f"{where}: unsupported keys {sorted(unknown)}")
    f = Field(id=fid, doc=_require_doc(where, node), kind="bytes", endian=endian)
    typ = node.get("type")
    if "contents" in node:
        f.kind, f.contents = "contents", bytes(node["contents"])
    elif isinstance(typ, str) and (m := _INT_TYPE.match(typ)):
        f.kind, f.signed, f.int_size = "int", m.group(1) == "s", int(m.group(2))
        if m.group(3):
            f.endian = m.group(3)
    elif typ == VARINT:
        f.kind = "varint"
    elif isinstance(typ, str):
        f.kind, f.type_name = "struct", typ
    elif typ is not None:
        raise SpecError(f"{where}: unsupported type {typ!r}")
    if "size" in node:
        f.size = node["size"] if isinstance(node["size"], int) else str(node["size"])
    f.size_eos = bool(node.get("size-eos", False))
    if f.kind == "bytes" and f.size is None and not f.size_eos:
        raise SpecError(f"{where}: a byte field needs size or size-eos")
    f.repeat = node.get("repeat")
    if f.repeat not in (None, "expr", "eos"):
        raise SpecError(f"{where}: repeat must be expr or eos")
    f.repeat_expr = str(node["repeat-expr"]) if "repeat-expr" in node else None
    f.if_expr = str(node["if"]) if "if" in node else None
    f.enum = node.get("enum")
    valid = node.get("valid", {})
    if not isinstance(valid, dict) or set(valid) - _ALLOWED_VALID_KEYS:
        raise SpecError(f"{where}: valid must be a mapping of {sorted(_ALLOWED_VALID_KEYS)}")
    f.valid = dict(valid)
    f.derive = str(node["-oxt-derive"]) if "-oxt-derive" in node else None
    f.min_items = int(node.get("-oxt-min-items", 0))
    f.ordered = node.get("-oxt-ordered")
    for text in (f.size, f.repeat_expr, f.if_expr, f.derive, valid.get("expr")):
        if isinstance(text, str):
            expr.parse(text)  # fail early on syntax we cannot translate
    return f


_EVAL_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Pow: operator.pow}


def _arith(text: str) -> int:
    """Evaluate "2**64 - 2**13 - 1" style constant expressions (integers, + - * ** only)."""

    def walk(node: ast.AST) -> int:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _EVAL_OPS:
            return int(_EVAL_OPS[type(node.op)](walk(node.left), walk(node.right)))
        raise SpecError(f"constant expression {text!r}: only integers and + - * ** are allowed")

    return walk(ast.parse(text, mode="eval"))


def load_constants(path: Path) -> Constants:
    raw = yaml.safe_load(path.read_text())
    groups: dict[str, tuple[str, list[Constant]]] = {}
    seen: set[str] = set()
    for gname, group in raw.get("groups", {}).items():
        items = []
        for name, spec in group["values"].items():
            if name in seen:
                raise SpecError(f"{path}: constant {name} defined twice")
            seen.add(name)
            kind = spec.get("type", "int")
            text = spec["value"]
            value: int | str | bytes | float
            if kind == "int":
                value = text if isinstance(text, int) else _arith(str(text))
            elif kind == "bytes":
                value = str(text).encode("ascii")
            elif kind == "str":
                value = str(text)
            elif kind == "float":
                value = float(text)
            else:
                raise SpecError(f"{path}: {name}: unknown type {kind}")
            items.append(Constant(name, value, _require_doc(f"{path}:{name}", spec), gname, str(text)))
        groups[gname] = (str(group.get("doc", "")), items)
    enums: dict[str, EnumDef] = {}
    for section, is_flag in (("enums", False), ("flags", True)):
        for ename, spec in raw.get(section, {}).items():
            members = {
                m: (int(v["value"]), _require_doc(f"{path}:{ename}.{m}", v))
                for m, v in spec["members"].items()
            }
            enums[ename] = EnumDef(
                ename, str(spec.get("doc", "")), members, is_flag, spec.get("ksy"), spec.get("prefix")
            )
    return Constants(path, groups, enums)


def load_profile(name: str, source: Path, package: str, constants: Path | None) -> Profile:
    structs = {p.stem: load_struct(p) for p in sorted(source.glob("*.ksy"))}
    consts = load_constants(constants) if constants else None
    profile = Profile(name, source, package, structs, consts)
    _check_enums(profile)
    return profile


def _check_enums(profile: Profile) -> None:
    """Enums written in a .ksy (Kaitai needs them there) must equal constants.yaml's."""
    for s in profile.structs.values():
        for ename, members in s.enums.items():
            if profile.constants is None:
                continue
            edef = profile.constants.by_ksy(ename)
            if edef is None:
                raise SpecError(f"{s.path}: enum {ename} has no counterpart (ksy: {ename}) in constants.yaml")
            want = {v: m.lower() for m, (v, _) in edef.members.items()}
            if want != members:
                raise SpecError(
                    f"{s.path}: enum {ename} differs from constants.yaml {edef.name}: {members} != {want}"
                )


def profiles() -> list[Profile]:
    """The three generated profiles, in generation order."""
    found = [
        load_profile("v3", SPEC, "generated.codecs", SPEC / "constants.yaml"),
        load_profile("masque", SPEC / "masque", "generated.masque", SPEC / "constants.yaml"),
    ]
    found[1].constants_module = "generated.codecs.constants"
    if any((SPEC / "legacy").glob("*.ksy")):
        legacy = load_profile(
            "legacy", SPEC / "legacy", "generated.legacy.codecs", SPEC / "legacy" / "constants.yaml"
        )
        legacy.constants_module = "generated.legacy.codecs.constants"
        found.append(legacy)
    return found
