"""A translator for the subset of the Kaitai Struct expression language that our .ksy files use.

The codec generator turns `size:`, `if:`, `repeat-expr:`, `valid: expr:` and `-oxt-derive:` expressions
into Python source. Only what the spec needs is supported; anything else is a generator error naming
the expression, so that a .ksy author cannot silently get a different meaning than Kaitai's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

_TOKEN = re.compile(
    r"\s*(?:(?P<num>0x[0-9a-fA-F_]+|0b[01_]+|\d[\d_]*)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op><<|>>|<=|>=|==|!=|::|[-+*/%&|^~<>()?:.\[\]]))"
)


class ExprError(ValueError):
    """An expression the translator does not understand (a spec authoring error)."""


@dataclass(frozen=True)
class Node:
    """Expression tree node: kind is num, name, enum, attr, unary, bin, cond."""

    kind: str
    value: object = None
    args: tuple[Node, ...] = ()
    text: str = ""  # a number as written in the spec (0xe0 stays 0xe0)


def tokenize(text: str) -> list[str]:
    """Split an expression into tokens; raise ExprError on anything unknown."""
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExprError(f"cannot tokenize {text!r} at {pos}")
        out.append(m.group(m.lastgroup or "op"))
        pos = m.end()
    return out


# binary operator precedence (Python-like, as Kaitai's grammar): higher binds tighter
_BINARY = {
    "or": 1,
    "and": 2,
    "==": 4,
    "!=": 4,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "|": 5,
    "^": 6,
    "&": 7,
    "<<": 8,
    ">>": 8,
    "+": 9,
    "-": 9,
    "*": 10,
    "/": 10,
    "%": 10,
}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise ExprError(f"{self.text!r}: expected {expected or 'a token'}, got {tok!r}")
        self.pos += 1
        return tok

    def parse(self) -> Node:
        node = self.ternary()
        if self.peek() is not None:
            raise ExprError(f"{self.text!r}: unexpected {self.peek()!r}")
        return node

    def ternary(self) -> Node:
        cond = self.binary(1)
        if self.peek() == "?":
            self.take("?")
            yes = self.ternary()
            self.take(":")
            no = self.ternary()
            return Node("cond", None, (cond, yes, no))
        return cond

    def binary(self, min_prec: int) -> Node:
        left = self.unary()
        while True:
            op = self.peek()
            prec = _BINARY.get(op or "")
            if prec is None or prec < min_prec:
                return left
            self.take()
            right = self.binary(prec + 1)
            left = Node("bin", op, (left, right))

    def unary(self) -> Node:
        tok = self.peek()
        if tok in ("-", "~", "not"):
            self.take()
            operand = self.binary(3) if tok == "not" else self.unary()
            return Node("unary", tok, (operand,))
        return self.postfix(self.atom())

    def atom(self) -> Node:
        tok = self.take()
        if tok == "(":
            node = self.ternary()
            self.take(")")
            return node
        if tok[0].isdigit():
            return Node("num", int(tok.replace("_", ""), 0), text=tok.lower())
        if tok in ("true", "false"):
            return Node("num", tok == "true")
        if re.fullmatch(r"[A-Za-z_]\w*", tok):
            if self.peek() == "::":
                self.take("::")
                return Node("enum", (tok, self.take()))
            return Node("name", tok)
        raise ExprError(f"{self.text!r}: unexpected {tok!r}")

    def postfix(self, node: Node) -> Node:
        while self.peek() == ".":
            self.take(".")
            node = Node("attr", self.take(), (node,))
        return node


def parse(text: str | int | bool) -> Node:
    """Parse a Kaitai expression (ints and bools from YAML are literals)."""
    if isinstance(text, bool | int):
        return Node("num", text)
    return _Parser(str(text)).parse()


def names(node: Node) -> set[str]:
    """Field ids an expression reads (`_` included when present)."""
    if node.kind == "name":
        return {str(node.value)}
    found: set[str] = set()
    for arg in node.args:
        found |= names(arg)
    return found


@dataclass
class Context:
    """How names and attributes map to Python in one place of the generated code.

    name: field id → Python expression for its value.
    varint_len: field id → Python expression for the encoded length of a varint field.
    sizeof: field id → Python expression for the encoded size of a user-typed field.
    enum_value: (enum, member) → integer.
    varints: ids of fields whose Kaitai type is quic_varint (`.value` is the integer itself).
    """

    name: Callable[[str], str]
    enum_value: Callable[[str, str], int]
    varint_len: Callable[[str], str] = lambda n: f"_varint_size({n})"
    sizeof: Callable[[str], str] = lambda n: f"len({n})"
    varints: frozenset[str] = frozenset()


_ATOM = 12


def to_python(node: Node, ctx: Context) -> str:
    """Python source for the expression, parenthesised only where Python's precedence needs it."""
    return _emit(node, ctx)[0]


def _wrap(part: tuple[str, int], minimum: int) -> str:
    text, prec = part
    return f"({text})" if prec < minimum else text


def _operand(part: tuple[str, int], parent: int, is_left: bool) -> str:
    """Parenthesise where Python needs it, and also around a different operator inside an arithmetic,
    bitwise or comparison operator (so `(x & 0xe0) == 0` reads as a C or Kaitai reader expects)."""
    text, prec = part
    if prec < parent or (not is_left and prec == parent) or (parent == 4 and prec == 4):
        return f"({text})"
    if parent >= 4 and 4 <= prec < _ATOM and prec != parent:
        return f"({text})"
    return text


def _emit(node: Node, ctx: Context) -> tuple[str, int]:
    kind = node.kind
    if kind == "num":
        if isinstance(node.value, bool):
            return repr(node.value), _ATOM
        return node.text or _int_literal(int(node.value)), _ATOM  # type: ignore[call-overload]
    if kind == "name":
        return ctx.name(str(node.value)), _ATOM
    if kind == "enum":
        enum, member = cast(tuple[str, str], node.value)
        return _int_literal(ctx.enum_value(enum, member)), _ATOM
    if kind == "attr":
        return _attr(node, ctx), _ATOM
    if kind == "unary":
        if node.value == "not":
            return f"not {_wrap(_emit(node.args[0], ctx), 3)}", 3
        return f"{node.value}{_wrap(_emit(node.args[0], ctx), 11)}", 11
    if kind == "bin":
        op = "//" if node.value == "/" else str(node.value)
        prec = _BINARY[str(node.value)]
        # comparisons chain in Python, so a comparison operand of a comparison gets parentheses
        left = _emit(node.args[0], ctx)
        right = _emit(node.args[1], ctx)
        return f"{_operand(left, prec, True)} {op} {_operand(right, prec, False)}", prec
    if kind == "cond":
        cond, yes, no = (_wrap(_emit(a, ctx), 1) for a in node.args)
        return f"{yes} if {cond} else {no}", 0
    raise ExprError(f"unsupported node {kind}")


def _attr(node: Node, ctx: Context) -> str:
    target, attr = node.args[0], str(node.value)
    target_id = str(target.value) if target.kind == "name" else None
    if attr in ("size", "length"):
        return f"len({to_python(target, ctx)})"
    if attr == "to_i":
        return to_python(target, ctx)
    if target_id is not None and target_id in ctx.varints:
        if attr == "value":
            return to_python(target, ctx)
        if attr == "len":
            return ctx.varint_len(target_id)
    if attr == "_sizeof" and target_id is not None:
        return ctx.sizeof(target_id)
    raise ExprError(f"unsupported attribute .{attr}")


def _int_literal(value: int) -> str:
    return f"{value:#x}" if value > 0xFFFF else str(value)


def evaluate(text: str | int, env: dict[str, int]) -> int:
    """Evaluate an expression over integers (used for tables such as the valid-flags set)."""
    ctx = Context(name=lambda n: f"env[{n!r}]", enum_value=_no_enum)
    source = to_python(parse(text), ctx)
    return int(eval(source, {"__builtins__": {}}, {"env": env}))  # noqa: S307 - our own translated spec text


def _no_enum(enum: str, member: str) -> int:
    raise ExprError(f"enum reference {enum}::{member} not allowed here")
