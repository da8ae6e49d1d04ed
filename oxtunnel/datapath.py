"""Inner packets ⇄ envelope bodies: batching, LZ4 compression, the IPV6 flag (spec/README.md §2).

Sending: packets are checked (an IP packet, within the MTU), runs of consecutive small packets are put
into one batch (order is preserved: a big packet closes the running batch), and a body is compressed
only when negotiated, big enough, not high-entropy and actually smaller.  Receiving unwraps in the
order COMPRESSED → BATCH → packet, never decompresses beyond the MTU, and checks every inner packet.
"""

from __future__ import annotations

from collections.abc import Sequence

import lz4.block

from oxtunnel import wire
from oxtunnel.policy import ip_version
from oxtunnel.trace import DropReason

_COMPRESSED = wire.FLAG_COMPRESSED
_BATCH = wire.FLAG_BATCH
_IPV6 = wire.FLAG_IPV6
ENTROPY_SAMPLE = 32  # bytes sampled from the end of a packet (the payload, not the headers)

Unit = tuple[int, bytes]  # (flags without ENCRYPTED, body)


class DataPath:
    """The negotiated data-path settings of one session."""

    __slots__ = ("mtu", "batching", "compression", "batch_max_packet", "compression_min", "distinct_limit")

    def __init__(
        self,
        *,
        mtu: int,
        batching: bool,
        compression: bool,
        batch_max_packet: int = 256,
        compression_min: int = 128,
        distinct_limit: int = 28,
    ) -> None:
        self.mtu = mtu
        self.batching = batching
        self.compression = compression
        self.batch_max_packet = batch_max_packet
        self.compression_min = compression_min
        self.distinct_limit = distinct_limit

    # -- sending -------------------------------------------------------------------------------------

    def encode(self, packets: Sequence[bytes], drops: list[tuple[DropReason, str]]) -> list[Unit]:
        """Bodies to seal for ``packets``; refused packets are appended to ``drops``."""
        units: list[Unit] = []
        mtu = self.mtu
        batch: list[bytes] = []
        batch_bytes = wire.BATCH_OVERHEAD
        small = self.batch_max_packet if self.batching else -1
        compress = self.compression
        for packet in packets:
            size = len(packet)
            version = packet[0] >> 4 if size else 0
            if version == 4 and size >= 20:
                flags = 0
            elif version == 6 and size >= 40:
                flags = _IPV6
            else:
                drops.append((DropReason.INVALID_PACKET, f"not an IP packet ({size} bytes)"))
                continue
            if size > mtu:
                drops.append((DropReason.TOO_LARGE, f"{size} bytes > MTU {mtu}"))
                continue
            if size <= small:
                if batch_bytes + wire.BATCH_ENTRY_OVERHEAD + size > mtu:
                    self._flush(batch, units)
                    batch = []
                    batch_bytes = wire.BATCH_OVERHEAD
                batch.append(packet)
                batch_bytes += wire.BATCH_ENTRY_OVERHEAD + size
                continue
            if batch:
                self._flush(batch, units)
                batch = []
                batch_bytes = wire.BATCH_OVERHEAD
            units.append(self._unit(flags, packet) if compress else (flags, packet))
        if batch:
            self._flush(batch, units)
        return units

    def _flush(self, batch: list[bytes], units: list[Unit]) -> None:
        if len(batch) == 1:
            packet = batch[0]
            units.append(self._unit(_IPV6 if packet[0] >> 4 == 6 else 0, packet))
        else:
            units.append(self._unit(_BATCH, wire.encode_batch(batch)))

    def _unit(self, flags: int, body: bytes) -> Unit:
        if self.compression and len(body) >= self.compression_min:
            packed = self.compress(body)
            if packed is not None:
                return flags | _COMPRESSED, packed
        return flags, body

    def compress(self, body: bytes) -> bytes | None:
        """The compression envelope of ``body``, or None when compressing is not worth it."""
        if len(set(body[-ENTROPY_SAMPLE:])) >= self.distinct_limit:
            return None  # looks random (already compressed or encrypted): skip the work
        block = lz4.block.compress(body, store_size=False)
        packed = wire.encode_compression_envelope(len(body), block)
        return packed if len(packed) < len(body) else None

    # -- receiving -----------------------------------------------------------------------------------

    def decode(self, flags: int, plain: bytes) -> list[bytes] | tuple[DropReason, str]:
        """The inner packets of an authenticated body, or (reason, detail) when it must be dropped."""
        if flags & _COMPRESSED:
            try:
                original_length, block = wire.decode_compression_envelope(plain)
            except wire.DecodeError as exc:
                return DropReason.MALFORMED, str(exc)
            if original_length > self.mtu:
                return DropReason.DECOMPRESSION_FAILED, f"original_length {original_length} > MTU {self.mtu}"
            try:
                plain = lz4.block.decompress(block, uncompressed_size=original_length)
            except lz4.block.LZ4BlockError as exc:
                return DropReason.DECOMPRESSION_FAILED, str(exc)
            if len(plain) != original_length:
                return DropReason.DECOMPRESSION_FAILED, f"{len(plain)} bytes, announced {original_length}"
        if flags & _BATCH:
            try:
                packets = wire.decode_batch(plain)
            except wire.DecodeError as exc:
                return DropReason.MALFORMED, str(exc)
            for packet in packets:
                if ip_version(packet) == 0:
                    return DropReason.INVALID_PACKET, "batch entry is not an IP packet"
            return packets
        version = ip_version(plain)
        if version == 0:
            return DropReason.INVALID_PACKET, f"not an IP packet ({len(plain)} bytes)"
        if (version == 6) != bool(flags & _IPV6):
            return DropReason.INVALID_PACKET, f"IPV6 flag disagrees with an IPv{version} packet"
        return [plain]
