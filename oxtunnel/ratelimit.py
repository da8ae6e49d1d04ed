"""Token-bucket rate limiting keyed by a string (source IP, client key), with a bounded table.

Used for the per-source-IP handshake limit and the per-client packet limit.  Time is the ``now`` the
caller passes in (sans-IO).  The table never grows past ``max_entries``: idle (full) buckets are pruned
first, and when every bucket is busy a new key is refused (fail closed), so a flood of spoofed sources
cannot exhaust memory.
"""

from __future__ import annotations


class RateLimiter:
    """``rate`` tokens per second, at most ``burst`` banked, one token per event."""

    __slots__ = ("rate", "burst", "max_entries", "_buckets")

    def __init__(self, rate: float, burst: float, max_entries: int = 65536) -> None:
        if rate <= 0 or burst < 1 or max_entries < 1:
            raise ValueError("rate must be > 0, burst >= 1 and max_entries >= 1")
        self.rate = rate
        self.burst = burst
        self.max_entries = max_entries
        self._buckets: dict[str, list[float]] = {}  # key -> [tokens, last refill time]

    def allow(self, key: str, now: float, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens for ``key``; False when the bucket is empty (the event is refused)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_entries and not self._prune(now):
                return False
            bucket = self._buckets[key] = [self.burst, now]
        else:
            elapsed = now - bucket[1]
            if elapsed > 0:
                bucket[0] = min(self.burst, bucket[0] + elapsed * self.rate)
                bucket[1] = now
        if bucket[0] >= cost:
            bucket[0] -= cost
            return True
        return False

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)

    def __len__(self) -> int:
        return len(self._buckets)

    def _prune(self, now: float) -> bool:
        """Drop buckets that would be full again by now; True if that made room."""
        refill = self.burst / self.rate
        idle = [
            k
            for k, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self.rate >= self.burst or now - last >= refill
        ]
        for key in idle:
            del self._buckets[key]
        return len(self._buckets) < self.max_entries
