"""Run the npm kaitai-struct-compiler (a JavaScript library, driven by ksc_driver.js) over a profile."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import cache

import yaml

from spec.codegen.model import Profile, SpecError

DRIVER = os.path.join(os.path.dirname(__file__), "ksc_driver.js")
KSC_VERSION = "0.11.0"


@cache
def _node_path() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise SpecError("npm not found: run scripts/bootstrap.sh (Kaitai parsers need the npm compiler)")
    root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, check=True).stdout.strip()
    return root


def compile_profile(profile: Profile, target: str = "python") -> dict[str, dict[str, str]]:
    """{structure id: {file name: source}} for every .ksy of the profile."""
    specs = {sid: yaml.safe_load(s.path.read_text()) for sid, s in profile.structs.items()}
    request = {"target": target, "specs": specs, "compile": sorted(specs)}
    node = shutil.which("node")
    if node is None:
        raise SpecError("node not found: run scripts/bootstrap.sh")
    env = dict(os.environ, NODE_PATH=_node_path())
    result = subprocess.run(
        [node, DRIVER], input=json.dumps(request), capture_output=True, text=True, env=env, check=False
    )
    if result.returncode != 0:
        raise SpecError(f"kaitai-struct-compiler failed:\n{result.stderr.strip()}")
    out = json.loads(result.stdout)
    version = out.pop("version")
    if version != KSC_VERSION:
        raise SpecError(
            f"kaitai-struct-compiler {version} installed, {KSC_VERSION} required (scripts/bootstrap.sh)"
        )
    return out


_BARE_IMPORT = re.compile(r"^import (\w+)$", re.MULTILINE)


def _relative(match: re.Match[str], ids: set[str]) -> str:
    name = match.group(1)
    return f"from . import {name}" if name in ids else match.group(0)


def python_parsers(profile: Profile, source_label: str) -> dict[str, str]:
    """{module file name: source}: Kaitai's Python output with package-relative imports of sibling ids."""
    ids = set(profile.structs)
    files: dict[str, str] = {}
    for sid, outputs in compile_profile(profile).items():
        for name, text in outputs.items():
            text = _BARE_IMPORT.sub(
                lambda m: f"from . import {m.group(1)}" if m.group(1) in ids else m.group(0), text
            )
            banner = (
                f"# Generated from {source_label}{sid}.ksy by kaitai-struct-compiler {KSC_VERSION}"
                " — do not edit.\n"
            )
            files[name] = banner + text
    return files
