"""The QUIC server certificate: self-signed at first start, persisted, and pinned by the client.

The server keeps `quic-cert.pem` / `quic-key.pem` (0600) in its state directory and generates them on first
start (ECDSA P-256, ten years). Clients pin the SHA-256 of the certificate's SubjectPublicKeyInfo, the
value `oxidize genconfig` writes as `quic_spki_sha256` into client.toml (an SPKI pin survives a renewal
of the certificate with the same key, as HPKP pins do). Operators who prefer a CA-issued certificate set
`certificate`/`private_key` in the server's `[quic]` section and clients may then verify it the usual way.

Why the pin matters beyond QUIC itself: the OxTunnel envelope on QUIC may be authenticated-plaintext (spec
§1, "avoid encrypting twice"), so QUIC's confidentiality must reach the real server and nobody else.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERT_FILE = "quic-cert.pem"
KEY_FILE = "quic-key.pem"
VALIDITY_DAYS = 3650


@dataclass(frozen=True)
class ServerCertificate:
    """Paths of a certificate/key pair and the pin clients use for it."""

    cert_path: Path
    key_path: Path
    spki_sha256: str

    @property
    def pem(self) -> bytes:
        return self.cert_path.read_bytes()


class CertificatePinError(Exception):
    """The server's certificate does not match the configured pin."""


def spki_sha256(cert: x509.Certificate) -> str:
    """Hex SHA-256 of the DER SubjectPublicKeyInfo: the value stored in client.toml."""
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def normalise_pin(pin: str) -> str:
    """Accept `hex`, `sha256:hex` or colon-separated hex; return 64 lowercase hex digits (or ValueError)."""
    value = pin.strip().lower()
    if value.startswith("sha256:"):
        value = value[len("sha256:") :]
    value = value.replace(":", "")
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError(f"quic_spki_sha256 must be 64 hex digits (SHA-256 of the SPKI), got {pin!r}")
    return value


def check_pin(cert: x509.Certificate | None, pin: str) -> None:
    """Raise CertificatePinError unless `cert`'s SPKI hash equals `pin` (constant-time compare)."""
    if cert is None:
        raise CertificatePinError("server sent no certificate")
    got = spki_sha256(cert)
    if not hmac.compare_digest(got, normalise_pin(pin)):
        raise CertificatePinError(f"server certificate SPKI sha256 {got} does not match the pinned value")


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def generate_self_signed(names: list[str]) -> tuple[bytes, bytes]:
    """A fresh ECDSA P-256 key and a self-signed certificate for `names` (PEM cert, PEM key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else "oxtunnel")])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    if names:
        builder = builder.add_extension(_san(names), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def load_certificate(cert_path: Path, key_path: Path) -> ServerCertificate:
    """Load an existing pair (checks that the key matches the certificate)."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.DER, spki) != cert.public_key().public_bytes(
        serialization.Encoding.DER, spki
    ):
        raise ValueError(f"{key_path} is not the private key of {cert_path}")
    return ServerCertificate(cert_path, key_path, spki_sha256(cert))


def ensure_server_certificate(state_dir: str | Path, names: list[str] | None = None) -> ServerCertificate:
    """Return the persisted pair from `state_dir`, generating it on first start."""
    directory = Path(state_dir)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    cert_path, key_path = directory / CERT_FILE, directory / KEY_FILE
    if not cert_path.exists() and not key_path.exists():
        cert_pem, key_pem = generate_self_signed(names or ["oxtunnel"])
        _write_private(key_path, key_pem)
        tmp = cert_path.with_suffix(".tmp")
        tmp.write_bytes(cert_pem)
        tmp.replace(cert_path)
    elif not (cert_path.exists() and key_path.exists()):
        missing = key_path if cert_path.exists() else cert_path
        raise FileNotFoundError(
            f"{missing} is missing (remove both {CERT_FILE} and {KEY_FILE} to regenerate)"
        )
    return load_certificate(cert_path, key_path)
