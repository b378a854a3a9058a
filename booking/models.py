from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.clock import Clock
from accounts.timezones import validate_timezone
from booking import slots
from scheduling.models import Attendee, Event, new_token

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


# A TimeField cannot hold 24:00; hours "until midnight" are stored as 23:59:59.
END_OF_DAY = time(23, 59, 59)


def minutes_interval(start: time, end: time) -> slots.Interval:
    def minutes(moment: time) -> int:
        return slots.MINUTES_PER_DAY if moment >= END_OF_DAY else moment.hour * 60 + moment.minute

    return slots.Interval(minutes(start), minutes(end))


# --- Availability schedules -------------------------------------------------------------------


class ScheduleQuerySet(models.QuerySet):
    def for_owner(self, owner) -> ScheduleQuerySet:
        return self.filter(owner=owner)


class Schedule(models.Model):
    """Named weekly hours in a timezone, with date overrides (Cal.com's "availability")."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="schedules")
    name = models.CharField(max_length=100)
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the owner last saved these hours themselves (not the default made at sign-up): until
    # then the dashboard asks them to set their hours.
    hours_saved_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["-is_default", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                "owner", "name", name="schedule_name_unique_per_owner",
                violation_error_message="You already have a schedule with this name.",
            ),
            models.UniqueConstraint(
                "owner", condition=models.Q(is_default=True), name="one_default_schedule_per_owner"
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("booking:schedule_edit", args=[self.pk])

    def to_availability(self) -> slots.Availability:
        """The plain-data form the slot engine reads, from the (prefetched) rules."""
        weekly: dict[int, list[slots.Interval]] = {}
        for rule in self.weekly_hours.all():
            weekly.setdefault(rule.weekday, []).append(minutes_interval(rule.start, rule.end))
        overrides: dict[date, list[slots.Interval]] = {}
        for override in self.overrides.all():
            intervals = overrides.setdefault(override.date, [])
            if override.start is not None:
                intervals.append(minutes_interval(override.start, override.end))
        return slots.Availability(timezone=self.timezone, weekly=weekly, overrides=overrides)


class WeeklyHours(models.Model):
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="weekly_hours")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS, validators=[MaxValueValidator(6)])
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name_plural = "weekly hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")),
                name="weekly_hours_end_after_start",
                violation_error_message="End time must be after start time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class DateOverride(models.Model):
    """Different hours on one date; a row without times means unavailable all day."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    date = models.DateField()
    start = models.TimeField(null=True, blank=True)
    end = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__isnull=True, end__isnull=True)
                | models.Q(start__isnull=False, end__isnull=False, end__gt=models.F("start")),
                name="override_times_complete_and_ordered",
                violation_error_message="End time must be after start time.",
            ),
        ]

    def __str__(self) -> str:
        if self.start is None:
            return f"{self.date}: unavailable"
        return f"{self.date}: {self.start:%H:%M}–{self.end:%H:%M}"


# --- Event types ---------------------------------------------------------------------------------


class EventTypeQuerySet(models.QuerySet):
    def for_owner(self, owner) -> EventTypeQuerySet:
        """The owner's own links (a team's links are the team's: ``for_team``)."""
        return self.filter(owner=owner, team__isnull=True)

    def for_team(self, team) -> EventTypeQuerySet:
        return self.filter(team=team)

    def public(self) -> EventTypeQuerySet:
        return self.filter(is_active=True).exclude(kind=EventType.Kind.ONE_OFF)


slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z",
    "Use lowercase letters, digits and single hyphens, e.g. “30-minute-call”.",
)


def public_location(kind: str, label: str, detail: str) -> str:
    """Where the meeting is, as a booker may read it before booking: a video link is private until
    the booking is made (it comes with the confirmation); an address or phone number is shown."""
    if kind == EventType.Location.NONE:
        return ""
    if kind == EventType.Location.ASK:
        return "You say where when you book"
    if kind == EventType.Location.VIDEO:
        return "Video call (the link comes with your confirmation)"
    return f"{label} · {detail}" if detail else label


class EventType(models.Model):
    class Kind(models.TextChoices):
        ONE_ON_ONE = "one_on_one", "One-on-one"
        GROUP = "group", "Group (several bookers per time)"
        ONE_OFF = "one_off", "One-off link (times you pick)"

    class Location(models.TextChoices):
        NONE = "none", "Not set yet"
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "Phone call"
        VIDEO = "video", "Video link"
        ASK = "ask", "Ask the booker"

    class Window(models.TextChoices):
        ROLLING = "rolling", "Rolling: the next N days"
        RANGE = "range", "Between two dates"
        DATES = "dates", "Only on chosen dates"

    class Hosting(models.TextChoices):
        SOLO = "solo", "Just the owner"
        COLLECTIVE = "collective", "Collective: every host together"
        ROUND_ROBIN = "round_robin", "Round-robin: whichever host is free"

    # A team's link belongs to the team (``team``, hosted by ``hosts``); ``owner`` is who made it.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_types")
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="event_types"
    )
    hosting = models.CharField(max_length=16, choices=Hosting.choices, default=Hosting.SOLO)
    show_hosts = models.BooleanField(
        "show bookers who they will meet", default=True,
        help_text="Round-robin: the booker sees the host's name before booking.",
    )  # fmt: skip
    title = models.CharField(max_length=120)
    slug = models.CharField("URL slug", max_length=60, validators=[slug_validator])
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ONE_ON_ONE)
    duration = models.PositiveSmallIntegerField(
        "duration (minutes)", default=30, validators=[MinValueValidator(5), MaxValueValidator(720)]
    )
    # Other lengths the booker may choose, in minutes (e.g. [15, 60] next to a 30-minute default).
    extra_durations = models.JSONField(default=list, blank=True)
    location_kind = models.CharField("location", max_length=16, choices=Location.choices, default=Location.NONE)
    location_detail = models.CharField(
        max_length=500, blank=True, help_text="The address, phone number or video link bookers will see."
    )
    # A schedule in use cannot be deleted on its own (RestrictedError), but goes with its owner's
    # account together with the links that use it.
    schedule = models.ForeignKey(Schedule, on_delete=models.RESTRICT, related_name="event_types")
    window = models.CharField("booking window", max_length=16, choices=Window.choices, default=Window.ROLLING)
    rolling_days = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    window_dates = models.JSONField(default=list, blank=True)  # ISO dates, for Window.DATES
    minimum_notice = models.PositiveIntegerField(
        "minimum notice (minutes)", default=240, validators=[MaxValueValidator(60 * 24 * 60)]
    )
    buffer_before = models.PositiveSmallIntegerField("buffer before (minutes)", default=0)
    buffer_after = models.PositiveSmallIntegerField("buffer after (minutes)", default=0)
    increment = models.PositiveSmallIntegerField(
        "start times every (minutes)", default=0, help_text="0 means every duration."
    )
    max_per_day = models.PositiveSmallIntegerField("maximum bookings per day", null=True, blank=True)
    seats = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(500)])
    questions = models.JSONField(default=list, blank=True)  # [{"label": str, "kind": "short"|"long", "required": bool}]
    color = models.CharField(max_length=7, default="#3b55e6", validators=[RegexValidator(r"^#[0-9a-fA-F]{6}\Z")])
    is_active = models.BooleanField("active", default=True)
    allow_recurring = models.BooleanField("allow weekly recurring bookings", default=False)
    max_occurrences = models.PositiveSmallIntegerField(
        "at most occurrences", default=4, validators=[MinValueValidator(2), MaxValueValidator(24)]
    )
    reminder_minutes = models.PositiveIntegerField(
        "reminder before (minutes)",
        default=24 * 60,
        help_text="0 for no reminder; at most a week (10080).",
        validators=[MaxValueValidator(7 * 24 * 60, "A reminder can be at most a week (10080 minutes) before.")],
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="One-off links stop working after this.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EventTypeQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(
                "owner", "slug", condition=models.Q(team__isnull=True), name="event_type_slug_unique_per_owner",
                violation_error_message="You already have an event type with this URL.",
            ),
            models.UniqueConstraint(
                "team", "slug", condition=models.Q(team__isnull=False), name="event_type_slug_unique_per_team",
                violation_error_message="The team already has a link with this URL.",
            ),
            models.CheckConstraint(
                condition=models.Q(team__isnull=True, hosting="solo") | models.Q(team__isnull=False)
                & ~models.Q(hosting="solo"),
                name="team_links_have_hosts",
            ),
            models.CheckConstraint(condition=models.Q(seats__gte=1), name="event_type_seats_positive"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        if self.team_id:
            return reverse("booking:team_event_type", args=[self.team.slug, self.slug])
        return reverse("booking:public_event_type", args=[self.owner.username, self.slug])

    @property
    def is_team(self) -> bool:
        return self.team_id is not None

    @property
    def public_url(self) -> str:
        return settings.SITE_URL + self.get_absolute_url()

    @property
    def is_group(self) -> bool:
        return self.kind == self.Kind.GROUP

    @property
    def is_one_off(self) -> bool:
        return self.kind == self.Kind.ONE_OFF

    @property
    def durations(self) -> list[int]:
        return sorted({self.duration, *self.extra_durations})

    @property
    def public_location(self) -> str:
        return public_location(self.location_kind, self.get_location_kind_display(), self.location_detail)

    @property
    def location_text(self) -> str:
        if self.location_kind == self.Location.ASK:
            return "The booker chooses"
        if self.location_kind == self.Location.NONE:
            return ""
        return self.location_detail or self.get_location_kind_display()

    @property
    def reminders(self) -> list[int]:
        """The booked meeting's reminders (Event.reminders): minutes before it starts."""
        return [self.reminder_minutes] if self.reminder_minutes else []


class TeamHost(models.Model):
    """A member who hosts a team link. Collective: every host must be free. Round-robin: fixed
    hosts are always in the meeting, and one of the others (the pool) is picked by the fair rule
    in booking/hosts.py, where ``priority`` and ``weight`` are explained."""

    class Priority(models.IntegerChoices):
        LOW = 0, "Low"
        MEDIUM = 1, "Medium"
        HIGH = 2, "High"

    event_type = models.ForeignKey(EventType, on_delete=models.CASCADE, related_name="hosts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_links")
    is_fixed = models.BooleanField("always in the meeting", default=False)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    weight = models.PositiveSmallIntegerField(
        default=100, validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Share of meetings relative to the other hosts: 200 gets twice as many as 100.",
    )  # fmt: skip

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint("event_type", "user", name="one_host_row_per_link_and_user")]

    def __str__(self) -> str:
        return f"{self.user} hosts {self.event_type}"


class OfferedSlot(models.Model):
    """A specific time a one-off link offers."""

    event_type = models.ForeignKey(EventType, on_delete=models.CASCADE, related_name="offered_slots")
    start = models.DateTimeField()

    class Meta:
        ordering = ["start"]
        constraints = [models.UniqueConstraint("event_type", "start", name="offered_slot_unique")]

    def __str__(self) -> str:
        return f"{self.event_type}: {self.start:%Y-%m-%d %H:%M} UTC"


# --- Bookings ------------------------------------------------------------------------------------


class BookingQuerySet(models.QuerySet):
    def for_host(self, host) -> BookingQuerySet:
        """Bookings of meetings ``host`` hosts: their own, and team meetings they co-host."""
        cohosted = Attendee.objects.filter(host=host).values("event_id")
        return self.filter(models.Q(event__owner=host) | models.Q(event_id__in=cohosted))

    def confirmed(self) -> BookingQuerySet:
        """The meeting stands and the booker still holds their seat in it."""
        return self.filter(event__status=Event.Status.CONFIRMED, attendee__isnull=False)

    def upcoming(self, now: datetime) -> BookingQuerySet:
        return self.confirmed().filter(event__end__gt=now)

    def past(self, now: datetime) -> BookingQuerySet:
        return self.confirmed().filter(event__end__lte=now)

    def cancelled(self) -> BookingQuerySet:
        return self.filter(models.Q(event__status=Event.Status.CANCELLED) | models.Q(attendee__isnull=True))

    def latest_cancelled_first(self) -> BookingQuerySet:
        return self.order_by(Coalesce("event__cancelled_at", "seat_cancelled_at").desc(nulls_last=True), "-id")


@dataclass(frozen=True)
class Cancellation:
    at: datetime | None
    by: str  # Event.By
    reason: str

    @property
    def by_host(self) -> bool:
        return self.by == Event.By.OWNER


class Booking(models.Model):
    """One booker's reservation: who booked, their answers, their seat and their manage link.

    The meeting itself is ``event`` (a scheduling.Event): its status, times, reminders, UID,
    SEQUENCE, cancellation and .ics live there alone, so a change made from the calendar and one
    made from the booker's link are the same change. Bookers of a group slot share one event,
    each holding a seat: their own ``attendee`` row, beside their guests'. A booker who gives up
    their seat while the meeting goes on for the others loses the seat (``attendee`` empty) and
    keeps the record of why here.
    """

    event_type = models.ForeignKey(EventType, on_delete=models.SET_NULL, null=True, related_name="bookings")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="bookings")
    attendee = models.OneToOneField(Attendee, on_delete=models.SET_NULL, null=True, blank=True, related_name="booking")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    hour12 = models.BooleanField(default=False)  # the booker's clock, as their browser showed it
    answers = models.JSONField(default=list, blank=True)  # [{"question": str, "answer": str}]
    guests = models.JSONField(default=list, blank=True)  # the emails of the guests the booker brought
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    series = models.UUIDField(null=True, blank=True, db_index=True)  # the weeks of one recurring booking
    # A seat given up in a meeting that goes on (a group slot); a cancelled meeting keeps its
    # cancellation on the event.
    seat_cancelled_at = models.DateTimeField(null=True, blank=True)
    seat_cancelled_by = models.CharField(max_length=16, choices=Event.By.choices, blank=True)
    seat_cancel_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["event__start", "id"]
        indexes = [models.Index(fields=["event", "email"], name="booking_event_email")]

    def __str__(self) -> str:
        return f"{self.name} — {self.event}"

    @property
    def host(self):
        return self.event.owner

    @property
    def booker_tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def clock(self) -> Clock:
        return Clock(hour12=self.hour12)

    @property
    def is_cancelled(self) -> bool:
        return self.event.is_cancelled or self.attendee_id is None

    @property
    def cancellation(self) -> Cancellation | None:
        event = self.event
        if event.is_cancelled:
            return Cancellation(at=event.cancelled_at, by=event.cancelled_by, reason=event.cancel_reason)
        if self.attendee_id is None:
            return Cancellation(at=self.seat_cancelled_at, by=self.seat_cancelled_by, reason=self.seat_cancel_reason)
        return None

    @property
    def version(self) -> str:
        """What the booker saw: the meeting and its time. A cancel or a new time sent from a page
        showing another version lost a race with a change made meanwhile (booking/book.py)."""
        return f"{self.event_id}-{self.event.start:%Y%m%dT%H%M%S}-{'cancelled' if self.is_cancelled else 'on'}"

    @property
    def party(self) -> set[str]:
        """The lower-cased emails of the booker and their guests."""
        return {self.email.lower(), *(guest.lower() for guest in self.guests)}

    def can_be_changed(self, now: datetime | None = None) -> bool:
        """Reschedule and cancel links work until the meeting starts."""
        return not self.is_cancelled and self.event.start > (now or timezone.now())


def local_today(tz_name: str, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(tz_name)).date()


DEFAULT_WEEKLY_HOURS = [(weekday, time(9), time(17)) for weekday in range(5)]
