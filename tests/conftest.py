"""Shared test plumbing: `root` tests skip when not root; throwaway network namespaces with cleanup."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# Speed is measured in benchmarks, not asserted in tests: on a shared 2-core machine a property example can
# take far longer than hypothesis' 200 ms default deadline without anything being wrong.
settings.register_profile("oxtunnel", deadline=None)
settings.load_profile("oxtunnel")

NETNS_PREFIX = os.environ.get("OX_TEST_NETNS_PREFIX", "oxr")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.geteuid() == 0 and shutil.which("ip"):
        return
    reason = "needs root and iproute2 (network namespaces, TUN, nftables)"
    for item in items:
        if "root" in item.keywords or "lab" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


def _kill_namespace_processes(name: str) -> None:
    pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True, check=False).stdout
    for pid in pids.split():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)


@pytest.fixture
def netns() -> Iterator[Callable[[str], str]]:
    """Factory: `netns("client")` creates `oxr-client-<pid>-<rand>` with lo up; all are deleted after."""
    created: list[str] = []

    def make(role: str = "ns") -> str:
        name = f"{NETNS_PREFIX}-{role}-{os.getpid()}-{secrets.token_hex(2)}"
        subprocess.run(["ip", "netns", "add", name], check=True)
        created.append(name)
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        return name

    yield make
    for name in reversed(created):
        _kill_namespace_processes(name)
        subprocess.run(["ip", "netns", "del", name], check=False)
        shutil.rmtree(Path("/etc/netns") / name, ignore_errors=True)


def in_netns(name: str, *argv: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a command inside namespace `name` (helper for tests)."""
    return subprocess.run(["ip", "netns", "exec", name, *argv], capture_output=True, text=True,
                          timeout=kwargs.pop("timeout", 60), check=kwargs.pop("check", False))  # type: ignore[arg-type]


@pytest.fixture
def run_in() -> Callable[..., subprocess.CompletedProcess[str]]:
    return in_netns
