# Generated from spec/masque/*.ksy by spec/codegen — do not edit; run `make generate`.
"""MASQUE pieces (RFC 9297/9298/9484) from spec/masque/*.ksy."""

from __future__ import annotations

from generated.codecs._runtime import DecodeError, EncodeError, encode_varint, read_varint, varint_size
from generated.masque.address_assign import AddressAssign
from generated.masque.address_request import AddressRequest
from generated.masque.capsule import Capsule
from generated.masque.datagram_capsule import DatagramCapsule
from generated.masque.http_datagram import HttpDatagram
from generated.masque.ip_address_range import IpAddressRange
from generated.masque.masque_address import MasqueAddress
from generated.masque.route_advertisement import RouteAdvertisement
from generated.masque.varint import QuicVarint, decode_varint

__all__ = [
    "AddressAssign",
    "AddressRequest",
    "Capsule",
    "DatagramCapsule",
    "DecodeError",
    "EncodeError",
    "HttpDatagram",
    "IpAddressRange",
    "MasqueAddress",
    "QuicVarint",
    "RouteAdvertisement",
    "decode_varint",
    "encode_varint",
    "read_varint",
    "varint_size",
]
