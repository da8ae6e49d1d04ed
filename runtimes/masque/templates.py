"""MASQUE URI templates: the well-known paths the proxy serves, and template checks for clients.

Server: requests are matched against the default templates (RFC 9298 §2, RFC 9484 §3)
`/.well-known/masque/udp/{target_host}/{target_port}/` and `/.well-known/masque/ip/{target}/{ipproto}/`,
and the decoded variables are validated (requirements 38, 55). Client: `check_template` enforces the
RFC 9298 §2 rules on a configured template (requirement 36) before anything is sent.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from runtimes.wire import MASQUE_IP_PATH, MASQUE_UDP_PATH


class BadTarget(ValueError):
    """The request's template variables are invalid: answer 400."""


@dataclass(frozen=True)
class UdpTarget:
    host: str  # an IP literal or a DNS name, decoded
    port: int


@dataclass(frozen=True)
class IpScope:
    """CONNECT-IP scope: `network` None = any target; `protocol` None = any protocol."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None
    hostname: str | None
    protocol: int | None


_DNS_NAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)


def _segments(path: str, prefix: str) -> list[str] | None:
    path = path.split("?", 1)[0]
    if not path.startswith(prefix):
        return None
    rest = path[len(prefix) :]
    if rest.endswith("/"):
        rest = rest[:-1]
    return rest.split("/")


def _host(raw: str) -> str:
    host = unquote(raw)
    if not host:
        raise BadTarget("target_host is empty")
    if "%" in host:
        raise BadTarget("zone identifiers are not allowed in target_host")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not _DNS_NAME.match(host):
        raise BadTarget(f"target_host {host!r} is neither an IP address nor a DNS name")
    return host.rstrip(".").lower()


def parse_udp_path(path: str) -> UdpTarget | None:
    """The CONNECT-UDP target of a well-known path; None if the path is not ours; BadTarget if invalid."""
    segs = _segments(path, MASQUE_UDP_PATH)
    if segs is None:
        return None
    if len(segs) != 2:
        raise BadTarget("expected /.well-known/masque/udp/{target_host}/{target_port}/")
    host = _host(segs[0])
    if not segs[1].isdigit() or not 1 <= int(segs[1]) <= 65535:
        raise BadTarget(f"target_port {segs[1]!r} is not 1..65535")
    return UdpTarget(host, int(segs[1]))


def parse_ip_path(path: str) -> IpScope | None:
    """The CONNECT-IP scope of a well-known path; None if the path is not ours; BadTarget if invalid."""
    segs = _segments(path, MASQUE_IP_PATH)
    if segs is None:
        return None
    if segs == [""]:
        return IpScope(None, None, None)
    if len(segs) != 2 or not segs[0] or not segs[1]:
        raise BadTarget("expected /.well-known/masque/ip/{target}/{ipproto}/ with non-empty variables")
    target, proto = unquote(segs[0]), unquote(segs[1])
    network = hostname = None
    if target != "*":
        addr, _, plen = target.partition("/")
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            if plen:
                raise BadTarget(f"target {target!r}: a prefix length needs an IP address") from None
            hostname = _host(addr)
        else:
            bits = ip.max_prefixlen
            if plen and (not plen.isdigit() or int(plen) > bits):
                raise BadTarget(f"target prefix length {plen!r} exceeds {bits}")
            try:
                network = ipaddress.ip_network(f"{ip}/{plen or bits}", strict=True)
            except ValueError as exc:
                raise BadTarget(f"target {target!r}: host bits set below the prefix") from exc
    protocol = None
    if proto != "*":
        if not proto.isdigit() or int(proto) > 255:
            raise BadTarget(f"ipproto {proto!r} is not 0..255 or *")
        protocol = int(proto)
    return IpScope(network, hostname, protocol)


# --- client side ---------------------------------------------------------------------------------------

_EXPR = re.compile(r"\{([^{}]*)\}")
_FORBIDDEN_OPERATORS = set("+#./;")


def check_template(template: str, required: tuple[str, ...]) -> None:
    """RFC 9298 §2 / RFC 9484 §3 rules for a configured template; ValueError names the problem."""
    if any(not 0x21 <= ord(c) <= 0x7E for c in template):
        raise ValueError("template must be ASCII 0x21-0x7E")
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/{}?#]+)(/[^?#]*)?(\?.*)?$", template)
    if not m:
        raise ValueError("template must be an absolute URI with a scheme, an authority and a path")
    if not m.group(3):
        raise ValueError("template path must start with '/'")
    names: list[str] = []
    for expr in _EXPR.findall(template):
        if expr and expr[0] in _FORBIDDEN_OPERATORS:
            raise ValueError(f"operator {expr[0]!r} is not allowed in {{{expr}}}")
        body = expr[1:] if expr and expr[0] in "?&" else expr
        names += [v.rstrip("*").split(":", 1)[0] for v in body.split(",")]
    if "{" in m.group(2) or "}" in m.group(2):
        raise ValueError("variables are only allowed in the path and query")
    for name in required:
        if name not in names:
            raise ValueError(f"template lacks the {{{name}}} variable")


def expand(template: str, values: dict[str, str]) -> str:
    """Simple and query expansion (levels 1-3 without the forbidden operators)."""

    def repl(m: re.Match[str]) -> str:
        expr = m.group(1)
        if expr and expr[0] in "?&":
            parts = [f"{n}={quote(values[n], safe='')}" for n in expr[1:].split(",") if n in values]
            return (expr[0] + "&".join(parts)) if parts else ""
        return ",".join(quote(values[n], safe="") for n in expr.split(",") if n in values)

    return _EXPR.sub(repl, template)
