"""Entry point of the `oxidize` command (filled in by the Linux end-to-end work)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit status."""
    print("oxidize: not yet implemented", file=sys.stderr)
    return 2
