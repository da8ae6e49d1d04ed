"""The lab package lives in netns-lab/ (the Makefile puts it on PYTHONPATH; so does this file)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

LAB_DIR = Path(__file__).resolve().parents[2] / "netns-lab"
if str(LAB_DIR) not in sys.path:
    sys.path.insert(0, str(LAB_DIR))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="needs root: network namespaces, veth and nftables (CI runs as root)")
    here = Path(__file__).parent
    for item in items:
        if "root" in item.keywords and here in Path(str(item.fspath)).parents:
            item.add_marker(skip)
