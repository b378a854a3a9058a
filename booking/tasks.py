from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from booking.emails import messages_for
from booking.models import Booking

logger = logging.getLogger(__name__)


@db_task(retries=3, retry_delay=30)
def send_booking_emails(booking_id: int, kind: str, by: str = "") -> None:
    booking = (Booking.objects.select_related("host", "event_type", "event").prefetch_related("event__attendees")).get(
        pk=booking_id
    )
    for message in messages_for(booking, kind, by):
        message.send()


def due_reminders(now):
    """Confirmed bookings whose reminder time has come and whose meeting has not started."""
    return Booking.objects.confirmed().filter(remind_at__lte=now, reminder_sent_at__isnull=True, event__start__gt=now)


@db_periodic_task(crontab(minute="*"))
def send_due_reminders() -> int:
    """Each reminder exactly once: a worker claims a booking with a conditional UPDATE, so a
    second worker (or a second run) finds nothing left to claim."""
    now = timezone.now()
    sent = 0
    for booking_id in due_reminders(now).values_list("pk", flat=True):
        claimed = Booking.objects.filter(pk=booking_id, reminder_sent_at__isnull=True).update(reminder_sent_at=now)
        if claimed:
            send_booking_emails(booking_id, "reminder")
            sent += 1
    return sent
