"""RFC 6479 replay window: a table of (counter, expected) steps run in order, WireGuard-style."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oxtunnel.replay import COUNTER_LIMIT, RING_WORDS, WINDOW_SIZE, WORD_BITS, ReplayWindow

W = WINDOW_SIZE
assert W == 8128 and RING_WORDS * WORD_BITS == 8192

# Each case: (counter, accepted?) applied to one window in sequence.
STEPS: list[tuple[int, bool]] = [
    (0, True),  # the very first counter may be 0
    (0, False),  # ...but only once
    (1, True),
    (1, False),
    (3, True),  # a gap
    (2, True),  # filled late (reordering)
    (2, False),
    (63, True),  # last bit of the first word
    (64, True),  # first bit of the second word
    (W - 1, True),  # the window now spans [0, W-1]: counter 0 is the oldest still tracked
    (0, False),  # still remembered as seen
    (4, True),  # never seen, still inside the window
    (W, True),  # slides by one: counter 0 falls out
    (0, False),  # too old now
    (1, False),  # seen (and at the edge)
    (5, True),  # unseen and still inside: W - 5 < W
    (W + 5, True),
    (5, False),  # now exactly W behind: out of the window
    (6, True),  # W - 1 behind and never seen: the oldest counter still inside
    (6, False),
    (3 * W, True),  # a jump of several windows clears the whole ring
    (W + 5, False),  # far behind
    (3 * W - 1, True),  # everything just behind the jump is fresh again
    (3 * W - W + 1, True),  # the oldest counter still inside
    (3 * W - W, False),  # one further is out
    (3 * W, False),
    (COUNTER_LIMIT - 1, True),  # the largest valid counter
    (COUNTER_LIMIT, False),  # u64 max is never valid
    (COUNTER_LIMIT + 1, False),
    (COUNTER_LIMIT - 2, True),
    (COUNTER_LIMIT - 1, False),
]


def test_table() -> None:
    window = ReplayWindow()
    for step, (counter, expected) in enumerate(STEPS):
        assert window.check(counter) is expected, f"check step {step}: {counter}"
        assert window.accept(counter) is expected, f"accept step {step}: {counter}"


@pytest.mark.parametrize("jump", [1, 63, 64, 65, W - 1, W, W + 1, 8192, 8193, 10**6])
def test_slides_of_every_size_forget_exactly_what_left_the_window(jump: int) -> None:
    window = ReplayWindow()
    for c in range(0, 200):
        assert window.accept(c)
    top = 199 + jump
    assert window.accept(top)
    for c in range(0, 200):
        assert not window.check(c)  # seen, or fell out of the window
    for c in range(max(200, top - W + 1), top):
        assert window.check(c), c  # unseen and inside
    if top - W >= 200:
        assert not window.check(top - W)


def test_full_window_of_reordered_counters() -> None:
    window = ReplayWindow()
    top = 20_000
    assert window.accept(top)
    for c in range(top - 1, top - W, -1):
        assert window.accept(c)
    assert not window.accept(top - W)
    for c in range(top - W + 1, top + 1):
        assert not window.accept(c)


@given(st.lists(st.integers(min_value=0, max_value=40_000), max_size=300))
def test_matches_a_reference_model(counters: list[int]) -> None:
    window = ReplayWindow()
    seen: set[int] = set()
    highest = 0
    for c in counters:
        expected = c not in seen and (c > highest or highest - c < W)
        assert window.check(c) is expected
        assert window.accept(c) is expected
        if expected:
            seen.add(c)
            highest = max(highest, c)


@given(st.lists(st.tuples(st.integers(0, 20_000), st.integers(1, 9_000)), max_size=40))
def test_accept_range_is_accept_on_each(steps: list[tuple[int, int]]) -> None:
    """A range above the top marks exactly what accepting its counters one by one marks."""
    ranged, single = ReplayWindow(), ReplayWindow()
    for gap, length in steps:
        first = ranged.highest + 1 + gap
        last = first + length - 1
        ranged.accept_range(first, last)
        for c in range(first, last + 1):
            assert single.accept(c)
        assert ranged.highest == single.highest
        probes = range(max(0, last - W - 70), last + 70)
        assert [ranged.check(c) for c in probes] == [single.check(c) for c in probes]


def test_accept_range_refuses_what_could_be_a_replay() -> None:
    window = ReplayWindow()
    window.accept(10)
    with pytest.raises(ValueError):
        window.accept_range(10, 12)
    with pytest.raises(ValueError):
        window.accept_range(14, 13)
