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

    class By(models.TextChoices):
        """Who did something to a meeting (cancelled it, moved it)."""

        OWNER = "owner", "The organiser"
        ATTENDEE = "attendee", "An attendee"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="events")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    location = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MEETING)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.MANUAL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CONFIRMED)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=16, choices=By.choices, blank=True)
    cancel_reason = models.TextField(blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    all_day = models.BooleanField(default=False)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    # Recurrence (RFC 5545 RRULE, expanded in ``timezone``), and the original starts (UTC ISO) of
    # occurrences deleted or moved out of the series.
    rrule = models.CharField(max_length=500, blank=True)
    exdates = models.JSONField(default=list, blank=True)
    # A single occurrence edited on its own: the series it came from and its original start.
    series = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="exceptions")
    original_start = models.DateTimeField(null=True, blank=True)
    # Minutes before each occurrence to send a reminder email; to the attendees too when asked
    # (scheduling/reminders.py claims one row per occurrence, whatever the meeting's origin).
    reminders = models.JSONField(default=list, blank=True)
    remind_attendees = models.BooleanField(default=False)
    uid = models.CharField(max_length=255, unique=True, default=new_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    # The poll this meeting was finalized from, if any.
    poll = models.ForeignKey("Poll", on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings")
    # The copy in the owner's Google Calendar (scheduling/google_sync.py), and the calendar it is
    # in: updates and deletion go there even if the owner later picks another calendar.
    google_event_id = models.CharField(max_length=1024, blank=True)
    google_calendar_id = models.CharField(max_length=1024, blank=True)
    # When Google last matched this event; older than updated_at means a push is still owed.
    google_synced_at = models.DateTimeField(null=True, blank=True)
    # The copy in a CalDAV calendar of the owner (scheduling/calendar_sync.py): its resource and
    # the ETag it had when Convene last wrote it (updates are conditional on it).
    caldav_account = models.ForeignKey(
        "accounts.CalDAVAccount", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    caldav_href = models.CharField(max_length=1024, blank=True)
    caldav_etag = models.CharField(max_length=255, blank=True)
    caldav_synced_at = models.DateTimeField(null=True, blank=True)
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

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("scheduling:event_detail", args=[self.pk])

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def exception_starts(self) -> list[datetime]:
        """The removed occurrences of a series (``exdates`` are stored as ISO strings), sorted: deleted
        ones and those detached to be edited on their own (``exceptions``)."""
        return sorted(datetime.fromisoformat(value) for value in self.exdates)

    @property
    def is_occurrence(self) -> bool:
        """A single occurrence of a series edited on its own (an override of its series)."""
        return self.series_id is not None


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
    responded_at = models.DateTimeField(null=True, blank=True)
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

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("scheduling:rsvp", args=[self.token])


# --- Availability polls ------------------------------------------------------------------------

MAX_INVITEES = 200


class PollQuerySet(models.QuerySet):
    def for_owner(self, owner) -> PollQuerySet:
        return self.filter(owner=owner)

    def open(self) -> PollQuerySet:
        return self.filter(status=Poll.Status.OPEN)

    def with_counts(self) -> PollQuerySet:
        """Annotate ``invited``, ``responded`` and ``declined`` (one query for a list of polls)."""
        return self.annotate(
            invited=models.Count("invitations"),
            responded=models.Count("invitations", filter=models.Q(invitations__status="responded")),
            declined=models.Count("invitations", filter=models.Q(invitations__status="declined")),
        )


class Poll(models.Model):
    """An availability poll (older documents call it a "calendar"): the owner and invitees paint
    when they can meet, with a preference level, on a grid of the poll's dates and daily hours."""

    class Kind(models.TextChoices):
        GROUP = "group", "One group meeting"
        SERIES = "series", "A series of 1-on-1 meetings"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        FINALIZED = "finalized", "Finalized"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="polls")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.GROUP)
    duration = models.PositiveSmallIntegerField("meeting length (minutes)", default=60)
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    dates = models.JSONField(default=list)  # ISO dates, sorted
    day_start = models.TimeField(default=datetime.min.time().replace(hour=8))
    day_end = models.TimeField(default=datetime.min.time().replace(hour=20))
    cell_minutes = models.PositiveSmallIntegerField(default=30)
    deadline = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PollQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration__gte=15, duration__lte=240), name="poll_duration_15_to_240"
            ),
            models.CheckConstraint(condition=models.Q(cell_minutes__in=[15, 30, 60]), name="poll_cell_15_30_60"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("scheduling:poll_detail", args=[self.pk])

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def date_list(self):
        from datetime import date

        return [date.fromisoformat(value) for value in self.dates]

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def accepts_answers(self, now: datetime | None = None) -> bool:
        from django.utils import timezone

        return self.is_open and (now or timezone.now()) < self.deadline

    def cells(self) -> list[datetime]:
        from scheduling.grid import poll_cells

        return poll_cells(self.date_list, self.day_start, self.day_end, self.cell_minutes, self.timezone)


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> InvitationQuerySet:
        return self.filter(status=Invitation.Status.PENDING)


class Invitation(models.Model):
    """One invitee of a poll, reached through an unguessable token link."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RESPONDED = "responded", "Responded"
        DECLINED = "declined", "Declined"

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey("accounts.Contact", on_delete=models.SET_NULL, null=True, blank=True)
    name = models.CharField(max_length=300)
    email = models.EmailField()
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decline_note = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    # The deadline the automatic "24 hours left" reminder was sent for: at most once per deadline.
    deadline_reminder_for = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "poll", Lower("email"), name="invitation_email_unique_per_poll_ci",
                violation_error_message="This person is already invited.",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("scheduling:respond", args=[self.token])


class AvailabilitySpan(models.Model):
    """Painted availability: a merged ``[start, end)`` UTC interval at a preference level, for the
    poll's owner (``invitation`` empty) or one invitee."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="spans")
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, null=True, blank=True, related_name="spans")
    start = models.DateTimeField()
    end = models.DateTimeField()
    level = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["poll", "invitation"], name="span_poll_person")]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="span_ends_after_start"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=3),
                name="span_level_1_to_3",
                violation_error_message="Preference level must be either 1, 2, or 3 (3 being highest preference).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M} UTC at level {self.level}"


class TimeProposal(models.Model):
    """An attendee who cannot make it suggests another time; the owner accepts or dismisses it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for you"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"

    attendee = models.ForeignKey(Attendee, on_delete=models.CASCADE, related_name="proposals")
    start = models.DateTimeField()
    end = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="proposal_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.attendee} proposes {self.start:%Y-%m-%d %H:%M} UTC"


class ReminderSent(models.Model):
    """One row per reminder sent: (event, occurrence, minutes before) is unique, so a reminder is
    claimed by inserting its row and two workers can never both send it."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="reminders_sent")
    occurrence_start = models.DateTimeField()
    minutes = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("event", "occurrence_start", "minutes", name="reminder_sent_once"),
        ]

    def __str__(self) -> str:
        return f"Reminder {self.minutes} min before {self.occurrence_start:%Y-%m-%d %H:%M} UTC"


class CalendarFeed(models.Model):
    """The owner's private subscription URL (webcal://); regenerating the token revokes the old one."""

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.owner}"
