"""The systemd units start commands the CLI really has, with the config paths the README gives."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

from oxidize import cli

UNITS = Path(__file__).resolve().parents[2] / "oxidize" / "systemd"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name)
    return parser


@pytest.mark.parametrize(("name", "command"), [("oxidize-server.service", "server"),
                                               ("oxidize-client@.service", "up")])
def test_unit_runs_a_real_subcommand(name: str, command: str) -> None:
    service = unit(name)["Service"]
    argv = shlex.split(service["ExecStart"].replace("%i", "laptop"))
    assert argv[0].endswith("/oxidize") and argv[1] == command
    args = cli.build_parser().parse_args(argv[1:])
    assert args.command == command and args.config.startswith("/etc/oxidize/")
    assert service["KillSignal"] == "SIGTERM" and "DeviceAllow" in service
    assert unit(name)["Install"]["WantedBy"] == "multi-user.target"


def test_client_unit_cleans_up_after_a_killed_process() -> None:
    argv = shlex.split(unit("oxidize-client@.service")["Service"]["ExecStopPost"].replace("%i", "x"))
    assert cli.build_parser().parse_args(argv[1:]).command == "down"


def test_server_unit_reloads_with_sighup() -> None:
    argv = shlex.split(unit("oxidize-server.service")["Service"]["ExecReload"])
    assert argv == ["/bin/kill", "-HUP", "$MAINPID"]
