"""Run every generator and return {path relative to the repository: file text}."""

from __future__ import annotations

from pathlib import Path

from spec.codegen import constgen, fastpath, pycodec
from spec.codegen.model import Profile, profiles

TEMPLATES = Path(__file__).resolve().parent / "templates"

# folders the generator owns completely (stale files there are removed / reported)
OWNED_DIRS = ("generated/codecs", "generated/masque", "generated/legacy")


def _package_dir(out: str, profile: Profile) -> str:
    return f"{out}/{profile.package.split('.', 1)[1]}"


def generate_all(out: str = "generated", docs: str = "docs") -> dict[str, str]:
    files: dict[str, str] = {}
    for profile in profiles():
        pkg = _package_dir(out, profile)
        for sid, s in profile.structs.items():
            if not s.primitive:
                files[f"{pkg}/{sid}.py"] = pycodec.generate_module(profile, s)
        if profile.name == "v3":
            runtime = (TEMPLATES / "_runtime.py").read_text()
            files[f"{pkg}/_runtime.py"] = pycodec.header("spec/codegen/templates/_runtime.py") + runtime
            assert profile.constants is not None
            files[f"{pkg}/constants.py"] = constgen.generate(
                profile.constants, "spec/constants.yaml", "OxTunnel v3 protocol constants"
            )
            files[f"{pkg}/fast.py"] = fastpath.generate(profile)
            extra = {
                "generated.codecs": {"constants", "fast"},
                "generated.codecs._runtime": {"DecodeError", "EncodeError"},
                "generated.codecs.fast": set(FAST_API),
            }
            files[f"{pkg}/__init__.py"] = _init(
                profile, extra, "OxTunnel v3 codecs: one dataclass per structure of spec/*.ksy."
            )
        elif profile.name == "masque":
            extra = {
                "generated.codecs._runtime": {
                    "DecodeError",
                    "EncodeError",
                    "encode_varint",
                    "read_varint",
                    "varint_size",
                },
                "generated.masque.varint": {"QuicVarint", "decode_varint"},
            }
            files[f"{pkg}/varint.py"] = _varint_module()
            files[f"{pkg}/__init__.py"] = _init(
                profile, extra, "MASQUE pieces (RFC 9297/9298/9484) from spec/masque/*.ksy."
            )
        elif profile.name == "legacy":
            assert profile.constants is not None
            files[f"{pkg}/constants.py"] = constgen.generate(
                profile.constants, "spec/legacy/constants.yaml", "Legacy (Rust Oxidize) dialect constants"
            )
            extra = {
                "generated.codecs._runtime": {"DecodeError", "EncodeError"},
                "generated.legacy": {"constants"},
            }
            files[f"{pkg}/__init__.py"] = _init(
                profile, extra, "The legacy (Rust Oxidize) dialect; only conformance/ may import it."
            )
    return files


FAST_API = (
    "pack_envelope",
    "pack_envelope_prefix",
    "pack_envelope_prefix_into",
    "pack_header",
    "pack_tcp_frame",
    "split_tcp_frames",
    "unpack_envelope",
    "unpack_envelope_prefix",
    "unpack_header",
)


def _init(profile: Profile, extra: dict[str, set[str]], doc: str) -> str:
    src = "spec/*.ksy" if profile.name == "v3" else f"spec/{profile.name}/*.ksy"
    lines = [pycodec.header(src).rstrip("\n"), f'"""{doc}"""', "", "from __future__ import annotations", ""]
    imports = {k: set(v) for k, v in extra.items()}
    for sid, s in profile.structs.items():
        if not s.primitive:
            imports[f"{profile.package}.{sid}"] = {s.class_name}
    lines += pycodec.format_imports(imports)
    names = sorted({n for v in imports.values() for n in v})
    lines += ["", "__all__ = ["] + [f'    "{n}",' for n in names] + ["]"]
    return "\n".join(lines) + "\n"


def _varint_module() -> str:
    return (
        pycodec.header("spec/masque/quic_varint.ksy")
        + '''"""QUIC variable-length integer (RFC 9000 §16) as a structure that remembers its encoded length.

Decoding accepts non-minimal encodings; encoding is minimal unless `encoded_length` is set (decode sets
it to the length found on the wire, so that decode(encode(x)) == x and encode(decode(b)) == b).
"""

from __future__ import annotations

from dataclasses import dataclass

from generated.codecs._runtime import (
    Buffer,
    DecodeError,
    EncodeError,
    encode_varint,
    read_varint,
    varint_size,
)

_NAME = "QuicVarint"


@dataclass(frozen=True, slots=True)
class QuicVarint:
    """QUIC varint: value (0 … 2^62 − 1) and, optionally, the encoded length (1, 2, 4 or 8)."""

    value: int
    encoded_length: int | None = None

    @classmethod
    def decode(cls, data: Buffer) -> QuicVarint:
        """Decode exactly one varint (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls.decode_prefix(buf)
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[QuicVarint, int]:
        """Decode one varint at offset; return it and the offset after it."""
        buf = data if type(data) is bytes else bytes(data)
        value, end = read_varint(buf, offset, len(buf), _NAME, "value")
        return cls(value, end - offset), end

    def encode(self) -> bytes:
        """Minimal encoding, or exactly encoded_length bytes."""
        try:
            return encode_varint(self.value, self.encoded_length)
        except EncodeError as exc:
            raise EncodeError(_NAME, exc.field, exc.reason) from None

    @property
    def minimal(self) -> bool:
        """Whether the encoding is the shortest one."""
        return self.encoded_length in (None, varint_size(self.value))


def decode_varint(data: Buffer, offset: int = 0) -> tuple[int, int]:
    """(value, next offset) of the varint at offset."""
    buf = data if type(data) is bytes else bytes(data)
    return read_varint(buf, offset, len(buf), _NAME, "value")
'''
    )
