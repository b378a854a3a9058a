"""Booking workflows: book, reschedule, cancel. Each runs in one transaction that locks the
host's row and re-checks the slot; emails leave after commit.

Why the lock: two bookers submitting the same time both see it free; whoever takes the host's
row lock first books it, the other re-checks after the first commits and is told the time was
just taken. On SQLite, transactions are IMMEDIATE, so writers queue at BEGIN instead. On
PostgreSQL an exclusion constraint on booked events is the last guard.
"""

from __future__ import annotations

import uuid
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from booking import availability
from booking.models import Booking, EventType
from scheduling.models import Attendee, Event


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


def is_free(
    event_type: EventType, start: datetime, *, duration: int, now: datetime, moving=None, external_busy=None
) -> bool:
    found = availability.free_slots(
        event_type,
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


def _event_title(event_type: EventType, booker: Booker) -> str:
    return event_type.title if event_type.is_group else f"{event_type.title} with {booker.name}"


def _attach(event: Event, booker: Booker) -> None:
    Attendee.objects.create(event=event, name=booker.name, email=booker.email, status=Attendee.Status.ACCEPTED)
    known = {booker.email.lower()}
    for guest in booker.guests:
        if guest.lower() not in known:
            Attendee.objects.get_or_create(event=event, email=guest, defaults={"status": Attendee.Status.PENDING})
            known.add(guest.lower())


def _group_event(event_type: EventType, start: datetime, end: datetime) -> Event | None:
    return (
        Event.objects.active()
        .filter(owner_id=event_type.owner_id, start=start, end=end, bookings__event_type=event_type)
        .distinct()
        .first()
    )


def _event_for(event_type: EventType, start: datetime, end: datetime, booker: Booker, location: str) -> Event:
    if event_type.is_group:
        event = _group_event(event_type, start, end)
        if event is not None:
            if event.attendees.filter(email__iexact=booker.email).exists():
                raise SlotUnavailable("You have already booked this time.")
            return event
    return Event.objects.create(
        owner_id=event_type.owner_id,
        title=_event_title(event_type, booker),
        description=event_type.description,
        location=location,
        kind=Event.Kind.MEETING,
        origin=Event.Origin.BOOKING,
        start=start,
        end=end,
        timezone=event_type.schedule.timezone,
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
    from booking.tasks import send_booking_emails

    now = now or timezone.now()
    minutes = duration or event_type.duration
    if minutes not in event_type.durations:
        raise SlotUnavailable("That meeting length is not offered. Please pick one of the listed lengths.")
    count = occurrences if event_type.allow_recurring else 1
    starts = occurrence_starts(start, count, event_type.schedule.timezone)
    location = booker.location if event_type.location_kind == EventType.Location.ASK else event_type.location_text
    # Ask Google now, not from the page's cache, and before the transaction: it may be slow.
    google_busy = availability.google_busy(event_type, starts[0], starts[-1] + timedelta(minutes=minutes), fresh=True)
    try:
        with transaction.atomic():
            _lock_host(event_type.owner_id)
            # The page may have shown cached rules; decide on what the database says now.
            event_type = availability.fresh_event_type(event_type.pk)
            if event_type is None or not event_type.is_active:
                raise SlotUnavailable("This booking link is no longer available.")
            unavailable = [
                moment
                for moment in starts
                if not is_free(event_type, moment, duration=minutes, now=now, external_busy=google_busy)
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
                event = _event_for(event_type, moment, moment + timedelta(minutes=minutes), booker, location)
                _attach(event, booker)
                booking = Booking(
                    host_id=event_type.owner_id,
                    event_type=event_type,
                    event=event,
                    name=booker.name,
                    email=booker.email,
                    timezone=booker.timezone,
                    location=location,
                    answers=booker.answers,
                    guests=booker.guests,
                    series=series,
                    # A one-on-one booking and its event are one meeting: one UID.
                    **({} if event_type.is_group else {"uid": event.uid}),
                )
                booking.schedule_reminder()
                booking.save()
                bookings.append(booking)
    except IntegrityError as error:
        # PostgreSQL's exclusion constraint: another transaction booked an overlapping time.
        raise SlotUnavailable() from error
    for booking in bookings:
        transaction.on_commit(lambda pk=booking.pk: send_booking_emails(pk, "confirmed"))
    return bookings


def reschedule_booking(
    *, booking: Booking, start: datetime, by: str = Booking.CancelledBy.BOOKER, now: datetime | None = None
) -> Booking:
    from booking.tasks import send_booking_emails

    now = now or timezone.now()
    event_type = booking.event_type
    if event_type is None or not booking.can_be_changed(now):
        raise SlotUnavailable("This booking can no longer be changed.")
    minutes = int((booking.event.end - booking.event.start).total_seconds() // 60)
    end = start + timedelta(minutes=minutes)
    google_busy = availability.google_busy(event_type, start, end, fresh=True)
    try:
        with transaction.atomic():
            _lock_host(booking.host_id)
            booking = Booking.objects.select_related("event").get(pk=booking.pk)
            event_type = availability.fresh_event_type(event_type.pk)
            if not is_free(event_type, start, duration=minutes, now=now, moving=booking, external_busy=google_busy):
                raise SlotUnavailable()
            old_event = booking.event
            shared = old_event.bookings.confirmed().exclude(pk=booking.pk).exists()
            if shared:
                # Leave the group slot to the others; join (or open) the one at the new time.
                old_event.attendees.filter(email__iexact=booking.email).delete()
                booker = Booker(name=booking.name, email=booking.email, timezone=booking.timezone)
                booking.event = _event_for(event_type, start, end, booker, booking.location)
                _attach(booking.event, booker)
            else:
                new_home = _group_event(event_type, start, end) if event_type.is_group else None
                if new_home is not None:
                    old_event.status = Event.Status.CANCELLED
                    old_event.save(update_fields=["status", "updated_at"])
                    _attach(new_home, Booker(name=booking.name, email=booking.email, timezone=booking.timezone))
                    booking.event = new_home
                else:
                    old_event.start, old_event.end = start, end
                    old_event.sequence += 1
                    old_event.save(update_fields=["start", "end", "sequence", "updated_at"])
            booking.sequence += 1
            booking.schedule_reminder()
            booking.save(update_fields=["event", "sequence", "remind_at", "reminder_sent_at"])
    except IntegrityError as error:
        raise SlotUnavailable() from error
    transaction.on_commit(lambda: send_booking_emails(booking.pk, "rescheduled", by))
    return booking


def cancel_booking(*, booking: Booking, reason: str = "", by: str, now: datetime | None = None) -> Booking:
    from booking.tasks import send_booking_emails

    now = now or timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("event").get(pk=booking.pk)
        if not booking.can_be_changed(now):
            raise SlotUnavailable("This booking can no longer be cancelled.")
        booking.status = Booking.Status.CANCELLED
        booking.cancel_reason = reason
        booking.cancelled_by = by
        booking.cancelled_at = now
        booking.sequence += 1
        booking.save(update_fields=["status", "cancel_reason", "cancelled_by", "cancelled_at", "sequence"])
        event = booking.event
        if event.bookings.confirmed().exists():
            emails = [booking.email.lower(), *(guest.lower() for guest in booking.guests)]
            for attendee in event.attendees.all():
                if attendee.email.lower() in emails:
                    attendee.delete()
        else:
            event.status = Event.Status.CANCELLED
            event.sequence += 1
            event.save(update_fields=["status", "sequence", "updated_at"])
    transaction.on_commit(lambda: send_booking_emails(booking.pk, "cancelled", by))
    return booking
