"""Booking workflows: book, reschedule, cancel. Each runs in one transaction that locks the
host's row and re-checks the slot; what it did to the meeting is recorded (``scheduling/outbox.py``)
and the emails and calendar pushes leave once, after commit.

Why the lock: two bookers submitting the same time both see it free; whoever takes the host's
row lock first books it, the other re-checks after the first commits and is told the time was
just taken. On SQLite, transactions are IMMEDIATE, so writers queue at BEGIN instead. On
PostgreSQL an exclusion constraint over every host's booked meetings is the last guard
(scheduling/migrations/0012). Cancelling takes the same lock, so a cancellation and a reschedule
of one booking run one after the other. A team booking locks all its hosts, always in id order.

The meeting is the Event: a one-on-one booking moves or cancels its Event. In a group slot the
booker holds a seat; moving or cancelling moves or frees their party (the booker and their
guests), and the slot goes on for the others.
"""

from __future__ import annotations

import logging
import uuid
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.utils import timezone

from booking import availability, hosts, links, slots
from booking.links import BookingLink
from booking.models import Booking, EventType
from scheduling import outbox
from scheduling.models import Attendee, Event

logger = logging.getLogger(__name__)


class SlotUnavailable(Exception):
    """The chosen time is not (or no longer) free."""

    def __init__(self, message: str = "That time was just taken. Please pick another time."):
        super().__init__(message)
        self.message = message


class BookingChanged(SlotUnavailable):
    """The booking changed (moved or cancelled) after the page asking for this change was shown:
    two changes raced, and this one lost. Nothing was done."""

    def __init__(self, booking: Booking):
        super().__init__(
            "This booking was changed a moment ago, so nothing was done. Here is how it stands now; "
            "check it and try again if you still want to."
        )
        self.booking = booking


def _check_seen(booking: Booking, seen: str | None) -> None:
    """Under the lock: the booking is still as the page that sent the change showed it."""
    if seen is not None and seen != booking.version:
        raise BookingChanged(booking)


@dataclass(frozen=True)
class Booker:
    name: str
    email: str
    timezone: str
    answers: list[dict[str, str]] = field(default_factory=list)
    guests: list[str] = field(default_factory=list)
    location: str = ""
    hour12: bool = False  # their clock, for what Convene writes to them


def is_free(
    link: BookingLink, start: datetime, *, duration: int, now: datetime, moving=None, external_busy=None
) -> bool:
    found = availability.free_slots(
        link,
        start=start,
        end=start + timedelta(seconds=1),
        now=now,
        duration=duration,
        moving=moving,
        external_busy=external_busy,
    )
    return any(slot.start == start for slot in found)


def occurrence_starts(start: datetime, count: int, tz_name: str) -> list[datetime]:
    """Weekly occurrences at the same wall-clock time in the host's timezone, across DST changes
    (aware-datetime arithmetic in one zone is wall-clock arithmetic)."""
    local = start.astimezone(zoneinfo.ZoneInfo(tz_name))
    return [(local + timedelta(weeks=index)).astimezone(UTC) for index in range(count)]


def _lock_host(host_id: int) -> None:
    get_user_model().objects.select_for_update().filter(pk=host_id).first()


def _lock_hosts(host_ids) -> None:
    """Lock every host of a team meeting, always in the same order (by id): two bookings that
    share hosts wait for each other instead of deadlocking."""
    list(get_user_model().objects.select_for_update().filter(pk__in=sorted(host_ids)).order_by("pk").values("pk"))


def _event_title(event_type: EventType, booker_name: str) -> str:
    return event_type.title if event_type.is_group else f"{event_type.title} with {booker_name}"


def _attach_party(event: Event, name: str, email: str, guests: list[str]) -> list[Attendee]:
    """Seat the booker (accepted: they chose the time) and invite their guests; the booker's
    seat comes first."""
    party = [Attendee.objects.create(event=event, name=name, email=email, status=Attendee.Status.ACCEPTED)]
    known = {attendee.email.lower() for attendee in event.attendees.all()} | {email.lower()}
    for guest in guests:
        if guest.lower() not in known:
            party.append(Attendee.objects.create(event=event, email=guest, status=Attendee.Status.PENDING))
            known.add(guest.lower())
    return party


def _party_of(booking: Booking, event: Event) -> list[Attendee]:
    return [attendee for attendee in event.attendees.all() if attendee.email.lower() in booking.party]


def _group_event(event_type: EventType, start: datetime, end: datetime, *, besides: int | None = None) -> Event | None:
    found = Event.objects.active().filter(
        owner_id=event_type.owner_id, start=start, end=end, bookings__event_type=event_type
    )
    if besides is not None:
        found = found.exclude(pk=besides)
    return found.distinct().first()


def _new_event(event_type: EventType, start: datetime, end: datetime, *, title: str, location: str) -> Event:
    return Event.objects.create(
        owner_id=event_type.owner_id,
        title=title,
        description=event_type.description,
        location=location,
        kind=Event.Kind.MEETING,
        origin=Event.Origin.BOOKING,
        start=start,
        end=end,
        timezone=event_type.schedule.timezone,
        reminders=event_type.reminders,
        remind_attendees=True,
    )


def book_slot(
    *,
    event_type: EventType,
    start: datetime,
    booker: Booker,
    duration: int | None = None,
    occurrences: int = 1,
    now: datetime | None = None,
) -> list[Booking]:
    """Book ``start`` (and the following weekly occurrences) or raise SlotUnavailable."""
    now = now or timezone.now()
    minutes = duration or event_type.duration
    if minutes not in event_type.durations:
        raise SlotUnavailable("That meeting length is not offered. Please pick one of the listed lengths.")
    if event_type.team_id is not None:
        return [_book_team(event_type=event_type, start=start, booker=booker, minutes=minutes, now=now)]
    count = occurrences if event_type.allow_recurring else 1
    starts = occurrence_starts(start, count, event_type.schedule.timezone)
    location = booker.location if event_type.location_kind == EventType.Location.ASK else event_type.location_text
    answers = list(booker.answers)
    # Ask Google now, not from the page's cache, and before the transaction: it may be slow.
    calendar_busy = availability.fresh_calendar_busy(
        event_type.owner_id, starts[0], starts[-1] + timedelta(minutes=minutes)
    )
    try:
        with outbox.workflow():
            _lock_host(event_type.owner_id)
            # The page may have shown cached rules; decide on what the database says now.
            event_type = links.fresh(event_type.pk)
            if event_type is None or not event_type.is_active:
                raise SlotUnavailable("This booking link is no longer available.")
            link = links.from_event_type(event_type)
            unavailable = [
                moment
                for moment in starts
                if not is_free(link, moment, duration=minutes, now=now, external_busy=calendar_busy)
            ]
            if unavailable:
                if len(starts) == 1:
                    raise SlotUnavailable()
                raise SlotUnavailable(
                    "Some of these weeks are no longer free: "
                    + ", ".join(f"{moment:%Y-%m-%d}" for moment in unavailable)
                    + ". Choose fewer weeks or another time."
                )
            series = uuid.uuid4() if len(starts) > 1 else None
            bookings = []
            for moment in starts:
                end = moment + timedelta(minutes=minutes)
                event = _group_event(event_type, moment, end) if event_type.is_group else None
                created = event is None
                if event is None:
                    event = _new_event(
                        event_type, moment, end, title=_event_title(event_type, booker.name), location=location
                    )
                elif event.attendees.filter(email__iexact=booker.email).exists():
                    raise SlotUnavailable("You have already booked this time.")
                elif booker.location and booker.location != event.location:
                    # A group slot has one place; where this booker asked to meet stays with their answers.
                    answers.append({"question": "Where should we meet?", "answer": booker.location})
                party = _attach_party(event, booker.name, booker.email, booker.guests)
                booking = Booking.objects.create(
                    event_type=event_type,
                    event=event,
                    attendee=party[0],
                    name=booker.name,
                    email=booker.email,
                    timezone=booker.timezone,
                    hour12=booker.hour12,
                    answers=answers,
                    guests=booker.guests,
                    series=series,
                )
                outbox.record(
                    event, created=created, added=party, by=Event.By.ATTENDEE, booking=booking.pk, action="booked"
                )
                bookings.append(booking)
    except IntegrityError as error:
        # PostgreSQL's exclusion constraint: another transaction booked an overlapping time.
        raise SlotUnavailable() from error
    logger.info("Booked: bookings %s on event type %s", [b.pk for b in bookings], event_type.pk)
    return bookings


# --- Team links ----------------------------------------------------------------------------------


def _team_link(event_type_id: int) -> BookingLink:
    event_type = links.fresh_team(event_type_id)
    if event_type is None or not event_type.is_active:
        raise SlotUnavailable("This booking link is no longer available.")
    return links.from_event_type(event_type)


def _free_hosts(link: BookingLink, start: datetime, minutes: int, now: datetime, busy_by_host, moving=None):
    free = availability.free_by_host(
        link, start=start, end=start + timedelta(seconds=1), now=now, duration=minutes, moving=moving,
        busy_by_host=busy_by_host,
    )  # fmt: skip
    return slots.free_hosts(free, start)


def _pick_hosts(link: BookingLink, free: frozenset[int], now: datetime, *, keep: int | None = None) -> list[int]:
    """Who hosts a meeting at a time when ``free`` hosts are free: every host of a collective
    link; the fixed hosts and one of the pool of a round-robin one, by the fair rule
    (booking/hosts.py), or ``keep`` if they are free (a meeting moved keeps its host). The
    organiser (the meeting's owner) comes first. Raises SlotUnavailable when they are not free."""
    if not link.required <= free:
        raise SlotUnavailable()
    chosen = []
    if link.pool:
        candidates = sorted(link.pool & free)
        if not candidates:
            raise SlotUnavailable()
        chosen = [keep if keep in candidates else hosts.pick(hosts.standings(link, candidates, now)).host]
    fixed = [member.id for member in link.members if member.id in link.required]
    return chosen + fixed


def _add_cohosts(event: Event, link: BookingLink, host_ids: list[int]) -> list[Attendee]:
    """Every host but the organiser, as accepted attendees who are hosts."""
    cohosts = []
    for host_id in host_ids:
        if host_id == event.owner_id:
            continue
        member = link.member(host_id)
        cohosts.append(
            Attendee.objects.create(
                event=event, name=member.name, email=member.email, status=Attendee.Status.ACCEPTED, host_id=host_id
            )
        )
    return cohosts


def _book_team(*, event_type: EventType, start: datetime, booker: Booker, minutes: int, now: datetime) -> Booking:
    """Book a team link: the hosts are re-checked and picked under their locks, all of them,
    taken in a fixed order; the organiser owns the meeting, the other hosts attend it."""
    link = _team_link(event_type.pk)
    end = start + timedelta(minutes=minutes)
    busy_by_host = availability.fresh_busy_by_host(link, start, end)  # before the transaction: it may wait
    try:
        with outbox.workflow():
            _lock_hosts(member.id for member in link.members)
            link = _team_link(event_type.pk)  # the hosts as they are now
            host_ids = _pick_hosts(link, _free_hosts(link, start, minutes, now, busy_by_host), now)
            organiser = link.member(host_ids[0])
            location = booker.location if link.location_kind == EventType.Location.ASK else _location(link)
            event = Event.objects.create(
                owner_id=organiser.id, title=f"{link.title} with {booker.name}", description=link.description,
                location=location, kind=Event.Kind.MEETING, origin=Event.Origin.BOOKING, start=start, end=end,
                timezone=organiser.timezone,
                reminders=event_type.reminders,
                remind_attendees=True,
            )  # fmt: skip
            cohosts = _add_cohosts(event, link, host_ids)
            party = _attach_party(event, booker.name, booker.email, booker.guests)
            booking = Booking.objects.create(
                event_type_id=link.id, event=event, attendee=party[0], name=booker.name, email=booker.email,
                timezone=booker.timezone, hour12=booker.hour12, answers=list(booker.answers), guests=booker.guests,
            )  # fmt: skip
            outbox.record(
                event, created=True, added=[*cohosts, *party], by=Event.By.ATTENDEE, booking=booking.pk, action="booked"
            )
    except IntegrityError as error:
        raise SlotUnavailable() from error
    logger.info("Booked: booking %s on team link %s with hosts %s", booking.pk, link.id, host_ids)
    return booking


def _location(link: BookingLink) -> str:
    if link.location_kind == EventType.Location.NONE:
        return ""
    return link.location_detail or link.location_label


def meeting_hosts(event: Event) -> list[int]:
    """The hosts of a booked meeting: its organiser, then its co-hosts."""
    return [event.owner_id, *(a.host_id for a in event.attendees.all() if a.host_id is not None)]


def _reschedule_team(booking: Booking, start: datetime, *, by: str, now: datetime, seen: str | None) -> Booking:
    """Move a team meeting: its hosts must be free at the new time, or (round-robin) another host
    of the pool takes it, as when it was booked."""
    link = _team_link(booking.event_type_id)
    old = booking.event
    minutes = int((old.end - old.start).total_seconds() // 60)
    end = start + timedelta(minutes=minutes)
    busy_by_host = availability.fresh_busy_by_host(link, start, end)
    try:
        with outbox.workflow():
            _lock_hosts({member.id for member in link.members} | set(meeting_hosts(old)))
            booking = Booking.objects.select_related("event").get(pk=booking.pk)
            _check_seen(booking, seen)
            if not booking.can_be_changed(now):
                raise SlotUnavailable("This booking can no longer be changed.")
            link, event = _team_link(booking.event_type_id), booking.event
            free = _free_hosts(link, start, minutes, now, busy_by_host, moving=booking)
            host_ids = _pick_hosts(link, free, now, keep=event.owner_id if link.pool else None)
            if host_ids[0] != event.owner_id:
                _hand_over(booking, link, host_ids, by=by, start=start, end=end)
                return booking
            event.start, event.end = start, end
            event.sequence += 1
            event.save(update_fields=["start", "end", "sequence", "updated_at"])
            outbox.record(event, changed=True, by=by, booking=booking.pk, action="rescheduled")
    except IntegrityError as error:
        raise SlotUnavailable() from error
    logger.info("Rescheduled: team booking %s to event %s", booking.pk, booking.event_id)
    return booking


def _hand_over(
    booking: Booking, link: BookingLink, host_ids: list[int], *, by: str, start, end, action: str = "rescheduled"
) -> None:
    """The meeting goes to other hosts: the old one is cancelled in its hosts' calendars and a
    new one, owned by the new organiser, takes the booker's party (one "rescheduled" email to the
    booker; the hosts are told by their calendar invitations)."""
    old = booking.event
    party = _party_of(booking, old)
    old.status, old.cancelled_at, old.cancelled_by = Event.Status.CANCELLED, timezone.now(), by
    old.sequence += 1
    old.save(update_fields=["status", "cancelled_at", "cancelled_by", "sequence", "updated_at"])
    outbox.record(old, cancelled=True, by=by, booking=booking.pk, action="moved_out", handed_over=True)
    organiser = link.member(host_ids[0])
    event = Event.objects.create(
        owner_id=organiser.id, title=old.title, description=old.description, location=old.location,
        kind=Event.Kind.MEETING, origin=Event.Origin.BOOKING, start=start, end=end, timezone=organiser.timezone,
        reminders=old.reminders, remind_attendees=True,
    )  # fmt: skip
    cohosts = _add_cohosts(event, link, host_ids)
    seats = [
        Attendee.objects.create(event=event, name=a.name, email=a.email, status=a.status)
        for a in party
    ]  # fmt: skip
    booking.event, booking.attendee = event, seats[0]
    booking.save(update_fields=["event", "attendee"])
    outbox.record(event, created=True, added=[*cohosts, *seats], by=by, booking=booking.pk, action=action)


def reassign_booking(*, booking: Booking, to: int, now: datetime | None = None) -> Booking:
    """A team admin moves a round-robin meeting to another host of its pool who is free then.
    The booker, the old host and the new one are told; the calendars follow."""
    now = now or timezone.now()
    link = _team_link(booking.event_type_id)
    if not link.is_round_robin or to not in link.pool:
        raise SlotUnavailable("Only another host of this link's rotation can take the meeting.")
    event = booking.event
    minutes = int((event.end - event.start).total_seconds() // 60)
    busy_by_host = availability.fresh_busy_by_host(link, event.start, event.end)
    try:
        with outbox.workflow():
            _lock_hosts({member.id for member in link.members} | set(meeting_hosts(event)))
            booking = Booking.objects.select_related("event").get(pk=booking.pk)
            if not booking.can_be_changed(now):
                raise SlotUnavailable("This booking can no longer be changed.")
            link, event = _team_link(booking.event_type_id), booking.event
            if to == event.owner_id:
                raise SlotUnavailable("They already host this meeting.")
            free = _free_hosts(link, event.start, minutes, now, busy_by_host, moving=booking)
            if to not in free:
                raise SlotUnavailable("They are not free at that time.")
            fixed = [member.id for member in link.members if member.id in link.required]
            _hand_over(
                booking, link, [to, *fixed], by=Event.By.OWNER, start=event.start, end=event.end, action="reassigned"
            )
    except IntegrityError as error:
        raise SlotUnavailable("They are not free at that time.") from error
    logger.info("Reassigned: booking %s to host %s", booking.pk, to)
    return booking


def reschedule_booking(
    *,
    booking: Booking,
    start: datetime,
    by: str = Event.By.ATTENDEE,
    now: datetime | None = None,
    seen: str | None = None,
) -> Booking:
    """Move the booking to ``start``. ``seen``: the version the booker's page showed; a change
    made since (another tab, the host) refuses this one with ``BookingChanged``."""
    now = now or timezone.now()
    event_type = booking.event_type
    if event_type is None or not booking.can_be_changed(now):
        raise SlotUnavailable("This booking can no longer be changed.")
    if event_type.team_id is not None:
        return _reschedule_team(booking, start, by=by, now=now, seen=seen)
    minutes = int((booking.event.end - booking.event.start).total_seconds() // 60)
    end = start + timedelta(minutes=minutes)
    calendar_busy = availability.fresh_calendar_busy(booking.event.owner_id, start, end)
    try:
        with outbox.workflow():
            _lock_host(booking.event.owner_id)
            booking = Booking.objects.select_related("event").get(pk=booking.pk)
            _check_seen(booking, seen)
            if not booking.can_be_changed(now):
                raise SlotUnavailable("This booking can no longer be changed.")
            event_type = links.fresh(event_type.pk)
            if event_type is None or not is_free(
                links.from_event_type(event_type),
                start,
                duration=minutes,
                now=now,
                moving=booking,
                external_busy=calendar_busy,
            ):
                raise SlotUnavailable()
            old = booking.event
            others = old.bookings.confirmed().exclude(pk=booking.pk).exists()
            new_home = _group_event(event_type, start, end, besides=old.pk) if event_type.is_group else None
            if not others and new_home is None:
                # The meeting itself moves, with everyone in it.
                old.start, old.end = start, end
                old.sequence += 1
                old.save(update_fields=["start", "end", "sequence", "updated_at"])
                outbox.record(old, changed=True, by=by, booking=booking.pk, action="rescheduled")
            else:
                _move_party(booking, old, event_type, start, end, others=others, new_home=new_home, by=by)
    except IntegrityError as error:
        raise SlotUnavailable() from error
    logger.info("Rescheduled: booking %s to event %s", booking.pk, booking.event_id)
    return booking


def _move_party(booking, old, event_type, start, end, *, others: bool, new_home: Event | None, by: str) -> None:
    """A group booker moves their party to another slot: they leave this one (it goes on for the
    others, or is cancelled if they were its only seat) and join or open the one at ``start``."""
    party = _party_of(booking, old)
    old.sequence += 1
    if others:
        for attendee in party:
            attendee.delete()
        old.save(update_fields=["sequence", "updated_at"])
        outbox.record(old, removed=party, by=by, booking=booking.pk, action="moved_out")
    else:
        old.status, old.cancelled_at, old.cancelled_by = Event.Status.CANCELLED, timezone.now(), by
        old.save(update_fields=["status", "cancelled_at", "cancelled_by", "sequence", "updated_at"])
        outbox.record(old, cancelled=True, by=by, booking=booking.pk, action="moved_out")
    target = new_home or _new_event(
        event_type, start, end, title=_event_title(event_type, booking.name), location=old.location
    )
    seats = _attach_party(target, booking.name, booking.email, booking.guests)
    booking.event, booking.attendee = target, seats[0]
    booking.save(update_fields=["event", "attendee"])
    outbox.record(target, created=new_home is None, added=seats, by=by, booking=booking.pk, action="rescheduled")


def cancel_booking(
    *, booking: Booking, reason: str = "", by: str, now: datetime | None = None, seen: str | None = None
) -> Booking:
    """Cancel the booking (its party's seats in a group slot). ``seen`` as for rescheduling."""
    now = now or timezone.now()
    with outbox.workflow():
        _lock_hosts(meeting_hosts(booking.event))
        booking = Booking.objects.select_related("event").get(pk=booking.pk)
        _check_seen(booking, seen)
        if not booking.can_be_changed(now):
            raise SlotUnavailable("This booking can no longer be cancelled.")
        event = booking.event
        event.sequence += 1  # a CANCEL always carries a higher SEQUENCE
        if event.bookings.confirmed().exclude(pk=booking.pk).exists():
            # The slot goes on for the others: this party gives up its seats.
            party = _party_of(booking, event)
            for attendee in party:
                attendee.delete()
            event.save(update_fields=["sequence", "updated_at"])
            booking.attendee = None
            booking.seat_cancelled_at, booking.seat_cancelled_by, booking.seat_cancel_reason = now, by, reason
            booking.save(update_fields=["attendee", "seat_cancelled_at", "seat_cancelled_by", "seat_cancel_reason"])
            outbox.record(event, removed=party, by=by, booking=booking.pk, action="cancelled", reason=reason)
        else:
            event.status, event.cancelled_at, event.cancelled_by, event.cancel_reason = (
                Event.Status.CANCELLED, now, by, reason,
            )  # fmt: skip
            event.save(
                update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "sequence", "updated_at"]
            )
            outbox.record(event, cancelled=True, by=by, booking=booking.pk, action="cancelled", reason=reason)
    logger.info("Cancelled: booking %s by %s", booking.pk, by)
    return booking
