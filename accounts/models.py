from __future__ import annotations

import base64
import secrets
import zoneinfo

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MinLengthValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from accounts.clock import WEEK_STARTS
from accounts.timezones import validate_timezone
from accounts.usernames import USERNAME_MAX_LENGTH, USERNAME_VALIDATORS


class User(AbstractUser):
    username = models.CharField(
        "username",
        max_length=USERNAME_MAX_LENGTH,
        unique=True,
        validators=[MinLengthValidator(3), *USERNAME_VALIDATORS],
        help_text="3–30 letters, digits, dots, hyphens or underscores. It is your public booking link.",
        error_messages={"unique": "That username is taken. Please choose another."},
    )
    name = models.CharField("display name", max_length=150, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    hour12 = models.BooleanField(
        "clock", default=False, choices=[(False, "24-hour (14:30)"), (True, "12-hour (2:30 PM)")]
    )
    week_start = models.PositiveSmallIntegerField("weeks start on", default=0, choices=WEEK_STARTS)

    class Notices(models.TextChoices):
        EACH = "each", "An email for each answer"
        DIGEST = "digest", "One email a day with all the answers"
        OFF = "off", "No emails about answers"

    answer_notices = models.CharField(
        "Tell me when people answer",
        max_length=8,
        choices=Notices.choices,
        default=Notices.DIGEST,
        help_text="Answers to your polls, comments, and replies to your meeting invitations. "
        "“Everyone has answered” comes at once unless these emails are off.",
    )
    digest_sent_on = models.DateField(null=True, blank=True, editable=False)  # the day's digest is claimed

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
                violation_error_message="An account with this email address already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.get_full_name() or self.username

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class ContactQuerySet(models.QuerySet):
    def for_owner(self, owner: User) -> ContactQuerySet:
        return self.filter(owner=owner)

    def search(self, text: str) -> ContactQuerySet:
        query = models.Q()
        for word in text.split():
            query &= (
                models.Q(first_name__icontains=word)
                | models.Q(last_name__icontains=word)
                | models.Q(email__icontains=word)
            )
        return self.filter(query)


class Contact(models.Model):
    """A person in an owner's address book, invited to polls and meetings by email."""

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = [Lower("first_name"), Lower("last_name"), "id"]
        constraints = [
            models.UniqueConstraint(
                "owner",
                Lower("email"),
                name="contact_email_unique_per_owner_ci",
                violation_error_message="A contact with this email already exists.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    def get_absolute_url(self) -> str:
        return reverse("contacts:detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class GoogleCalendarConnection(models.Model):
    """A user's link to Google Calendar: which calendars count as busy, which receives meetings.

    The OAuth grant itself is allauth's ``SocialToken`` of ``account`` (the refresh token is its
    ``token_secret``); this row only exists once the user connected with the calendar scopes.
    """

    class Problem(models.TextChoices):
        NONE = "", "None"
        RECONNECT = "reconnect", "Google no longer accepts our access: connect again"
        UNAVAILABLE = "unavailable", "Google Calendar did not answer"
        PERMISSION = "permission", "Google refused access to a calendar"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="google_calendar")
    account = models.ForeignKey("socialaccount.SocialAccount", on_delete=models.CASCADE, related_name="+")
    # Calendar ids whose busy times block bookings and show on poll grids ("primary" until the
    # calendar list has been read once).
    busy_calendars = models.JSONField(default=list, blank=True)
    # Where new meetings are created; empty means "do not add meetings to Google".
    target_calendar = models.CharField(max_length=1024, blank=True)
    # The calendar list as last read from Google: [{"id", "summary", "primary", "writable"}].
    calendars = models.JSONField(default=list, blank=True)
    problem = models.CharField(max_length=16, choices=Problem.choices, blank=True)
    problem_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Google Calendar of {self.user}"

    @property
    def needs_reconnect(self) -> bool:
        return self.problem == self.Problem.RECONNECT

    @property
    def target_name(self) -> str:
        return self.calendar_name(self.target_calendar)

    def calendar_name(self, calendar_id: str) -> str:
        for calendar in self.calendars:
            if calendar["id"] == calendar_id:
                return calendar["summary"]
        return "Your main calendar" if calendar_id == "primary" else calendar_id


class CalDAVAccount(models.Model):
    """A CalDAV account (Nextcloud, iCloud, Fastmail, SOGo, Radicale...): where its calendars are,
    which count as busy, which (if any) receives new meetings, and its app password, encrypted
    (accounts/credentials.py)."""

    class Problem(models.TextChoices):
        NONE = "", "None"
        RECONNECT = "reconnect", "The server no longer accepts the password: connect again"
        UNAVAILABLE = "unavailable", "The server did not answer"
        REFUSED = "refused", "The server refused a request"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="caldav_accounts")
    name = models.CharField(max_length=100)
    server_url = models.URLField("server address", max_length=500)
    principal_url = models.URLField(max_length=500)
    home_url = models.URLField(max_length=500)
    username = models.CharField(max_length=254)
    password = models.TextField(editable=False)  # encrypted, never shown
    # The calendars as last read from the server: [{"url", "name", "color", "writable"}].
    calendars = models.JSONField(default=list, blank=True)
    busy_calendars = models.JSONField(default=list, blank=True)  # URLs of the calendars that block
    target_calendar = models.CharField(max_length=1000, blank=True)  # URL of the one receiving meetings
    problem = models.CharField(max_length=16, choices=Problem.choices, blank=True)
    problem_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    connected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "CalDAV account"

    def __str__(self) -> str:
        return f"{self.name} ({self.username})"

    @property
    def needs_reconnect(self) -> bool:
        return self.problem == self.Problem.RECONNECT

    def calendar_name(self, url: str) -> str:
        return next((calendar["name"] for calendar in self.calendars if calendar["url"] == url), url)


class ICSSubscription(models.Model):
    """A published calendar link (Outlook, Proton, a work calendar) read for busy times only.

    The worker fetches it on a schedule (conditionally: ETag and Last-Modified) and keeps the busy
    times it holds for the coming year, expanded in the owner's timezone, so pages never wait for
    it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="ics_subscriptions")
    name = models.CharField(max_length=100)
    url = models.URLField("calendar link", max_length=2000)
    busy = models.BooleanField("counts as busy", default=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)  # the last good answer (200 or 304)
    expanded_tz = models.CharField(max_length=64, blank=True)  # the zone ``intervals`` were expanded in
    # [[start, end], ...] in POSIX seconds, sorted and merged, from yesterday to a year ahead.
    intervals = models.JSONField(default=list, blank=True)
    expanded_from = models.DateTimeField(null=True, blank=True)
    expanded_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    problem_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "ICS subscription"
        constraints = [
            models.UniqueConstraint(
                "user", "url", name="ics_subscription_unique_per_user",
                violation_error_message="You already subscribe to this calendar link.",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name


class EmailProblem(models.Model):
    """A message the worker could not deliver, even after its retries: kept, so that the owner it
    was sent for sees it on the dashboard instead of it being lost quietly."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="email_problems")
    recipient = models.CharField(max_length=1000)
    subject = models.CharField(max_length=300)
    error = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Not delivered to {self.recipient}: {self.subject}"


class OutgoingEmail(models.Model):
    """A message written and not yet accepted by the mail provider (accounts/emails.py). The row
    is the delivery's acknowledgement: it is deleted only once the provider took the message, so
    a worker stopped or killed while delivering leaves it here, and it is delivered again once its
    lease (``due_at``) runs out. ``due_at`` is also when a failed delivery is tried again."""

    payload = models.JSONField()
    attempts = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.payload.get('subject', '')} to {', '.join(self.payload.get('to', []))}"


# --- Teams ---------------------------------------------------------------------------------------

team_slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z",
    "Use lowercase letters, digits and single hyphens, e.g. “sales-team”.",
)


def _team_token() -> str:
    return secrets.token_urlsafe(24)


class TeamQuerySet(models.QuerySet):
    def of_member(self, user) -> TeamQuerySet:
        return self.filter(memberships__user=user)


class Team(models.Model):
    """People who share booking links (booking's team links: collective or round-robin). Its
    public page is ``/team/<slug>/``, apart from usernames."""

    name = models.CharField(max_length=100)
    slug = models.CharField(
        "URL slug", max_length=60, unique=True, validators=[team_slug_validator],
        error_messages={"unique": "That address is taken by another team. Please choose another."},
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("teams:detail", args=[self.slug])

    @property
    def public_path(self) -> str:
        return reverse("booking:team_page", args=[self.slug])


class Membership(models.Model):
    """Someone in a team. Owners and admins edit the team's links and members; members see the
    team's links and bookings and host them."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "user__name", "user__username", "id"]
        constraints = [models.UniqueConstraint("team", "user", name="one_membership_per_team_and_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    @property
    def can_manage(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.ADMIN)


class TeamInvitation(models.Model):
    """An emailed invitation to join a team: its token link works once, for someone signed in."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=8, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    token = models.CharField(max_length=64, unique=True, default=_team_token, editable=False)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                "team", Lower("email"), condition=models.Q(accepted_at__isnull=True),
                name="one_open_team_invitation_per_email",
                violation_error_message="This address already has an invitation to the team.",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.email} to {self.team}"

    def get_absolute_url(self) -> str:
        return reverse("teams:accept", args=[self.token])


# --- API tokens and webhooks ----------------------------------------------------------------------

API_TOKEN_PREFIX = "cvn_"


class ApiTokenQuerySet(models.QuerySet):
    def for_owner(self, owner: User) -> ApiTokenQuerySet:
        return self.filter(user=owner)


class ApiToken(models.Model):
    """A personal token for the REST API (``Authorization: Bearer cvn_...``). Only a SHA-256 of the
    secret is kept: the token is shown once, when made. A token acts as its user, read-only or
    read-write, until it expires or is revoked."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What uses it, e.g. “CRM sync”.")
    # The first characters of the secret, shown in the list so a token can be recognised.
    prefix = models.CharField(max_length=16, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    can_write = models.BooleanField(
        "access",
        default=False,
        choices=[(False, "Read only"), (True, "Read and write")],
        help_text="Read-only tokens can look but not create, change or cancel anything.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


def _webhook_secret() -> str:
    """Standard Webhooks' form: ``whsec_`` and the base64 of the 256-bit key, so receivers can
    verify with the official libraries (accounts/webhooks.py)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    """A URL the owner's events are POSTed to, signed with ``secret`` (accounts/webhooks.py)."""

    class Events(models.TextChoices):
        BOOKING_CREATED = "booking.created", "A booking is made"
        BOOKING_RESCHEDULED = "booking.rescheduled", "A booking is moved"
        BOOKING_CANCELLED = "booking.cancelled", "A booking is cancelled"
        POLL_RESPONDED = "poll.responded", "Someone answers a poll"
        POLL_FINALIZED = "poll.finalized", "A poll is finalized"
        EVENT_RSVP = "event.rsvp", "An attendee answers an invitation"
        MEETING_REMINDER = "meeting.reminder", "A meeting's reminder is due"

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField("URL", max_length=500)
    events = models.JSONField(default=list)  # Events values this endpoint receives
    secret = models.CharField(max_length=80, default=_webhook_secret, editable=False)
    description = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)
    # Set when Convene turned the endpoint off after repeated failures (the owner was told).
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    failures_in_a_row = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: written in the transaction that made the event, sent by the
    worker after commit, retried with backoff for a day. ``message_id`` is the same on every
    attempt, so receivers can drop duplicates."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=40)
    # Events of one thing that settle before they are sent (a poll answer painted stroke by stroke):
    # a newer one replaces a waiting one with the same key (accounts/webhooks.py, ``emit(settle=)``).
    settle_key = models.CharField(max_length=64, blank=True)
    message_id = models.CharField(max_length=40, unique=True)
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id} ({self.state})"


class IdempotentRequest(models.Model):
    """A POST sent with an ``Idempotency-Key`` header, and the answer it got: the same key with
    the same request gets the same answer again instead of a second booking (accounts/api_base.py).
    Kept for a day."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and body
    status = models.PositiveSmallIntegerField(null=True, blank=True)  # empty while the first is in flight
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("user", "key", name="one_idempotency_key_per_user")]

    def __str__(self) -> str:
        return self.key


class ApiUsage(models.Model):
    """Requests of one API token in one window of the rate limit (accounts/api_base.py): counted
    by one upsert per request, so every web process counts against the same allowance."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    window_start = models.BigIntegerField()  # Unix seconds
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint("token", "window_start", name="one_usage_row_per_token_and_window")]

    def __str__(self) -> str:
        return f"{self.token_id}@{self.window_start}: {self.count}"
