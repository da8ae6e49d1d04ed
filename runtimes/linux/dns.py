"""DNS servers from the tunnel written to resolv.conf, and the original restored on exit.

The file is rewritten in place (never renamed over): `ip netns exec` bind-mounts
/etc/netns/<ns>/resolv.conf onto /etc/resolv.conf, and systemd-resolved setups keep a symlink; both
survive an in-place write. The original bytes are saved next to our state (not next to the file) before
the first change; if a saved copy already exists, a previous run died before restoring, so that copy is
the original and is kept. `search`/`options` lines of the original are carried over.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from runtimes.undo import UndoStack, undo_handler

MARKER = "# written by oxidize"


def render(original: str, servers: Sequence[str], ifname: str) -> str:
    """resolv.conf text with our nameservers and the original's other directives."""
    kept = [line for line in original.splitlines()
            if line.split()[:1] and line.split()[0] in ("search", "domain", "options")]
    lines = [f"{MARKER} ({ifname}); the original comes back when the tunnel goes down"]
    lines += [f"nameserver {s}" for s in servers] + kept
    return "\n".join(lines) + "\n"


def apply(undo: UndoStack, servers: Sequence[str], *, path: Path, backup: Path, ifname: str) -> None:
    """Point `path` at `servers`; undo writes the saved original back."""
    if not servers:
        return
    if not backup.exists():
        original = path.read_bytes() if path.exists() else b""
        tmp = backup.with_suffix(".tmp")
        tmp.write_bytes(original)
        os.chmod(tmp, 0o600)
        os.replace(tmp, backup)
    original_text = backup.read_bytes().decode(errors="replace")
    undo.push("resolv_conf", f"restore {path}", path=str(path), backup=str(backup))
    with open(path, "w") as out:  # in place: keeps bind mounts and symlinks intact
        out.write(render(original_text, servers, ifname))


@undo_handler("resolv_conf")
def _restore(path: str, backup: str) -> None:
    saved = Path(backup)
    if not saved.exists():
        return
    with open(path, "wb") as out:
        out.write(saved.read_bytes())
    saved.unlink()
