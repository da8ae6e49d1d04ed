"""resolv.conf replaced in place and restored byte for byte; a stale backup is the true original."""

from __future__ import annotations

from pathlib import Path

from runtimes.linux import dns
from runtimes.undo import UndoStack

ORIGINAL = "# mine\nnameserver 192.0.2.53\nsearch lan example\noptions edns0\n"


def test_apply_and_restore(tmp_path: Path) -> None:
    resolv, backup = tmp_path / "resolv.conf", tmp_path / "state" / "resolv.backup"
    backup.parent.mkdir()
    resolv.write_text(ORIGINAL)
    inode = resolv.stat().st_ino
    undo = UndoStack()
    dns.apply(undo, ["10.77.0.1", "fd77::1"], path=resolv, backup=backup, ifname="oxtun0")
    text = resolv.read_text()
    assert "nameserver 10.77.0.1\nnameserver fd77::1\n" in text
    assert "192.0.2.53" not in text and "search lan example" in text and "options edns0" in text
    assert resolv.stat().st_ino == inode  # in place, bind mounts survive
    assert undo.unwind() == []
    assert resolv.read_text() == ORIGINAL and not backup.exists()


def test_leftover_backup_from_a_crash_is_kept_as_original(tmp_path: Path) -> None:
    resolv, backup = tmp_path / "resolv.conf", tmp_path / "resolv.backup"
    backup.write_text(ORIGINAL)
    resolv.write_text(dns.render(ORIGINAL, ["10.9.9.9"], "oxtun0"))  # what the crashed run left
    undo = UndoStack()
    dns.apply(undo, ["10.77.0.1"], path=resolv, backup=backup, ifname="oxtun0")
    undo.unwind()
    assert resolv.read_text() == ORIGINAL


def test_no_servers_changes_nothing(tmp_path: Path) -> None:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(ORIGINAL)
    undo = UndoStack()
    dns.apply(undo, [], path=resolv, backup=tmp_path / "b", ifname="oxtun0")
    assert len(undo) == 0 and resolv.read_text() == ORIGINAL
