"""Emit constants.py (plain constants, IntEnum and IntFlag classes) from a constants.yaml."""

from __future__ import annotations

from spec.codegen.model import Constants, EnumDef
from spec.codegen.pycodec import header


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return hex(value) if value >= 0x100 and value & (value - 1) == 0 or value >= 0x10000 else str(value)
    return repr(value)


def _enum(e: EnumDef) -> list[str]:
    base = "IntFlag" if e.is_flag else "IntEnum"
    out = ["", "", f"class {e.name}({base}):", f'    """{e.doc}"""', ""]
    for member, (value, doc) in e.members.items():
        out.append(f"    {member} = {value:#04x}" if e.is_flag or value > 9 else f"    {member} = {value}")
        out.append(f'    """{doc}"""')
    return out


def generate(constants: Constants, source: str, title: str) -> str:
    lines = [
        header(source).rstrip("\n"),
        f'"""{title} (from {source}).',
        "",
        "Plain names are ints/bytes/str for the hot path; the classes give names to codes and bits.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from enum import IntEnum, IntFlag",
        "from typing import Final",
    ]
    for gname, (gdoc, items) in constants.groups.items():
        lines += ["", f"# --- {gname}: {gdoc}"]
        for c in items:
            shown = (
                f"  # {c.source}"
                if isinstance(c.value, int)
                and not c.source.lstrip("-").isdigit()
                and not c.source.startswith("0x")
                else ""
            )
            lines.append(f"{c.name}: Final = {_literal(c.value)}{shown}")
            lines.append(f'"""{c.doc}"""')
    for e in constants.enums.values():
        lines += _enum(e)
    plain = [e for e in constants.enums.values() if e.prefix]
    if plain:
        lines += ["", "", "# --- flag bits as plain ints (hot path)"]
        for e in plain:
            for member, (value, _doc) in e.members.items():
                lines.append(f"{e.prefix}{member}: Final = {value:#04x}")
    names = [c.name for _, items in constants.groups.values() for c in items]
    names += list(constants.enums)
    names += [f"{e.prefix}{m}" for e in plain for m in e.members]
    lines += ["", "__all__ = ["] + [f'    "{n}",' for n in names] + ["]"]
    return "\n".join(lines) + "\n"
