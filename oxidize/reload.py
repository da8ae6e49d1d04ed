"""`reload` of a running `oxidize server` (control command `reload`, SIGHUP): re-read server.toml and
apply its `[[peers]]` live, as `wg syncconf` does — new keys are answered at once, removed keys lose
their session (authenticated DISCONNECT(policy)) and their address, renamed peers keep their session.

The whole file is validated first (errors name the key, as at start); a bad file changes nothing.
Everything else in it (pools, MTU, listen address, …) is only read at start: a reload lists those keys
as `restart_needed` instead of half-applying them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from oxidize import config
from oxidize.config import Peer, ServerSettings
from oxtunnel.config import PeerConfig
from oxtunnel.server import ServerEndpoint

_NOT_COMPARED = frozenset({"path", "peers"})
_SERVER_FIELDS = frozenset(k.field for k in config.SERVER_KEYS)
_SECTION_LABELS = {"transports": "[tcp]/[quic]/[masque]"}


def peer_config(peer: Peer) -> PeerConfig:
    """The core's view of one `[[peers]]` table."""
    return PeerConfig(public_key=peer.public_key, name=peer.name)


@dataclass
class ReloadResult:
    """What a reload changed (names of peers), and what it could not change without a restart."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    sessions_ended: list[str] = field(default_factory=list)
    restart_needed: list[str] = field(default_factory=list)
    peers: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def summary(self) -> str:
        parts = [f"{len(names)} {what}" + (f" ({', '.join(names)})" if names else "")
                 for what, names in (("added", self.added), ("removed", self.removed),
                                     ("renamed", self.renamed))]
        text = f"reload: {', '.join(parts)}; {self.peers} peers"
        if self.restart_needed:
            text += f"; changed, used after a restart: {', '.join(self.restart_needed)}"
        return text


def restart_needed(running: ServerSettings, new: ServerSettings) -> list[str]:
    """Keys whose new value differs from the one in force but is only read at start."""
    changed = []
    for f in dataclasses.fields(running):
        if f.name in _NOT_COMPARED or getattr(running, f.name) == getattr(new, f.name):
            continue
        label = f"server.{f.name}" if f.name in _SERVER_FIELDS else _SECTION_LABELS.get(f.name, f.name)
        changed.append(label)
    return changed


def reload(endpoint: ServerEndpoint, running: ServerSettings, now: float) -> ReloadResult:
    """Re-read `running.path` and bring the endpoint's peers in line with it.

    Raises ConfigError (every problem, each naming its key) before anything is changed."""
    new = config.load_server(running.path)
    result = ReloadResult(restart_needed=restart_needed(running, new))
    wanted = {p.public_key: p for p in new.peers}
    current = {bytes(p.public_key): p for p in endpoint.config.peers}
    added = [p for key, p in wanted.items() if key not in current]
    done: list[bytes] = []
    try:
        for peer in added:  # the only step that can fail: undone below if it does
            endpoint.add_peer(peer_config(peer))
            done.append(peer.public_key)
    except Exception:
        for key in done:
            endpoint.remove_peer(key, now)
        raise
    result.added = [p.name for p in added]
    for key, old in current.items():
        if key not in wanted:
            if endpoint.remove_peer(key, now):
                result.sessions_ended.append(old.name)
            result.removed.append(old.name)
        elif wanted[key].name != old.name:
            endpoint.rename_peer(key, wanted[key].name)
            result.renamed.append(f"{old.name} -> {wanted[key].name}")
    result.peers = len(endpoint.config.peers)
    return result
