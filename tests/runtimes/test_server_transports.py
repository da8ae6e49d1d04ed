"""open_transports: what a failed listen says, and that nothing stays open after it."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from runtimes.quic.certs import ensure_server_certificate
from runtimes.quic.config import QuicConfig
from runtimes.server_transports import ServerTransportOptions, masque_table_name, open_transports
from runtimes.tcp import TcpConfig
from runtimes.undo import UndoStack


def test_a_taken_port_is_named_and_the_opened_transports_are_undone(tmp_path: Path) -> None:
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 0))
    tcp_port = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp_port.bind(("127.0.0.1", 0))
    free_tcp = tcp_port.getsockname()[1]
    tcp_port.close()
    cert = ensure_server_certificate(tmp_path, ["127.0.0.1"])
    undo = UndoStack(tmp_path / "undo.json")
    options = ServerTransportOptions(tcp=TcpConfig(host="127.0.0.1", port=free_tcp),
                                     quic=QuicConfig(host="127.0.0.1", port=busy.getsockname()[1]),
                                     certificate=cert)
    try:
        with pytest.raises(OSError, match=rf"QUIC \(UDP\) 127.0.0.1:{busy.getsockname()[1]}: "):
            open_transports(options, undo)
        assert undo.unwind() == []
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as again:  # the TCP listener was closed
            again.bind(("127.0.0.1", free_tcp))
    finally:
        busy.close()


def test_masque_table_name_fits_nftables() -> None:
    assert masque_table_name("oxidize") == "oxidize_mq"
    assert len(masque_table_name("t" * 32)) <= 32
