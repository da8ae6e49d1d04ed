"""X25519 key files: base64 of the 32 raw bytes on one line (as WireGuard), private files mode 0600.

Keys never travel on the command line: `keygen` writes a file, `pubkey` reads one (or stdin). A private
key file that others can read is refused, as ssh does, with the `chmod` that fixes it.
"""

from __future__ import annotations

import base64
import os
import stat
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from oxidize.validators import decode_key

_RAW = serialization.Encoding.Raw


class KeyFileError(ValueError):
    """A key file is missing, unreadable, malformed or too open; the message says which and why."""


def encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def generate_private() -> bytes:
    return X25519PrivateKey.generate().private_bytes(_RAW, serialization.PrivateFormat.Raw,
                                                      serialization.NoEncryption())


def public_from_private(private: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        _RAW, serialization.PublicFormat.Raw)


def write_secret_file(path: Path, data: bytes, *, force: bool = False, what: str = "") -> None:
    """Create `path` with mode 0600 (whatever the umask) holding `data`; refuse to replace an existing
    file unless forced (`what` says what would be lost)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        lost = f" ({what} is lost)" if what else ""
        raise KeyFileError(f"{path}: exists; use --force to overwrite it{lost}") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
    finally:
        os.close(fd)


def write_private(path: Path, private: bytes, *, force: bool = False) -> None:
    """The key file for `private` (base64, one line), mode 0600, never silently replaced."""
    write_secret_file(path, (encode(private) + "\n").encode(), force=force, what="the old key")


def read_private(path: Path) -> bytes:
    """The 32-byte private key in `path`, refusing files that group or others can read."""
    try:
        mode = path.stat().st_mode
        text = path.read_text()
    except FileNotFoundError:
        raise KeyFileError(f"{path}: no such key file (create one with `oxidize keygen {path}`)") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path}: private key readable by others (mode {stat.S_IMODE(mode):04o}); "
                           f"run `chmod 600 {path}`")
    try:
        return decode_key(text.strip())
    except ValueError as exc:
        raise KeyFileError(f"{path}: {exc}") from None


def read_private_stream(path: str) -> bytes:
    """`path`, or `-` for stdin (for `oxidize pubkey < key`)."""
    if path == "-":
        try:
            return decode_key(sys.stdin.read().strip())
        except ValueError as exc:
            raise KeyFileError(f"stdin: {exc}") from None
    return read_private(Path(path))
