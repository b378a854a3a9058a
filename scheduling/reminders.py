"""Reminders: "10 minutes / 1 hour / 1 day before" each occurrence of a meeting, by email, exactly once.

Every meeting's reminders are the Event's, whatever its origin: a booking's reminder is its
Event's, so it follows the meeting when it moves and stops when it is cancelled, from the booking
link or from the calendar. The origin's composer writes the message (a booker's has their links).

A reminder is claimed by inserting its (event, occurrence, minutes) row, which the database keeps
unique: a second worker, or a second run, fails to insert and sends nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts import webhooks
from scheduling import notices
from scheduling.models import Event, ReminderSent
from scheduling.occurrences import expand

LOOKBACK = timedelta(minutes=15)  # a worker that was down a few minutes still sends late reminders
LONGEST_LEAD = timedelta(days=7)


def due(now: datetime) -> list[tuple[Event, datetime, int]]:
    """(event, occurrence start, minutes) of every reminder whose time has come, not yet sent."""
    horizon = now + LONGEST_LEAD
    events = (
        Event.objects.active()
        .exclude(reminders=[])
        .filter(Q(rrule="", start__gt=now, start__lte=horizon) | (~Q(rrule="") & Q(start__lte=horizon)))
        .select_related("owner")
        .prefetch_related("attendees")
    )
    found = []
    for event in events:
        for occurrence in expand(event, now, now + LONGEST_LEAD + timedelta(days=1)):
            if occurrence.start <= now:
                continue
            for minutes in event.reminders:
                remind_at = occurrence.start - timedelta(minutes=minutes)
                if now - LOOKBACK <= remind_at <= now:
                    found.append((event, occurrence.start, minutes))
    return found


def send_due(now: datetime) -> int:
    sent = 0
    for event, start, minutes in due(now):
        try:
            with transaction.atomic():
                ReminderSent.objects.create(event=event, occurrence_start=start, minutes=minutes)
                webhooks.emit(
                    owner_id=event.owner_id,
                    event_type=webhooks.Events.MEETING_REMINDER,
                    data=lambda event=event, start=start, minutes=minutes: _reminder_data(event, start, minutes),
                )
        except IntegrityError:
            continue  # another worker sent it
        for message in notices.composer_for(event.origin).reminder(event, start):
            message.send()
        sent += 1
    return sent


def _reminder_data(event: Event, start: datetime, minutes: int) -> dict:
    from scheduling.schemas import event_data

    return {"event": event_data(event), "occurrence_start": start.isoformat(), "minutes_before": minutes}
