"""`python -m spec.codegen --out generated --docs docs` regenerates everything; `--check` diffs."""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
from pathlib import Path

from spec.codegen import build
from spec.codegen.model import ROOT


def _write(files: dict[str, str], root: Path) -> None:
    for owned in build.OWNED_DIRS:
        target = root / owned
        if target.is_dir():
            for stale in sorted(target.rglob("*"), reverse=True):
                rel = stale.relative_to(root).as_posix()
                if stale.is_file() and rel not in files and "__pycache__" not in stale.parts:
                    stale.unlink()
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


def _check(files: dict[str, str]) -> int:
    """Write a fresh tree into a temporary directory, then diff it against the committed one."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="oxt-gen-") as tmp:
        fresh = Path(tmp)
        _write(files, fresh)
        for rel in sorted(files):
            new = (fresh / rel).read_text()
            old_path = ROOT / rel
            if not old_path.exists():
                problems.append(f"missing: {rel}")
                continue
            old = old_path.read_text()
            if old != new:
                diff = difflib.unified_diff(
                    old.splitlines(), new.splitlines(), f"committed/{rel}", f"fresh/{rel}", lineterm="", n=1
                )
                problems.append("\n".join(list(diff)[:40]))
        for owned in build.OWNED_DIRS:
            base = ROOT / owned
            if base.is_dir():
                for path in sorted(base.rglob("*")):
                    rel = path.relative_to(ROOT).as_posix()
                    if path.is_file() and "__pycache__" not in path.parts and rel not in files:
                        problems.append(f"stale (not generated any more): {rel}")
    if problems:
        print("generated code is out of date with spec/ — run `make generate`:", file=sys.stderr)
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    print(f"generated/ and docs/protocol.md are fresh ({len(files)} files)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spec.codegen", description=__doc__)
    parser.add_argument("--out", default="generated", help="output folder for the generated packages")
    parser.add_argument("--docs", default="docs", help="output folder for protocol.md")
    parser.add_argument("--check", action="store_true", help="regenerate into a temporary tree and diff")
    args = parser.parse_args(argv)
    files = build.generate_all(args.out, args.docs)
    if args.check:
        return _check(files)
    _write(files, ROOT)
    print(f"wrote {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
