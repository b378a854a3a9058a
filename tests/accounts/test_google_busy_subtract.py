"""Cutting Convene's own meetings out of Google's busy times, against a minute-by-minute model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from accounts.google import subtract

ORIGIN = datetime(2026, 3, 29, tzinfo=UTC)
intervals = st.lists(st.tuples(st.integers(0, 300), st.integers(1, 60)), max_size=12)


def as_times(pairs):
    return [(ORIGIN + timedelta(minutes=start), ORIGIN + timedelta(minutes=start + length)) for start, length in pairs]


def merged(pairs):
    result = []
    for start, end in sorted(as_times(pairs)):
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result


def minutes(times):
    return {
        int((start - ORIGIN).total_seconds() // 60) + n
        for start, end in times
        for n in range(int((end - start).total_seconds() // 60))
    }


@given(busy=intervals, holes=intervals)
def test_subtract_leaves_exactly_the_busy_minutes_outside_the_holes(busy, holes):
    result = subtract(merged(busy), as_times(holes))

    assert minutes(result) == minutes(merged(busy)) - minutes(as_times(holes))
    assert all(start < end for start, end in result)
    assert result == sorted(result)


def test_a_hole_inside_a_busy_interval_splits_it():
    busy = as_times([(0, 60)])

    assert subtract(busy, as_times([(20, 10)])) == as_times([(0, 20), (30, 30)])
