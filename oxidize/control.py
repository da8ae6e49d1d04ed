"""The control socket of a running `oxidize server` / `oxidize up`, and where its state lives.

Each running instance owns `<state_dir>/<instance>/` (mode 0700): `control.sock` (unix stream, 0600),
`pid`, and `undo.json` (the undo stack, see runtimes.undo). The instance name is the interface name,
qualified by the network namespace when not in the initial one (`oxtun0@lab-client`), because
`ip netns exec` shares /run between namespaces. Requests and replies are one JSON object per line:
`{"cmd": "status"}` → the status document, `{"cmd": "down"}` → the process tears down and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

MAX_REQUEST = 64 * 1024
Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class ControlError(RuntimeError):
    """No instance answers, or it answered with an error."""


def _netns_inode(pid: str = "self") -> int:
    return os.stat(f"/proc/{pid}/ns/net").st_ino


def netns_label() -> str:
    """'' in the initial network namespace, else its `ip netns` name (or `ns<inode>`)."""
    mine = _netns_inode()
    try:
        if mine == _netns_inode("1"):
            return ""
    except OSError:
        pass  # /proc/1 not visible (a container): always qualify
    run_netns = Path("/run/netns")
    if run_netns.is_dir():
        for entry in sorted(run_netns.iterdir()):
            with contextlib.suppress(OSError):
                if entry.stat().st_ino == mine:
                    return entry.name
    return f"ns{mine}"


def instance_name(interface: str) -> str:
    label = netns_label()
    return f"{interface}@{label}" if label else interface


def instance_dir(state_dir: Path, interface: str) -> Path:
    return state_dir / instance_name(interface)


def make_instance_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def instances_here(state_dir: Path) -> list[Path]:
    """Instance directories in `state_dir` that belong to this network namespace."""
    if not state_dir.is_dir():
        return []
    label = netns_label()
    found = []
    for entry in sorted(state_dir.iterdir()):
        name, _, ns = entry.name.partition("@")
        if entry.is_dir() and ns == label and name:
            found.append(entry)
    return found


async def serve(path: Path, handler: Handler) -> asyncio.AbstractServer:
    """Listen on `path` (replacing a stale socket); each line in gets one JSON line back."""
    path.unlink(missing_ok=True)

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), timeout=5)
            try:
                request = json.loads(line[:MAX_REQUEST] or b"{}")
                if not isinstance(request, dict):
                    raise ValueError("request must be a JSON object")
                reply = await handler(request)
            except (ValueError, KeyError) as exc:
                reply = {"error": str(exc)}
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    old = os.umask(0o177)
    try:
        server = await asyncio.start_unix_server(on_client, path=str(path), limit=MAX_REQUEST)
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    return server


def request(path: Path, cmd: str, timeout: float = 5.0, **args: Any) -> dict[str, Any]:
    """Send one command to the instance at `path` and return its reply (blocking; for the CLI)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError):
            raise ControlError(f"nothing answers on {path}") from None
        except PermissionError:
            raise ControlError(f"{path}: permission denied (the control socket is root's)") from None
        sock.sendall(json.dumps({"cmd": cmd, **args}).encode() + b"\n")
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    try:
        reply: dict[str, Any] = json.loads(b"".join(chunks) or b"{}")
    except json.JSONDecodeError as exc:
        raise ControlError(f"{path}: unreadable reply ({exc})") from None
    if "error" in reply:
        raise ControlError(f"{path}: {reply['error']}")
    return reply
