"""MASQUE proxy-role checks over HTTP/3 (masque-requirements.md, RFC 9220/9297/9484), with the aioquic peer.

Each check opens its own QUIC connection (ALPN ``h3``) so a connection error provoked by one check cannot
leak into the next. "The tunnel works" is shown by an ICMP echo from the assigned address to the echo
host, carried in HTTP/3 datagrams with context ID 0.
"""

from __future__ import annotations

import ipaddress
import os

from conformance import inner
from conformance.context import CheckContext
from conformance.masque_peer import H3Peer, StreamState, connect_headers, default_settings
from conformance.quic_link import QuicConnectError
from conformance.registry import CheckFailed, Outcome, SkipCheck, failed, implements, passed
from generated import masque as M
from generated.codecs import constants as C

V = "v3"
CT_ASSIGN, CT_REQUEST, CT_ROUTES = 0x01, 0x02, 0x03
GREASE = (
    C.CAPSULE_GREASE_BASE,
    C.CAPSULE_GREASE_STEP + C.CAPSULE_GREASE_BASE,
    C.CAPSULE_GREASE_STEP * 977 + C.CAPSULE_GREASE_BASE,
)


def _peer(ctx: CheckContext, **options: object) -> H3Peer:
    peer = H3Peer(ctx.target.address, ctx.target.port("quic"), ctx.target.quic_server_name, **options)  # type: ignore[arg-type]
    ctx.own(peer)
    try:
        peer.connect(ctx.timing.reply_timeout * 2)
    except QuicConnectError as exc:
        raise CheckFailed(f"no HTTP/3 (ALPN h3) connection to the QUIC port: {exc}") from None
    return peer


def _authority(ctx: CheckContext) -> bytes:
    return (ctx.target.masque.authority or f"{ctx.target.address}:{ctx.target.port('quic')}").encode()


def _headers(
    ctx: CheckContext,
    protocol: bytes = b"connect-ip",
    drop: tuple[bytes, ...] = (),
    method: bytes = b"CONNECT",
) -> list[tuple[bytes, bytes]]:
    return connect_headers(
        protocol,
        ctx.target.masque.ip_path.encode(),
        _authority(ctx),
        ctx.target.masque.token,
        drop=drop,
        method=method,
    )


def _settled(peer: H3Peer, sid: int) -> object:
    state = peer.stream(sid)
    return lambda: state.status is not None or state.aborted is not None or peer.terminated is not None


def _connect_ip(ctx: CheckContext, peer: H3Peer) -> tuple[int, StreamState]:
    sid = peer.request(_headers(ctx))
    state = peer.stream(sid)
    peer.until(_settled(peer, sid), ctx.timing.reply_timeout)
    if state.status is None:
        why = (
            f"stream aborted with {state.aborted:#x}"
            if state.aborted is not None
            else f"connection closed {peer.terminated.error_code:#x}"
            if peer.terminated
            else "no response"
        )
        raise CheckFailed(f"CONNECT-IP {ctx.target.masque.ip_path}: {why}")
    if not 200 <= state.status < 300:
        needs_token = state.status in (401, 403, 407)
        hint = " (a bearer token may be needed: [masque] token_file)" if needs_token else ""
        raise CheckFailed(f"CONNECT-IP {ctx.target.masque.ip_path} answered {state.status}{hint}")
    return sid, state


def _capsules(state: StreamState, kind: int) -> list[bytes]:
    return [c.value for c in state.capsules()[0] if c.capsule_type == kind]


def _assigned_v4(ctx: CheckContext, peer: H3Peer, state: StreamState) -> str:
    peer.until(lambda: _capsules(state, CT_ASSIGN), ctx.timing.reply_timeout)
    for value in reversed(_capsules(state, CT_ASSIGN)):
        for entry in M.AddressAssign.decode(value).assigned_addresses:
            if entry.ip_version == 4 and entry.ip_prefix_length == 32:
                return str(ipaddress.IPv4Address(entry.ip_address))
    raise SkipCheck("the proxy assigned no IPv4 /32 (ADDRESS_REQUEST handling is MASQ-006)")


def _echo(
    ctx: CheckContext,
    peer: H3Peer,
    sid: int,
    src: str,
    *,
    size: int = 0,
    context: int = 0,
    qsid_length: int | None = None,
    context_length: int | None = None,
) -> bool:
    dst = ctx.target.echo.address
    if dst is None:
        raise SkipCheck("MASQUE echo needs [echo] address (a host the proxy can reach)")
    probe = inner.echo_request(src, dst, size=size)
    state = peer.stream(sid)
    before = len(state.datagrams)
    peer.send_datagram(
        sid // 4, context, probe.packet, qsid_length=qsid_length, context_length=context_length
    )

    def answered() -> bool:
        for datagram in state.datagrams[before:]:
            try:
                ctx_id, offset = M.decode_varint(datagram)
            except M.DecodeError:
                continue
            if ctx_id == 0 and probe.answered_by(datagram[offset:]):
                return True
        return False

    return peer.until(answered, ctx.timing.reply_timeout if context == 0 else ctx.timing.silence_window)


def _tunnel(ctx: CheckContext) -> tuple[H3Peer, int, StreamState, str]:
    peer = _peer(ctx)
    sid, state = _connect_ip(ctx, peer)
    return peer, sid, state, _assigned_v4(ctx, peer, state)


def _closed_with(peer: H3Peer, code: int, timeout: float) -> str | None:
    """None when the connection closed with ``code``, else what happened instead."""
    peer.until(lambda: peer.terminated is not None, timeout)
    if peer.terminated is None:
        return "the connection stayed open"
    if peer.terminated.error_code != code:
        return f"closed with {peer.terminated.error_code:#x} instead of {code:#x}"
    return None


@implements("MASQ-001", V)
def settings(ctx: CheckContext) -> Outcome:
    peer = _peer(ctx)
    got = peer.peer_settings or {}
    problems = []
    if got.get(C.H3_SETTINGS_ENABLE_CONNECT_PROTOCOL) != 1:
        problems.append(f"ENABLE_CONNECT_PROTOCOL = {got.get(C.H3_SETTINGS_ENABLE_CONNECT_PROTOCOL)}")
    if got.get(C.H3_SETTINGS_H3_DATAGRAM) != 1:
        problems.append(f"H3_DATAGRAM = {got.get(C.H3_SETTINGS_H3_DATAGRAM)}")
    frame = peer.client.peer_max_datagram_frame_size
    if not frame:
        problems.append("no max_datagram_frame_size transport parameter")
    if problems:
        return failed("SETTINGS: " + ", ".join(problems))
    note = "" if frame == 65535 else f" (max_datagram_frame_size {frame}; MQ #7 recommends 65535)"
    draft = (
        " (also sends the obsolete draft H3_DATAGRAM 0xffd277)"
        if C.H3_SETTINGS_H3_DATAGRAM_DRAFT04 in got
        else ""
    )
    return passed(f"ENABLE_CONNECT_PROTOCOL=1, H3_DATAGRAM=1, max_datagram_frame_size {frame}{note}{draft}")


@implements("MASQ-002", V)
def bad_h3_datagram_setting(ctx: CheckContext) -> Outcome:
    peer = H3Peer(
        ctx.target.address,
        ctx.target.port("quic"),
        ctx.target.quic_server_name,
        settings=default_settings(h3_datagram=2),
    )
    ctx.own(peer)
    peer.client.until(
        lambda: peer.client.connected or peer.terminated is not None, ctx.timing.reply_timeout * 2
    )
    problem = _closed_with(peer, C.H3_SETTINGS_ERROR, ctx.timing.reply_timeout)
    if problem:
        return failed(f"SETTINGS_H3_DATAGRAM=2 from the client: {problem}")
    return passed("SETTINGS_H3_DATAGRAM=2 closed the connection with H3_SETTINGS_ERROR")


MALFORMED: tuple[tuple[str, tuple[bytes, ...], bytes], ...] = (
    ("CONNECT-IP without :path", (b":path",), b"CONNECT"),
    ("CONNECT-IP without :scheme", (b":scheme",), b"CONNECT"),
    ("GET carrying :protocol", (), b"GET"),
)


@implements("MASQ-003", V)
def malformed_connect(ctx: CheckContext) -> Outcome:
    results = []
    for label, drop, method in MALFORMED:
        peer = _peer(ctx)
        sid = peer.request(_headers(ctx, drop=drop, method=method))
        state = peer.stream(sid)
        peer.until(_settled(peer, sid), ctx.timing.reply_timeout)
        if state.aborted == C.H3_MESSAGE_ERROR or (
            peer.terminated and peer.terminated.error_code == C.H3_MESSAGE_ERROR
        ):
            results.append(f"{label}: H3_MESSAGE_ERROR")
        elif state.status is not None and 200 <= state.status < 300:
            return failed(f"{label} was accepted with {state.status}")
        elif state.status is not None and 400 <= state.status < 500:
            results.append(f"{label}: {state.status}")
        else:
            what = (
                f"stream aborted with {state.aborted:#x}"
                if state.aborted is not None
                else f"connection closed {peer.terminated.error_code:#x}"
                if peer.terminated
                else "no answer"
            )
            return failed(f"{label}: expected H3_MESSAGE_ERROR, got {what}")
        peer.close()
    return passed("; ".join(results))


@implements("MASQ-004", V)
def unknown_protocol(ctx: CheckContext) -> Outcome:
    peer = _peer(ctx)
    sid = peer.request(_headers(ctx, protocol=b"connect-teleport"))
    peer.until(_settled(peer, sid), ctx.timing.reply_timeout)
    status = peer.stream(sid).status
    if status == 501:
        return passed("unknown :protocol answered 501")
    return failed(f"unknown :protocol answered {status if status is not None else 'nothing'} (SHOULD be 501)")


@implements("MASQ-005", V)
def connect_ip(ctx: CheckContext) -> Outcome:
    peer = _peer(ctx)
    _, state = _connect_ip(ctx, peer)
    capsule_protocol = state.header(b"capsule-protocol")
    if capsule_protocol is None or not capsule_protocol.startswith(b"?1"):
        return failed(f"2xx without Capsule-Protocol: ?1 (got {capsule_protocol!r})")
    for name in (b"content-length", b"content-type", b"transfer-encoding"):
        if state.header(name) is not None:
            return failed(f"the Capsule-Protocol response carries {name.decode()} (RFC 9297 §3.2)")
    return passed(f"CONNECT-IP {ctx.target.masque.ip_path}: {state.status}, Capsule-Protocol: ?1")


@implements("MASQ-006", V)
def address_assign(ctx: CheckContext) -> Outcome:
    peer = _peer(ctx)
    sid, state = _connect_ip(ctx, peer)
    request = M.AddressRequest((M.MasqueAddress(1, 4, bytes(4), 32),)).encode()
    before = len(_capsules(state, CT_ASSIGN))
    peer.send_capsule(sid, CT_REQUEST, request)
    peer.until(lambda: len(_capsules(state, CT_ASSIGN)) > before, ctx.timing.reply_timeout)
    assigns = _capsules(state, CT_ASSIGN)
    if len(assigns) <= before:
        return failed("ADDRESS_REQUEST(id=1, 0.0.0.0/32) got no ADDRESS_ASSIGN")
    try:
        entries = M.AddressAssign.decode(assigns[-1]).assigned_addresses
    except M.DecodeError as exc:
        return failed(f"ADDRESS_ASSIGN does not decode: {exc}")
    for entry in entries:
        bits = 32 if entry.ip_version == 4 else 128
        network = ipaddress.ip_network((entry.ip_address, entry.ip_prefix_length), strict=False)
        if entry.ip_prefix_length > bits or int(ipaddress.ip_address(entry.ip_address)) != int(
            network.network_address
        ):
            return failed(
                f"assigned {ipaddress.ip_address(entry.ip_address)}/{entry.ip_prefix_length} has host "
                "bits set below the prefix"
            )
    mine = [e for e in entries if e.request_id == 1]
    if not mine:
        return failed(f"ADDRESS_ASSIGN has no entry for request ID 1: {entries}")
    address = ipaddress.ip_address(mine[0].ip_address)
    return passed(
        f"request 1 answered with {address}/{mine[0].ip_prefix_length}; "
        f"{len(entries)} entries, all with valid prefixes"
    )


def _route_problems(ranges: list[M.IpAddressRange]) -> str | None:
    def key(r: M.IpAddressRange) -> tuple[int, int]:
        return (r.ip_version, r.ip_protocol)

    for a, b in zip(ranges, ranges[1:], strict=False):
        if key(a) > key(b):
            return "ranges not ordered by (version, protocol)"
        if key(a) == key(b) and int.from_bytes(a.end_address, "big") >= int.from_bytes(
            b.start_address, "big"
        ):
            return "ranges of the same version and protocol overlap or are out of order"
    for a in ranges:
        if int.from_bytes(a.start_address, "big") > int.from_bytes(a.end_address, "big"):
            return "a range with start > end"
        for b in ranges:
            if (
                a.ip_version == b.ip_version
                and a.ip_protocol == 0
                and b.ip_protocol != 0
                and not (
                    int.from_bytes(a.end_address, "big") < int.from_bytes(b.start_address, "big")
                    or int.from_bytes(b.end_address, "big") < int.from_bytes(a.start_address, "big")
                )
            ):
                return f"a protocol-0 range overlaps a protocol-{b.ip_protocol} range"
    return None


@implements("MASQ-007", V)
def route_advertisement(ctx: CheckContext) -> Outcome:
    peer = _peer(ctx)
    _, state = _connect_ip(ctx, peer)
    peer.until(lambda: _capsules(state, CT_ROUTES), ctx.timing.reply_timeout)
    values = _capsules(state, CT_ROUTES)
    if not values:
        return failed("no ROUTE_ADVERTISEMENT after CONNECT-IP")
    for value in values:
        ranges = _decode_ranges(value)
        problem = _route_problems(ranges)
        if problem:
            return failed(f"ROUTE_ADVERTISEMENT: {problem}")
    last = _decode_ranges(values[-1])
    shown = ", ".join(
        f"v{r.ip_version} {ipaddress.ip_address(r.start_address)}-"
        f"{ipaddress.ip_address(r.end_address)} proto {r.ip_protocol}"
        for r in last
    )
    return passed(f"{len(values)} ROUTE_ADVERTISEMENT, ordered, no overlap: {shown}")


def _decode_ranges(value: bytes) -> list[M.IpAddressRange]:
    """Ranges one by one (the generated RouteAdvertisement also enforces order; we report it ourselves)."""
    ranges, offset = [], 0
    while offset < len(value):
        try:
            item, offset = M.IpAddressRange.decode_prefix(value, offset)
        except M.DecodeError as exc:
            raise CheckFailed(f"ROUTE_ADVERTISEMENT does not decode: {exc}") from None
        ranges.append(item)
    return ranges


@implements("MASQ-008", V)
def grease_capsules(ctx: CheckContext) -> Outcome:
    peer, sid, state, me = _tunnel(ctx)
    for kind in GREASE + (0x4F58,):
        peer.send_capsule(sid, kind, os.urandom(17))
    peer.client.pump(0.05)
    if state.aborted is not None or peer.terminated is not None:
        return failed(f"unknown/GREASE capsules aborted the tunnel ({state.aborted or peer.terminated})")
    if not _echo(ctx, peer, sid, me):
        return failed("after GREASE and unknown capsules the tunnel no longer carries an echo")
    return passed(
        f"capsule types {', '.join(hex(k) for k in GREASE + (0x4F58,))} skipped; echo still answered"
    )


@implements("MASQ-009", V)
def non_minimal_varints(ctx: CheckContext) -> Outcome:
    peer, sid, state, me = _tunnel(ctx)
    before = len(_capsules(state, CT_ASSIGN))
    request = M.AddressRequest((M.MasqueAddress(7, 4, bytes(4), 32),)).encode()
    peer.send_capsule(sid, CT_REQUEST, request, type_length=8, length_length=4)
    peer.until(lambda: len(_capsules(state, CT_ASSIGN)) > before, ctx.timing.reply_timeout)
    if len(_capsules(state, CT_ASSIGN)) <= before:
        return failed("an ADDRESS_REQUEST with an 8-byte type and 4-byte length varint was not answered")
    for qsid_length, context_length in ((8, 1), (2, 4), (4, 8)):
        if not _echo(ctx, peer, sid, me, qsid_length=qsid_length, context_length=context_length):
            return failed(
                f"a datagram with a {qsid_length}-byte quarter stream ID and {context_length}-byte "
                "context ID was not carried"
            )
    return passed("non-minimal capsule type/length and quarter-stream/context varints accepted")


@implements("MASQ-010", V)
def bad_capsules_abort(ctx: CheckContext) -> Outcome:
    results = []
    for label, value in (
        ("an ADDRESS_REQUEST with no entries", b""),
        (
            "an ADDRESS_REQUEST with trailing garbage",
            M.AddressRequest((M.MasqueAddress(3, 4, bytes(4), 32),)).encode() + b"\x01",
        ),
    ):
        peer = _peer(ctx)
        sid, state = _connect_ip(ctx, peer)
        peer.send_capsule(sid, CT_REQUEST, value)
        peer.until(
            lambda s=state, p=peer: s.aborted is not None or s.ended or p.terminated is not None,
            ctx.timing.reply_timeout,
        )
        if state.aborted is None and peer.terminated is None:
            return failed(f"{label} did not abort the stream")
        results.append(f"{label}: aborted ({state.aborted or peer.terminated.error_code:#x})")  # type: ignore[union-attr]
        peer.close()
    return passed("; ".join(results))


@implements("MASQ-011", V)
def unknown_context(ctx: CheckContext) -> Outcome:
    peer, sid, _, me = _tunnel(ctx)
    if _echo(ctx, peer, sid, me, context=1):
        return failed("a datagram with the unallocated context ID 1 was forwarded (its echo came back)")
    if not _echo(ctx, peer, sid, me):
        return failed("context 0 does not carry an echo")
    return passed("context ID 1 dropped, context 0 carries IP")


@implements("MASQ-012", V)
def mtu_1280(ctx: CheckContext) -> Outcome:
    peer, sid, _, me = _tunnel(ctx)
    if not _echo(ctx, peer, sid, me, size=1280):
        return failed("a 1280-byte IP packet was not carried both ways")
    return passed("a 1280-byte ICMP echo crossed the tunnel both ways")


@implements("MASQ-013", V)
def quarter_stream_id_limit(ctx: CheckContext) -> Outcome:
    peer, _, _, _ = _tunnel(ctx)
    peer.send_datagram(C.QUARTER_STREAM_ID_MAX + 1, 0, b"x")
    problem = _closed_with(peer, C.H3_DATAGRAM_ERROR, ctx.timing.reply_timeout)
    if problem:
        return failed(f"quarter stream ID 2^60: {problem}")
    return passed("quarter stream ID 2^60 closed the connection with H3_DATAGRAM_ERROR")


@implements("MASQ-014", V)
def spoofed_source(ctx: CheckContext) -> Outcome:
    peer, sid, _, me = _tunnel(ctx)
    observer = ctx.observer
    legit = inner.udp_datagram(me, observer.config.address, observer.config.port)
    peer.send_datagram(sid // 4, 0, legit.packet)
    if not observer.seen(legit.marker, ctx.timing.reply_timeout):
        raise SkipCheck("the observer did not see even the assigned address's packet")
    spoofed = inner.udp_datagram("192.0.2.99", observer.config.address, observer.config.port)
    peer.send_datagram(sid // 4, 0, spoofed.packet)
    if observer.seen(spoofed.marker, ctx.timing.silence_window):
        return failed(f"a CONNECT-IP packet from 192.0.2.99 (assigned {me}) was forwarded")
    return passed(f"source 192.0.2.99 dropped; the assigned {me} is forwarded")
