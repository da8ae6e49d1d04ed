"""The generator enforces the spec's authoring rules and translates expressions faithfully."""

from __future__ import annotations

from pathlib import Path

import pytest

from spec.codegen import expr
from spec.codegen.model import SpecError, load_profile, load_struct

GOOD = """\
meta:
  id: sample
  endian: be
seq:
  - id: kind
    type: u1
    doc: A code.
    enum: cipher
  - id: size
    type: u2
    doc: Size of data.
    -oxt-derive: data.size
  - id: data
    size: size
    doc: Payload.
enums:
  cipher:
    1: chacha20_poly1305
    2: aes_256_gcm
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.ksy"
    path.write_text(text)
    return path


def test_a_good_file_loads(tmp_path: Path) -> None:
    s = load_struct(_write(tmp_path, "sample", GOOD))
    assert [f.id for f in s.fields] == ["kind", "size", "data"]
    assert s.field_by_id("size").derive == "data.size" and not s.field_by_id("size").is_init


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("    doc: Payload.\n", ""), "doc"),
        (lambda t: t.replace("id: sample", "id: other"), "meta.id"),
        (lambda t: t + "types:\n  x: {}\n", "one structure per file"),
        (lambda t: t.replace("    size: size\n", "    size: size\n    process: zlib\n"), "unsupported keys"),
        (lambda t: t.replace("endian: be", "endian: weird"), "endian"),
    ],
)
def test_authoring_rules_are_enforced(tmp_path: Path, change: object, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load_struct(_write(tmp_path, "sample", change(GOOD)))  # type: ignore[operator]


def test_ksy_enums_must_match_constants_yaml(tmp_path: Path) -> None:
    _write(tmp_path, "sample", GOOD.replace("2: aes_256_gcm", "3: aes_256_gcm"))
    constants = Path(__file__).resolve().parents[2] / "spec" / "constants.yaml"
    with pytest.raises(SpecError, match="differs from constants.yaml"):
        load_profile("t", tmp_path, "x", constants)


@pytest.mark.parametrize(
    ("text", "env", "want"),
    [
        ("(_ & 0xe0) == 0 and (_ & 0x14) != 0x14", {"_": 0x21}, 0),
        ("(_ & 0xe0) == 0 and (_ & 0x14) != 0x14", {"_": 0x09}, 1),
        ("version == 4 ? 4 : 16", {"version": 6}, 16),
        ("a - (b - c)", {"a": 10, "b": 5, "c": 2}, 7),
        ("1 << (x - 1)", {"x": 3}, 4),
        ("not a == 1 and b == 2", {"a": 2, "b": 2}, 1),
        ("7 / 2", {}, 3),
    ],
)
def test_expressions_keep_kaitai_meaning(text: str, env: dict[str, int], want: int) -> None:
    assert expr.evaluate(text, env) == want


def test_unknown_syntax_is_an_error() -> None:
    with pytest.raises(expr.ExprError):
        expr.parse("a @ b")
    with pytest.raises(expr.ExprError):
        expr.parse("(a + b")
