"""Free slots of a booking link: reads the database once, then asks the pure slot engine."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db import connection

from accounts import calendars, google, versions
from booking import links, slots
from booking.links import BookingLink
from booking.models import Booking, local_today
from scheduling import outbox
from scheduling.models import Attendee, Event

# Host-local days are at most 25 hours long; a margin this wide catches every booking that can
# count towards the daily limit of a day the query range touches.
DAY_MARGIN = timedelta(hours=26)

# An entry of ``published_free_slots`` is checked against the versions at every read; this only
# bounds what a change made outside every workflow (the admin) can leave behind.
FREE_SLOTS_CACHE_SECONDS = 300

Busy = list[tuple[datetime, datetime]]


def calendar_busy(
    sources: tuple[calendars.Source, ...], start: datetime, end: datetime, *, fresh: bool = False
) -> Busy:
    """The owner's busy times in their connected calendars (Google, CalDAV, ICS links) around
    [start, end), cached unless ``fresh``.

    Call it outside any transaction: it may wait for a provider. A failure leaves that one out.
    """
    return calendars.busy(sources, start - DAY_MARGIN, end + DAY_MARGIN, fresh=fresh)


def fresh_calendar_busy(owner_id: int, start: datetime, end: datetime) -> Busy:
    """The owner's busy times in their calendars asked now, with their current choice of
    calendars (right before a booking is written, outside its transaction)."""
    return calendar_busy(calendars.sources_of(owner_id), start, end, fresh=True)


def one_off_used(link: BookingLink, now: datetime, moving: Booking | None = None) -> bool:
    """A one-off link stops at its date or after its one booking (the booking being moved does
    not count)."""
    if link.is_expired(now):
        return True
    booked = Booking.objects.confirmed().filter(event_type_id=link.id)
    if moving is not None:
        booked = booked.exclude(pk=moving.pk)
    return booked.exists()


def page_stamp(link: BookingLink) -> tuple[str, ...]:
    """The versions a public page's free times depend on: the owner's links and their meetings
    (a team link: the team's and every host's)."""
    if link.is_team:
        return links.team_stamp(link.team.id, [member.id for member in link.members])
    return versions.current_many((links.PAGES, link.host.id), (outbox.CALENDAR, link.host.id))


class Published(NamedTuple):
    slots: list[slots.Slot]
    valid_until: datetime  # the first moment the answer could change with time alone


def published_free_slots(
    link: BookingLink, *, start: datetime, end: datetime, now: datetime, duration: int, stamp: tuple[str, ...]
) -> Published:
    """``free_slots`` for the public pages, computed once and reused for as long as the answer
    stands: until the first slot would fall inside the minimum notice, the host's date changes,
    Google's cached answer is renewed, or the owner's links or meetings change (``stamp``)."""

    def compute() -> tuple[Published, datetime]:
        found = free_slots(link, start=start, end=end, now=now, duration=duration)
        until = _valid_until(link, found, now)
        return Published(found, until), until

    key = f"free-slots:{links.FORMAT}:{link.id}:{duration}:{start.timestamp():.0f}:{end.timestamp():.0f}"
    return versions.reuse(key, stamp, now, compute, timeout=FREE_SLOTS_CACHE_SECONDS)


def _valid_until(link: BookingLink, found: list[slots.Slot], now: datetime) -> datetime:
    """The first moment ``free_slots`` could answer differently with the same rules and meetings."""
    zones = {member.timezone for member in link.members} or {link.timezone}
    limits = [  # a new rolling window, on each host's clock
        datetime.combine(local_today(zone, now) + timedelta(days=1), time(), tzinfo=ZoneInfo(zone)) for zone in zones
    ]
    if found:  # the first slot drops out once it is less than the notice away
        limits.append(found[0].start - timedelta(minutes=link.minimum_notice) + timedelta.resolution)
    sources = [source for member in link.members for source in member.busy_sources] or link.busy_sources
    if any(source.live for source in sources):  # their answers are renewed this often
        limits.append(now + timedelta(seconds=calendars.BUSY_CACHE_SECONDS))
    if link.expires_at is not None:
        limits.append(link.expires_at)
    return min(limits)


def free_slots(
    link: BookingLink,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    duration: int | None = None,
    moving: Booking | None = None,
    external_busy: Busy | None = None,
    own: OwnBusy | None = None,
) -> list[slots.Slot]:
    """Start times bookable in [start, end) (UTC). ``moving`` is a booking being rescheduled: its
    own time does not block the new one. ``external_busy`` is the owner's busy time in their
    connected calendars for the range; when None it is read here (cached), which may call a
    provider, so code inside a transaction must pass it. ``own``: the owner's meetings, when
    read already (``busy_of_hosts``). A team link's slots come from its hosts'
    (``free_by_host``; ``external_busy`` is then ignored: pass ``busy_by_host`` there)."""
    if link.is_team:
        found = free_by_host(link, start=start, end=end, now=now, duration=duration, moving=moving)
        return slots.team_slots(found, required=link.required, pool=link.pool)
    minutes = duration or link.duration
    rules = link.slot_rules(minutes, today=local_today(link.timezone, now))
    if external_busy is None:
        external_busy = calendar_busy(link.busy_sources, start, end)

    if link.is_one_off:
        return _offered_slots(link, rules, start=start, end=end, now=now, moving=moving, external_busy=external_busy)

    if own is None:
        own = busy_intervals(
            link.host.id,
            *_busy_window(rules, start, end),
            not_event=moving.event_id if moving is not None else None,
            # A group type's own events are seats, not conflicts.
            not_seats_of=link.id if link.is_group else None,
        )
    busy = own.busy + _without_copies(external_busy, own.copied)

    taken: list[datetime] = []
    if link.is_group or link.max_per_day:
        # Only seats and daily limits need this type's own bookings; for a one-on-one type they
        # are already in ``busy`` as events.
        taken_bookings = Booking.objects.confirmed().filter(
            event_type_id=link.id, event__start__gte=start - DAY_MARGIN, event__start__lt=end + DAY_MARGIN
        )
        if moving is not None:
            taken_bookings = taken_bookings.exclude(pk=moving.pk)
        taken = list(taken_bookings.values_list("event__start", flat=True))

    return slots.free_slots(link.availability, rules, start=start, end=end, now=now, busy=busy, taken=taken)


def free_by_host(
    link: BookingLink,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    duration: int | None = None,
    moving: Booking | None = None,
    busy_by_host: dict[int, Busy] | None = None,
) -> dict[int, list[slots.Slot]]:
    """Each host's free slots on a team link, by their own hours, zone, meetings (their own and
    those they co-host) and calendars. ``busy_by_host``: each host's calendar busy times, asked
    beforehand (inside a transaction); when None they are read here (cached)."""
    minutes = duration or link.duration
    rules = link.slot_rules(minutes, today=local_today(link.timezone, now))
    # Every host's meetings in one statement: a page of a ten-host link is not ten queries.
    own = busy_of_hosts(
        [member.id for member in link.members], *_busy_window(rules, start, end),
        not_event=moving.event_id if moving is not None else None,
    )  # fmt: skip
    return {
        member.id: free_slots(
            link.as_member(member), start=start, end=end, now=now, duration=duration, moving=moving,
            external_busy=None if busy_by_host is None else busy_by_host.get(member.id, []),
            own=own[member.id],
        )
        for member in link.members
    }  # fmt: skip


def _busy_window(rules: slots.SlotRules, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The span whose meetings can block a start in [start, end): a slot and its buffers."""
    reach = rules.buffer_before + rules.buffer_after + rules.duration
    return start - reach, end + reach


def fresh_busy_by_host(link: BookingLink, start: datetime, end: datetime) -> dict[int, Busy]:
    """Every host's calendar busy times asked now (before a team booking's transaction)."""
    return {
        member.id: calendar_busy(calendars.sources_of(member.id), start, end, fresh=True) for member in link.members
    }


class OwnBusy(NamedTuple):
    busy: Busy  # every occurrence of the owner's confirmed meetings that blocks
    copied: Busy  # every occurrence Convene copied to the owner's calendar (Google, CalDAV), blocking or not


def busy_intervals(
    owner_id: int, start: datetime, end: datetime, *, not_event: int | None = None, not_seats_of: int | None = None
) -> OwnBusy:
    """(start, end) of every occurrence of the owner's confirmed meetings overlapping [start, end):
    one-off meetings as they are, series expanded in their own zone without their deleted or
    moved occurrences (a moved one is its own row). ``not_event`` (a booking being moved) and the
    events of the group type ``not_seats_of`` do not block, but their Google copies are still
    reported, so that they do not block from there either. Meetings they co-host (a team booking
    another host organises) count, unless they declined them.

    Every booking page computed runs this over a month, so it is one hand-written statement, and
    a one-off meeting (nearly every row) costs no more than reading its two times: compiling the
    equivalent ORM query cost ten times more than running it (0.5 ms against 0.05 ms).
    """
    return busy_of_hosts([owner_id], start, end, not_event=not_event, not_seats_of=not_seats_of)[owner_id]


def busy_of_hosts(
    host_ids: list[int], start: datetime, end: datetime, *, not_event: int | None = None,
    not_seats_of: int | None = None,
) -> dict[int, OwnBusy]:  # fmt: skip
    """``busy_intervals`` of several people in one statement: the meetings each owns, and those
    each co-hosts and has not declined."""
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    event, booking, attendee = Event._meta, Booking._meta, Attendee._meta
    column = {
        name: "e." + quote(event.get_field(name).column)
        for name in (
            "id", "owner", "status", "start", "end", "rrule", "exdates", "timezone", "google_event_id", "caldav_href"
        )
    }  # fmt: skip
    conditions, condition_params = [], []
    if not_event is not None:
        conditions.append(f"{column['id']} <> %s")
        condition_params.append(not_event)
    if not_seats_of is not None:
        conditions.append(
            f"{column['id']} NOT IN (SELECT {quote(booking.get_field('event').column)} "
            f"FROM {quote(booking.db_table)} WHERE {quote(booking.get_field('event_type').column)} = %s)"
        )
        condition_params.append(not_seats_of)
    blocking = f"CASE WHEN {' AND '.join(conditions)} THEN 1 ELSE 0 END" if conditions else "1"
    # SQLite: the times as text, read with datetime.fromisoformat; the converter SQLite's driver
    # would run (Django's parse_datetime, a regular expression) cost most of a busy page's read.
    as_text = "{} || ''" if connection.vendor == "sqlite" else "{}"
    fields = (
        f"{as_text.format(column['start'])}, {as_text.format(column['end'])}, {column['rrule']}, "
        f"{column['exdates']}, {column['timezone']}, "
        f"{blocking}, ({column['google_event_id']} <> '' OR {column['caldav_href']} <> '')"
    )
    when = f"{column['status']} = %s AND {column['start']} < %s AND ({column['end']} > %s OR {column['rrule']} <> '')"
    when_params = [Event.Status.CONFIRMED, adapt(end), adapt(start)]
    people = ", ".join(["%s"] * len(host_ids))
    cohost, cohost_event, cohost_status = (
        "a." + quote(attendee.get_field(name).column) for name in ("host", "event", "status")
    )
    sql = (
        f"SELECT {column['owner']}, {fields} FROM {quote(event.db_table)} e "
        f"WHERE {column['owner']} IN ({people}) AND {when} "
        # From the few co-host rows to their meetings (CROSS JOIN keeps SQLite from scanning every
        # meeting of the table for co-hosts instead).
        f"UNION ALL SELECT {cohost}, {fields} FROM {quote(attendee.db_table)} a CROSS JOIN {quote(event.db_table)} e "
        f"WHERE {cohost_event} = {column['id']} AND {cohost} IN ({people}) AND {cohost_status} <> %s "
        f"AND {column['owner']} <> {cohost} AND {when}"
    )
    params = [
        *condition_params, *host_ids, *when_params,
        *condition_params, *host_ids, Attendee.Status.DECLINED, *when_params,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = {host: OwnBusy([], []) for host in host_ids}
    as_utc = datetime.fromisoformat
    for host, begin, finish, rule, exdates, zone, blocking, in_google in rows:
        # SQLite hands back UTC times as text and JSON text, PostgreSQL aware datetimes and lists.
        if begin.__class__ is str:
            begin, finish = as_utc(begin + "+00:00"), as_utc(finish + "+00:00")
        own = found[host]
        if not rule:  # nearly every row: one meeting, as it is
            if blocking:
                own.busy.append((begin, finish))
            if in_google:
                own.copied.append((begin, finish))
            continue
        occurrences = _expand_series(begin, finish, rule, exdates, zone, start, end)
        if blocking:
            own.busy.extend(occurrences)
        if in_google:
            own.copied.extend(occurrences)
    return found


def _expand_series(begin, finish, rule, exdates, zone, start, end) -> Busy:
    from scheduling import occurrences

    return occurrences.expand_plain(
        start=begin,
        end=finish,
        rrule=rule,
        exdates=json.loads(exdates) if isinstance(exdates, str) else exdates,
        tz_name=zone,
        window_start=start,
        window_end=end,
    )


def _without_copies(external: Busy, copies: Busy) -> Busy:
    """The busy times of the owner's calendars minus the meetings Convene copied there itself.

    Those are already accounted for by the app (as busy, as seats of a group event, or as the
    booking being moved), and counting their copies again would block a group event's free seats
    and a booking's move to an overlapping time. A series' copy is busy at every occurrence.
    """
    if not external or not copies:
        return external
    return google.subtract(external, sorted(copies))


def _offered_slots(link, rules, *, start, end, now, moving, external_busy) -> list[slots.Slot]:
    """One-off links offer the owner's chosen times that are still free, until the link's date
    passes or someone books it (single use)."""
    if one_off_used(link, now, moving):
        return []
    earliest = now + rules.minimum_notice
    candidates = [offered for offered in link.offered if start <= offered < end and offered >= earliest]
    if not candidates:
        return []
    own = busy_intervals(
        link.host.id,
        min(candidates) - rules.buffer_before,
        max(candidates) + rules.duration + rules.buffer_after,
        not_event=moving.event_id if moving is not None else None,
    )
    busy = own.busy + _without_copies(external_busy, own.copied)
    result = []
    for candidate in candidates:
        finish = candidate + rules.duration
        blocked_from, blocked_to = candidate - rules.buffer_before, finish + rules.buffer_after
        if not any(b_start < blocked_to and b_end > blocked_from for b_start, b_end in busy):
            result.append(slots.Slot(start=candidate, end=finish, seats_left=1))
    return result
