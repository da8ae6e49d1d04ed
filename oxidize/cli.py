"""The `oxidize` command: server, reload, up, down, status, keygen, pubkey, genconfig.

Exit status: 0 success, 1 a runtime failure (the message says what), 2 bad usage or a bad config.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from oxidize import config, control, genconfig, keys, status
from oxidize.config import ConfigError
from oxidize.keys import KeyFileError
from oxidize.validators import Endpoint

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_STATE_DIR = Path("/run/oxidize")
log = logging.getLogger("oxidize")


class CliError(RuntimeError):
    """A failure to report as `oxidize: <message>` with exit status `code`."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


# -- commands ------------------------------------------------------------------------------------------
def cmd_keygen(args: argparse.Namespace) -> int:
    if (args.file is None) == (args.output is None):
        raise CliError("keygen: give the key file once, as FILE or -o FILE", EXIT_USAGE)
    private = keys.generate_private()
    keys.write_private(Path(args.file or args.output), private, force=args.force)
    print(keys.encode(keys.public_from_private(private)))
    return EXIT_OK


def cmd_pubkey(args: argparse.Namespace) -> int:
    print(keys.encode(keys.public_from_private(keys.read_private_stream(args.file))))
    return EXIT_OK


def cmd_genconfig(args: argparse.Namespace) -> int:
    if (args.name is None) == (args.name_option is None):
        raise CliError("genconfig: give the client's name once, as NAME or --name NAME", EXIT_USAGE)
    args.name = args.name or args.name_option
    server_path = Path(args.config)
    settings = config.load_server(server_path)
    if args.endpoint:
        try:
            endpoint = Endpoint(config.DEFAULT_PORT)(args.endpoint)
        except ValueError as exc:
            raise CliError(f"--endpoint: {exc}", EXIT_USAGE) from None
    elif settings.endpoint is not None:
        endpoint = settings.endpoint
    else:
        raise CliError(f"{server_path}: server.endpoint is not set; pass --endpoint HOST:PORT (the address "
                       "clients reach this server at)", EXIT_USAGE)
    out = Path(args.output or f"{args.name}.toml")
    png = Path(args.png) if args.png else out.with_suffix(".png")
    if not args.force:
        for path in (out, png):
            if path.exists():
                raise CliError(f"{path}: exists; use --force to overwrite it", EXIT_USAGE)
    made = genconfig.build(settings, server_path.read_text(), args.name, endpoint)
    genconfig.write_private_text(out, made.client_toml, force=args.force)
    genconfig.write_png(made.client_toml, png, force=args.force)
    genconfig.replace_keeping_mode(server_path, made.server_toml)
    print(f"authorized {args.name} ({keys.encode(made.client_public_key)}) in {server_path}", file=sys.stderr)
    print(f"wrote {out} (0600, contains the client's private key) and QR code {png}", file=sys.stderr)
    if not args.no_qr:
        print(genconfig.qr_text(made.client_toml))
    reloaded = _reload_running_server(settings)
    print(reloaded, file=sys.stderr)
    return EXIT_OK


def _reload_running_server(settings: config.ServerSettings) -> str:
    sock = control.instance_dir(settings.state_dir, settings.interface) / "control.sock"
    if not sock.exists():
        return "no running server found here: the new peer is used from the next start"
    try:
        reply = control.request(sock, "reload")
    except control.ControlError as exc:
        return f"the running server did not take the new peer ({exc}); restart it"
    return f"the running server answers the new peer now ({reply.get('peers', '?')} peers)"


def cmd_reload(args: argparse.Namespace) -> int:
    settings = config.load_server(Path(args.config))  # a bad file is reported here, exit 2
    sock = control.instance_dir(settings.state_dir, settings.interface) / "control.sock"
    try:
        reply = control.request(sock, "reload")
    except control.ControlError as exc:
        raise CliError(f"{settings.interface}: {exc}") from None
    if args.json:
        print(json.dumps(reply, indent=2, sort_keys=True))
        return EXIT_OK
    for what in ("added", "removed", "renamed"):
        for name in reply.get(what, []):
            print(f"{what} {name}")
    if reply.get("restart_needed"):
        print("changed but only used after a restart: " + ", ".join(reply["restart_needed"]))
    print(f"{settings.interface}: {reply.get('peers', '?')} peers", file=sys.stderr)
    return EXIT_OK


def _sockets(state_dir: Path, interface: str | None) -> list[Path]:
    if interface:
        return [control.instance_dir(state_dir, interface) / "control.sock"]
    return [d / "control.sock" for d in control.instances_here(state_dir) if (d / "control.sock").exists()]


def _instance_of_config(path: Path) -> tuple[str, Path]:
    """(interface, state_dir) of a server.toml or client.toml, whichever it is."""
    data = config.read_toml(path)
    settings: config.ServerSettings | config.ClientSettings
    settings = config.parse_server(data, path) if "server" in data else config.parse_client(data, path)
    return settings.interface, settings.state_dir


def cmd_status(args: argparse.Namespace) -> int:
    if args.config:
        args.interface, args.state_dir = _instance_of_config(Path(args.config))
    found = _sockets(Path(args.state_dir), args.interface)
    docs = []
    for sock in found:
        try:
            docs.append(control.request(sock, "status"))
        except control.ControlError as exc:
            if args.interface:
                raise CliError(f"{args.interface}: not running ({exc})") from None
    if args.json:
        print(json.dumps(docs if not args.interface else docs[0], indent=2, sort_keys=True))
    elif not docs:
        print("no oxidize tunnel is running in this network namespace", file=sys.stderr)
        return EXIT_FAILURE
    else:
        print("\n\n".join(status.render(d) for d in docs))
    return EXIT_OK


def cmd_down(args: argparse.Namespace) -> int:
    interface, state_dir = args.interface, Path(args.state_dir)
    if args.config:
        settings = config.load_client(Path(args.config))
        interface, state_dir = settings.interface, settings.state_dir
    instance = control.instance_dir(state_dir, interface)
    sock = instance / "control.sock"
    stopped = False
    if sock.exists():
        try:
            reply = control.request(sock, "down")
            _wait_gone(int(reply.get("pid", 0)), timeout=args.timeout)
            stopped = True
        except control.ControlError:
            log.info("%s: no answer on the control socket; cleaning up what is left", interface)
    from runtimes.linux import recovery

    try:
        errors = recovery.recover(instance)
    except recovery.StillRunning as exc:
        raise CliError(f"{interface}: {exc}; it did not stop within {args.timeout:g}s") from None
    if errors:
        raise CliError(f"{interface}: cleanup incomplete:\n  " + "\n  ".join(errors))
    if errors is not None:
        print(f"{interface}: cleaned up after a process that did not exit cleanly", file=sys.stderr)
    elif stopped:
        print(f"{interface}: down", file=sys.stderr)
    else:
        print(f"{interface}: not running", file=sys.stderr)
    _remove_instance_dir(instance)
    return EXIT_OK


def _wait_gone(pid: int, timeout: float) -> None:
    from runtimes.undo import process_alive

    deadline = time.monotonic() + timeout
    while pid and process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def _remove_instance_dir(instance: Path) -> None:
    if not instance.is_dir():
        return
    for name in ("control.sock", "pid"):
        (instance / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # something else is in there: leave it for a human
        instance.rmdir()


def cmd_server(args: argparse.Namespace) -> int:
    settings = config.load_server(Path(args.config))
    from oxidize import server

    return server.run_server(settings)


def cmd_up(args: argparse.Namespace) -> int:
    settings = config.load_client(Path(args.config))
    from oxidize import client

    return client.run_client(settings)


# -- parser --------------------------------------------------------------------------------------------
def _add_state_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state-dir", default=str(DEFAULT_STATE_DIR), metavar="DIR",
                   help="where running instances keep their control sockets (default: %(default)s)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oxidize",
        description="OxTunnel VPN: run a server or a client tunnel, manage keys and client configs.",
        epilog="Run `oxidize COMMAND --help` for the options of a command. Configuration keys are listed "
               "in the README, section Configuration.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("server", help="run the server (UDP 51820, TUN, NAT) until SIGINT/SIGTERM",
                       description="Run an OxTunnel server: listen for clients, forward their traffic "
                       "through a TUN device with nftables masquerade, serve metrics and status. Everything "
                       "it sets up is removed again on SIGINT/SIGTERM or when the start fails.")
    p.add_argument("-c", "--config", required=True, metavar="FILE", help="server.toml")
    p.set_defaults(func=cmd_server)

    p = sub.add_parser("reload", help="apply server.toml's [[peers]] to the running server (as SIGHUP)",
                       description="Ask the running server to re-read its config: new peers are answered "
                       "at once, removed peers lose their session and address, renamed ones keep theirs. "
                       "A bad file changes nothing; other changed keys are listed as needing a restart.")
    p.add_argument("-c", "--config", required=True, metavar="FILE", help="server.toml of the server")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_reload)

    p = sub.add_parser("up", help="bring a client tunnel up (stays in the foreground)",
                       description="Connect to a server and route traffic through oxtun0 (full tunnel by "
                       "policy routing, or split routes), apply DNS, keep the session alive and reconnect. "
                       "SIGINT/SIGTERM or `oxidize down` restore routes, rules and DNS.")
    p.add_argument("-c", "--config", required=True, metavar="FILE", help="client.toml")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("down", help="stop a running `oxidize up` and clean up",
                       description="Ask the running client to tear down; if it is gone without cleaning "
                       "up (killed), undo what it left (routes, rules, DNS).")
    group = p.add_mutually_exclusive_group()
    group.add_argument("-c", "--config", metavar="FILE", help="client.toml of the tunnel to stop")
    group.add_argument("-i", "--interface", default="oxtun0",
                       help="interface of the tunnel (default: oxtun0)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for it to exit")
    _add_state_dir(p)
    p.set_defaults(func=cmd_down)

    p = sub.add_parser("status", help="show running tunnels: peers, endpoints, handshakes, bytes",
                       description="Ask every oxidize instance of this network namespace (or one) for its "
                       "status through its control socket.")
    group = p.add_mutually_exclusive_group()
    group.add_argument("-i", "--interface", help="only this interface (e.g. oxtun0, oxs0)")
    group.add_argument("-c", "--config", metavar="FILE",
                       help="only the instance of this server.toml or client.toml")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    _add_state_dir(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("keygen", help="create a private key file (mode 0600) and print its public key",
                       description="Write a new X25519 private key to FILE (mode 0600, base64) and print "
                       "the public key. Never overwrites without --force.")
    p.add_argument("file", metavar="FILE", nargs="?", help="where to write the private key")
    p.add_argument("-o", "--output", metavar="FILE", help="the same as FILE")
    p.add_argument("--force", action="store_true", help="replace an existing file (its key is lost)")
    p.set_defaults(func=cmd_keygen)

    p = sub.add_parser("pubkey", help="print the public key of a private key file",
                       description="Read a private key from FILE (or stdin with `-`) and print its "
                       "public key.")
    p.add_argument("file", metavar="FILE", nargs="?", default="-", help="private key file, or - (default)")
    p.set_defaults(func=cmd_pubkey)

    p = sub.add_parser("genconfig", help="authorize a new client and write its client.toml + QR code",
                       description="On the server: create a key pair for a new client, add it to "
                       "server.toml as a [[peers]] entry, write the client's config (0600, holds its "
                       "private key) and a QR code (terminal and PNG) for mobile clients. A running "
                       "server picks the peer up at once.")
    p.add_argument("name", nargs="?", help="a label for the client (letters, digits, _ . @ -)")
    p.add_argument("--name", dest="name_option", metavar="NAME", help="the same as the positional NAME")
    p.add_argument("-c", "--config", required=True, metavar="FILE", help="server.toml to add the peer to")
    p.add_argument("-o", "--output", metavar="FILE", help="client config to write (default: NAME.toml)")
    p.add_argument("--png", metavar="FILE", help="QR code image (default: the output with .png)")
    p.add_argument("--endpoint", metavar="HOST:PORT", help="server address for the client "
                   "(default: server.endpoint from server.toml)")
    p.add_argument("--no-qr", action="store_true", help="do not print the QR code in the terminal")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.set_defaults(func=cmd_genconfig)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit status."""
    args = build_parser().parse_args(argv)
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    if args.command in ("server", "up") and args.verbose == 0:
        level = logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except (ConfigError, KeyFileError) as exc:
        print(f"oxidize: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CliError as exc:
        print(f"oxidize: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"oxidize: {exc}", file=sys.stderr)
        return EXIT_FAILURE
