"""How the person looking reads a clock and a calendar: a 12- or 24-hour clock, and the day their
weeks start on.

Like the timezone, it belongs to the viewer: an owner's profile says it; a booker's or invitee's
browser says it on public pages (static/js/locale.js fills it in from ``Intl``, and they can
switch); an email uses its recipient's. The active one is set per request (``override``), and
every time and week on a page goes through it: ``{{ moment|hm }}`` in templates (a built-in
filter, accounts/templatetags/clock.py), ``clock.active().time(moment)`` in Python.
"""

from __future__ import annotations

import calendar
import contextvars
import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# The days a week can start on, as people choose them (ISO weekday numbers, 0 = Monday).
WEEK_STARTS = ((0, "Monday"), (6, "Sunday"), (5, "Saturday"))


@dataclass(frozen=True)
class Clock:
    hour12: bool = False
    week_start: int = 0  # 0 = Monday ... 6 = Sunday

    def time(self, moment: datetime | time) -> str:
        """``14:05`` or ``2:05 PM``: the wall-clock time of ``moment`` as it is (convert it first).
        A time the clocks show twice that night (autumn) names its offset: ``02:30 CEST``, then
        ``02:30 CET``, so the two are never confused."""
        if not self.hour12:
            shown = f"{moment.hour:02d}:{moment.minute:02d}"
        else:
            shown = f"{moment.hour % 12 or 12}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"
        if isinstance(moment, datetime) and moment.tzinfo is not None:
            offset = moment.utcoffset()
            if moment.replace(fold=1 - moment.fold).utcoffset() != offset and offset is not None:
                shown += f" {moment.tzname()}"
        return shown

    def when(self, local: datetime, date_format: str = "%a %d %b %Y") -> str:
        """``Mon 08 Mar 2027, 2:30 PM``: a date and time as they are (convert it first)."""
        return f"{local:{date_format}}, {self.time(local)}"

    def span(self, start: datetime | time, end: datetime | time) -> str:
        return f"{self.time(start)}–{self.time(end)}"

    def weeks(self, year: int, month: int) -> list[list[date]]:
        """The month as full weeks, each starting on ``week_start``."""
        return calendar.Calendar(firstweekday=self.week_start).monthdatescalendar(year, month)

    @property
    def weekdays(self) -> list[tuple[int, str]]:
        """(ISO weekday, name) in the order a week is shown."""
        return [(day, WEEKDAY_NAMES[day]) for day in ((self.week_start + offset) % 7 for offset in range(7))]

    @property
    def key(self) -> str:
        """For cache keys of what is shown with this clock."""
        return f"{12 if self.hour12 else 24}h{self.week_start}"

    @classmethod
    def from_query(cls, params: Mapping[str, str], default: Clock) -> Clock:
        """The clock a public page's URL asks for (``clock=12``/``24``, ``week=0``..``6``), each
        part falling back to ``default`` when absent or malformed."""
        hour12 = {"12": True, "24": False}.get(params.get("clock", ""), default.hour12)
        week = params.get("week", "")
        week_start = int(week) if week in {str(day) for day, _ in WEEK_STARTS} else default.week_start
        return cls(hour12=hour12, week_start=week_start)

    def query(self) -> dict[str, str]:
        return {"clock": "12" if self.hour12 else "24", "week": str(self.week_start)}


DEFAULT = Clock()
_active: contextvars.ContextVar[Clock] = contextvars.ContextVar("convene_clock", default=DEFAULT)


def active() -> Clock:
    return _active.get()


@contextmanager
def override(clock: Clock) -> Iterator[Clock]:
    token = _active.set(clock)
    try:
        yield clock
    finally:
        _active.reset(token)


def of_user(user) -> Clock:
    return Clock(hour12=user.hour12, week_start=user.week_start)


def written_for(recipient_clock: Callable[..., Clock]):
    """Decorator of an email builder: the message (subject included) is written on the clock
    ``recipient_clock`` gives for the builder's arguments: its recipient's."""

    def decorate(build):
        @functools.wraps(build)
        def wrapper(*args, **kwargs):
            with override(recipient_clock(*args, **kwargs)):
                return build(*args, **kwargs)

        return wrapper

    return decorate
