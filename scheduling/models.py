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
    # A co-host with an account (a team booking's other hosts): the meeting is in their calendar
    # and blocks their time like their own meetings, unless they decline it.
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="cohosted"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    # The zone and clock their RSVP page showed when they answered there: their emails are
    # written in it (scheduling/recipients.py). Blank until then.
    timezone = models.CharField(max_length=64, blank=True, validators=[validate_timezone])
    hour12 = models.BooleanField(default=False)
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

    class Mode(models.TextChoices):
        GRID = "grid", "Paint when you can, on a grid of dates and hours"
        OPTIONS = "options", "Pick from a list of times (or whole days)"

    class Visibility(models.TextChoices):
        OWNER = "owner", "Only I see the answers"
        AFTER_ANSWERING = "after", "Participants see everyone's answers once they have answered"
        ALWAYS = "always", "Participants see everyone's answers"

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
    # How people answer: painting the grid (dates x daily hours), or yes / if need be / no to each
    # of the owner's options (PollOption).
    mode = models.CharField("how people answer", max_length=16, choices=Mode.choices, default=Mode.GRID)
    # Who sees the answers besides the owner.
    visibility = models.CharField(
        "who sees the answers", max_length=16, choices=Visibility.choices, default=Visibility.OWNER
    )
    # The link anyone can join by (name, optional email), beside the emailed invitations. Turned
    # off, it stops working; regenerated, the old one stops working.
    share_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    share_enabled = models.BooleanField("anyone with the link can answer", default=False)
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
    # Optional for someone who joined by the poll's link (then they get no emails).
    email = models.EmailField(blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Joined through the poll's shareable link rather than invited by email.
    joined_by_link = models.BooleanField(default=False)
    decline_note = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    # The deadline the automatic "24 hours left" reminder was sent for: at most once per deadline.
    deadline_reminder_for = models.DateTimeField(null=True, blank=True)
    # The meeting finalizing scheduled them into: how their page finds it, with or without an email.
    meeting = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="scheduled_invitations"
    )
    # The zone and clock their page showed when they last answered there: their emails are
    # written in it (scheduling/recipients.py). Blank until then.
    timezone = models.CharField(max_length=64, blank=True, validators=[validate_timezone])
    hour12 = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        # Whom an address is invited by, whatever its case (the dashboard's "polls you're invited to").
        indexes = [models.Index(Lower("email"), name="invitation_email_lower")]
        constraints = [
            models.UniqueConstraint(
                "poll", Lower("email"), name="invitation_email_unique_per_poll_ci", condition=~models.Q(email=""),
                violation_error_message="This person is already invited.",
            ),
            # Someone who joined by link is known by their name alone.
            models.UniqueConstraint(
                "poll", Lower("name"), name="link_participant_name_unique_per_poll_ci",
                condition=models.Q(joined_by_link=True),
                violation_error_message="Someone in this poll already goes by that name. Add an initial, e.g. “Sam K.”",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name

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


class PollOption(models.Model):
    """A time the owner offers on a poll that asks "which of these?": a start (UTC; the meeting
    lasts the poll's length) or a whole day (a date in the poll's timezone)."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    start = models.DateTimeField(null=True, blank=True)
    day = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["day", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__isnull=False, day__isnull=True)
                | models.Q(start__isnull=True, day__isnull=False),
                name="option_is_a_time_or_a_day",
            ),
            models.UniqueConstraint("poll", "start", name="option_start_unique_per_poll"),
            models.UniqueConstraint("poll", "day", name="option_day_unique_per_poll"),
        ]

    def __str__(self) -> str:
        return f"{self.day} (all day)" if self.day else f"{self.start:%Y-%m-%d %H:%M} UTC"


class OptionAnswer(models.Model):
    """Someone's answer to one option: yes (2) or if need be (1); no answer row means no.
    ``invitation`` empty is the owner."""

    class Level(models.IntegerChoices):
        IF_NEED_BE = 1, "If need be"
        YES = 2, "Yes"

    option = models.ForeignKey(PollOption, on_delete=models.CASCADE, related_name="answers")
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, null=True, blank=True, related_name="answers")
    level = models.PositiveSmallIntegerField(choices=Level.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint("option", "invitation", name="one_answer_per_option_and_person"),
            models.UniqueConstraint(
                "option", condition=models.Q(invitation__isnull=True), name="one_owner_answer_per_option"
            ),
            models.CheckConstraint(condition=models.Q(level__in=[1, 2]), name="option_answer_level_1_or_2"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} to {self.option}"


class PollComment(models.Model):
    """A comment on a poll, by the owner (``invitation`` empty) or a participant; shown to whoever
    may see the answers."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="comments")
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, null=True, blank=True, related_name="comments")
    name = models.CharField(max_length=300)
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.text[:40]}"


class Activity(models.Model):
    """Something an owner hears about (an answer, a decline, a comment, an RSVP, a proposed time):
    emailed at once or gathered in the daily digest, as the owner chose."""

    class Kind(models.TextChoices):
        ANSWERED = "answered", "answered"
        DECLINED = "declined", "declined"
        JOINED = "joined", "joined by the link"
        COMMENTED = "commented", "commented"
        EVERYONE = "everyone", "Everyone has answered"
        RSVP = "rsvp", "answered the invitation"
        PROPOSED = "proposed", "proposed another time"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activities")
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, null=True, blank=True, related_name="activities")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, null=True, blank=True, related_name="activities")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    who = models.CharField(max_length=300, blank=True)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When it went out: in its own email, or in a digest. Empty: still to be told.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["owner", "notified_at"], name="activity_owner_pending")]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.who} {self.get_kind_display()}"


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
