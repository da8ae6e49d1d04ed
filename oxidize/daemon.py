"""Process plumbing shared by `oxidize server` and `oxidize up`: the instance directory, stale-state
recovery, signals, the control socket, metrics, and the status rows (oxidize.server, oxidize.client).

Order of a start: claim the instance directory (refuse if a live process owns it; undo what a dead one
left), read the key, build the core, set the host up step by step (each step's undo is recorded and
persisted), then serve until SIGINT/SIGTERM or `oxidize down`. Any failure on the way unwinds what was
done and exits 1 with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oxidize import control, keys, metrics
from oxtunnel.types import PeerAddress, SessionStatus
from runtimes import pump
from runtimes.linux import recovery
from runtimes.undo import UndoStack

log = logging.getLogger("oxidize")
EXIT_OK, EXIT_FAILURE = 0, 1
# SIGHUP too: a terminal closing under a foreground `oxidize up` must still restore routes and DNS
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StartError(RuntimeError):
    """The start failed; everything done so far has been undone."""


# -- shared process plumbing ------------------------------------------------------------------------------
class Instance:
    """The state directory of one running process: pid file, control socket, undo files."""

    def __init__(self, state_dir: Path, interface: str) -> None:
        self.dir = control.instance_dir(state_dir, interface)
        self.name = control.instance_name(interface)

    def claim(self) -> None:
        control.make_instance_dir(self.dir)
        try:
            errors = recovery.recover(self.dir)
        except recovery.StillRunning as exc:
            raise StartError(f"{self.name} is already running ({exc}); stop it with `oxidize down` "
                             "or `systemctl stop`") from None
        if errors:
            raise StartError("a previous run left changes that could not be undone:\n  "
                             + "\n  ".join(errors))
        (self.dir / "pid").write_text(f"{os.getpid()}\n")

    def undo_stack(self, order: int, name: str) -> UndoStack:
        return UndoStack(recovery.state_file(self.dir, order, name))

    @property
    def socket(self) -> Path:
        return self.dir / "control.sock"

    def release(self) -> None:
        for name in ("control.sock", "pid"):
            (self.dir / name).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.dir.rmdir()


# Unix time of monotonic 0, fixed once: the same core timestamp always maps to the same wall time
_WALL_OFFSET = time.time() - time.monotonic()


def wall_time(monotonic_value: float | None) -> float | None:
    """A core timestamp (monotonic `now`) as Unix time, None for "never"."""
    if monotonic_value is None or monotonic_value == float("-inf"):
        return None
    return round(monotonic_value + _WALL_OFFSET, 6)


def endpoint_text(addr: PeerAddress | None) -> str | None:
    if addr is None:
        return None
    return f"[{addr.host}]:{addr.port}" if ":" in addr.host else f"{addr.host}:{addr.port}"


def peer_row(key: bytes, name: str, s: SessionStatus | None, handshakes: int | None = None) -> dict[str, Any]:
    """One entry of `peers` in the status document (see oxidize.status) from the core's SessionStatus."""
    return {
        "name": name,
        "public_key": keys.encode(key),
        "endpoint": endpoint_text(s.endpoint) if s else None,
        "transport": s.transport if s else None,
        "addresses": [str(a) for a in (s.ipv4, s.ipv6) if a is not None] if s else [],
        "last_handshake": wall_time(s.last_handshake) if s else None,
        "handshakes": handshakes if handshakes is not None else (s.handshakes if s else 0),
        "rx_bytes": s.rx_bytes if s else 0, "tx_bytes": s.tx_bytes if s else 0,
        "rx_packets": s.rx_packets if s else 0, "tx_packets": s.tx_packets if s else 0,
    }


def drop_counts(trace: Any) -> dict[str, int]:
    return {reason.value: count for reason, count in trace.counts.items() if count}


async def serve(
    instance: Instance,
    start: Callable[[], None],
    stop: Callable[[], list[str]],
    status: Callable[[], dict[str, Any]],
    extra: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None,
    metrics_listen: tuple[str, int] | None = None,
    collect: Callable[[], list[metrics.Family]] | None = None,
    bind_fatal: Callable[[Callable[[str], None]], None] | None = None,
    on_hangup: Callable[[], None] | None = None,
) -> list[str]:
    """Run until a signal, `down`, or a fatal error the runtime reports through the callback it gets
    from `bind_fatal`; returns the undo failures of `stop()`, plus the fatal error if there was one.
    With `on_hangup` (the server's reload), SIGHUP calls it instead of stopping, as daemons do."""
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    fatal: list[str] = []
    for sig in STOP_SIGNALS:
        if sig == signal.SIGHUP and on_hangup is not None:
            loop.add_signal_handler(sig, on_hangup)
        else:
            loop.add_signal_handler(sig, done.set)

    def fail(message: str) -> None:
        log.error("%s", message)
        fatal.append(message)
        loop.call_soon(done.set)

    if bind_fatal is not None:
        bind_fatal(fail)

    async def handle(request: dict[str, Any]) -> dict[str, Any]:
        cmd = request.get("cmd")
        if cmd == "status":
            return status()
        if cmd == "down":
            loop.call_soon(done.set)
            return {"pid": os.getpid(), "stopping": True}
        if extra is not None:
            reply = extra(request)
            if reply is not None:
                return reply
        raise ValueError(f"unknown command {cmd!r}")

    servers: list[asyncio.AbstractServer] = []
    try:
        start()
        servers.append(await control.serve(instance.socket, handle))
        if metrics_listen is not None and collect is not None:
            servers.append(await metrics.serve(metrics_listen[0], metrics_listen[1], collect))
            log.info("metrics on http://%s:%d/metrics", *metrics_listen)
        await done.wait()
        log.info("stopping")
    finally:
        for server in servers:
            server.close()
        errors = stop()
    return errors + fatal


def run(instance: Instance, setup: Callable[[], None], body: Callable[[], Any]) -> int:
    """Claim, set up (unwinding on failure), serve; exit status with a clear message on failure."""
    try:
        instance.claim()
    except StartError as exc:
        log.error("%s", exc)
        return EXIT_FAILURE
    try:
        try:
            setup()
        except Exception as exc:
            log.error("start failed: %s", exc)
            log.debug("start failure", exc_info=True)
            return EXIT_FAILURE
        try:
            errors: list[str] = pump.run(body())
        except Exception as exc:  # everything set up was undone on the way out (serve's finally)
            log.error("failed: %s", exc)
            log.debug("failure", exc_info=True)
            return EXIT_FAILURE
        if errors:
            log.error("exiting with errors: %s", "; ".join(errors))
            return EXIT_FAILURE
        return EXIT_OK
    finally:
        instance.release()
