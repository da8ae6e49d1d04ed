"""Per-namespace sysctls (IP forwarding, src_valid_mark), set with the old value kept for undo."""

from __future__ import annotations

from pathlib import Path

from runtimes.undo import UndoStack, undo_handler

PROC_SYS = Path("/proc/sys")
IPV4_FORWARD = "net/ipv4/ip_forward"
IPV6_FORWARD = "net/ipv6/conf/all/forwarding"
SRC_VALID_MARK = "net/ipv4/conf/all/src_valid_mark"


def read(key: str) -> str:
    return (PROC_SYS / key).read_text().strip()


def ensure(undo: UndoStack, key: str, value: str) -> None:
    """Set `key` to `value` unless it already is; undo restores the previous value."""
    old = read(key)
    if old == value:
        return
    (PROC_SYS / key).write_text(value + "\n")
    undo.push("sysctl", f"sysctl {key.replace('/', '.')}={old}", key=key, value=old)


@undo_handler("sysctl")
def _restore(key: str, value: str) -> None:
    (PROC_SYS / key).write_text(value + "\n")
