"""`oxidize genconfig`: authorize a new client on this server and write its client.toml (+ QR code).

The server.toml is changed by appending one `[[peers]]` table (comments and layout stay as they are);
the result is validated before it replaces the old file atomically with the same mode. The client
config carries its private key inline, as mobile configs do, so the file is 0600 and the QR code is
shown only on request of the terminal and written to a 0600 PNG.
"""

from __future__ import annotations

import datetime
import io
import os
import socket
import tomllib
from dataclasses import dataclass
from pathlib import Path

import qrcode

from oxidize import config, keys, transports
from oxidize.config import ConfigError, ServerSettings
from oxidize.validators import PEER_NAME, HostPort


@dataclass(frozen=True)
class Generated:
    client_toml: str
    client_public_key: bytes
    server_toml: str


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build(settings: ServerSettings, server_text: str, name: str, endpoint: HostPort) -> Generated:
    """New client key, the client.toml text and the new server.toml text (nothing written yet)."""
    try:
        PEER_NAME(name)
    except ValueError as exc:
        raise ConfigError(f"client name: {exc}") from None
    if any(p.name == name for p in settings.peers):
        raise ConfigError(f"{settings.path}: a peer named {name!r} exists already")
    server_public = keys.public_from_private(keys.read_private(settings.private_key_file))
    private = keys.generate_private()
    public = keys.public_from_private(private)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    client_toml = (
        f"# oxidize client config for {name}, made by `oxidize genconfig` on {socket.gethostname()}, "
        f"{stamp}.\n"
        "# It holds the private key: keep it 0600 and pass it on only over a private channel.\n"
        "[client]\n"
        f"private_key = {_toml_string(keys.encode(private))}\n"
        f"server = {_toml_string(str(endpoint))}\n"
        f"server_public_key = {_toml_string(keys.encode(server_public))}\n"
        + transports.client_transport_lines(settings.transports)
    )
    separator = "" if server_text.endswith("\n") or not server_text else "\n"
    server_toml = (
        f"{server_text}{separator}\n# added by `oxidize genconfig` {stamp}\n[[peers]]\n"
        f"name = {_toml_string(name)}\npublic_key = {_toml_string(keys.encode(public))}\n"
    )
    # both must still be valid configs
    config.parse_client(tomllib.loads(client_toml), Path("client.toml"))
    config.parse_server(tomllib.loads(server_toml), settings.path)
    return Generated(client_toml, public, server_toml)


def write_private_text(path: Path, text: str, *, force: bool) -> None:
    keys.write_secret_file(path, text.encode(), force=force)


def replace_keeping_mode(path: Path, text: str) -> None:
    st = path.stat()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, st.st_mode & 0o7777)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def qr_text(data: str) -> str:
    """The QR code as text for a terminal (two-row blocks), or an explanation if it does not fit."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=2)
    qr.add_data(data)
    qr.make(fit=True)
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    return out.getvalue()


def write_png(data: str, path: Path, *, force: bool) -> None:
    image = qrcode.make(data, error_correction=qrcode.constants.ERROR_CORRECT_L, border=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    keys.write_secret_file(path, buffer.getvalue(), force=force)
