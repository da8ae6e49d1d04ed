"""Anti-replay window of RFC 6479: a ring of 64-bit words, 8,192 bits of which 8,128 are usable.

The ring lets the window slide forward by clearing whole words instead of shifting a bitmap, so both
the check and the slide are O(1) per packet (a slide of more than the window clears at most 128
words).  ``check`` is read-only and cheap, so a receiver can refuse an obvious replay before paying for
decryption; ``accept`` is called only after the packet authenticated, so a forged counter can never move
the window.
"""

from __future__ import annotations

WORD_BITS = 64
WORD_SHIFT = 6
RING_WORDS = 128
RING_MASK = RING_WORDS - 1
BIT_MASK = WORD_BITS - 1
WINDOW_SIZE = (RING_WORDS - 1) * WORD_BITS  # 8,128: one word is always being recycled
COUNTER_LIMIT = 2**64 - 1  # counters are u64; the last value is never valid (as WireGuard's REJECT_AFTER)
_FULL_WORD = (1 << WORD_BITS) - 1


class ReplayWindow:
    """Tracks which envelope counters of one keypair and direction have been seen.

    The initial state (highest = 0, no bit set) accepts any first counter, including 0.
    """

    __slots__ = ("_ring", "highest")

    def __init__(self) -> None:
        self._ring = [0] * RING_WORDS
        self.highest = 0  # the highest counter accepted so far (0 before the first); read-only outside

    def check(self, counter: int) -> bool:
        """True when ``counter`` would be accepted now (not too old, not seen, below the limit)."""
        if counter >= COUNTER_LIMIT:
            return False
        last = self.highest
        if counter > last:
            return True
        if last - counter >= WINDOW_SIZE:
            return False
        return not (self._ring[(counter >> WORD_SHIFT) & RING_MASK] >> (counter & BIT_MASK)) & 1

    def accept(self, counter: int) -> bool:
        """Record ``counter`` as seen; False (and no change) when it is a replay, too old or too large."""
        if counter >= COUNTER_LIMIT:
            return False
        ring = self._ring
        block = counter >> WORD_SHIFT
        last = self.highest
        if counter > last:
            current = last >> WORD_SHIFT
            if block != current:  # entering new words: clear them (at most the whole ring)
                for i in range(current + 1, current + min(block - current, RING_WORDS) + 1):
                    ring[i & RING_MASK] = 0
            self.highest = counter
        elif last - counter >= WINDOW_SIZE:
            return False
        index = block & RING_MASK
        bit = 1 << (counter & BIT_MASK)
        word = ring[index]
        if word & bit:
            return False
        ring[index] = word | bit
        return True

    def accept_range(self, first: int, last: int) -> None:
        """Record every counter of ``first..last`` as seen, as ``accept`` on each in turn would.

        For the receive loop's in-order case: the caller has authenticated them all and ``first`` is above
        ``highest`` (so none was seen before); whole words are set at once."""
        if not self.highest < first <= last < COUNTER_LIMIT:
            raise ValueError(f"accept_range({first}, {last}) with highest {self.highest}")
        ring = self._ring
        current = self.highest >> WORD_SHIFT
        end = last >> WORD_SHIFT
        for i in range(current + 1, current + min(end - current, RING_WORDS) + 1):
            ring[i & RING_MASK] = 0  # words entering the window
        start = max(first, (end - RING_WORDS + 1) << WORD_SHIFT)  # older words are overwritten anyway
        block = start >> WORD_SHIFT
        low = start & BIT_MASK
        if block == end:
            ring[block & RING_MASK] |= ((1 << (last - start + 1)) - 1) << low
        else:
            ring[block & RING_MASK] |= _FULL_WORD ^ ((1 << low) - 1)
            for i in range(block + 1, end):
                ring[i & RING_MASK] = _FULL_WORD
            ring[end & RING_MASK] |= (1 << ((last & BIT_MASK) + 1)) - 1
        self.highest = last
