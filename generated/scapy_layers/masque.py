# Generated from spec/masque/*.ksy by spec/codegen — do not edit; run `make generate`.
"""scapy layers for spec/masque/*.ksy (masque profile)."""

from __future__ import annotations

from scapy.fields import ByteField, PacketListField, XStrField, XStrLenField
from scapy.packet import Packet

from generated.codecs._runtime import ORDER_RULES
from generated.scapy_layers.oxtunnel import QuicVarintField, _Nested, _vlen

_MASQUE_ADDRESS_ANY_OF_IP_VERSION = frozenset((4, 6,))
_IP_ADDRESS_RANGE_ANY_OF_IP_VERSION = frozenset((4, 6,))


class MasqueMasqueAddress(_Nested):
    """Assigned or requested address (CONNECT-IP) (masque_address.ksy)."""

    name = 'Assigned or requested address (CONNECT-IP)'
    oxt_min_size = 3
    fields_desc = [
        QuicVarintField('request_id', 0),
        ByteField('ip_version', 0),
        XStrLenField('ip_address', b"", length_from=lambda pkt: max((4 if pkt.getfieldval('ip_version') == 4 else 16), 0)),
        ByteField('ip_prefix_length', 0),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_ip_version = self.getfieldval('ip_version')
        v_ip_address = self.getfieldval('ip_address')
        v_ip_prefix_length = self.getfieldval('ip_prefix_length')
        if v_ip_version not in _MASQUE_ADDRESS_ANY_OF_IP_VERSION:
            return f"ip_version: must be one of 4, 6, got {v_ip_version}"
        if len(v_ip_address) != (4 if v_ip_version == 4 else 16):
            return f"ip_address: is {len(v_ip_address)} bytes, needs {(4 if v_ip_version == 4 else 16)}"
        if not (v_ip_prefix_length <= (32 if v_ip_version == 4 else 128)):
            return f"ip_prefix_length: violates `_ <= (ip_version == 4 ? 32 : 128)` (value {v_ip_prefix_length!r})"
        return None


class MasqueAddressAssign(Packet):
    """ADDRESS_ASSIGN capsule value (address_assign.ksy)."""

    name = 'ADDRESS_ASSIGN capsule value'
    oxt_min_size = 0
    fields_desc = [
        PacketListField('assigned_addresses', [], MasqueMasqueAddress),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_assigned_addresses = self.getfieldval('assigned_addresses')
        for item in v_assigned_addresses:
            problem = item.oxt_check()
            if problem:
                return f"assigned_addresses.{problem}"
        return None


class MasqueAddressRequest(Packet):
    """ADDRESS_REQUEST capsule value (address_request.ksy)."""

    name = 'ADDRESS_REQUEST capsule value'
    oxt_min_size = 0
    fields_desc = [
        PacketListField('requested_addresses', [], MasqueMasqueAddress),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_requested_addresses = self.getfieldval('requested_addresses')
        if len(v_requested_addresses) < 1:
            return "requested_addresses: needs at least 1 item(s)"
        for item in v_requested_addresses:
            problem = item.oxt_check()
            if problem:
                return f"requested_addresses.{problem}"
        return None


class MasqueCapsule(Packet):
    """HTTP capsule (capsule.ksy)."""

    name = 'HTTP capsule'
    oxt_min_size = 2
    fields_desc = [
        QuicVarintField('capsule_type', 0),
        QuicVarintField('length', 0),
        XStrLenField('value', b"", length_from=lambda pkt: max(pkt.getfieldval('length'), 0)),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_length = self.getfieldval('length')
        v_value = self.getfieldval('value')
        if v_length != len(v_value):
            return f"length: {v_length} disagrees with value.size = {len(v_value)}"
        if len(v_value) != v_length:
            return f"value: is {len(v_value)} bytes, needs {v_length}"
        return None


class MasqueDatagramCapsule(Packet):
    """DATAGRAM capsule carrying a proxied payload (datagram_capsule.ksy)."""

    name = 'DATAGRAM capsule carrying a proxied payload'
    oxt_min_size = 3
    fields_desc = [
        QuicVarintField('capsule_type', 0),
        QuicVarintField('length', 0),
        QuicVarintField('context_id', 0),
        XStrLenField('payload', b"", length_from=lambda pkt: max((pkt.getfieldval('length') - _vlen(pkt.getfieldval('context_id'))), 0)),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_capsule_type = self.getfieldval('capsule_type')
        v_length = self.getfieldval('length')
        v_context_id = self.getfieldval('context_id')
        len_context_id = _vlen(v_context_id)
        v_payload = self.getfieldval('payload')
        if not (v_capsule_type == 0):
            return f"capsule_type: violates `_.value == 0` (value {v_capsule_type!r})"
        if v_length != (len_context_id + len(v_payload)):
            return f"length: {v_length} disagrees with context_id.len + payload.size = {(len_context_id + len(v_payload))}"
        if len(v_payload) != (v_length - len_context_id):
            return f"payload: is {len(v_payload)} bytes, needs {(v_length - len_context_id)}"
        return None


class MasqueHttpDatagram(Packet):
    """HTTP/3 datagram (QUIC DATAGRAM frame payload) (http_datagram.ksy)."""

    name = 'HTTP/3 datagram (QUIC DATAGRAM frame payload)'
    oxt_min_size = 2
    fields_desc = [
        QuicVarintField('quarter_stream_id', 0),
        QuicVarintField('context_id', 0),
        XStrField('payload', b""),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_quarter_stream_id = self.getfieldval('quarter_stream_id')
        if not (v_quarter_stream_id <= 1152921504606846975):
            return f"quarter_stream_id: violates `_.value <= 1152921504606846975` (value {v_quarter_stream_id!r})"
        return None


class MasqueIpAddressRange(_Nested):
    """IP address range (ROUTE_ADVERTISEMENT entry) (ip_address_range.ksy)."""

    name = 'IP address range (ROUTE_ADVERTISEMENT entry)'
    oxt_min_size = 2
    fields_desc = [
        ByteField('ip_version', 0),
        XStrLenField('start_address', b"", length_from=lambda pkt: max((4 if pkt.getfieldval('ip_version') == 4 else 16), 0)),
        XStrLenField('end_address', b"", length_from=lambda pkt: max((4 if pkt.getfieldval('ip_version') == 4 else 16), 0)),
        ByteField('ip_protocol', 0),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_ip_version = self.getfieldval('ip_version')
        v_start_address = self.getfieldval('start_address')
        v_end_address = self.getfieldval('end_address')
        if v_ip_version not in _IP_ADDRESS_RANGE_ANY_OF_IP_VERSION:
            return f"ip_version: must be one of 4, 6, got {v_ip_version}"
        if len(v_start_address) != (4 if v_ip_version == 4 else 16):
            return f"start_address: is {len(v_start_address)} bytes, needs {(4 if v_ip_version == 4 else 16)}"
        if len(v_end_address) != (4 if v_ip_version == 4 else 16):
            return f"end_address: is {len(v_end_address)} bytes, needs {(4 if v_ip_version == 4 else 16)}"
        if not (v_end_address >= v_start_address):
            return f"end_address: violates `_ >= start_address` (value {v_end_address!r})"
        return None


class MasqueRouteAdvertisement(Packet):
    """ROUTE_ADVERTISEMENT capsule value (route_advertisement.ksy)."""

    name = 'ROUTE_ADVERTISEMENT capsule value'
    oxt_min_size = 0
    fields_desc = [
        PacketListField('ip_address_ranges', [], MasqueIpAddressRange),
    ]

    def oxt_check(self) -> str | None:
        """The first rule of the spec this packet breaks, or None."""
        v_ip_address_ranges = self.getfieldval('ip_address_ranges')
        for item in v_ip_address_ranges:
            problem = item.oxt_check()
            if problem:
                return f"ip_address_ranges.{problem}"
        problem = ORDER_RULES['route_advertisement'](v_ip_address_ranges)
        if problem:
            return f"ip_address_ranges: {problem}"
        return None


class MasqueQuicVarint(_Nested):
    """QUIC variable-length integer (quic_varint.ksy)."""

    name = "QUIC varint"
    oxt_min_size = 1
    fields_desc = [QuicVarintField("value", 0)]

    @property
    def len(self) -> int:
        """Encoded length in bytes."""
        return _vlen(self.value)
