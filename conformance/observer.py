"""Observers: vantage points behind the server that show whether the server forwarded a probe.

Checks such as "no open relay" need to see the far side of the server. ``SniffObserver`` runs a scapy
sniffer in the observer's network namespace (``python -m conformance.sniff`` under ``ip netns exec``) and
streams every frame back; ``ListenObserver`` binds a UDP socket where forwarded UDP probes land (for a
target on loopback). Probes carry random markers, so a check asks "was *my* marker seen?".
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from typing import Protocol

from conformance.target import ObserverConfig


class ObserverError(RuntimeError):
    """The observer could not be started."""


class Observer(Protocol):
    config: ObserverConfig

    def start(self) -> None: ...
    def seen(self, marker: bytes, within: float) -> bool: ...
    def stop(self) -> None: ...


class _Collector:
    """Thread-safe store of captured payloads with a wait-for-marker primitive."""

    def __init__(self) -> None:
        self._frames: list[bytes] = []
        self._cond = threading.Condition()

    def add(self, frame: bytes) -> None:
        with self._cond:
            self._frames.append(frame)
            self._cond.notify_all()

    def seen(self, marker: bytes, within: float) -> bool:
        deadline = time.monotonic() + within
        with self._cond:
            while True:
                if any(marker in frame for frame in self._frames):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)

    @property
    def count(self) -> int:
        with self._cond:
            return len(self._frames)


class SniffObserver:
    """A scapy AsyncSniffer in another network namespace, run as a child process."""

    def __init__(self, config: ObserverConfig) -> None:
        self.config = config
        self._collector = _Collector()
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def start(self, ready_timeout: float = 20.0) -> None:
        assert self.config.netns and self.config.interface
        cmd = [
            "ip",
            "netns",
            "exec",
            self.config.netns,
            sys.executable,
            "-m",
            "conformance.sniff",
            "--iface",
            self.config.interface,
        ]
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self._proc.stdout is not None
        ready = threading.Event()

        def read() -> None:
            assert self._proc is not None and self._proc.stdout is not None
            for line in self._proc.stdout:
                line = line.strip()
                if line == "READY":
                    ready.set()
                elif line:
                    with contextlib.suppress(ValueError):
                        self._collector.add(bytes.fromhex(line))

        self._reader = threading.Thread(target=read, name="observer-reader", daemon=True)
        self._reader.start()
        if not ready.wait(ready_timeout):
            err = ""
            if self._proc.poll() is not None and self._proc.stderr:
                err = self._proc.stderr.read()[-400:]
            self.stop()
            raise ObserverError(
                f"sniffer in netns {self.config.netns} on {self.config.interface} did not "
                f"start within {ready_timeout:.0f} s {err}".strip()
            )

    def seen(self, marker: bytes, within: float) -> bool:
        return self._collector.seen(marker, within)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin:
                proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


class ListenObserver:
    """A UDP socket on the suite's own host where forwarded UDP probes would arrive."""

    def __init__(self, config: ObserverConfig) -> None:
        self.config = config
        self._collector = _Collector()
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.config.address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.bind((self.config.address, self.config.port))
        except OSError as exc:
            sock.close()
            raise ObserverError(f"cannot bind {self.config.address}:{self.config.port}: {exc}") from None
        sock.settimeout(0.1)
        self._sock = sock
        self._thread = threading.Thread(target=self._loop, name="observer-listen", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                data, _ = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            self._collector.add(data)

    def seen(self, marker: bytes, within: float) -> bool:
        return self._collector.seen(marker, within)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)
        if self._sock:
            self._sock.close()
            self._sock = None


def make_observer(config: ObserverConfig) -> Observer:
    return SniffObserver(config) if config.mode == "sniff" else ListenObserver(config)
