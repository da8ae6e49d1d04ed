"""RateLimiter: token buckets per key, refill over time, bounded table that fails closed."""

from __future__ import annotations

import pytest

from oxtunnel.ratelimit import RateLimiter


def test_burst_then_refill() -> None:
    limiter = RateLimiter(rate=2.0, burst=3.0)
    assert [limiter.allow("a", 0.0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b", 0.0)  # keys are independent
    assert not limiter.allow("a", 0.4)
    assert limiter.allow("a", 0.5)
    assert [limiter.allow("a", 10.0) for _ in range(4)] == [True, True, True, False]  # capped at burst


def test_table_is_bounded_and_prunes_idle_buckets() -> None:
    limiter = RateLimiter(rate=1.0, burst=1.0, max_entries=2)
    assert limiter.allow("a", 0.0) and limiter.allow("b", 0.0)
    assert not limiter.allow("c", 0.0)  # both busy: a new key is refused (fail closed)
    assert limiter.allow("c", 5.0)  # a and b refilled: pruned, room again
    assert len(limiter) == 1
    limiter.forget("c")
    assert len(limiter) == 0


def test_arguments_are_checked() -> None:
    for args in ((0, 1), (1, 0.5), (1, 1, 0)):
        with pytest.raises(ValueError):
            RateLimiter(*args)
