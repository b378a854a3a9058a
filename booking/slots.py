"""Free booking start times of a host, from weekly hours, date overrides, busy times and bookings.

Pure: plain data in, plain data out; no ORM, no I/O, no settings. Every returned datetime is an
aware UTC datetime.

How a slot comes about
    For every host-local date, the day's intervals (the date's override if there is one, else the
    weekday's hours) yield wall-clock starts ``interval.start, interval.start + increment, ...``
    before the interval's end. A start becomes a slot of ``duration`` (absolute time) when the slot
    ends no later than the interval's end, the start is at or after ``now + minimum_notice``, the
    date is inside the booking window, the slot with its buffers overlaps no busy time and no other
    booking of the event type, and it still has a seat.

Clock changes (choices)
    * A wall-clock start in a spring-forward gap (02:30 on 2026-03-08 in America/New_York) does not
      exist and is skipped; the day's other starts are unaffected.
    * A repeated wall-clock start (01:30 on 2026-11-01 in America/New_York) yields a slot each time
      the clock shows it, when both fit in the interval: hours until 24:00 cover 25 hours that
      day, and the second pass through the repeated hour is offered like any other.
    * An interval end in a gap (hours until 02:30 on a night the clock jumps from 02:00 to 03:00)
      ends at the jump: the host is available until the clocks change, never later than they said.
      An interval end in a repeated hour ends at its first occurrence, like starts.

Seats and the per-day limit (choices)
    * ``taken`` holds one start time per booker of this event type. A candidate start with
      ``n`` takers has ``seats - n`` seats left; starts with no seat left are not offered.
    * A booking occupies the host for ``[start, start + duration)``: other starts whose slot plus
      buffers overlap it are not offered (its own start stays open while it has seats left). So
      for a seated event the caller must not pass its group bookings as ``busy`` too (they would
      block their own start); for one-on-one events it does no harm.
    * ``max_per_day`` counts the distinct taken start times on a host-local date, i.e. bookings
      for one-on-one events and group meetings for seated ones. Once a date reaches the limit it
      offers no new start times; a group meeting already booked that day keeps offering its
      remaining seats.

Assumptions
    A zone changes its UTC offset at most once within an interval (true of every tzdata zone:
    offset changes are at least a week apart), so the offset is resolved at the interval's ends
    and per start only on days with a clock change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class Interval:
    """Wall-clock hours on one host-local day, in minutes after local midnight, ``[start, end)``.

    ``Interval(9 * 60, 17 * 60)`` is 09:00-17:00; ``end_minute=1440`` means "until midnight".
    """

    start_minute: int
    end_minute: int

    def __reduce__(self):
        # Cached links hold many; the generic pickling of a slotted dataclass looks up its fields
        # for every object.
        return (Interval, (self.start_minute, self.end_minute))

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise ValueError(f"An interval needs 0 <= start < end <= {MINUTES_PER_DAY} minutes, got {self!r}")


@dataclass(frozen=True)
class Availability:
    """A host's schedule in their own timezone.

    ``weekly`` maps a weekday (0 = Monday) to its intervals. An entry in ``overrides`` replaces
    that date's weekday hours; an empty sequence makes the date unavailable.
    """

    timezone: str
    weekly: Mapping[int, Sequence[Interval]]
    overrides: Mapping[date, Sequence[Interval]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # raises ZoneInfoNotFoundError for an unknown zone
        if not set(self.weekly) <= set(range(7)):
            raise ValueError(f"Weekdays are 0 (Monday) to 6 (Sunday), got {sorted(self.weekly)}")

    def intervals_on(self, day: date) -> Sequence[Interval]:
        if day in self.overrides:
            return self.overrides[day]
        return self.weekly.get(day.weekday(), ())


@dataclass(frozen=True)
class SlotRules:
    """How an event type turns availability into slots.

    ``first_date``/``last_date`` (inclusive) and ``dates`` restrict host-local dates; ``None``
    means no restriction. ``max_per_day`` and ``seats`` are explained in the module docstring.
    """

    duration: timedelta
    increment: timedelta
    buffer_before: timedelta = _ZERO
    buffer_after: timedelta = _ZERO
    minimum_notice: timedelta = _ZERO
    first_date: date | None = None
    last_date: date | None = None
    dates: frozenset[date] | None = None
    max_per_day: int | None = None
    seats: int = 1

    def __post_init__(self) -> None:
        if self.duration <= _ZERO or self.increment <= _ZERO:
            raise ValueError("Duration and increment must be positive")
        if min(self.buffer_before, self.buffer_after, self.minimum_notice) < _ZERO:
            raise ValueError("Buffers and minimum notice cannot be negative")
        if self.seats < 1:
            raise ValueError("An event needs at least one seat")
        if self.max_per_day is not None and self.max_per_day < 1:
            raise ValueError("The daily limit must be at least 1 (or None for no limit)")

    def allows_date(self, day: date) -> bool:
        if self.first_date is not None and day < self.first_date:
            return False
        if self.last_date is not None and day > self.last_date:
            return False
        return self.dates is None or day in self.dates


@dataclass(frozen=True, slots=True)
class Slot:
    """A bookable time, with the seats still free (1 for a one-on-one event)."""

    start: datetime  # UTC
    end: datetime  # UTC
    seats_left: int

    def __reduce__(self):
        # A month of a team link's free times is cached: hundreds of these.
        return (Slot, (self.start, self.end, self.seats_left))


def free_slots(
    availability: Availability,
    rules: SlotRules,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    busy: Sequence[tuple[datetime, datetime]] = (),
    taken: Sequence[datetime] = (),
) -> list[Slot]:
    """Free slots starting in ``[start, end)``, sorted by start.

    ``busy``: the host's other commitments as half-open ``(start, end)`` pairs, in any order,
    possibly overlapping. ``taken``: the start of every confirmed booking of this event type, one
    entry per booker. All datetimes must be aware; the result does not depend on how a caller
    splits a range into queries, as long as ``busy`` and ``taken`` cover what matters.
    """
    zone = ZoneInfo(availability.timezone)
    lower = max(_as_utc(start), _as_utc(now) + rules.minimum_notice)
    upper = _as_utc(end)
    if lower >= upper:
        return []

    taken_counts = Counter(_as_utc(moment) for moment in taken)
    full_dates = _full_dates(taken_counts, rules.max_per_day, zone)
    starts = _candidate_starts(availability, rules, zone, lower, upper, full_dates, taken_counts)
    blocked = _blocked_starts(busy, taken_counts, rules, lower, upper)

    duration, seats = rules.duration, rules.seats
    slots: list[Slot] = []
    previous = None
    j, blocked_count = 0, len(blocked)
    for slot_start in starts:
        if slot_start == previous:
            continue
        previous = slot_start
        # Both lists are sorted, so a blocked range that ends before this start ends before every later one.
        while j < blocked_count and blocked[j][1] <= slot_start:
            j += 1
        if j < blocked_count and blocked[j][0] < slot_start:
            continue
        seats_left = seats - taken_counts[slot_start] if taken_counts else seats
        if seats_left > 0:
            slots.append(Slot(slot_start, slot_start + duration, seats_left))
    return slots


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is UTC:
        return moment
    if moment.utcoffset() is None:
        raise ValueError(f"Expected an aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def _full_dates(taken_counts: Counter[datetime], max_per_day: int | None, zone: ZoneInfo) -> set[date]:
    if max_per_day is None:
        return set()
    per_date = Counter(moment.astimezone(zone).date() for moment in taken_counts)
    return {day for day, count in per_date.items() if count >= max_per_day}


def _candidate_starts(
    availability: Availability,
    rules: SlotRules,
    zone: ZoneInfo,
    lower: datetime,
    upper: datetime,
    full_dates: set[date],
    taken_counts: Counter[datetime],
) -> list[datetime]:
    """Starts in ``[lower, upper)`` allowed by the hours, window and daily limit; sorted, maybe repeated."""
    increment, duration = rules.increment, rules.duration
    starts: list[datetime] = []
    # Starts follow the host's clock, so none on a date before ``lower``'s. But clocks going back across
    # midnight (St. John's before 2011: 00:01 back to 23:01) can put a start of the next date before
    # ``upper``, while the clock at ``upper`` still shows the day before.
    day = lower.astimezone(zone).date()
    last_day = upper.astimezone(zone).date() + _ONE_DAY
    while day <= last_day:
        intervals = availability.intervals_on(day) if rules.allows_date(day) else ()
        day_starts: list[datetime] = []
        midnight = datetime.combine(day, time())
        for interval in intervals:
            first_wall = midnight + timedelta(minutes=interval.start_minute)
            end_wall = midnight + timedelta(minutes=interval.end_minute)
            offset = _steady_offset(zone, first_wall, end_wall)
            if offset is not None:
                _extend_steady(day_starts, first_wall, end_wall, offset, increment, duration, lower, upper)
            else:
                _extend_changing(day_starts, zone, first_wall, end_wall, increment, duration, lower, upper)
        if day in full_dates:
            day_starts = [moment for moment in day_starts if moment in taken_counts]
        starts += day_starts
        day += _ONE_DAY
    starts.sort()  # already nearly sorted; overlapping intervals of one day can interleave
    return starts


def _steady_offset(zone: ZoneInfo, first_wall: datetime, end_wall: datetime) -> timedelta | None:
    """The zone's UTC offset over the interval, or None when the clock changes within it."""
    offset = zone.utcoffset(first_wall)
    if (
        zone.utcoffset(first_wall.replace(fold=1)) == offset
        and zone.utcoffset(end_wall) == offset
        and zone.utcoffset(end_wall.replace(fold=1)) == offset
    ):
        return offset
    return None


def _extend_steady(
    starts: list[datetime],
    first_wall: datetime,
    end_wall: datetime,
    offset: timedelta,
    increment: timedelta,
    duration: timedelta,
    lower: datetime,
    upper: datetime,
) -> None:
    moment = (first_wall - offset).replace(tzinfo=UTC)
    latest = min((end_wall - offset).replace(tzinfo=UTC) - duration, upper - timedelta.resolution)
    if moment < lower:
        moment += -((moment - lower) // increment) * increment  # first step at or after lower
    while moment <= latest:
        starts.append(moment)
        moment += increment


def _extend_changing(
    starts: list[datetime],
    zone: ZoneInfo,
    first_wall: datetime,
    end_wall: datetime,
    increment: timedelta,
    duration: timedelta,
    lower: datetime,
    upper: datetime,
) -> None:
    latest = _end_instant(zone, end_wall) - duration
    wall = first_wall
    while wall < end_wall:
        moment = _start_instant(zone, wall)
        # A time the clocks pass twice (autumn) is offered both times: the hours say "until 24:00",
        # and that day has 25 hours of them.
        again = (wall - zone.utcoffset(wall.replace(fold=1))).replace(tzinfo=UTC)
        for instant in {moment, again} if moment is not None else ():
            if lower <= instant < upper and instant <= latest:
                starts.append(instant)
        wall += increment


def _start_instant(zone: ZoneInfo, wall: datetime) -> datetime | None:
    """The UTC instant of a naive wall-clock time: its first occurrence, or None if it never happens."""
    offset = zone.utcoffset(wall)
    if offset < zone.utcoffset(wall.replace(fold=1)):
        return None  # in a spring-forward gap
    return (wall - offset).replace(tzinfo=UTC)


def _end_instant(zone: ZoneInfo, wall: datetime) -> datetime:
    """Like ``_start_instant``, but a time in a gap resolves to the moment the clocks jump."""
    before = zone.utcoffset(wall)
    after = zone.utcoffset(wall.replace(fold=1))
    if before >= after:
        return (wall - before).replace(tzinfo=UTC)
    # The jump lies after ``wall - after`` (still on the old offset) and no later than ``wall - before``.
    earliest = (wall - after).replace(tzinfo=UTC)
    latest = (wall - before).replace(tzinfo=UTC)
    while latest - earliest > timedelta.resolution:
        middle = earliest + (latest - earliest) // 2
        if middle.astimezone(zone).utcoffset() == after:
            latest = middle
        else:
            earliest = middle
    return latest


def _blocked_starts(
    busy: Sequence[tuple[datetime, datetime]],
    taken_counts: Counter[datetime],
    rules: SlotRules,
    lower: datetime,
    upper: datetime,
) -> list[tuple[datetime, datetime]]:
    """Sorted, disjoint open ranges ``(a, b)``: a start ``a < s < b`` would clash with something.

    A slot ``[s - buffer_before, s + duration + buffer_after)`` overlaps a busy ``[p, q)`` exactly
    when ``p - duration - buffer_after < s < q + buffer_before``.
    """
    before = rules.duration + rules.buffer_after
    after = rules.buffer_before
    # Busy times ending before ``lower - after`` or starting after ``upper + before`` block nothing asked for.
    earliest_end, latest_start = lower - after, upper + before
    ranges = []
    for busy_start, busy_end in busy:
        if busy_start.tzinfo is not UTC or busy_end.tzinfo is not UTC:
            busy_start, busy_end = _as_utc(busy_start), _as_utc(busy_end)
        if busy_start < busy_end and busy_end > earliest_end and busy_start < latest_start:
            ranges.append((busy_start - before, busy_end + after))
    # A booking blocks every other start near it, but not its own (more bookers may join it).
    for booked in taken_counts:
        ranges.append((booked - before, booked))
        ranges.append((booked, booked + rules.duration + after))
    if not ranges:
        return []
    ranges.sort()

    merged: list[tuple[datetime, datetime]] = []
    current_start, current_end = ranges[0]
    for range_start, range_end in ranges:
        # Open ranges that merely touch leave their common point free, so only merge real overlaps.
        if range_start < current_end:
            if range_end > current_end:
                current_end = range_end
        else:
            merged.append((current_start, current_end))
            current_start, current_end = range_start, range_end
    merged.append((current_start, current_end))
    return merged


# --- Several hosts (a team's link) ---------------------------------------------------------------


def team_slots(
    free: Mapping[int, Sequence[Slot]], *, required: frozenset[int] | set[int], pool: frozenset[int] | set[int]
) -> list[Slot]:
    """The slots of a link hosted by several people, from each host's own free slots (each
    computed in their own timezone, from their own hours and meetings).

    A start is offered when every ``required`` host is free at it and, when there is a ``pool``
    (round-robin), at least one host of the pool is too. Collective links pass every host as
    required and no pool. A host missing from ``free`` is free nowhere. A link with neither
    required hosts nor a pool offers nothing. Sorted by start; one seat each.
    """
    if not required and not pool:
        return []
    starts: dict[datetime, Slot] = {}
    required_sets = [{slot.start for slot in free.get(host, ())} for host in required]
    pool_starts = set().union(*({slot.start for slot in free.get(host, ())} for host in pool)) if pool else None
    for host in (*required, *pool):
        for slot in free.get(host, ()):
            starts.setdefault(slot.start, slot)
    offered = [
        Slot(start=slot.start, end=slot.end, seats_left=1)
        for moment, slot in starts.items()
        if all(moment in found for found in required_sets) and (pool_starts is None or moment in pool_starts)
    ]
    return sorted(offered, key=lambda slot: slot.start)


def free_hosts(free: Mapping[int, Sequence[Slot]], start: datetime) -> frozenset[int]:
    """The hosts free at ``start``."""
    return frozenset(host for host, found in free.items() if any(slot.start == start for slot in found))
