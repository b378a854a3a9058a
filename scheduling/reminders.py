"""Event reminders: "10 minutes / 1 hour / 1 day before" each occurrence, by email, exactly once.

A reminder is claimed by inserting its (event, occurrence, minutes) row, which the database keeps
unique: a second worker, or a second run, fails to insert and sends nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from scheduling.emails import reminder_email
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
        except IntegrityError:
            continue  # another worker sent it
        recipients = [event.owner.email]
        if event.remind_attendees:
            recipients += [attendee.email for attendee in event.attendees.exclude(status="declined")]
        for email in filter(None, recipients):
            reminder_email(event, start, email).send()
        sent += 1
    return sent
