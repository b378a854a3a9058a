from __future__ import annotations

import secrets
import uuid
import zoneinfo
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from accounts.timezones import validate_timezone


def new_uid() -> str:
    """iCalendar UID: stable for the life of a meeting, so updates replace it in every calendar."""
    return f"{uuid.uuid4()}@convene"


def new_token() -> str:
    """An unguessable link token (192 bits)."""
    return secrets.token_urlsafe(24)


class EventQuerySet(models.QuerySet):
    def for_owner(self, owner) -> EventQuerySet:
        return self.filter(owner=owner)

    def active(self) -> EventQuerySet:
        return self.exclude(status=Event.Status.CANCELLED)

    def overlapping(self, start: datetime, end: datetime) -> EventQuerySet:
        """Events that share any time with [start, end) (touching ends do not overlap)."""
        return self.filter(start__lt=end, end__gt=start)


class Event(models.Model):
    """A confirmed meeting of any origin: made in the calendar, finalized from a poll, or booked.

    One model, so .ics files, reminders, Google push, cancellation and the calendar views have
    one code path. On PostgreSQL an exclusion constraint (migration 0002) keeps a host's active
    *booked* events from overlapping, the last guard behind booking's row lock.
    """

    class Kind(models.TextChoices):
        MEETING = "meeting", "Meeting"
        EVENT = "event", "Event"
        REMINDER = "reminder", "Reminder"

    class Origin(models.TextChoices):
        MANUAL = "manual", "Calendar"
        POLL = "poll", "Poll"
        BOOKING = "booking", "Booking"

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="events")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    location = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MEETING)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.MANUAL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CONFIRMED)
    start = models.DateTimeField()
    end = models.DateTimeField()
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    uid = models.CharField(max_length=255, unique=True, default=new_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["owner", "start"], name="event_owner_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")),
                name="event_ends_after_start",
                violation_error_message="End time must be after start time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.start:%Y-%m-%d %H:%M} UTC)"

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class Attendee(models.Model):
    class Status(models.TextChoices):
        PENDING = "needs-action", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        TENTATIVE = "tentative", "Tentative"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendees")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                "event",
                Lower("email"),
                name="attendee_email_unique_per_event_ci",
                violation_error_message="This person is already an attendee.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email
