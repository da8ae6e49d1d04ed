"""Emit scapy layers (fields_desc per structure, checks, port bindings) from the .ksy model.

The layers dissect and craft packets for the conformance suite and for interactive use. Crafting does
not fill in lengths (conformance needs to send wrong ones); `dissect_strict()` applies the same rules
as the codecs (the checks are generated from the same `valid` expressions) and raises on any problem.
"""

from __future__ import annotations

import re

from spec.codegen.model import Field, Profile, SpecError, Struct, camel
from spec.codegen.pycodec import Emitter, StructGen, format_imports, header

PREFIX = {"v3": "Ox", "masque": "Masque", "legacy": "Ox"}

_RUNTIME = '''

class ScapyStrictError(ValueError):
    """dissect_strict() found bytes the spec does not allow (the same rules as the codecs)."""


class VarInt(int):
    """An int that remembers how many bytes its QUIC varint encoding took on the wire."""

    encoded_len: int

    def __new__(cls, value: int, encoded_len: int) -> VarInt:
        obj = super().__new__(cls, value)
        obj.encoded_len = encoded_len
        return obj


def _vlen(value: int) -> int:
    return getattr(value, "encoded_len", varint_size(value))


class QuicVarintField(Field[int, int]):
    """A QUIC variable-length integer (RFC 9000 §16); non-minimal encodings are kept as found."""

    def __init__(self, name: str, default: int | None) -> None:
        super().__init__(name, default, "B")

    def addfield(self, pkt: Packet, s: bytes, val: int | None) -> bytes:
        value = 0 if val is None else int(val)
        length = getattr(val, "encoded_len", None)
        return s + encode_varint(value, length)

    def getfield(self, pkt: Packet, s: bytes) -> tuple[bytes, int]:
        value, end = read_varint(s, 0, len(s), type(pkt).__name__, self.name)
        return s[end:], VarInt(value, end)

    def i2len(self, pkt: Packet, x: int | None) -> int:
        return _vlen(0 if x is None else x)

    def randval(self) -> int:  # type: ignore[override]
        return 0


class _Nested(Packet):
    """A structure inside another one: what follows it goes back to the outer layer."""

    def extract_padding(self, s: bytes) -> tuple[bytes, bytes]:
        return b"", s

    def oxt_check(self) -> str | None:
        return None


def _check_all(pkt: Packet) -> str | None:
    layer: Packet | None = pkt
    while layer is not None and not isinstance(layer, NoPayload):
        check = getattr(layer, "oxt_check", None)
        if check is None:
            return f"undecoded bytes ({type(layer).__name__})"
        problem = check()
        if problem:
            return f"{type(layer).__name__}.{problem}"
        layer = layer.payload if not isinstance(layer.payload, NoPayload) else None
    return None


def dissect_strict(cls: type[Packet], data: bytes) -> Packet:
    """Dissect data as cls and apply every spec rule; ScapyStrictError on any problem."""
    minimum = getattr(cls, "oxt_min_size", 0)
    if len(data) < minimum:
        raise ScapyStrictError(f"{cls.__name__}: needs at least {minimum} bytes, got {len(data)}")
    saved = conf.debug_dissector
    conf.debug_dissector = True
    try:
        pkt = cls(data)
    except Exception as exc:  # scapy raises many types on short input; all mean "not this structure"
        raise ScapyStrictError(f"{cls.__name__}: {exc}") from exc
    finally:
        conf.debug_dissector = saved
    if pkt.haslayer(Raw) or pkt.haslayer(Padding):
        raise ScapyStrictError(f"{cls.__name__}: bytes left over")
    problem = _check_all(pkt)
    if problem:
        raise ScapyStrictError(problem)
    return pkt
'''


class ScapyGen:
    def __init__(self, profile: Profile) -> None:
        self.p = profile
        self.prefix = PREFIX[profile.name]
        self.consts: list[str] = []

    def cls(self, sid: str) -> str:
        return self.prefix + camel(sid)

    def _expr(self, struct: Struct, text: str | int) -> str:
        """A Kaitai expression over the packet's fields (in a lambda taking pkt)."""
        gen = StructGen(self.p, struct)
        source = gen.py(text)
        for f in struct.fields:
            getter = f"pkt.getfieldval({f.id!r})"
            source = source.replace(f"len_{f.id}", f"_vlen({getter})").replace(f"v_{f.id}", getter)
        return source

    def field(self, struct: Struct, f: Field) -> str:
        name = repr(f.id)
        enums = ""
        if f.enum:
            assert self.p.constants is not None
            edef = self.p.constants.by_ksy(f.enum)
            assert edef is not None
            enums = "{" + ", ".join(f"{v}: {m.lower()!r}" for m, (v, _) in edef.members.items()) + "}"
        le = f.endian == "le"
        if f.kind == "contents":
            assert f.contents is not None
            out = f"XStrFixedLenField({name}, {f.contents!r}, length={len(f.contents)})"
        elif f.kind == "int":
            base = {1: "Byte", 2: "Short", 4: "Int", 8: "Long"}[f.int_size]
            if f.signed:
                raise SpecError(f"{struct.id}.{f.id}: signed integers are not used by the spec")
            default = f.constant if isinstance(f.constant, int) else 0
            if enums:
                cls = {
                    1: "ByteEnumField",
                    2: "LEShortEnumField" if le else "ShortEnumField",
                    4: "LEIntEnumField" if le else "IntEnumField",
                }[f.int_size]
                out = f"{cls}({name}, {default}, {enums})"
            else:
                prefix = "LE" if le and f.int_size > 1 else ""
                out = f"{prefix}{'X' if f.id in ('flags',) else ''}{base}Field({name}, {default})"
                if base == "Long" and le:
                    out = f"LELongField({name}, {default})"
        elif f.kind == "varint":
            out = f"QuicVarintField({name}, {f.constant if isinstance(f.constant, int) else 0})"
        elif f.kind == "bytes":
            if f.size_eos:
                out = f'XStrField({name}, b"")'
            elif isinstance(f.size, int):
                out = f'XStrFixedLenField({name}, b"\\x00" * {f.size}, length={f.size})'
            else:
                assert f.size is not None
                size = self._expr(struct, f.size)
                out = f'XStrLenField({name}, b"", length_from=lambda pkt: max({size}, 0))'
        elif f.kind == "struct":
            sub = self.cls(str(f.type_name))
            if f.repeat == "expr":
                out = (
                    f"PacketListField({name}, [], {sub}, "
                    f"count_from=lambda pkt: {self._expr(struct, str(f.repeat_expr))})"
                )
            elif f.repeat == "eos":
                out = f"PacketListField({name}, [], {sub})"
            else:
                out = f"PacketField({name}, {sub}(), {sub})"
        else:
            raise SpecError(f"{struct.id}.{f.id}: no scapy field for kind {f.kind}")
        if f.if_expr:
            out = f"ConditionalField({out}, lambda pkt: {self._expr(struct, f.if_expr)})"
        return out

    def checks(self, outer: Emitter, struct: Struct) -> None:
        gen = StructGen(self.p, struct)
        e = Emitter([], outer.depth + 1)
        tag = f"_{struct.id.upper()}_ANY_OF_"
        for f in struct.fields:
            local = f"v_{f.id}"
            rules = [(cond.replace("_ANY_OF_", tag), reason) for cond, reason in gen.checks(f, local)]
            if f.kind == "bytes" and not f.size_eos:
                assert f.size is not None
                size = gen.py(f.size)
                rules.insert(0, (f"len({local}) != {size}", f"is {{len({local})}} bytes, needs {{{size}}}"))
            if f.derive:
                want = gen.py(f.derive)
                rules.append((f"{local} != {want}", f"{{{local}}} disagrees with {f.derive} = {{{want}}}"))
            if f.repeat and f.min_items:
                rules.append((f"len({local}) < {f.min_items}", f"needs at least {f.min_items} item(s)"))
            if not rules and f.kind != "struct" and not f.ordered:
                continue
            if f.if_expr:
                e(f"if {local} is not None:")
                e.indent()
            for cond, reason in rules:
                e(f"if {cond}:")
                e(f'    return {"f" if "{" in reason else ""}"{f.id}: {reason}"')
            if f.kind == "struct":
                items = local if f.repeat else f"({local},)"
                e(f"for item in {items}:")
                e("    problem = item.oxt_check()")
                e("    if problem:")
                e(f'        return f"{f.id}.{{problem}}"')
            if f.ordered:
                e(f"problem = ORDER_RULES[{f.ordered!r}]({local})")
                e("if problem:")
                e(f'    return f"{f.id}: {{problem}}"')
            if f.if_expr:
                e.dedent()
        e("return None")
        text = "\n".join(e.lines)
        outer("def oxt_check(self) -> str | None:")
        outer('    """The first rule of the spec this packet breaks, or None."""')
        for f in struct.fields:
            if re.search(rf"\bv_{f.id}\b", text) or re.search(rf"\blen_{f.id}\b", text):
                if f.if_expr:  # an absent conditional field is not in .fields (getfieldval gives the default)
                    outer(f"    v_{f.id} = self.fields.get({f.id!r})")
                else:
                    outer(f"    v_{f.id} = self.getfieldval({f.id!r})")
            if re.search(rf"\blen_{f.id}\b", text):
                outer(f"    len_{f.id} = _vlen(v_{f.id})")
        outer.lines.extend(e.lines)
        self.consts += [c.replace("_ANY_OF_", tag) for c in gen.module_consts if c.startswith("_ANY_OF_")]

    def module(self) -> str:
        names = [sid for sid, s in self.p.structs.items() if not s.primitive]
        nested = self._nested()
        body = Emitter([])
        for sid in self._ordered(names):
            s = self.p.struct(sid)
            base = "_Nested" if sid in nested else "Packet"
            body("")
            body("")
            body(f"class {self.cls(sid)}({base}):")
            body.indent()
            body(f'"""{s.title.replace(chr(34), chr(39))} ({s.path.name})."""')
            body("")
            body(f"name = {s.title!r}")
            body(f"oxt_min_size = {StructGen(self.p, s).min_size()}")
            body("fields_desc = [")
            for f in s.fields:
                body(f"    {self.field(s, f)},")
            body("]")
            body("")
            self.checks(body, s)
            body.dedent()
        if self.p.name == "masque":
            body("")
            body("")
            body("class MasqueQuicVarint(_Nested):")
            body('    """QUIC variable-length integer (quic_varint.ksy)."""')
            body("")
            body('    name = "QUIC varint"')
            body("    oxt_min_size = 1")
            body('    fields_desc = [QuicVarintField("value", 0)]')
            body("")
            body("    @property")
            body("    def len(self) -> int:")
            body('        """Encoded length in bytes."""')
            body("        return _vlen(self.value)")
        text = "\n".join(body.lines)
        used = sorted(
            {
                w
                for w in (
                    "ByteEnumField",
                    "ByteField",
                    "ConditionalField",
                    "IntEnumField",
                    "IntField",
                    "LEIntField",
                    "LELongField",
                    "LEShortField",
                    "LongField",
                    "PacketField",
                    "PacketListField",
                    "ShortEnumField",
                    "ShortField",
                    "XByteField",
                    "XStrField",
                    "XStrFixedLenField",
                    "XStrLenField",
                    "Field",
                )
                if re.search(rf"\b{w}\(", text) or w == "Field"
            }
        )
        src = "spec/*.ksy" if self.p.name == "v3" else f"spec/{self.p.name}/*.ksy"
        lines = [
            header(src).rstrip("\n"),
            f'"""scapy layers for {src} ({self.p.name} profile)."""',
            "",
            "from __future__ import annotations",
            "",
        ]
        imports = {
            "scapy.config": {"conf"},
            "scapy.fields": set(used),
            "scapy.packet": {"NoPayload", "Packet", "Padding", "Raw"},
            "generated.codecs._runtime": {"encode_varint", "read_varint", "varint_size"}
            | ({"ORDER_RULES"} if "ORDER_RULES[" in text else set()),
        }
        if self.p.name != "v3":
            imports = {
                "scapy.fields": set(used) - {"Field"},
                "scapy.packet": {"Packet"},
                "generated.scapy_layers.oxtunnel": {"QuicVarintField", "_Nested", "_vlen"},
            }
            if "ORDER_RULES[" in text:
                imports["generated.codecs._runtime"] = {"ORDER_RULES"}
            if "Packet)" not in text:
                imports.pop("scapy.packet")
            if "QuicVarintField" not in text:
                imports["generated.scapy_layers.oxtunnel"] -= {"QuicVarintField"}
            if "_vlen" not in text:
                imports["generated.scapy_layers.oxtunnel"] -= {"_vlen"}
        if self.p.name in ("v3", "legacy"):
            imports.setdefault("scapy.packet", set()).update({"bind_layers", "split_layers"})
        lines += format_imports({k: v for k, v in imports.items() if v})
        if self.p.name == "v3":
            lines += _RUNTIME.rstrip("\n").split("\n")
        if self.consts:
            lines += [""] * (1 if self.p.name != "v3" else 2) + list(dict.fromkeys(self.consts))
        lines += body.lines
        lines += self._footer()
        return "\n".join(lines).rstrip() + "\n"

    def _nested(self) -> set[str]:
        found = set()
        for s in self.p.structs.values():
            for f in s.fields:
                if f.kind == "struct":
                    found.add(str(f.type_name))
        return found

    def _ordered(self, names: list[str]) -> list[str]:
        """Dependencies first (a class must exist before a field refers to it)."""
        done: list[str] = []

        def visit(sid: str) -> None:
            if sid in done:
                return
            for f in self.p.struct(sid).fields:
                if f.kind == "struct":
                    visit(str(f.type_name))
            done.append(sid)

        for sid in names:
            visit(sid)
        return done

    def _footer(self) -> list[str]:
        if self.p.name == "v3":
            return _V3_FOOTER.rstrip("\n").split("\n")
        if self.p.name == "legacy":
            return _LEGACY_FOOTER.rstrip("\n").split("\n")
        return []


_V3_FOOTER = '''

_HANDSHAKES: dict[int, type[Packet]] = {
    0x01: OxHandshakeInit,
    0x02: OxHandshakeResponse,
    0x0A: OxCookieReply,
}


class OxTunnel(Packet):
    """An OxTunnel v3 datagram: picks the structure from the flags and control type (the way a receiver
    dispatches): flags 0x08 → handshake message by control_type, otherwise a data envelope."""

    name = "OxTunnel v3"

    @classmethod
    def dispatch_hook(cls, _pkt: bytes | None = None, *args: object, **kargs: object) -> type[Packet]:
        if _pkt and len(_pkt) >= 3 and _pkt[:2] == b"OX":
            if _pkt[2] == 0x08:
                return _HANDSHAKES.get(_pkt[9] if len(_pkt) > 9 else -1, OxHeader)
            return OxDataEnvelope
        return Raw


def bind(udp_port: int = 51820, tcp_port: int = 51821) -> None:
    """Bind the layers to the OxTunnel ports, undoing scapy's WireGuard binding of UDP 51820."""
    from scapy.layers.inet import TCP, UDP

    try:
        from scapy.contrib.wireguard import Wireguard

        split_layers(UDP, Wireguard, dport=51820)
        split_layers(UDP, Wireguard, sport=51820)
    except ImportError:  # pragma: no cover - contrib module missing
        pass
    bind_layers(UDP, OxTunnel, dport=udp_port)
    bind_layers(UDP, OxTunnel, sport=udp_port)
    bind_layers(TCP, OxTcpFrame, dport=tcp_port)
    bind_layers(TCP, OxTcpFrame, sport=tcp_port)


bind()
'''

_LEGACY_FOOTER = '''


def bind_legacy(udp_port: int = 51820) -> None:
    """Dissect UDP udp_port as the legacy dialect instead of v3 (conformance runs against Rust Oxidize)."""
    from scapy.layers.inet import UDP

    from generated.scapy_layers.oxtunnel import OxTunnel

    split_layers(UDP, OxTunnel, dport=udp_port)
    split_layers(UDP, OxTunnel, sport=udp_port)
    bind_layers(UDP, OxLegacyPacket, dport=udp_port)
    bind_layers(UDP, OxLegacyPacket, sport=udp_port)
'''


def generate(profile: Profile) -> str:
    return ScapyGen(profile).module()
