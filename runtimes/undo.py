"""A stack of undo actions, registered as each set-up step succeeds and run in reverse on exit.

Every change a server or client makes to the system (a device, an address, a route, a rule, an nftables
table, a sysctl, a file) pushes the action that reverts it *after* the change worked. A failed start or a
signal unwinds the stack, so nothing is left behind. Actions are plain records (`kind` + JSON-able
arguments) looked up in a table of handlers, so the stack can be written to a state file after every push:
if the process is killed with SIGKILL, `oxidize down` (or the next start) replays what is left.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

UndoHandler = Callable[..., None]

# kind -> handler; modules that make changes register the handler for the change they make.
HANDLERS: dict[str, UndoHandler] = {}


def undo_handler(kind: str) -> Callable[[UndoHandler], UndoHandler]:
    """Register `func` as the handler that reverts changes of this `kind` (decorator)."""

    def register(func: UndoHandler) -> UndoHandler:
        if kind in HANDLERS and HANDLERS[kind] is not func:
            raise ValueError(f"undo kind {kind!r} registered twice")
        HANDLERS[kind] = func
        return func

    return register


@dataclass(frozen=True)
class UndoAction:
    """One revert step: `HANDLERS[kind](**args)`; `what` is a human description for logs."""

    kind: str
    args: Mapping[str, Any] = field(default_factory=dict)
    what: str = ""
    local: Callable[[], None] | None = None  # process-local (an fd): run, but never written to the state

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "args": dict(self.args), "what": self.what}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UndoAction:
        return cls(kind=str(data["kind"]), args=dict(data.get("args", {})), what=str(data.get("what", "")))


class UndoStack:
    """LIFO of `UndoAction`s, optionally mirrored to a JSON state file after every change."""

    def __init__(self, state_file: Path | None = None) -> None:
        self._actions: list[UndoAction] = []
        self._state_file = state_file

    def __len__(self) -> int:
        return len(self._actions)

    @property
    def actions(self) -> tuple[UndoAction, ...]:
        return tuple(self._actions)

    def push(self, kind: str, what: str = "", **args: Any) -> None:
        """Record that a change succeeded and how to revert it."""
        if kind not in HANDLERS:
            raise KeyError(f"no undo handler registered for {kind!r}")
        self._actions.append(UndoAction(kind, args, what))
        self._save()

    def push_local(self, func: Callable[[], None], what: str) -> None:
        """Record a revert that only this process can do and a crash does by itself (closing an fd)."""
        self._actions.append(UndoAction("local", {}, what, func))

    def unwind(self) -> list[str]:
        """Run every action, newest first; keep going past failures. Returns the failures (messages)."""
        errors: list[str] = []
        while self._actions:
            action = self._actions.pop()
            try:
                if action.local is not None:
                    action.local()
                else:
                    HANDLERS[action.kind](**action.args)
                log.debug("undone: %s", action.what or action.kind)
            except Exception as exc:  # cleanup must continue whatever one step does
                message = f"undo {action.what or action.kind} failed: {exc}"
                log.warning("%s", message)
                errors.append(message)
            self._save()
        return errors

    def _save(self) -> None:
        if self._state_file is None:
            return
        persisted = [a.to_json() for a in self._actions if a.local is None]
        if not persisted:
            self._state_file.unlink(missing_ok=True)
            return
        tmp = self._state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": os.getpid(), "undo": persisted}))
        os.replace(tmp, self._state_file)

    @classmethod
    def load(cls, state_file: Path) -> tuple[UndoStack, int | None]:
        """The stack a (possibly dead) process left in `state_file`, and that process's pid."""
        data = json.loads(state_file.read_text())
        stack = cls(state_file)
        stack._actions = [UndoAction.from_json(item) for item in data.get("undo", [])]
        pid = data.get("pid")
        return stack, int(pid) if isinstance(pid, int) else None


def process_alive(pid: int) -> bool:
    """True when a process with this pid exists (signal 0 probe)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
