"""Prometheus text format and the loopback listener."""

from __future__ import annotations

import asyncio

from oxidize import metrics
from oxidize.metrics import Family


def test_render_text_format() -> None:
    text = metrics.render([
        Family("oxidize_sessions", "Active sessions.", "gauge").add(2),
        Family("oxidize_drops_total", 'Drops "by" reason.', "counter").add(3, reason="replayed")
        .add(1.5, reason='we"ird\n'),
    ])
    assert text.splitlines() == [
        "# HELP oxidize_sessions Active sessions.",
        "# TYPE oxidize_sessions gauge",
        "oxidize_sessions 2",
        '# HELP oxidize_drops_total Drops \\"by\\" reason.',
        "# TYPE oxidize_drops_total counter",
        'oxidize_drops_total{reason="replayed"} 3',
        'oxidize_drops_total{reason="we\\"ird\\n"} 1.5',
    ]


def test_http_listener_serves_metrics_and_404() -> None:
    async def scenario() -> tuple[bytes, bytes]:
        calls = []

        def collect() -> list[Family]:
            calls.append(1)
            return [Family("x_total", "X.", "counter").add(len(calls))]

        server = await metrics.serve("127.0.0.1", 0, collect)
        port = server.sockets[0].getsockname()[1]

        async def get(path: str) -> bytes:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            data = await reader.read()
            writer.close()
            return data

        ok, missing = await get("/metrics"), await get("/")
        server.close()
        await server.wait_closed()
        return ok, missing

    ok, missing = asyncio.run(scenario())
    assert ok.startswith(b"HTTP/1.1 200 OK") and b"text/plain; version=0.0.4" in ok
    assert ok.endswith(b"x_total 1\n")
    assert missing.startswith(b"HTTP/1.1 404")
