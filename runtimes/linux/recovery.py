"""Replaying the undo state a dead process left behind (after SIGKILL, a crash, a power cut of /run)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

# imported for their undo handlers: every kind a state file can name must be registered here
from runtimes.linux import dns, netconf, nft, sysctl  # noqa: F401
from runtimes.undo import UndoStack, process_alive

log = logging.getLogger(__name__)

STATE_GLOB = "undo-*.json"  # undo-1-base.json, undo-2-net.json, …: replayed highest number first


class StillRunning(RuntimeError):
    """The process that owns the state is alive: ask it to stop instead."""


def state_file(instance_dir: Path, order: int, name: str) -> Path:
    """The state file of one undo stack; stacks with a higher `order` are undone first."""
    return instance_dir / f"undo-{order}-{name}.json"


def recover(instance_dir: Path) -> list[str] | None:
    """Undo what a dead owner of `instance_dir` left; None when there was nothing to undo.

    Returns the list of steps that failed (empty = clean). Raises StillRunning if the owner lives.
    """
    files = sorted(instance_dir.glob(STATE_GLOB), reverse=True) if instance_dir.is_dir() else []
    if not files:
        return None
    stacks = [UndoStack.load(f) for f in files]
    for _, pid in stacks:
        if pid is not None and pid != os.getpid() and process_alive(pid) and _same_process_kind(pid):
            raise StillRunning(f"process {pid} still owns {instance_dir}")
    errors: list[str] = []
    for stack, _ in stacks:
        log.warning("cleaning up after a process that did not exit cleanly (%d steps)", len(stack))
        errors += stack.unwind()
    return errors


def _same_process_kind(pid: int) -> bool:
    """A recycled pid that is not an oxidize process does not keep the state alive."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # cannot tell: be careful
    return b"oxidize" in cmdline or b"python" in cmdline
