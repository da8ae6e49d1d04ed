"""The undo stack: reverse order, keeps going past failures, survives the process via its state file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runtimes import undo
from runtimes.undo import UndoStack

LOG: list[str] = []


@undo.undo_handler("test_record")
def _record(name: str) -> None:
    LOG.append(name)


@undo.undo_handler("test_fail")
def _fail(name: str) -> None:
    raise OSError(f"cannot undo {name}")


def test_unwinds_newest_first_and_past_failures() -> None:
    LOG.clear()
    stack = UndoStack()
    stack.push("test_record", name="device")
    stack.push("test_fail", "the broken one", name="x")
    stack.push("test_record", name="route")
    errors = stack.unwind()
    assert LOG == ["route", "device"]
    assert errors == ["undo the broken one failed: cannot undo x"]
    assert len(stack) == 0


def test_unknown_kind_is_an_error_at_push_time() -> None:
    with pytest.raises(KeyError, match="no undo handler"):
        UndoStack().push("no_such_kind")


def test_state_file_mirrors_stack_and_reloads(tmp_path: Path) -> None:
    LOG.clear()
    state = tmp_path / "undo.json"
    stack = UndoStack(state)
    stack.push("test_record", name="a")
    stack.push("test_record", name="b")
    again, pid = UndoStack.load(state)
    assert pid == os.getpid()
    assert [a.args["name"] for a in again.actions] == ["a", "b"]
    assert again.unwind() == [] and LOG == ["b", "a"]
    assert not state.exists()


def test_process_alive() -> None:
    assert undo.process_alive(os.getpid())
    assert not undo.process_alive(2**22 + 12345)


def test_local_actions_run_but_are_never_persisted(tmp_path: Path) -> None:
    LOG.clear()
    state = tmp_path / "undo.json"
    stack = UndoStack(state)
    stack.push_local(lambda: LOG.append("fd"), "close fd")
    assert not state.exists()
    stack.push("test_record", name="rule")
    again, _ = UndoStack.load(state)
    assert [a.kind for a in again.actions] == ["test_record"]
    assert stack.unwind() == [] and LOG == ["rule", "fd"]
