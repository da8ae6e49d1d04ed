"""`oxidize server` and `oxidize up` processes (the runtime glue lands with the protocol core)."""

from __future__ import annotations

from oxidize.config import ClientSettings, ServerSettings


class CoreMissing(RuntimeError):
    """Raised until the sans-IO core (oxtunnel.client / oxtunnel.server, issue 3) is merged."""


def run_server(settings: ServerSettings) -> int:
    raise CoreMissing("oxidize server needs the protocol core (oxtunnel.server), which is not merged yet")


def run_client(settings: ClientSettings) -> int:
    raise CoreMissing("oxidize up needs the protocol core (oxtunnel.client), which is not merged yet")
