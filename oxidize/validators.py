"""Value checkers for config keys: each converts a TOML value or raises ValueError saying what is wrong.

Every checker carries `kind`, the type as a user reads it in the README's configuration table.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class Check:
    """Base: `kind` for the docs, `__call__(value) -> converted` or ValueError(problem)."""

    kind = "value"

    def __call__(self, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


class String(Check):
    kind = "string"

    def __init__(self, pattern: str | None = None, hint: str = "", allow_empty: bool = True) -> None:
        self.pattern = re.compile(pattern) if pattern else None
        self.hint = hint
        self.allow_empty = allow_empty

    def __call__(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"must be a string, got {_type_name(value)}")
        if not value and not self.allow_empty:
            raise ValueError("must not be empty")
        if self.pattern is not None and value and not self.pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not valid: {self.hint}")
        return value


class Boolean(Check):
    kind = "boolean"

    def __call__(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, got {_type_name(value)}")
        return value


class Integer(Check):
    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high
        self.kind = f"integer {low}–{high}"

    def __call__(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be an integer, got {_type_name(value)}")
        if not self.low <= value <= self.high:
            raise ValueError(f"must be between {self.low} and {self.high}, got {value}")
        return value


class Number(Check):
    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high
        self.kind = f"number {low:g}–{high:g}"

    def __call__(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number, got {_type_name(value)}")
        if not self.low <= value <= self.high:
            raise ValueError(f"must be between {self.low:g} and {self.high:g}, got {value}")
        return float(value)


class Choice(Check):
    def __init__(self, *options: str) -> None:
        self.options = options
        self.kind = " \\| ".join(f'"{o}"' for o in options)

    def __call__(self, value: Any) -> str:
        if value not in self.options:
            raise ValueError(f"must be one of {', '.join(map(repr, self.options))}, got {value!r}")
        return str(value)


class Subset(Check):
    """A list of names drawn from a fixed set."""

    def __init__(self, options: Iterable[str]) -> None:
        self.options = tuple(options)
        self.kind = "list of " + " \\| ".join(f'"{o}"' for o in self.options)

    def __call__(self, value: Any) -> tuple[str, ...]:
        items = _list(value)
        bad = [v for v in items if v not in self.options]
        if bad:
            raise ValueError(f"unknown {', '.join(map(repr, bad))}; choose from {', '.join(self.options)}")
        return tuple(dict.fromkeys(items))



class Strings(Check):
    """A list of strings, each checked by `item` (e.g. token digests)."""

    def __init__(self, item: String, kind: str) -> None:
        self.item = item
        self.kind = kind

    def __call__(self, value: Any) -> tuple[str, ...]:
        out = []
        for i, entry in enumerate(_list(value)):
            try:
                out.append(self.item(entry))
            except ValueError as exc:
                raise ValueError(f"entry {i}: {exc}") from None
        return tuple(out)

class Network(Check):
    """One IP prefix (`10.0.0.0/24`), optionally of one family and with a prefix length range."""

    def __init__(self, version: int | None = None, min_hosts_bits: int = 0) -> None:
        self.version = version
        self.min_hosts_bits = min_hosts_bits
        self.kind = {4: "IPv4 prefix", 6: "IPv6 prefix", None: "IP prefix"}[version]

    def __call__(self, value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        if not isinstance(value, str):
            raise ValueError(f"must be a prefix string like '10.0.0.0/24', got {_type_name(value)}")
        try:
            net = ipaddress.ip_network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a valid prefix ({exc})") from exc
        if self.version is not None and net.version != self.version:
            raise ValueError(f"{value!r} is not an IPv{self.version} prefix")
        if net.max_prefixlen - net.prefixlen < self.min_hosts_bits:
            longest = net.max_prefixlen - self.min_hosts_bits
            raise ValueError(f"{value!r} is too small (need at least /{longest})")
        return net


class Networks(Check):
    kind = "list of IP prefixes"

    def __call__(self, value: Any) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        check = Network()
        out = []
        for i, item in enumerate(_list(value)):
            try:
                out.append(check(item))
            except ValueError as exc:
                raise ValueError(f"item {i}: {exc}") from exc
        return tuple(out)


class Address(Check):
    kind = "IP address"

    def __call__(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"must be an address string, got {_type_name(value)}")
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address") from None


class Addresses(Check):
    kind = "list of IP addresses"

    def __call__(self, value: Any) -> tuple[str, ...]:
        out = []
        for i, item in enumerate(_list(value)):
            try:
                out.append(str(ipaddress.ip_address(item)))
            except ValueError as exc:
                raise ValueError(f"item {i}: {item!r} is not an IP address") from exc
        return tuple(out)


@dataclass(frozen=True)
class HostPort:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


class Endpoint(Check):
    """`host:port`, `[v6]:port`, or a bare host (then `default_port`); `need_ip` refuses names."""

    def __init__(self, default_port: int, need_ip: bool = False) -> None:
        self.default_port = default_port
        self.need_ip = need_ip
        self.kind = "address:port" if need_ip else "host:port"

    def __call__(self, value: Any) -> HostPort:
        if not isinstance(value, str) or not value:
            raise ValueError(f"must be a string like 'host:{self.default_port}', got {_type_name(value)}")
        host, port = value, self.default_port
        if value.startswith("["):
            end = value.find("]")
            if end < 0:
                raise ValueError(f"{value!r}: missing ']' after an IPv6 address")
            host, rest = value[1:end], value[end + 1:]
            if rest:
                if not rest.startswith(":"):
                    raise ValueError(f"{value!r}: expected ':port' after ']'")
                port = _port(rest[1:], value)
        elif value.count(":") == 1:
            host, port_text = value.split(":")
            port = _port(port_text, value)
        if not host:
            raise ValueError(f"{value!r}: empty host")
        try:
            host = str(ipaddress.ip_address(host))
        except ValueError:
            if self.need_ip or ":" in host:
                raise ValueError(f"{value!r}: {host!r} is not an IP address") from None
            if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?", host):
                raise ValueError(f"{value!r}: {host!r} is neither an IP address nor a host name") from None
        return HostPort(host, port)


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"{whole!r}: port must be 1–65535")
    return int(text)


class PublicKey(Check):
    kind = "base64 X25519 key"

    def __call__(self, value: Any) -> bytes:
        return decode_key(value)


def decode_key(value: Any) -> bytes:
    """32 raw bytes from standard base64 (44 characters, as WireGuard keys)."""
    if not isinstance(value, str):
        raise ValueError(f"must be a base64 key string, got {_type_name(value)}")
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is not valid base64") from None
    if len(raw) != 32:
        raise ValueError(f"must decode to 32 bytes, got {len(raw)}")
    return raw


class FilePath(Check):
    """A path; relative paths are taken relative to the config file's directory (see `resolve`)."""

    kind = "path"

    def __call__(self, value: Any) -> Path:
        if not isinstance(value, str) or not value:
            raise ValueError(f"must be a non-empty path string, got {_type_name(value)}")
        return Path(value)


class Optional(Check):
    """`check` or an empty value (`""`, `0`) meaning "off / not set" → None."""

    def __init__(self, check: Check, empty: Any) -> None:
        self.check = check
        self.empty = empty
        self.kind = f"{check.kind} or {empty!r}".replace("''", '""')

    def __call__(self, value: Any) -> Any:
        if value == self.empty and type(value) is type(self.empty):
            return None
        return self.check(value)


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"must be a list, got {_type_name(value)}")
    return value


Validator = Callable[[Any], Any]
INTERFACE_NAME = String(r"[A-Za-z0-9_.-]{1,15}", "1–15 letters, digits, '_', '.', '-'", allow_empty=False)
NFT_TABLE = String(r"[A-Za-z][A-Za-z0-9_]{0,31}", "a letter, then letters, digits or '_' (at most 32)",
                   allow_empty=False)
PEER_NAME = String(r"[A-Za-z0-9_.@-]{1,64}", "1–64 letters, digits, '_', '.', '@', '-'", allow_empty=False)
