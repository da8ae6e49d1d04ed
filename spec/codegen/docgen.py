"""Emit docs/protocol.md: byte diagrams and field tables for every structure, every flag and code."""

from __future__ import annotations

from spec.codegen import expr, vectors
from spec.codegen.model import Constants, Field, Profile, Struct

_CELL = 16  # characters per byte in the diagram (RFC style: 2 per bit)
_RULER = (
    " 0                   1                   2                   3\n"
    " 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1\n"
)
_BORDER = "+" + "-+" * 32


def _size_text(f: Field) -> str:
    if f.repeat == "expr":
        return f"{f.type_name}[{f.repeat_expr}]"
    if f.repeat == "eos":
        return f"{f.type_name}[…]"
    if f.fixed_size is not None:
        return str(f.fixed_size)
    if f.kind == "varint":
        return "1/2/4/8"
    if f.size_eos:
        return "rest"
    if f.size is not None:
        return str(f.size)
    if f.kind == "struct":
        return str(f.type_name)
    return "?"


def _type_text(f: Field) -> str:
    if f.kind == "int":
        endian = f.endian if f.int_size > 1 else ""
        return f"u{f.int_size}{endian}" + (f" enum {f.enum}" if f.enum else "")
    if f.kind == "contents":
        assert f.contents is not None
        return f"`{f.contents.hex()}`"
    if f.kind == "varint":
        return "varint"
    if f.kind == "struct":
        return f"[{f.type_name}](#{f.type_name})"
    return "bytes"


def _rule_text(f: Field) -> str:
    parts = []
    v = f.valid
    if "eq" in v:
        parts.append(f"= {v['eq']}")
    if "min" in v:
        parts.append(f"≥ {v['min']}")
    if "max" in v:
        parts.append(f"≤ {v['max']}")
    if "any-of" in v:
        parts.append("one of " + ", ".join(str(x).split("::")[-1] for x in v["any-of"]))
    if "expr" in v:
        parts.append(f"`{v['expr']}`")
    if f.derive:
        parts.append(f"computed: `{f.derive}`")
    if f.if_expr:
        parts.append(f"only if `{f.if_expr}`")
    if f.min_items:
        parts.append(f"≥ {f.min_items} item(s)")
    if f.ordered:
        parts.append(f"ordered ({f.ordered})")
    return "; ".join(parts).replace("|", "\\|")


def _cell(label: str, width: int) -> str:
    label = label if len(label) <= width else label[: max(width - 1, 1)] + "…"
    return label.center(width)


def diagram(struct: Struct) -> str:
    """RFC-style 32-bit rows; variable-size fields get a full row with ~ and realign the next field."""
    rows: list[str] = [_BORDER]
    col = 0  # byte column in the current row
    line = "|"

    def flush() -> None:
        nonlocal line, col
        if col:
            line += " " * (_CELL * (4 - col) - 1) + "|" if col < 4 else ""
            rows.append(line)
            rows.append(_BORDER)
        line, col = "|", 0

    for f in struct.fields:
        size = f.fixed_size
        label = f.id
        if size is None:
            flush()
            rows.append("~" + _cell(f"{label} ({_size_text(f)})", 63) + "~")
            rows.append(_BORDER)
            continue
        remaining, first = size, True
        while remaining:
            text = (f"{label} ({size})" if size > 1 else label) if first else f"{label} (cont.)"
            if col == 0 and remaining > 8:  # long field: one labelled row and an ellipsis row
                rows.append("|" + _cell(text, 63) + "|")
                rows.append("~" + _cell("…", 63) + "~")
                rows.append(_BORDER)
                remaining -= (remaining // 4) * 4
                first = False
                continue
            take = min(remaining, 4 - col)
            line += _cell(text, _CELL * take - 1) + "|"
            col += take
            remaining -= take
            first = False
            if col == 4:
                rows.append(line)
                rows.append(_BORDER)
                line, col = "|", 0
    if col:
        line += " " * (_CELL * (4 - col) - 1) + "|"
        rows.append(line)
        rows.append(_BORDER)
    return "```\n" + _RULER + "\n".join(rows) + "\n```"


def _offsets(struct: Struct) -> list[str]:
    out, off = [], 0
    known = True
    for f in struct.fields:
        out.append(str(off) if known else "var")
        if f.fixed_size is None:
            known = False
        else:
            off += f.fixed_size
    return out


def structure_section(profile: Profile, struct: Struct, counts: tuple[int, int]) -> list[str]:
    lines = [
        f'### <a id="{struct.id}"></a>{struct.title} — `{struct.path.relative_to(struct.path.parents[1]).as_posix() if profile.name != "v3" else struct.path.name}`',
        "",
    ]
    lines += [struct.doc, ""]
    if struct.primitive:
        lines += [
            "First byte's two high bits: 00 → 1 byte (6-bit value), 01 → 2 (14), 10 → 4 (30), 11 → 8 (62).",
            "",
        ]
    else:
        lines += [diagram(struct), ""]
        lines += ["| offset | size | field | type | rule | meaning |", "|---|---|---|---|---|---|"]
        for off, f in zip(_offsets(struct), struct.fields, strict=True):
            doc = " ".join(f.doc.split()).replace("|", "\\|")
            lines.append(
                f"| {off} | {_size_text(f)} | `{f.id}` | {_type_text(f)} | {_rule_text(f)} | {doc} |"
            )
        lines.append("")
    lines += [f"Golden vectors: {counts[0]} valid, {counts[1]} invalid.", ""]
    return lines


def constants_section(constants: Constants, title: str) -> list[str]:
    lines = [f"## {title}", ""]
    for gname, (gdoc, items) in constants.groups.items():
        lines += [f"### {gname}", "", gdoc, "", "| name | value | meaning |", "|---|---|---|"]
        for c in items:
            shown = (
                c.value
                if not isinstance(c.value, int)
                else (
                    f"{c.value} (`{c.source}`)"
                    if c.source != str(c.value) and not c.source.startswith("0x")
                    else (hex(c.value) if c.source.startswith("0x") else str(c.value))
                )
            )
            if isinstance(shown, bytes):
                shown = f'`"{shown.decode()}"`'
            lines.append(f"| `{c.name}` | {shown} | {c.doc} |")
        lines.append("")
    for e in constants.enums.values():
        kind = "bits" if e.is_flag else "codes"
        lines += [f"### {e.name} ({kind})", "", e.doc, "", "| name | value | meaning |", "|---|---|---|"]
        for member, (value, doc) in e.members.items():
            lines.append(f"| `{member}` | {value:#04x} | {doc} |")
        lines.append("")
    return lines


def flag_combinations(profile: Profile) -> list[str]:
    hdr = profile.struct("header").field_by_id("flags").valid["expr"]
    env = profile.struct("data_envelope").field_by_id("flags").valid["expr"]
    names = {0x01: "ENCRYPTED", 0x02: "COMPRESSED", 0x04: "BATCH", 0x08: "CONTROL", 0x10: "IPV6"}
    lines = [
        "### Valid flag values",
        "",
        "Computed from the `valid` rules of header.ksy and data_envelope.ksy (every other value is dropped).",
        "",
        "| flags | bits | carried by |",
        "|---|---|---|",
    ]
    for value in range(256):
        if not expr.evaluate(hdr, {"_": value}):
            continue
        bits = " + ".join(n for b, n in names.items() if value & b) or "(none)"
        what = "data envelope" if expr.evaluate(env, {"_": value}) else "handshake message"
        if value == 0x09:
            what = "control envelope (control_message plaintext)"
        elif what == "data envelope" and not value & 0x01:
            what = "authenticated-plaintext envelope"
        lines.append(f"| `{value:#04x}` | {bits} | {what} |")
    lines.append("")
    return lines


def generate(profile_list: list[Profile]) -> str:
    lines = [
        "<!-- Generated from spec/ by spec/codegen — do not edit; run `make generate`. -->",
        "",
        "# OxTunnel v3 wire protocol reference",
        "",
        "Every structure, field, flag, code and constant on the wire, generated from the Kaitai `.ksy`",
        "files and `constants.yaml` in `spec/` (the design notes are in `spec/README.md`). All v3",
        "integers are big-endian; sizes are in bytes; `var` = the offset depends on earlier fields.",
        "",
    ]
    v3 = profile_list[0]
    lines += ["## Contents", ""]
    for p in profile_list:
        lines.append(f"* {p.name}: " + ", ".join(f"[{sid}](#{sid})" for sid in p.structs))
    lines.append("")
    assert v3.constants is not None
    lines += constants_section(v3.constants, "Constants (spec/constants.yaml)")
    lines += flag_combinations(v3)
    titles = {
        "v3": "OxTunnel v3 structures",
        "masque": "MASQUE structures (spec/masque)",
        "legacy": "Legacy profile: the Rust Oxidize dialect (spec/legacy, conformance only)",
    }
    for p in profile_list:
        counts = vectors.counts(p)
        lines += [f"## {titles[p.name]}", ""]
        for sid, s in p.structs.items():
            lines += structure_section(p, s, counts[sid])
        if p.name == "legacy" and p.constants is not None:
            lines += constants_section(p.constants, "Legacy constants (spec/legacy/constants.yaml)")
    return "\n".join(lines).rstrip() + "\n"
