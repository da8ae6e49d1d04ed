"""The layering of BRIEF §3, checked on the import statements of every module (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package -> top-level modules it must never import
FORBIDDEN: dict[str, set[str]] = {
    "generated": {"oxtunnel", "runtimes", "conformance", "oxidize", "oxlab", "spec"},
    "oxtunnel": {
        "socket", "asyncio", "threading", "time", "random", "select", "selectors", "os", "subprocess",
        "multiprocessing", "runtimes", "conformance", "oxidize", "oxlab", "scapy", "aioquic", "spec",
    },
    "runtimes": {"oxidize", "conformance", "oxlab", "spec"},
    "oxidize": {"conformance", "oxlab", "spec"},
    "conformance": {"oxtunnel", "runtimes", "oxidize", "oxlab"},
    "netns-lab": {"oxtunnel", "runtimes", "conformance", "generated"},
}
# dotted prefixes forbidden even though the top level is allowed
FORBIDDEN_PREFIXES: dict[str, tuple[str, ...]] = {
    "oxtunnel": ("generated.legacy",),
    "runtimes": ("generated.legacy",),
    "oxidize": ("generated.legacy",),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _violations(package: str) -> list[str]:
    base = ROOT / package
    bad: list[str] = []
    for path in sorted(base.rglob("*.py")):
        allowed_extra = {"scapy"} if package == "generated" and "scapy_layers" in path.parts else set()
        for lineno, name in _imports(path):
            top = name.split(".")[0]
            if top in FORBIDDEN[package] - allowed_extra:
                bad.append(f"{path.relative_to(ROOT)}:{lineno} imports {name}")
            for prefix in FORBIDDEN_PREFIXES.get(package, ()):
                if name == prefix or name.startswith(prefix + "."):
                    bad.append(f"{path.relative_to(ROOT)}:{lineno} imports {name}")
    return bad


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_layering(package: str) -> None:
    assert _violations(package) == []


def test_checker_sees_a_violation(tmp_path: Path) -> None:
    """The checker itself must catch a forbidden import (a test that cannot fail is worthless)."""
    sample = tmp_path / "m.py"
    sample.write_text("import socket\nfrom runtimes.udp import X\nfrom generated.legacy import codecs\n")
    names = [name for _, name in _imports(sample)]
    assert "socket" in names and "runtimes.udp" in names and "generated.legacy" in names
