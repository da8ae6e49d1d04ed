# Generated from spec/masque/address_assign.ksy by spec/codegen — do not edit; run `make generate`.
"""ADDRESS_ASSIGN capsule value.

Value of an ADDRESS_ASSIGN capsule (type 0x01, RFC 9484 §4.7.1): the full current list of addresses
assigned to the peer; an empty list removes them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from generated.codecs._runtime import Buffer, DecodeError
from generated.masque.masque_address import MasqueAddress

_NAME = "AddressAssign"


@dataclass(frozen=True, slots=True)
class AddressAssign:
    """ADDRESS_ASSIGN capsule value (address_assign.ksy).

    Attributes (wire order; * = computed by encode(), checked by decode(); = constant):
        assigned_addresses : The assigned addresses.
    """

    assigned_addresses: tuple[MasqueAddress, ...]

    @classmethod
    def decode(cls, data: Buffer) -> AddressAssign:
        """Decode exactly one AddressAssign from data (trailing bytes are a DecodeError)."""
        buf = data if type(data) is bytes else bytes(data)
        value, off = cls._decode(buf, 0, len(buf))
        if off != len(buf):
            raise DecodeError(_NAME, "(end)", off, f"{len(buf) - off} trailing bytes")
        return value

    @classmethod
    def decode_prefix(cls, data: Buffer, offset: int = 0) -> tuple[AddressAssign, int]:
        """Decode one AddressAssign at offset; return it and the offset after it (for streams)."""
        buf = data if type(data) is bytes else bytes(data)
        return cls._decode(buf, offset, len(buf))

    @classmethod
    def _decode(cls, buf: bytes, off: int, end: int) -> tuple[AddressAssign, int]:
        """Decode one AddressAssign from buf[off:end]; return it and the offset after it."""
        items_assigned_addresses = []
        while off < end:
            item_assigned_addresses, off = MasqueAddress._decode(buf, off, end)
            items_assigned_addresses.append(item_assigned_addresses)
        v_assigned_addresses = tuple(items_assigned_addresses)
        return cls(v_assigned_addresses), off

    def encode(self) -> bytes:
        """The wire bytes of this AddressAssign; EncodeError if a value breaks the spec."""
        v_assigned_addresses = self.assigned_addresses
        b_assigned_addresses = b"".join(item.encode() for item in v_assigned_addresses)
        return b_assigned_addresses
