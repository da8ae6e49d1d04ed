"""Running commands and long-lived processes inside the lab's network namespaces.

Every process the lab starts is recorded here by PID so that teardown can stop exactly those processes
(SIGTERM, then SIGKILL after a grace period) and nothing else on the machine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LAB_ROOT = Path(__file__).resolve().parent.parent
REPO_ROOT = LAB_ROOT.parent


class CommandError(RuntimeError):
    """A command failed; carries what is needed to write a useful failure report."""

    def __init__(self, argv: Sequence[str], returncode: int | None, stdout: str, stderr: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        status = "timed out" if returncode is None else f"exit {returncode}"
        tail = (stderr.strip() or stdout.strip())[-600:]
        super().__init__(f"{' '.join(self.argv)}: {status}: {tail}")


def ns_argv(netns: str | None, argv: Sequence[str]) -> list[str]:
    """Prefix a command with `ip netns exec` (which also bind-mounts /etc/netns/<ns>/ files)."""
    return ["ip", "netns", "exec", netns, *argv] if netns else list(argv)


def lab_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for child processes: our package importable, unbuffered output."""
    env = dict(os.environ)
    paths = [str(LAB_ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    if extra:
        env.update(extra)
    return env


def run(
    argv: Sequence[str],
    *,
    netns: str | None = None,
    timeout: float = 30.0,
    check: bool = True,
    input_text: str | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion (bounded by `timeout`) and return its output."""
    full = ns_argv(netns, argv)
    try:
        done = subprocess.run(
            full, input=input_text, capture_output=True, text=True, timeout=timeout,
            env=lab_env(env), check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise CommandError(full, None, out, err) from None
    if check and done.returncode != 0:
        raise CommandError(full, done.returncode, done.stdout, done.stderr)
    return done


def python_argv(module: str, *args: str) -> list[str]:
    """argv that runs one of our helper modules with the lab's interpreter."""
    return [sys.executable, "-m", module, *args]


@dataclass
class Process:
    """A long-lived child process (a server, a tunnel daemon, a capture) with its log file."""

    name: str
    argv: list[str]
    log_path: Path
    popen: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def returncode(self) -> int | None:
        return self.popen.poll()

    def log_tail(self, chars: int = 1500) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def send_signal(self, sig: int) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def stop(self, grace: float = 5.0) -> int | None:
        """SIGTERM, wait up to `grace` seconds, then SIGKILL; returns the exit status."""
        if self.alive():
            self.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.send_signal(signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.popen.wait(timeout=5)
        return self.popen.poll()

    def wait(self, timeout: float) -> int | None:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None


class ProcessTable:
    """All processes one lab run started, so teardown stops exactly those (by PID)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._procs: list[Process] = []
        self._lock = threading.Lock()

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        netns: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Process:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        full = ns_argv(netns, argv)
        with open(log_path, "ab") as log:
            log.write(f"$ {' '.join(full)}\n".encode())
            log.flush()
            popen = subprocess.Popen(
                full, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=lab_env(env), cwd=cwd,
            )
        proc = Process(name=name, argv=full, log_path=log_path, popen=popen)
        with self._lock:
            self._procs.append(proc)
        return proc

    def forget(self, proc: Process) -> None:
        with self._lock:
            if proc in self._procs:
                self._procs.remove(proc)

    def stop_all(self, grace: float = 3.0) -> None:
        """Stop every recorded process, newest first (clients before the servers they talk to)."""
        with self._lock:
            procs = list(reversed(self._procs))
            self._procs.clear()
        for proc in procs:
            if proc.alive():
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in procs:
            remaining = max(0.1, deadline - time.monotonic())
            if proc.wait(remaining) is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(5)


def wait_until(predicate: object, timeout: float, interval: float = 0.2) -> bool:
    """Poll a zero-argument callable until it returns truthy or `timeout` passes."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return True
        except Exception:  # noqa: BLE001 - a probe that fails is just "not yet"
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
