"""The lab's tiny DNS server: queries parsed, answers built, malformed input refused."""

from __future__ import annotations

import struct

import pytest
from oxlab.tools.dnsd import MalformedQuery, build_answer, parse_query


def query(name: str, qtype: int, ident: int = 0x1234) -> bytes:
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split("."))
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + b"\x00" + struct.pack("!HH", qtype, 1)


ZONE = {"files.lab.test": ["192.0.2.2", "2001:db8:1e::2"]}


def test_a_and_aaaa_answers() -> None:
    reply, name, qtype = build_answer(query("Files.Lab.Test", 1), ZONE)
    assert (name, qtype) == ("files.lab.test", 1)
    ident, flags, qd, an, _, _ = struct.unpack_from("!HHHHHH", reply)
    assert ident == 0x1234 and flags & 0x8000 and flags & 0x000F == 0 and (qd, an) == (1, 1)
    assert reply.endswith(bytes([192, 0, 2, 2]))
    reply6, _, _ = build_answer(query("files.lab.test", 28), ZONE)
    assert reply6.endswith(bytes.fromhex("20010db8001e00000000000000000002"))


def test_unknown_name_is_nxdomain() -> None:
    reply, _, _ = build_answer(query("nope.lab.test", 1), ZONE)
    _, flags, _, an, _, _ = struct.unpack_from("!HHHHHH", reply)
    assert flags & 0x000F == 3 and an == 0


@pytest.mark.parametrize("data", [b"", b"\x00" * 11, query("a.b", 1)[:-3], query("a.b", 1)[:14],
                                  struct.pack("!HHHHHH", 1, 0x8000, 1, 0, 0, 0) + b"\x00\x00\x01\x00\x01"])
def test_malformed_queries_are_refused(data: bytes) -> None:
    with pytest.raises(MalformedQuery):
        parse_query(data)
