"""Key files: 0600 whatever the umask, no silent overwrite, open files refused, pubkey matches."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from oxidize import keys


def test_generated_key_written_0600_even_with_open_umask(tmp_path: Path) -> None:
    path = tmp_path / "k"
    old = os.umask(0)
    try:
        keys.write_private(path, keys.generate_private())
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(keys.read_private(path)) == 32
    assert len(path.read_text().strip()) == 44


def test_refuses_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "k"
    first = keys.generate_private()
    keys.write_private(path, first)
    with pytest.raises(keys.KeyFileError, match="exists; use --force"):
        keys.write_private(path, keys.generate_private())
    assert keys.read_private(path) == first
    second = keys.generate_private()
    keys.write_private(path, second, force=True)
    assert keys.read_private(path) == second


def test_public_key_agrees_with_cryptography() -> None:
    private = keys.generate_private()
    expected = X25519PrivateKey.from_private_bytes(private).public_key()
    derived = X25519PublicKey.from_public_bytes(keys.public_from_private(private))
    assert derived.public_bytes_raw() == expected.public_bytes_raw()


@pytest.mark.parametrize(("content", "mode", "message"), [
    ("not base64!!\n", 0o600, "is not valid base64"),
    (base64.b64encode(b"x" * 31).decode(), 0o600, "must decode to 32 bytes"),
    (base64.b64encode(b"x" * 32).decode(), 0o644, "readable by others (mode 0644); run `chmod 600"),
])
def test_bad_key_files(tmp_path: Path, content: str, mode: int, message: str) -> None:
    path = tmp_path / "k"
    path.write_text(content)
    path.chmod(mode)
    with pytest.raises(keys.KeyFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        keys.read_private(path)


def test_missing_key_file_says_how_to_create(tmp_path: Path) -> None:
    with pytest.raises(keys.KeyFileError, match="oxidize keygen"):
        keys.read_private(tmp_path / "nope")
