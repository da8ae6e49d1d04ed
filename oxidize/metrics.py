"""Prometheus text exposition (format 0.0.4) on a loopback HTTP listener.

`collect()` is called per scrape and returns metric families; nothing is computed between scrapes, so
the data path pays nothing for metrics. The HTTP side is the minimum Prometheus needs: `GET /metrics`,
one response, connection closed.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Family:
    """One metric: name, HELP, TYPE (`counter`/`gauge`) and its samples (labels → value)."""

    name: str
    help: str
    kind: str
    samples: list[tuple[Mapping[str, str], float]] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> Family:
        self.samples.append((labels, value))
        return self


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def render(families: Iterable[Family]) -> str:
    lines: list[str] = []
    for fam in families:
        lines.append(f"# HELP {fam.name} {_escape(fam.help)}")
        lines.append(f"# TYPE {fam.name} {fam.kind}")
        for labels, value in fam.samples:
            label_text = ",".join(f'{k}="{_escape(str(v))}"' for k, v in sorted(labels.items()))
            lines.append(f"{fam.name}{{{label_text}}} {_number(value)}" if label_text
                         else f"{fam.name} {_number(value)}")
    return "\n".join(lines) + "\n"


async def serve(host: str, port: int, collect: Callable[[], Sequence[Family]]) -> asyncio.AbstractServer:
    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            request_line = head.split(b"\r\n", 1)[0].decode(errors="replace").split()
            wanted = len(request_line) >= 2 and request_line[0] == "GET"
            if wanted and request_line[1].split("?")[0] == "/metrics":
                status, body, ctype = "200 OK", render(collect()).encode(), CONTENT_TYPE
            else:
                status, body, ctype = "404 Not Found", b"try /metrics\n", "text/plain"
            writer.write(f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                         "Connection: close\r\n\r\n".encode() + body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(on_client, host=host, port=port, limit=16 * 1024)
