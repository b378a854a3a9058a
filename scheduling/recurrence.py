"""Recurring events: the rule (:class:`Recurrence`), its RRULE text, and expansion for calendar views.

Pure: plain data in, plain data out; no ORM, no I/O, no settings.

The rule
    Daily, weekly on chosen weekdays, monthly or yearly, every ``interval`` periods, ending never, on a
    date or after a number of occurrences, the choices Google Calendar offers. It is stored as an
    iCalendar RRULE (RFC 5545) in one canonical spelling, e.g. ``FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE;COUNT=10``.
    :meth:`Recurrence.from_rrule` reads exactly what :meth:`Recurrence.to_rrule` can write (plus an
    optional ``RRULE:`` prefix, lower case, ``WKST=MO`` and other spellings of UNTIL) and rejects the rest
    of RFC 5545 with a :class:`ValueError` that says what is wrong, rather than silently showing a
    different series than another calendar would.

    * The day of month (monthly) and the date (yearly) are the first occurrence's: they are not part of
      the rule, so moving the first occurrence moves the series, as in Google Calendar.
    * Monthly on the 29th-31st skips the months that have no such day, and yearly on 29 February
      repeats in leap years only (RFC 5545: invalid dates are ignored, and do not count towards COUNT).
      Google Calendar does the same; moving those to the month's last day would be a different rule
      (``BYMONTHDAY=-1``), not supported here.
    * Weeks start on Monday (``WKST=MO``, the RFC default); it matters for "every 2 weeks on ...".
    * ``until`` is a *local date*, inclusive: an occurrence on that date in the event's zone is the last
      one, whatever its time. The RRULE stores it as UTC (RFC 5545 requires UTC when DTSTART has a zone)
      at 23:59:59 local on that date; reading UNTIL back takes its local date, so an UNTIL written by
      another client at the last occurrence's start reads as that occurrence's date.
    * The first occurrence always belongs to the series and counts towards COUNT, even when the rule
      alone would not produce it (weekly on Monday and Wednesday, starting on a Tuesday), as RFC 5545
      says of DTSTART; it is also kept when ``until`` is before it (a rule ending before it begins is a
      form's mistake, and losing the event itself would hide it).

Time zones
    A series repeats in its IANA zone's wall-clock time: a weekly 09:00 meeting in New York stays at
    09:00 local across DST changes, so its UTC time moves by an hour. The rule is evaluated on naive
    local datetimes (by ``dateutil.rrule``), and each local start is then placed in the zone:

    * A start inside a spring-forward gap (02:30 on 2026-03-08 in New York) moves forward by the gap,
      to 03:30 EDT, as Google Calendar does and as RFC 5545 section 3.3.5 reads such a local time.
      (Section 3.3.10 says a rule's nonexistent instances are to be ignored; a daily meeting that
      silently vanishes once a year is worse for a calendar, and most clients shift it.)
    * An ambiguous start in the fall-back hour uses its first instance (``fold=0``, the earlier UTC
      time), as section 3.3.5 says. The first occurrence is the exception: it is the ``start`` instant given, whichever
      instance that is, so that it matches the stored event.
    * Durations are absolute: every occurrence lasts ``end - start`` in elapsed time, so an event that
      spans the DST change ends at a different wall-clock time on that day.

Expansion (:func:`occurrences`)
    Calendar views expand ~50 series per request, some daily since years ago and never ending, so the
    expansion does not iterate from the series start. It jumps by whole periods (days, weeks, months or
    years, times the interval) to the last period that begins before any occurrence that could reach
    into the window, arithmetically: the rule started a whole number of periods later produces the same
    occurrences from there on, because weeks keep their alignment and months and years their phase. With COUNT,
    the occurrences skipped are counted arithmetically as well (periods times occurrences per period,
    minus the months without a 31st or the years without a 29 February), so that the remaining count
    is exact. Monthly and yearly rules start the jump at day 1 of a month or 1 January, which always
    exist, and name their day explicitly. Local times are selected with the window widened by two days on
    each side, and the exact overlap test is done in UTC. The property tests compare all of this with
    dateutil iterating the stored RRULE from the first occurrence.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule as dateutil_rrule

FREQUENCIES = ("daily", "weekly", "monthly", "yearly")
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Fixed English names rather than strftime("%B"), which follows the process locale.
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_DATEUTIL_FREQUENCY = {
    "daily": dateutil_rrule.DAILY,
    "weekly": dateutil_rrule.WEEKLY,
    "monthly": dateutil_rrule.MONTHLY,
    "yearly": dateutil_rrule.YEARLY,
}
_PERIOD_NOUNS = {"daily": "day", "weekly": "week", "monthly": "month", "yearly": "year"}
_SUPPORTED_PARTS = ("FREQ", "INTERVAL", "BYDAY", "COUNT", "UNTIL", "WKST")
_UNTIL_PATTERN = re.compile(r"(\d{8})(?:T(\d{6})(Z?))?", re.ASCII)
# More than the spread of any zone's UTC offsets over its history (all lie within about -16 h to +16 h),
# so that a local time outside the window widened by this much cannot fall inside it in UTC.
_MARGIN = timedelta(days=2)
# Far beyond any real use; it keeps period arithmetic away from datetime's limits.
MAX_INTERVAL = 999
_END_OF_DAY = time(23, 59, 59)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Recurrence:
    """How an event repeats; the day, date and time come from its first occurrence.

    ``weekdays`` (0 = Monday .. 6 = Sunday) is for weekly rules only; empty means the first occurrence's
    weekday. It is stored sorted and without duplicates. ``until`` (last local date, inclusive) and
    ``count`` (total occurrences, the first included) are mutually exclusive; neither means forever.
    """

    frequency: str
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    until: date | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise ValueError(f"Unknown frequency {self.frequency!r}: choose daily, weekly, monthly or yearly")
        if (
            isinstance(self.interval, bool)
            or not isinstance(self.interval, int)
            or not 1 <= self.interval <= MAX_INTERVAL
        ):
            raise ValueError(f"The interval must be a whole number from 1 to {MAX_INTERVAL}, not {self.interval!r}")
        if self.weekdays and self.frequency != "weekly":
            raise ValueError("Weekdays can only be chosen for a weekly recurrence")
        if any(isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6 for day in self.weekdays):
            raise ValueError(f"Weekdays must be 0 (Monday) to 6 (Sunday), not {self.weekdays!r}")
        if self.until is not None and self.count is not None:
            raise ValueError("A recurrence ends on a date or after a number of occurrences, not both: drop one")
        if self.count is not None and (
            isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1
        ):
            raise ValueError(f"The number of occurrences must be a whole number of at least 1, not {self.count!r}")
        if isinstance(self.until, datetime) or (self.until is not None and not isinstance(self.until, date)):
            raise ValueError(f"The end date must be a date (the last local day), not {self.until!r}")
        # Normalising here keeps equal rules equal and their RRULE text canonical.
        object.__setattr__(self, "weekdays", tuple(sorted(set(self.weekdays))))

    def to_rrule(self, tz_name: str) -> str:
        """The canonical RRULE text (without the ``RRULE:`` prefix).

        UNTIL is the end of the ``until`` day in ``tz_name`` (23:59:59 local), written in UTC.
        """
        parts = [f"FREQ={self.frequency.upper()}", f"INTERVAL={self.interval}"]
        if self.weekdays:
            parts.append("BYDAY=" + ",".join(DAY_CODES[day] for day in self.weekdays))
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            end_of_day = datetime.combine(self.until, _END_OF_DAY, tzinfo=_zone(tz_name))
            parts.append(f"UNTIL={end_of_day.astimezone(UTC):%Y%m%dT%H%M%SZ}")
        return ";".join(parts)

    @classmethod
    def from_rrule(cls, text: str, tz_name: str) -> Recurrence:
        """Read an RRULE; UNTIL becomes its local date in ``tz_name``.

        Raises :class:`ValueError` naming the problem for malformed text and for any part of RFC 5545
        this module does not support. Results are cached: the same text is parsed once per process.
        """
        return _parse_rrule(text, tz_name)

    def describe(self, start_local: datetime) -> str:
        """A sentence for people, e.g. "Weekly on Monday and Wednesday, 10 times".

        ``start_local`` is the first occurrence in the event's own zone; its weekday, day of month and
        date fill in what the rule leaves to the first occurrence.
        """
        noun = _PERIOD_NOUNS[self.frequency]
        text = self.frequency.capitalize() if self.interval == 1 else f"Every {self.interval} {noun}s"
        if self.frequency == "weekly":
            text += " on " + _join_words([DAY_NAMES[day] for day in self.weekdays or (start_local.weekday(),)])
        elif self.frequency == "monthly":
            text += f" on day {start_local.day}"
        elif self.frequency == "yearly":
            text += f" on {start_local.day} {MONTH_NAMES[start_local.month - 1]}"
        if self.count is not None:
            text += ", once" if self.count == 1 else f", {self.count} times"
        if self.until is not None:
            text += f" until {self.until.day} {MONTH_NAMES[self.until.month - 1][:3]} {self.until.year}"
        return text


def occurrences(
    *,
    start: datetime,
    end: datetime,
    tz_name: str,
    rule: str,
    window_start: datetime,
    window_end: datetime,
    exceptions: Collection[datetime] = (),
) -> list[tuple[datetime, datetime]]:
    """The ``(start, end)`` pairs, aware UTC and sorted, of the occurrences overlapping the window.

    ``start`` and ``end`` are the first occurrence (aware, any zone: they are instants). An occurrence
    overlaps ``[window_start, window_end)`` when it starts before the window ends and ends after it
    starts, so one still running when the window opens is included; a zero-length occurrence is
    included when its instant is inside the window. ``exceptions`` are *original* starts (aware, any
    zone) of occurrences that were deleted or moved; they are left out.
    """
    for name, value in (("start", start), ("end", end), ("window_start", window_start), ("window_end", window_end)):
        _require_aware(name, value)
    # Aware datetimes sharing a tzinfo subtract and compare by wall clock, not as instants, so
    # everything is converted to UTC before any arithmetic.
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    if end_utc < start_utc:
        raise ValueError("The end of the first occurrence must not be before its start")
    window_start_utc, window_end_utc = window_start.astimezone(UTC), window_end.astimezone(UTC)
    if window_end_utc <= window_start_utc:
        return []
    for exception in exceptions:
        _require_aware("exceptions", exception)
    skipped = {exception.astimezone(UTC) for exception in exceptions}

    zone = _zone(tz_name)
    recurrence = Recurrence.from_rrule(rule, tz_name)
    duration = end_utc - start_utc
    first_local = start_utc.astimezone(zone).replace(tzinfo=None, fold=0)
    earliest = (window_start_utc - duration).astimezone(zone).replace(tzinfo=None) - _MARGIN
    latest = window_end_utc.astimezone(zone).replace(tzinfo=None) + _MARGIN

    # ZoneInfo.utcoffset reads a naive datetime as local wall time with fold=0: a nonexistent time gets
    # the offset before the gap (so it moves forward by the gap) and an ambiguous one its first instance.
    # Arithmetic from a UTC epoch is several times faster than replace(tzinfo=...).astimezone(UTC),
    # which matters at hundreds of occurrences per calendar view.
    offset_at = zone.utcoffset
    found = []
    for local_start in _local_starts(recurrence, first_local, earliest, latest):
        if local_start < earliest:
            continue
        if local_start == first_local:
            occurrence_start = start_utc
        else:
            occurrence_start = _UTC_EPOCH + (local_start - offset_at(local_start) - _NAIVE_EPOCH)
        occurrence_end = occurrence_start + duration
        if (
            occurrence_start < window_end_utc
            and (occurrence_end > window_start_utc or occurrence_start >= window_start_utc)
            and not (skipped and occurrence_start in skipped)
        ):
            found.append((occurrence_start, occurrence_end))
    # Sorted already: local starts come in order, and placing them in the zone keeps that order.
    return found


def _local_starts(recurrence: Recurrence, first: datetime, earliest: datetime, latest: datetime) -> Iterator[datetime]:
    """The series' naive local starts, in order, from the last period beginning by ``earliest`` to ``latest``.

    Every start in ``[earliest, latest]`` is produced; a few outside it may be too.
    """
    frequency, interval = recurrence.frequency, recurrence.interval
    weekdays = recurrence.weekdays or (first.weekday(),)
    periods = _whole_periods(frequency, interval, first, earliest)
    if periods == 0:
        # RFC 5545: the first occurrence belongs to the series, and counts, whether or not the rule
        # produces it (weekly on Monday, starting on a Tuesday) and even when UNTIL is before it.
        yield first
        rule_start, produced_before = first, 0
    else:
        rule_start = _period_start(frequency, interval, first, periods)
        produced_before = _count_in_periods(frequency, interval, weekdays, first, periods)
    remaining = None
    if recurrence.count is not None:
        first_is_extra = frequency == "weekly" and first.weekday() not in weekdays
        remaining = recurrence.count - produced_before - first_is_extra
        if remaining <= 0:
            return
    rule = dateutil_rrule.rrule(
        _DATEUTIL_FREQUENCY[frequency],
        dtstart=rule_start,
        interval=interval,
        wkst=dateutil_rrule.MO,
        count=remaining,
        until=None if recurrence.until is None else datetime.combine(recurrence.until, _END_OF_DAY),
        # Explicit, because from a period's start the defaults (taken from dtstart) would be wrong.
        byweekday=weekdays if frequency == "weekly" else None,
        bymonthday=first.day if frequency in ("monthly", "yearly") else None,
        bymonth=first.month if frequency == "yearly" else None,
    )
    # Bounding the iteration spares dateutil building the period after ``latest`` (a whole year's days
    # for a yearly rule) only to find its occurrence too late.
    at_most = _periods_between(frequency, interval, rule_start, latest) * (
        len(weekdays) if frequency == "weekly" else 1
    )
    microsecond = first.microsecond  # dateutil drops it from dtstart
    for produced in islice(rule, at_most):
        if produced > latest:
            return
        local_start = produced.replace(microsecond=microsecond) if microsecond else produced
        if local_start != first:  # already yielded
            yield local_start


def _whole_periods(frequency: str, interval: int, first: datetime, earliest: datetime) -> int:
    """The number (from 0) of the last period of ``interval`` days, weeks, months or years to begin by ``earliest``.

    Every occurrence before that period starts before ``earliest``, so the rule can start at it instead;
    0 means iterate from ``first``.
    """
    if earliest <= first:
        return 0
    if frequency in ("daily", "weekly"):
        period_days = interval if frequency == "daily" else 7 * interval
        return (earliest - _period_start(frequency, interval, first, 0)) // timedelta(days=period_days)
    if frequency == "monthly":
        periods = (_month_number(earliest) - _month_number(first)) // interval
    else:
        periods = (earliest.year - first.year) // interval
    # The period's first day may still be after ``earliest`` by the start's time of day.
    while periods > 0 and _period_start(frequency, interval, first, periods) > earliest:
        periods -= 1
    return periods


def _period_start(frequency: str, interval: int, first: datetime, periods: int) -> datetime:
    """The first day of the series' period number ``periods``, at the first occurrence's time of day.

    Day 1 of the month and 1 January exist in every month and year, unlike the 31st or 29 February.
    """
    if frequency == "daily":
        return first + timedelta(days=interval * periods)
    if frequency == "weekly":
        return first + timedelta(days=7 * interval * periods - first.weekday())
    if frequency == "monthly":
        year, month_index = divmod(_month_number(first) + interval * periods, 12)
        return first.replace(year=year, month=month_index + 1, day=1)
    return first.replace(year=first.year + interval * periods, month=1, day=1)


def _count_in_periods(frequency: str, interval: int, weekdays: tuple[int, ...], first: datetime, periods: int) -> int:
    """How many occurrences the rule produces in its first ``periods`` periods (not counting an extra first)."""
    if frequency == "daily":
        return periods
    if frequency == "weekly":
        in_first_week = sum(day >= first.weekday() for day in weekdays)
        return in_first_week + (periods - 1) * len(weekdays)
    if frequency == "monthly":
        if first.day <= 28:
            return periods
        month_numbers = range(_month_number(first), _month_number(first) + interval * periods, interval)
        return sum(_days_in(number) >= first.day for number in month_numbers)
    if (first.month, first.day) != (2, 29):
        return periods
    return sum(calendar.isleap(first.year + interval * index) for index in range(periods))


def _periods_between(frequency: str, interval: int, rule_start: datetime, latest: datetime) -> int:
    """How many of the series' periods, from the one containing ``rule_start``, begin by ``latest``."""
    if latest < rule_start:
        return 0
    if frequency == "daily":
        return (latest - rule_start) // timedelta(days=interval) + 1
    if frequency == "weekly":
        week_start = rule_start - timedelta(days=rule_start.weekday())
        return (latest - week_start) // timedelta(days=7 * interval) + 1
    if frequency == "monthly":
        return (_month_number(latest) - _month_number(rule_start)) // interval + 1
    return (latest.year - rule_start.year) // interval + 1


def _month_number(moment: datetime) -> int:
    return moment.year * 12 + moment.month - 1


def _days_in(month_number: int) -> int:
    year, month_index = divmod(month_number, 12)
    return calendar.monthrange(year, month_index + 1)[1]


@lru_cache(maxsize=1024)
def _parse_rrule(text: str, tz_name: str) -> Recurrence:
    body = text.strip()
    if body[:6].upper() == "RRULE:":
        body = body[6:]
    if not body:
        raise ValueError("The recurrence rule is empty: it needs at least FREQ, e.g. FREQ=WEEKLY")
    parts: dict[str, str] = {}
    for part in body.split(";"):
        key, equals, value = part.partition("=")
        key = key.strip().upper()
        if not equals or not key or not value.strip():
            raise ValueError(f"{part!r} in the recurrence rule is not of the form NAME=VALUE")
        if key not in _SUPPORTED_PARTS:
            raise ValueError(
                f"{key} is not supported in a recurrence rule: use only FREQ, INTERVAL, BYDAY, COUNT, UNTIL"
            )
        if key in parts:
            raise ValueError(f"{key} appears twice in the recurrence rule")
        parts[key] = value.strip().upper()

    if "FREQ" not in parts:
        raise ValueError("The recurrence rule has no FREQ: add FREQ=DAILY, WEEKLY, MONTHLY or YEARLY")
    frequency = parts["FREQ"].lower()
    if frequency not in FREQUENCIES:
        raise ValueError(f"FREQ={parts['FREQ']} is not supported: use DAILY, WEEKLY, MONTHLY or YEARLY")
    if parts.get("WKST", "MO") != "MO":
        raise ValueError(f"WKST={parts['WKST']} is not supported: weeks start on Monday (WKST=MO)")
    if "BYDAY" in parts and frequency != "weekly":
        raise ValueError(f"BYDAY is only supported with FREQ=WEEKLY, not FREQ={parts['FREQ']}")
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValueError("COUNT and UNTIL cannot both be given: a recurrence ends one way")
    return Recurrence(
        frequency=frequency,
        interval=_positive_int(parts, "INTERVAL") or 1,
        weekdays=tuple(_weekday(code) for code in parts["BYDAY"].split(",")) if "BYDAY" in parts else (),
        until=_until_date(parts["UNTIL"], tz_name) if "UNTIL" in parts else None,
        count=_positive_int(parts, "COUNT"),
    )


def _positive_int(parts: dict[str, str], key: str) -> int | None:
    if key not in parts:
        return None
    value = parts[key]
    if not value.isdigit() or not value.isascii() or int(value) < 1:
        raise ValueError(f"{key} must be a whole number of at least 1, not {value!r}")
    return int(value)


def _weekday(code: str) -> int:
    code = code.strip()
    if code not in DAY_CODES:
        raise ValueError(f"BYDAY {code!r} is not supported: use two-letter weekdays (MO, TU, ...) without numbers")
    return DAY_CODES.index(code)


def _until_date(value: str, tz_name: str) -> date:
    match = _UNTIL_PATTERN.fullmatch(value)
    if match is None:
        raise ValueError(f"UNTIL={value} is not a date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSSZ)")
    day_text, time_text, utc_marker = match.groups()
    try:
        moment = datetime.strptime(day_text + (time_text or "000000"), "%Y%m%d%H%M%S")
    except ValueError:
        raise ValueError(f"UNTIL={value} is not a valid date") from None
    if utc_marker:
        return moment.replace(tzinfo=UTC).astimezone(_zone(tz_name)).date()
    # A date, or a floating local time: already in the event's zone.
    return moment.date()


def _zone(tz_name: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone {tz_name!r}: use an IANA name such as Europe/Berlin") from None


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")


def _join_words(words: list[str]) -> str:
    """ "Monday", "Monday and Wednesday", "Monday, Wednesday and Friday"."""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]
