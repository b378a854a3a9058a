"""Dates and times read from URLs and forms, kept to a range every page can compute with.

``date.fromisoformat`` takes 0001-01-01 and 9999-12-31; the pages then step a month or a week
from them, or add a meeting's length, and Python raises ``OverflowError``: a 500 from a hand-made
URL. Values outside ``EARLIEST``–``LATEST`` are treated as malformed, like any other bad value,
so the caller answers with its usual message or falls back to its default.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


def parse_date(value: str | None) -> date | None:
    """An ISO date (``2026-12-08``) within range, else None."""
    try:
        day = date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None
    return day if day is not None and EARLIEST <= day <= LATEST else None


def parse_moment(value: str | None, *, aware: bool = True) -> datetime | None:
    """An ISO date and time within range, else None; with ``aware``, only one given with its
    offset (``2026-12-08T09:00:00+00:00``)."""
    try:
        moment = datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None
    if moment is None or (aware and moment.tzinfo is None):
        return None
    day = moment.astimezone(UTC).date() if moment.tzinfo is not None else moment.date()
    return moment if EARLIEST <= day <= LATEST else None
