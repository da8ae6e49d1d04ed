"""Linux TUN: names validated; as root, a real device in a throwaway namespace answers pings."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from runtimes.linux.tun import TunDevice, TunError, valid_interface_name

HELPER = Path(__file__).with_name("tun_echo_helper.py")


@pytest.mark.parametrize(("name", "ok"), [("oxtun0", True), ("a" * 15, True), ("a" * 16, False), ("", False),
                                          ("has space", False), ("a/b", False), ("..", False)])
def test_interface_names(name: str, ok: bool) -> None:
    assert valid_interface_name(name) is ok


def test_bad_name_refused_before_any_syscall() -> None:
    with pytest.raises(TunError, match="invalid interface name"):
        TunDevice("x" * 20, mtu=1400)


@pytest.mark.root
@pytest.mark.parametrize("vnet_hdr", [False, True])
def test_tun_moves_packets_both_ways_and_vanishes_on_close(netns: Callable[[str], str],
                                                           vnet_hdr: bool) -> None:
    ns = netns("tun")
    root = Path(__file__).resolve().parents[3]
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}
    extra = ["--vnet-hdr"] if vnet_hdr else []
    out = subprocess.run(["ip", "netns", "exec", ns, sys.executable, str(HELPER), *extra],
                         capture_output=True, text=True, timeout=60, cwd=root, env=env)
    assert out.returncode == 0, out.stderr
    fields = dict(item.split("=") for item in out.stdout.split())
    assert fields["ping_rc"] == "0" and int(fields["answered"]) >= 3
    assert fields["seen6"] == "True"
    assert fields["drops"] == "1"
    assert fields["left_rc"] != "0"  # the interface is gone with its last queue


def test_tso_refused_by_the_kernel_falls_back_to_plain_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel without the TSO offload flags (EINVAL) gets plain reads; any other error is an error."""
    import errno

    from runtimes.linux import tun

    calls: list[int] = []

    def refuse(fd: int, request: int, arg: int) -> int:
        calls.append(arg)
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(tun.fcntl, "ioctl", refuse)
    assert tun._set_offload(7, tun.TSO_OFFLOADS) is False and calls == [tun.TSO_OFFLOADS]

    def broken(fd: int, request: int, arg: int) -> int:
        raise OSError(errno.EBADF, "Bad file descriptor")

    monkeypatch.setattr(tun.fcntl, "ioctl", broken)
    with pytest.raises(OSError):
        tun._set_offload(7, tun.TSO_OFFLOADS)
    monkeypatch.setattr(tun.fcntl, "ioctl", lambda fd, request, arg: 0)
    assert tun._set_offload(7, tun.TSO_OFFLOADS) is True
