# Generated from spec/masque/address_request.ksy by spec/codegen — do not edit; run `make generate`.
"""ADDRESS_REQUEST capsule value.

Value of an ADDRESS_REQUEST capsule (type 0x02, RFC 9484 §4.7.2): at least one requested address, each
with a non-zero request ID.
"""

from __future__ import annotations

from dataclasses import dataclass

from generated.codecs._runtime import Buffer, DecodeError, EncodeError
from generated.masque.masque_address import MasqueAddress

_NAME = "AddressRequest"


@dataclass(frozen=True, slots=True)
class AddressRequest:
    """ADDRESS_REQUEST capsule value (address_request.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        requested_addresses : The requested addresses (at least one; request_id non-zero).
    """

    requested_addresses: tuple[MasqueAddress, ...]

    @classmethod
    def decode(cls, data: Buffer) -> AddressRequest:
        """Decode exactly one AddressRequest from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[AddressRequest, int]:
        """Decode one AddressRequest at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[AddressRequest, int]:
        """Decode one AddressRequest from buf[off:end]; return it and the offset after it."""
        items_requested_addresses = []
        while off < end:
            item_requested_addresses, off = MasqueAddress._decode(buf, off, end)
            items_requested_addresses.append(item_requested_addresses)
        v_requested_addresses = tuple(items_requested_addresses)
        if len(v_requested_addresses) < 1:
            raise DecodeError(_NAME, 'requested_addresses', off, "needs at least 1 item(s)")
        return cls(v_requested_addresses), off

    def encode(self) -> bytes:
        """The wire bytes of this AddressRequest; EncodeError if a value breaks the spec."""
        v_requested_addresses = self.requested_addresses
        b_requested_addresses = b"".join(item.encode() for item in v_requested_addresses)
        if len(v_requested_addresses) < 1:
            raise EncodeError(_NAME, 'requested_addresses', "needs at least 1 item(s)")
        return b_requested_addresses
