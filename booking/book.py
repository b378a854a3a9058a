"""Booking workflows: book, reschedule, cancel. Each runs in one transaction that locks the
host's row and re-checks the slot; what it did to the meeting is recorded (``scheduling/outbox.py``)
and the emails and calendar pushes leave once, after commit.

Why the lock: two bookers submitting the same time both see it free; whoever takes the host's
row lock first books it, the other re-checks after the first commits and is told the time was
just taken. On SQLite, transactions are IMMEDIATE, so writers queue at BEGIN instead. On
PostgreSQL an exclusion constraint on booked events is the last guard. Cancelling takes the same
lock, so a cancellation and a reschedule of one booking run one after the other.

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

from booking import availability, links
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


def reschedule_booking(
    *, booking: Booking, start: datetime, by: str = Event.By.ATTENDEE, now: datetime | None = None
) -> Booking:
    now = now or timezone.now()
    event_type = booking.event_type
    if event_type is None or not booking.can_be_changed(now):
        raise SlotUnavailable("This booking can no longer be changed.")
    minutes = int((booking.event.end - booking.event.start).total_seconds() // 60)
    end = start + timedelta(minutes=minutes)
    calendar_busy = availability.fresh_calendar_busy(booking.event.owner_id, start, end)
    try:
        with outbox.workflow():
            _lock_host(booking.event.owner_id)
            booking = Booking.objects.select_related("event").get(pk=booking.pk)
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


def cancel_booking(*, booking: Booking, reason: str = "", by: str, now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    with outbox.workflow():
        _lock_host(booking.event.owner_id)
        booking = Booking.objects.select_related("event").get(pk=booking.pk)
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
