"""Emit one Python module per structure: a frozen dataclass with encode()/decode().

Consecutive fixed-size fields are read and written with one precompiled struct.Struct. Decoders check
every read against the end of their input before slicing, never pre-allocate from a count (a count is
first checked against the bytes left times the element's minimum size), and reject trailing bytes
unless the last field is size-eos.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spec.codegen import expr
from spec.codegen.model import Field, Profile, SpecError, Struct, camel

_FMT = {1: "B", 2: "H", 4: "I", 8: "Q"}


def _name_key(name: str) -> tuple[int, str]:
    kind = 0 if name.isupper() else (1 if name[:1].isupper() else 2)
    return kind, name


def format_imports(imports: dict[str, set[str]]) -> list[str]:
    """`from module import names` lines in isort/ruff order (modules sorted; names by type, then name)."""
    lines: list[str] = []
    third = sorted(m for m in imports if m.split(".")[0] not in ("generated", "spec"))
    first = sorted(m for m in imports if m.split(".")[0] in ("generated", "spec"))
    for module in third + ([""] if third and first else []) + first:
        if not module:
            lines.append("")
            continue
        names = sorted(imports[module], key=_name_key)
        line = f"from {module} import {', '.join(names)}"
        if len(line) <= 110:
            lines.append(line)
        else:
            lines += [f"from {module} import ("] + [f"    {n}," for n in names] + [")"]
    return lines


def header(source: str) -> str:
    return f"# Generated from {source} by spec/codegen — do not edit; run `make generate`.\n"


@dataclass
class Emitter:
    """Accumulates indented source lines."""

    lines: list[str]
    depth: int = 0

    def __call__(self, text: str = "") -> None:
        self.lines.append(("    " * self.depth + text) if text else "")

    def indent(self) -> Emitter:
        self.depth += 1
        return self

    def dedent(self) -> None:
        self.depth -= 1


def _runs(fields: list[Field]) -> list[list[Field]]:
    """Group fields: consecutive fixed-size primitives form one run; everything else stands alone."""
    groups: list[list[Field]] = []
    current: list[Field] = []
    for f in fields:
        if f.fixed_size is not None and f.kind in ("int", "contents", "bytes"):
            if current and current[0].endian != f.endian and f.kind == "int":
                groups.append(current)
                current = []
            current.append(f)
        else:
            if current:
                groups.append(current)
                current = []
            groups.append([f])
    if current:
        groups.append(current)
    return groups


def _is_run(group: list[Field]) -> bool:
    return group[0].fixed_size is not None and group[0].kind in ("int", "contents", "bytes")


def _struct_format(group: list[Field]) -> str:
    endian = next((f.endian for f in group if f.kind == "int"), "be")
    parts = []
    for f in group:
        if f.kind == "int":
            code = _FMT[f.int_size]
            parts.append(code.lower() if f.signed else code)
        else:
            parts.append(f"{f.fixed_size}s")
    return (">" if endian == "be" else "<") + "".join(parts)


class StructGen:
    """Generates the module of one structure."""

    def __init__(self, profile: Profile, struct: Struct) -> None:
        self.p = profile
        self.s = struct
        self.name = struct.class_name
        self.varints = frozenset(f.id for f in struct.fields if f.kind == "varint")
        self.enum_classes: set[str] = set()
        self.module_consts: list[str] = []

    # --- expression contexts -------------------------------------------------------------------
    def _enum_value(self, enum: str, member: str) -> int:
        members = self.s.enums.get(enum)
        if members is None:
            raise SpecError(f"{self.s.id}: unknown enum {enum}")
        for value, name in members.items():
            if name == member:
                return value
        raise SpecError(f"{self.s.id}: enum {enum} has no member {member}")

    def ctx(self, current: str | None = None, decode: bool = True) -> expr.Context:
        def name(n: str) -> str:
            if n == "_":
                if current is None:
                    raise SpecError(f"{self.s.id}: `_` outside a valid expression")
                return f"v_{current}"
            self.s.field_by_id(n)
            return f"v_{n}"

        varints = self.varints | {"_"} if current in self.varints else self.varints
        if decode:
            return expr.Context(
                name=name,
                enum_value=self._enum_value,
                varint_len=lambda n: f"len_{n}",
                sizeof=lambda n: f"size_{n}",
                varints=varints,
            )
        return expr.Context(
            name=name,
            enum_value=self._enum_value,
            varint_len=lambda n: f"varint_size(v_{n})",
            sizeof=lambda n: f"len(b_{n})",
            varints=varints,
        )

    def py(self, text: str | int, current: str | None = None, decode: bool = True) -> str:
        """Python source, parenthesised when not atomic so that it can be embedded anywhere."""
        source = expr.to_python(expr.parse(text), self.ctx(current, decode))
        return f"({source})" if " " in source else source

    # --- validation --------------------------------------------------------------------------
    def checks(self, f: Field, local: str) -> list[tuple[str, str]]:
        """(failing condition, reason f-string body) pairs for the field's `valid` and contents rules."""
        out: list[tuple[str, str]] = []
        if f.kind == "contents":
            assert f.contents is not None
            out.append((f"{local} != {f.contents!r}", f"expected {f.contents.hex()}, got {{{local}.hex()}}"))
        valid = f.valid
        if "eq" in valid:
            lit = self.py(valid["eq"], f.id)
            out.append((f"{local} != {lit}", f"must be {valid['eq']}, got {{{local}}}"))
        if "min" in valid:
            out.append(
                (
                    f"{local} < {self.py(valid['min'], f.id)}",
                    f"must be at least {valid['min']}, got {{{local}}}",
                )
            )
        if "max" in valid:
            out.append(
                (
                    f"{local} > {self.py(valid['max'], f.id)}",
                    f"must be at most {valid['max']}, got {{{local}}}",
                )
            )
        if "any-of" in valid:
            const = f"_ANY_OF_{f.id.upper()}"
            values = ", ".join(self.py(v, f.id) for v in valid["any-of"])
            self.module_consts.append(f"{const} = frozenset(({values},))")
            shown = ", ".join(str(v).split("::")[-1] for v in valid["any-of"])
            out.append((f"{local} not in {const}", f"must be one of {shown}, got {{{local}}}"))
        if "expr" in valid:
            cond = self.py(valid["expr"], f.id)
            text = str(valid["expr"]).replace("{", "{{").replace("}", "}}").replace('"', "'")
            out.append(
                (
                    f"not {cond}" if cond.startswith("(") else f"not ({cond})",
                    f"violates `{text}` (value {{{local}!r}})",
                )
            )
        if f.kind == "struct" or f.repeat:
            pass
        return out

    def enum_class(self, f: Field) -> str | None:
        if f.enum is None:
            return None
        consts = self.p.constants
        edef = consts.by_ksy(f.enum) if consts else None
        if edef is None:
            raise SpecError(f"{self.s.id}.{f.id}: enum {f.enum} not in constants.yaml")
        self.enum_classes.add(edef.name)
        return edef.name

    def py_type(self, f: Field) -> str:
        if f.kind in ("int", "varint"):
            base = self.enum_class(f) or "int"
        elif f.kind == "struct":
            base = camel(str(f.type_name))
        else:
            base = "bytes"
        if f.repeat:
            base = f"tuple[{base}, ...]"
        if f.if_expr:
            base = f"{base} | None"
        return base

    # --- min size (for count checks) ---------------------------------------------------------------
    def min_size(self, struct: Struct | None = None) -> int:
        struct = struct or self.s
        total = 0
        for f in struct.fields:
            if f.if_expr or f.repeat:
                total += 0
            elif f.fixed_size is not None:
                total += f.fixed_size
            elif f.kind == "varint":
                total += 1
            elif f.kind == "struct" and f.size is None and not f.size_eos:
                total += self.min_size(self.p.struct(str(f.type_name)))
        return total

    # --- decode ------------------------------------------------------------------------------
    def emit_decode(self, e: Emitter) -> None:
        e("@classmethod")
        e(f"def _decode(cls, buf: bytes, off: int, end: int) -> tuple[{self.name}, int]:")
        e.indent()
        e(f'"""Decode one {self.name} from buf[off:end]; return it and the offset after it."""')
        for index, group in enumerate(_runs(self.s.fields)):
            if _is_run(group):
                self.decode_run(e, index, group)
            else:
                self.decode_single(e, group[0])
        for f in self.s.fields:
            if f.derive:
                want = self.py(f.derive)
                e(f"if v_{f.id} != {want}:")
                reason = f"{{v_{f.id}}} disagrees with {f.derive} = {{{want}}}"
                e(f'    raise DecodeError(_NAME, {f.id!r}, off, f"{reason}")')
        args = ", ".join(f"v_{f.id}" for f in self.init_fields())
        e(f"return cls({args}), off")
        e.dedent()

    def decode_run(self, e: Emitter, index: int, group: list[Field]) -> None:
        fmt = _struct_format(group)
        size = sum(f.fixed_size or 0 for f in group)
        layout, rel = [], 0
        for f in group:
            layout.append(f"({f.id!r}, {rel}, {f.fixed_size})")
            rel += f.fixed_size or 0
        self.module_consts.append(f"_RUN{index} = struct.Struct({fmt!r})")
        self.module_consts.append(f"_RUN{index}_LAYOUT = ({', '.join(layout)},)")
        e(f"if end - off < {size}:")
        e(f"    raise truncated(_NAME, _RUN{index}_LAYOUT, off, end)")
        names = ", ".join(f"v_{f.id}" for f in group)
        e(f"{names}{',' if len(group) == 1 else ''} = _RUN{index}.unpack_from(buf, off)")
        rel = 0
        for f in group:
            self.emit_checks_decode(e, f, f"off + {rel}" if rel else "off")
            rel += f.fixed_size or 0
        e(f"off += {size}")

    def emit_checks_decode(self, e: Emitter, f: Field, offset: str) -> None:
        local = f"v_{f.id}"
        for cond, reason in self.checks(f, local):
            e(f"if {cond}:")
            e(f'    raise DecodeError(_NAME, {f.id!r}, {offset}, f"{reason}")')
        enum = self.enum_class(f)
        if enum:
            e(f"{local} = {enum}({local})")

    def decode_single(self, e: Emitter, f: Field) -> None:
        local = f"v_{f.id}"
        if f.if_expr:
            e(f"if {self.py(f.if_expr)}:")
            e.indent()
        if f.repeat:
            self.decode_repeat(e, f)
        elif f.kind == "varint":
            e("start = off")
            e(f"{local}, off = read_varint(buf, off, end, _NAME, {f.id!r})")
            e(f"len_{f.id} = off - start")
            self.emit_checks_decode(e, f, "start")
        elif f.kind == "int":  # conditional fixed int
            fmt = (">" if f.endian == "be" else "<") + (
                _FMT[f.int_size].lower() if f.signed else _FMT[f.int_size]
            )
            const = f"_INT_{f.id.upper()}"
            self.module_consts.append(f"{const} = struct.Struct({fmt!r})")
            e(f"if end - off < {f.int_size}:")
            e(f"    raise need(_NAME, {f.id!r}, off, end, {f.int_size})")
            e(f"({local},) = {const}.unpack_from(buf, off)")
            self.emit_checks_decode(e, f, "off")
            e(f"off += {f.int_size}")
        elif f.kind == "bytes":
            if f.size_eos:
                e(f"{local} = buf[off:end]")
                self.emit_checks_decode(e, f, "off")
                e("off = end")
            else:
                assert f.size is not None
                e(f"n = {self.py(f.size)}")
                e("if n < 0 or end - off < n:")
                e(f"    raise need(_NAME, {f.id!r}, off, end, n)")
                e(f"{local} = buf[off:off + n]")
                self.emit_checks_decode(e, f, "off")
                e("off += n")
        elif f.kind == "struct":
            cls = camel(str(f.type_name))
            e("start = off")
            if f.size is not None or f.size_eos:
                if f.size_eos:
                    e("sub_end = end")
                else:
                    assert f.size is not None
                    e(f"n = {self.py(f.size)}")
                    e("if n < 0 or end - off < n:")
                    e(f"    raise need(_NAME, {f.id!r}, off, end, n)")
                    e("sub_end = off + n")
                e(f"{local}, off = {cls}._decode(buf, off, sub_end)")
                e("if off != sub_end:")
                reason = "{sub_end - off} bytes left inside the field"
                e(f'    raise DecodeError(_NAME, {f.id!r}, off, f"{reason}")')
            else:
                e(f"{local}, off = {cls}._decode(buf, off, end)")
            e(f"size_{f.id} = off - start")
            self.emit_checks_decode(e, f, "start")
        else:
            raise SpecError(f"{self.s.id}.{f.id}: cannot decode kind {f.kind}")
        if f.if_expr:
            e.dedent()
            e("else:")
            e(f"    {local} = None")

    def decode_repeat(self, e: Emitter, f: Field) -> None:
        local = f"v_{f.id}"
        if f.kind == "struct":
            cls = camel(str(f.type_name))
            item = f"{cls}._decode(buf, off, end)"
            minimum = self.min_size(self.p.struct(str(f.type_name)))
        elif f.kind == "varint":
            item = f"read_varint(buf, off, end, _NAME, {f.id!r})"
            minimum = 1
        else:
            raise SpecError(f"{self.s.id}.{f.id}: only user types and varints may repeat")
        items, element = f"items_{f.id}", f"item_{f.id}"
        e(f"{items} = []")
        if f.repeat == "expr":
            e(f"count = {self.py(str(f.repeat_expr))}")
            e(f"if count * {max(minimum, 1)} > end - off:")
            e(
                f'    raise DecodeError(_NAME, {f.id!r}, off, f"{{count}} items need at least '
                f'{{count * {max(minimum, 1)}}} bytes, {{end - off}} left", truncated=True)'
            )
            e("for _ in range(count):")
        else:
            e("while off < end:")
        e(f"    {element}, off = {item}")
        e(f"    {items}.append({element})")
        e(f"{local} = tuple({items})")
        if f.min_items:
            e(f"if len({local}) < {f.min_items}:")
            e(f'    raise DecodeError(_NAME, {f.id!r}, off, "needs at least {f.min_items} item(s)")')
        if f.ordered:
            e(f"problem = ORDER_RULES[{f.ordered!r}]({local})")
            e("if problem:")
            e(f"    raise DecodeError(_NAME, {f.id!r}, off, problem)")

    # --- encode ------------------------------------------------------------------------------
    def init_fields(self) -> list[Field]:
        required = [f for f in self.s.fields if f.is_init and not f.if_expr]
        optional = [f for f in self.s.fields if f.is_init and f.if_expr]
        return required + optional

    def emit_encode(self, e: Emitter) -> None:
        e("def encode(self) -> bytes:")
        e.indent()
        e(f'"""The wire bytes of this {self.name}; EncodeError if a value breaks the spec."""')
        for f in self.s.fields:
            if f.is_init:
                e(f"v_{f.id} = self.{f.id}")
            elif f.derive is None:
                e(f"v_{f.id} = {f.constant!r}")
        for f in self.s.fields:
            if f.kind == "struct" and f.is_init:
                guard = f'if v_{f.id} is not None else b""' if f.if_expr else ""
                value = f'b"".join(item.encode() for item in v_{f.id})' if f.repeat else f"v_{f.id}.encode()"
                e(f"b_{f.id} = {value} {guard}".rstrip())
            elif f.kind == "varint" and f.repeat and f.is_init:
                e(f'b_{f.id} = b"".join(encode_varint(item) for item in v_{f.id})')
        for f in self.s.fields:
            if f.derive:
                e(f"v_{f.id} = {self.py(f.derive, decode=False)}")
        for f in self.s.fields:
            self.emit_checks_encode(e, f)
        parts = []
        for index, group in enumerate(_runs(self.s.fields)):
            if _is_run(group):
                values = ", ".join(f"v_{f.id}" for f in group)
                parts.append(f"_RUN{index}.pack({values})")
                continue
            f = group[0]
            if f.kind == "struct" or (f.kind == "varint" and f.repeat):
                part = f"b_{f.id}"
            elif f.kind == "varint":
                part = f"encode_varint(v_{f.id})"
            elif f.kind == "int":
                part = f"_INT_{f.id.upper()}.pack(v_{f.id})"
            else:
                part = f"v_{f.id}"
            if f.if_expr and f.kind != "struct":
                part = f'({part} if v_{f.id} is not None else b"")'
            parts.append(part)
        if len(parts) == 1:
            e(f"return {parts[0]}")
        else:
            e(f'return b"".join(({", ".join(parts)}))')
        e.dedent()

    def emit_checks_encode(self, e: Emitter, f: Field) -> None:
        local = f"v_{f.id}"
        if f.if_expr:
            cond = self.py(f.if_expr, decode=False)
            e(f"if {cond}:")
            e(f"    if {local} is None:")
            e(f'        raise EncodeError(_NAME, {f.id!r}, "required when {f.if_expr}")')
            e(f"elif {local} is not None:")
            e(f'    raise EncodeError(_NAME, {f.id!r}, "must be None unless {f.if_expr}")')
            e(f"if {local} is not None:")
            e.indent()
        body_start = len(e.lines)
        if f.kind == "int":
            lo, hi = (
                (-(1 << (8 * f.int_size - 1)), (1 << (8 * f.int_size - 1)) - 1)
                if f.signed
                else (0, (1 << (8 * f.int_size)) - 1)
            )
            e(f"if not {lo} <= {local} <= {hi:#x}:")
            e(f'    raise EncodeError(_NAME, {f.id!r}, f"{{{local}}} does not fit in {f.int_size} byte(s)")')
        elif f.kind == "varint" and not f.repeat:
            e(f"if not 0 <= {local} <= VARINT_MAX:")
            e(f'    raise EncodeError(_NAME, {f.id!r}, f"{{{local}}} outside the varint range")')
        elif f.kind == "bytes" and not f.size_eos:
            assert f.size is not None
            size = self.py(f.size, decode=False)
            e(f"if len({local}) != {size}:")  # self.py() parenthesises non-atomic expressions
            e(f'    raise EncodeError(_NAME, {f.id!r}, f"is {{len({local})}} bytes, must be {{{size}}}")')
        if f.is_init or f.derive:
            for cond, reason in self.checks(f, local):
                if f.kind == "contents":
                    continue
                e(f"if {cond}:")
                e(f'    raise EncodeError(_NAME, {f.id!r}, f"{reason}")')
        if f.repeat and f.min_items:
            e(f"if len({local}) < {f.min_items}:")
            e(f'    raise EncodeError(_NAME, {f.id!r}, "needs at least {f.min_items} item(s)")')
        if f.repeat and f.ordered:
            e(f"problem = ORDER_RULES[{f.ordered!r}]({local})")
            e("if problem:")
            e(f"    raise EncodeError(_NAME, {f.id!r}, problem)")
        if f.if_expr:
            if len(e.lines) == body_start:
                e("pass")
            e.dedent()

    # --- the module ----------------------------------------------------------------------------
    def module(self) -> str:
        s = self.s
        body = Emitter([])
        body.indent()
        self.emit_fields(body)
        body("")
        self.emit_properties(body)
        self.emit_public_decoders(body)
        body("")
        self.emit_decode(body)
        body("")
        self.emit_encode(body)
        out = Emitter([])
        rel = s.path.relative_to(
            s.path.parents[1] if s.path.parent.name in ("masque", "legacy") else s.path.parent
        )
        src = f"spec/{rel}" if s.path.parent.name in ("masque", "legacy") else f"spec/{s.path.name}"
        out(header(src).rstrip("\n"))
        out(f'"""{s.title}.')
        out("")
        for line in s.doc.splitlines():
            out(line.rstrip())
        out('"""')
        out("")
        out("from __future__ import annotations")
        out("")
        if "struct.Struct" in "\n".join(self.module_consts):
            out("import struct")
        out("from dataclasses import dataclass")
        if any(not f.is_init and f.derive is None for f in s.fields):
            out("from typing import ClassVar")
        out("")
        body.lines = _drop_unused_locals(body.lines)
        uses = "\n".join(body.lines) + "\n".join(self.module_consts)
        runtime = [
            n
            for n in (
                "ORDER_RULES",
                "VARINT_MAX",
                "Buffer",
                "DecodeError",
                "EncodeError",
                "encode_varint",
                "need",
                "read_varint",
                "truncated",
                "varint_size",
            )
            if re.search(rf"\b{n}\b" + ("" if n in ("Buffer", "VARINT_MAX") else r"[(\[]"), uses)
        ]
        imports: dict[str, set[str]] = {self.p.runtime_module: set(runtime)}
        if self.enum_classes:
            imports.setdefault(self.p.constants_module, set()).update(self.enum_classes)
        for imp in {str(f.type_name) for f in s.fields if f.kind == "struct"}:
            imports[f"{self.p.package}.{imp}"] = {camel(imp)}
        for line in format_imports(imports):
            out(line)
        out("")
        out(f'_NAME = "{self.name}"')
        for line in dict.fromkeys(self.module_consts):
            out(line)
        out("")
        out("")
        out("@dataclass(frozen=True, slots=True)")
        out(f"class {self.name}:")
        out.depth = 0
        out.lines.extend(body.lines)
        return "\n".join(out.lines).rstrip() + "\n"

    def emit_fields(self, e: Emitter) -> None:
        s = self.s
        e(f'"""{s.title} ({s.path.name}).')
        e("")
        e("Attributes (wire order; * = computed by encode(), checked by decode(); = constant):")
        for f in s.fields:
            mark = "*" if f.derive else ("=" if not f.is_init else " ")
            first = f.doc.splitlines()[0]
            e(f"    {f.id}{mark}: {first}")
        e('"""')
        e("")
        for f in self.init_fields():
            default = " = None" if f.if_expr else ""
            e(f"{f.id}: {self.py_type(f)}{default}")
        for f in s.fields:
            if not f.is_init and f.derive is None:
                typ = "bytes" if isinstance(f.constant, bytes) else "int"
                e(f"{f.id}: ClassVar[{typ}] = {f.constant!r}")

    def emit_properties(self, e: Emitter) -> None:
        for f in self.s.fields:
            if not f.derive:
                continue
            e("@property")
            e(f"def {f.id}(self) -> int:")
            e(f'    """{f.doc.splitlines()[0]} (computed: {f.derive})."""')
            e(f"    return {self._property_expr(f)}")
            e("")

    def _property_expr(self, f: Field) -> str:
        def name(n: str) -> str:
            target = self.s.field_by_id(n)
            return f"self.{n}" if target.is_init or target.derive else repr(target.constant)

        ctx = expr.Context(
            name=name,
            enum_value=self._enum_value,
            varint_len=lambda n: f"varint_size(self.{n})",
            sizeof=lambda n: f"len(self.{n}.encode())",
            varints=self.varints,
        )
        return expr.to_python(expr.parse(str(f.derive)), ctx)

    def emit_public_decoders(self, e: Emitter) -> None:
        n = self.name
        e("@classmethod")
        e(f"def decode(cls, data: Buffer) -> {n}:")
        e(f'    """Decode exactly one {n} from data (trailing bytes are a DecodeError)."""')
        e("    buf = data if type(data) is bytes else bytes(data)")
        e("    value, off = cls._decode(buf, 0, len(buf))")
        e("    if off != len(buf):")
        e('        raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")')
        e("    return value")
        e("")
        e("@classmethod")
        e(f"def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[{n}, int]:")
        e(f'    """Decode one {n} at offset; return it and the offset after it (for streams)."""')
        e("    buf = data if type(data) is bytes else bytes(data)")
        e("    return cls._decode(buf, offset, len(buf))")


_SIZE_LOCAL = re.compile(r"^\s*((?:size|len)_\w+) = ")


def _drop_unused_locals(lines: list[str]) -> list[str]:
    """Remove `size_x = …` / `len_x = …` lines nothing reads, then `start = off` if nothing reads start."""
    text = "\n".join(lines)
    kept = [
        ln
        for ln in lines
        if not ((m := _SIZE_LOCAL.match(ln)) and len(re.findall(rf"\b{m.group(1)}\b", text)) == 1)
    ]
    text = "\n".join(kept)
    starts = sum(1 for ln in kept if ln.strip() == "start = off")
    if len(re.findall(r"\bstart\b", text)) == starts:
        kept = [ln for ln in kept if ln.strip() != "start = off"]
    return kept


def generate_module(profile: Profile, struct: Struct) -> str:
    if struct.primitive:
        raise SpecError(f"{struct.id} is a primitive")
    return StructGen(profile, struct).module()
