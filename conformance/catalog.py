"""The requirement table: every check the suite knows, one row each (see ``registry.py``).

Sections cite ``spec/README.md`` ("spec §n"), the design brief ("BRIEF §2.n") and, for MASQUE, the
numbered items of ``masque-requirements.md`` ("MQ #n") with their RFC. Rows run in this order per
transport, so cheap, fundamental rows come first and the handshake flood comes last.
"""

from __future__ import annotations

from conformance.registry import Level, Requirement

ALL = ("udp", "tcp", "quic")
STREAMLESS = ("udp", "quic")
MUST, SHOULD = Level.MUST, Level.SHOULD
HS = ("HS-001",)

# fmt: off
_ROWS: list[Requirement] = [
    # --- handshake (spec §3, BRIEF §2.2)
    Requirement("HS-001", "valid HANDSHAKE_INIT completes the handshake (Noise IK, mac1, session config)",
                "spec §3", MUST, ALL, ()),
    Requirement("HS-002", "a replayed HANDSHAKE_INIT is refused and the established session survives",
                "spec §3 (timestamp)", MUST, ALL, HS),
    Requirement("HS-003", "a HANDSHAKE_INIT with a timestamp not newer than the last accepted is refused",
                "spec §3 (timestamp)", MUST, ALL, HS),
    Requirement("HS-004", "a HANDSHAKE_INIT with a wrong mac1 gets no reply",
                "spec §3 (mac1)", MUST, ALL, ()),
    Requirement("HS-005", "a HANDSHAKE_INIT from an unauthorized client key gets no reply",
                "spec §3, BRIEF §2.2", MUST, ALL, ()),
    Requirement("HS-006", "session keys never cross the wire in clear",
                "BRIEF §2.2", MUST, ALL, HS),
    Requirement("HS-007", "a new handshake from the same client keeps its tunnel address",
                "BRIEF §2.9 (stable per client key)", SHOULD, ALL, HS),
    Requirement("HS-008", "a re-handshake with different features gets a consistent session_config "
                "(an IPv6 address iff IPV6 is granted)", "spec §3 (session_config)", SHOULD, ALL, HS),
    # --- data envelope (spec §2, BRIEF §2.3)
    Requirement("DATA-001", "data flows both ways through the tunnel (echo through the server)",
                "spec §2", MUST, ALL, HS),
    Requirement("DATA-002", "server-to-client data is encrypted and authenticated with the session key",
                "spec §2, BRIEF §2.3", MUST, ALL, ("DATA-001",)),
    Requirement("DATA-003", "server envelopes: seq is the counter's low 32 bits, counters never repeat",
                "spec §1, §2", MUST, ALL, ("DATA-001",)),
    Requirement("DATA-004", "the session survives a change of client address (roaming by receiver index)",
                "BRIEF §2.3", SHOULD, ("udp",), ("DATA-001",)),
    Requirement("DATA-005", "IPv6 inside the tunnel: an ICMPv6 echo flagged IPV6 goes both ways",
                "spec §2, BRIEF §2.9", MUST, ALL, HS),
    # --- malformed headers (spec §1): dropped, no reply, server alive, other sessions unaffected
    Requirement("HDR-001", "bad magic: dropped, no reply, server and other sessions unaffected",
                "spec §1", MUST, ALL, ()),
    Requirement("HDR-002", "short datagrams (< header, < envelope, < handshake): dropped, no reply",
                "spec §1", MUST, ALL, ()),
    Requirement("HDR-003", "length field disagreeing with the datagram: dropped, no reply",
                "spec §1", MUST, ALL, ("DATA-001",)),
    Requirement("HDR-004", "reserved flag bits set (even on an authentic envelope): dropped",
                "spec §1", MUST, ALL, ("DATA-001",)),
    Requirement("HDR-005", "unknown control type (plaintext or authenticated): dropped, no reply",
                "spec §1, §4", MUST, ALL, HS),
    Requirement("HDR-006", "truncated handshake and envelope payloads: dropped, no reply",
                "spec §1-§3", MUST, ALL, ()),
    Requirement("HDR-007", "maximum-size datagrams: no reply, no crash; a huge authentic packet harms "
                "nothing",
                "spec §1, §2", MUST, ALL, ("DATA-001",)),
    Requirement("HDR-008", "non-existent flag combinations (CONTROL with COMPRESSED/BATCH/IPV6) are dropped",
                "spec §1", MUST, ALL, ("DATA-001",)),
    Requirement("HDR-009", "envelope whose seq disagrees with its counter: dropped",
                "spec §1", MUST, ALL, ("DATA-001",)),
    Requirement("HDR-010", "IPV6 flag disagreeing with the inner IP version: dropped",
                "spec §2", MUST, ALL, ("DATA-001",)),
    # --- replay (BRIEF §2.3)
    Requirement("RPL-001", "a replayed data envelope is dropped",
                "BRIEF §2.3", MUST, ALL, ("DATA-001",)),
    Requirement("RPL-002", "reordering inside an 8,128-packet window is accepted, duplicates are not",
                "BRIEF §2.3 (RFC 6479)", MUST, STREAMLESS, ("DATA-001",)),
    # --- tampering (spec §2)
    Requirement("TMP-001", "a tampered ciphertext or tag is dropped",
                "spec §2", MUST, ALL, ("DATA-001",)),
    Requirement("TMP-002", "a tampered header (flags, seq, length) is dropped (header is AAD)",
                "spec §2", MUST, ALL, ("DATA-001",)),
    Requirement("TMP-003", "an envelope for an unknown receiver index is dropped, no reply",
                "spec §2", MUST, ALL, ()),
    # --- authenticated control (spec §4, BRIEF §2.4)
    Requirement("CTL-001", "an unauthenticated DISCONNECT is ignored",
                "spec §4, BRIEF §2.4", MUST, ALL, ("DATA-001",)),
    Requirement("CTL-002", "unauthenticated KEEPALIVE, ACK, CONFIG_UPDATE, KEY_ROTATION get no reply "
                "and change nothing",
                "spec §4, BRIEF §2.4", MUST, ALL, ("DATA-001",)),
    Requirement("CTL-003", "an authenticated KEEPALIVE is accepted and the session stays usable",
                "spec §4", MUST, ALL, ("DATA-001",)),
    Requirement("CTL-004", "an authenticated ACK is accepted and the session stays usable",
                "spec §4", MUST, ALL, ("DATA-001",)),
    Requirement("CTL-005", "after receiving data and sending nothing for KEEPALIVE_TIMEOUT, the server sends "
                "an authenticated KEEPALIVE", "spec constants (KEEPALIVE_TIMEOUT), §4", SHOULD, ("udp",), HS),
    Requirement("CTL-006", "an authenticated DISCONNECT ends the session",
                "spec §4", SHOULD, ALL, ("DATA-001",)),
    Requirement("CTL-007", "an authenticated KEEPALIVE is answered by an authenticated ACK of its counter on "
                "the same path", "docs/architecture.md (send_probe), spec §4", SHOULD, ALL, ("DATA-001",)),
    # --- encryption downgrade (BRIEF §2.5)
    Requirement("DWN-001", "authenticated-plaintext envelopes are dropped on a session that negotiated "
                "encryption",
                "spec §1, BRIEF §2.5", MUST, ("udp", "tcp"), ("DATA-001",)),
    Requirement("DWN-002", "plaintext is not granted when the client did not ask for it, nor by default",
                "BRIEF §2.5", MUST, ALL, HS),
    Requirement("DWN-003", "the server picks a cipher the client offered, and refuses when none is supported",
                "spec §3 (init_payload)", MUST, ALL, HS),
    # --- forwarding policy (BRIEF §2.9)
    Requirement("FWD-001", "a session's inner packets reach the network behind the server",
                "BRIEF §2.9", MUST, ALL, HS, needs_observer=True),
    Requirement("FWD-002", "data from an address without a session is never forwarded (no open relay)",
                "BRIEF §2.9", MUST, ALL, (), needs_observer=True),
    Requirement("FWD-003", "inner packets with a spoofed source address are dropped",
                "BRIEF §2.9", MUST, ALL, ("FWD-001",), needs_observer=True),
    Requirement("FWD-004", "the server's own loopback is unreachable through the tunnel",
                "BRIEF §2.9", MUST, ALL, ("DATA-001",)),
    Requirement("FWD-005", "link-local and cloud-metadata destinations are not forwarded by default",
                "BRIEF §2.9", SHOULD, ALL, ("FWD-001",), needs_observer=True),
    # --- TCP framing (spec §5)
    Requirement("TCP-001", "TCP frames shorter than a header, or garbage streams, are dropped without reply",
                "spec §5", MUST, ("tcp",), ()),
    Requirement("TCP-002", "a frame announcing 65,535 bytes and stalling does not block other clients",
                "spec §5", MUST, ("tcp",), HS),
    Requirement("TCP-003", "slowloris connections do not block other clients",
                "spec §5", MUST, ("tcp",), HS),
    Requirement("TCP-004", "stalled partial frames are eventually closed by the server",
                "spec §5", SHOULD, ("tcp",), ()),
    # --- MASQUE proxy role over HTTP/3 (masque-requirements.md)
    Requirement("MASQ-001", "HTTP/3 SETTINGS carry ENABLE_CONNECT_PROTOCOL=1 and H3_DATAGRAM=1",
                "MQ #9, #14, #17 (RFC 8441 §3, RFC 9297 §2.1.1)", MUST, ("quic",), ()),
    Requirement("MASQ-002", "a peer SETTINGS_H3_DATAGRAM value other than 0/1 closes with H3_SETTINGS_ERROR",
                "MQ #14 (RFC 9297 §2.1.1)", MUST, ("quic",), ()),
    Requirement("MASQ-003", "a malformed extended CONNECT (no :path/:scheme, :protocol on GET) is rejected",
                "MQ #11 (RFC 8441 §4, RFC 9114 §4.1.2)", MUST, ("quic",), ()),
    Requirement("MASQ-004", "an unknown :protocol is answered 501",
                "MQ #12 (RFC 9220 §3)", SHOULD, ("quic",), ()),
    Requirement("MASQ-005", "CONNECT-IP succeeds with 2xx and Capsule-Protocol: ?1",
                "MQ #33, #56 (RFC 9484 §4.5, RFC 9297 §3.4)", MUST, ("quic",), ()),
    Requirement("MASQ-006", "ADDRESS_REQUEST is answered by ADDRESS_ASSIGN with the request ID and a "
                "valid prefix",
                "MQ #58, #61 (RFC 9484 §4.7.1-2)", MUST, ("quic",), ("MASQ-005",)),
    Requirement("MASQ-007", "ROUTE_ADVERTISEMENT ranges are ordered and do not overlap",
                "MQ #62, #63 (RFC 9484 §4.7.3)", MUST, ("quic",), ("MASQ-005",)),
    Requirement("MASQ-008", "unknown and GREASE capsule types are skipped and the tunnel keeps working",
                "MQ #26, #35 (RFC 9297 §3.2)", MUST, ("quic",), ("MASQ-005",)),
    Requirement("MASQ-009", "non-minimal varints are accepted (capsule type/length, quarter stream, context)",
                "MQ #24 (RFC 9297 §1.1)", MUST, ("quic",), ("MASQ-005",)),
    Requirement("MASQ-010", "an ADDRESS_REQUEST with no entries, or a malformed capsule, aborts the stream",
                "MQ #30, #60 (RFC 9297 §3.3, RFC 9484 §4.7.2)", MUST, ("quic",), ("MASQ-005",)),
    Requirement("MASQ-011", "datagrams with an unknown context ID are dropped; context 0 carries IP",
                "MQ #46, #66 (RFC 9484 §6)", MUST, ("quic",), ("MASQ-005",)),
    Requirement("MASQ-012", "the tunnel carries 1280-byte IP packets",
                "MQ #68 (RFC 9484 §7.2)", MUST, ("quic",), ("MASQ-005",)),
    Requirement("MASQ-013", "a Quarter Stream ID above 2^60-1 closes with H3_DATAGRAM_ERROR",
                "MQ #19 (RFC 9297 §2.1)", MUST, ("quic",), ("MASQ-005",)),
    Requirement("MASQ-014", "CONNECT-IP packets with a source outside the assigned address are dropped",
                "MQ #70 (RFC 9484 §11)", MUST, ("quic",), ("MASQ-005",), needs_observer=True),
    # --- no amplification and floods (BRIEF §2.2); last, because floods put the server under load
    Requirement("AMP-001", "nothing unauthenticated gets any reply (bytes in vs bytes out)",
                "BRIEF §2.2", MUST, ALL, ()),
    Requirement("DOS-001", "a bounded handshake flood gets COOKIE_REPLY instead of handshake work",
                "BRIEF §2.2, spec §3 (cookie)", MUST, STREAMLESS, ()),
    Requirement("AMP-002", "a COOKIE_REPLY is never larger than the INIT it answers",
                "spec §3 (cookie)", MUST, STREAMLESS, ("DOS-001",)),
    Requirement("DOS-002", "a legitimate client completes its handshake during the flood (mac2 cookie)",
                "BRIEF §2.2, spec §3 (mac2)", MUST, STREAMLESS, HS),
]
# fmt: on

CATALOG: dict[str, Requirement] = {row.id: row for row in _ROWS}
if len(CATALOG) != len(_ROWS):
    raise RuntimeError("duplicate check ID in conformance/catalog.py")
