"""Every calendar a person connected, behind one interface: Google Calendar, CalDAV accounts
(Nextcloud, iCloud, Fastmail, SOGo, Radicale...) and ICS links.

Booking pages and poll grids ask ``busy(sources, start, end)`` and never know the provider; the
Calendars page lists ``connections(user)``; exactly one calendar across them all (or none)
receives new meetings (``meeting_calendar``/``set_meeting_calendar``), which the worker writes to
(scheduling/calendar_sync.py). Each provider keeps its own gateway speaking plain data
(google_calendar.py, caldav_gateway.py, ics_feed.py) and its own model.

What pages read is cached briefly (Google and CalDAV: ``BUSY_CACHE_SECONDS``; ICS links are read
by the worker on a schedule and kept expanded for the coming year), and asked again right before a
booking is written (``fresh=True``). A provider that fails never fails a page: its busy times are
left out, a warning is logged, and the owner sees the problem on the Calendars page.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone

from accounts import busy_ical, caldav_gateway, credentials, google, ics_feed, versions
from accounts.models import CalDAVAccount, GoogleCalendarConnection, ICSSubscription, User

logger = logging.getLogger(__name__)

Busy = list[tuple[datetime, datetime]]
BUSY_CACHE_SECONDS = google.BUSY_CACHE_SECONDS
FAILURE_BACKOFF_SECONDS = google.FAILURE_BACKOFF_SECONDS
CALDAV = "caldav-busy"  # the version namespace of an owner's CalDAV answers
# A person is waiting while a page reads a calendar: one quick try (the worker's writes wait longer).
PAGE_TIMEOUT_SECONDS = google.PAGE_TIMEOUT_SECONDS


@dataclass(frozen=True)
class Source:
    """One connection's busy calendars, as plain data (kept in cached booking pages)."""

    kind: str  # "google", "caldav" or "ics"
    id: int  # the connection (Google: the allauth account)
    user_id: int
    calendars: tuple[str, ...] = ()

    @property
    def live(self) -> bool:
        """Read from the provider when a page is computed (Google, CalDAV), not from Convene's copy."""
        return self.kind != "ics"


def sources_of(user: User | int) -> tuple[Source, ...]:
    """Every connection of the user that has calendars counting as busy. A user read with
    ``select_related("google_calendar")`` and ``prefetch_related("caldav_accounts",
    "ics_subscriptions")`` costs no query here."""
    if isinstance(user, int):
        user = with_connections(user)
    found: list[Source] = []
    google_source = google.BusySource.of(google_connection(user))
    if google_source is not None:
        found.append(Source("google", google_source.account_id, user.pk, google_source.calendars))
    for account in sorted(user.caldav_accounts.all(), key=lambda account: account.pk):
        if account.busy_calendars and not account.needs_reconnect:
            found.append(Source("caldav", account.pk, user.pk, tuple(account.busy_calendars)))
    for subscription in sorted(user.ics_subscriptions.all(), key=lambda subscription: subscription.pk):
        if subscription.busy:
            found.append(Source("ics", subscription.pk, user.pk))
    return tuple(found)


def with_connections(user_id: int) -> User:
    """The user with their calendar connections loaded (three queries)."""
    return (
        User.objects.select_related("google_calendar__account")
        .prefetch_related("caldav_accounts", "ics_subscriptions")
        .get(pk=user_id)
    )


def google_connection(user: User) -> GoogleCalendarConnection | None:
    """The Google connection of a user read by ``with_connections`` (no query)."""
    try:
        return user.google_calendar
    except GoogleCalendarConnection.DoesNotExist:
        return None


def connection_count(user: User) -> int:
    """How many calendar accounts and links the user connected (Google counts as one)."""
    return (
        GoogleCalendarConnection.objects.filter(user=user).count()
        + CalDAVAccount.objects.filter(user=user).count()
        + ICSSubscription.objects.filter(user=user).count()
    )


def needs_attention(user: User) -> bool:
    """Whether a connection has a problem the owner should see (a lost password, a failing link)."""
    return (
        GoogleCalendarConnection.objects.filter(user=user).exclude(problem="").exists()
        or CalDAVAccount.objects.filter(user=user).exclude(problem="").exists()
        or ICSSubscription.objects.filter(user=user).exclude(last_error="").exists()
    )


def busy(
    sources: tuple[Source, ...],
    start: datetime,
    end: datetime,
    *,
    fresh: bool = False,
    google_connection: GoogleCalendarConnection | None = None,
) -> Busy:
    """The busy times of every source overlapping [start, end), UTC, sorted and merged. A caller
    holding the owner's Google connection passes it: its ``problem`` then tells how Google answered."""
    found: Busy = []
    for source in sources:
        if source.kind == "google":
            found += google.busy_times(
                google.BusySource(source.user_id, source.id, source.calendars), start, end, fresh=fresh,
                connection=google_connection,
            )  # fmt: skip
        elif source.kind == "caldav":
            found += _caldav_busy(source, start, end, fresh=fresh)
        else:
            found += _ics_busy(source, start, end)
    return merge(found)


def merge(intervals: Busy) -> Busy:
    merged: Busy = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


# --- CalDAV -----------------------------------------------------------------------------------


def _whole_days(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    first = datetime.combine(start.astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
    last = datetime.combine(end.astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
    return first, last if last == end else last + timedelta(days=1)


def _caldav_busy(source: Source, start: datetime, end: datetime, *, fresh: bool) -> Busy:
    first, last = _whole_days(start, end)
    calendars = hashlib.sha1("\n".join(sorted(source.calendars)).encode()).hexdigest()[:12]
    version = versions.current(CALDAV, source.user_id)
    key = f"caldav-busy:v1:{source.id}:{version}:{calendars}:{first:%Y%m%d}:{last:%Y%m%d}"
    if not fresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    account = CalDAVAccount.objects.select_related("user").filter(pk=source.id).first()
    if account is None or account.needs_reconnect:
        return []
    try:
        found = caldav_busy_now(account, list(source.calendars), first, last)
    except caldav_gateway.CalDAVError as error:
        logger.warning("CalDAV busy times of account %s left out: %s", account.pk, error)
        record_problem(account, error)
        cache.set(key, [], FAILURE_BACKOFF_SECONDS)
        return []
    record_problem(account, None)
    cache.set(key, found, BUSY_CACHE_SECONDS)
    return found


def caldav_busy_now(account: CalDAVAccount, calendar_urls: list[str], start: datetime, end: datetime) -> Busy:
    """Ask the server now for the events of ``calendar_urls`` around [start, end) and read their busy
    times with the calendar apps' rules (busy_ical). Raises ``caldav_gateway.CalDAVError``."""
    gateway = open_caldav(account, timeout=PAGE_TIMEOUT_SECONDS)
    rules = busy_ical.Rules(owner_tz=account.user.timezone, owner_emails=owner_emails(account))
    documents: list[bytes] = []
    for url in calendar_urls:
        documents += gateway.events(url, start, end)
    found: Busy = []
    for document in documents:
        try:
            found += busy_ical.busy([document], start=start, end=end, rules=rules)
        except busy_ical.ParseError as error:
            logger.warning("A calendar object of CalDAV account %s was left out: %s", account.pk, error)
    return merge(found)


def open_caldav(account: CalDAVAccount, *, timeout: float = 15) -> caldav_gateway.CalDAVAccount:
    try:
        password = credentials.decrypt(account.password)
    except credentials.Unreadable:
        raise caldav_gateway.CalDAVAuthError(
            "Convene can no longer read the password it stored for this account (its keys changed). Connect again."
        ) from None
    return caldav_gateway.CalDAVAccount(
        account.principal_url or account.server_url, account.username, password, timeout=timeout
    )


def owner_emails(account: CalDAVAccount) -> frozenset[str]:
    """The addresses that are the owner when an invitation lists attendees."""
    addresses = {account.user.email, account.username if "@" in account.username else ""}
    return frozenset(address.lower() for address in addresses if address)


def record_problem(account: CalDAVAccount, error: caldav_gateway.CalDAVError | None) -> None:
    """Set or clear the owner's notice for a CalDAV account, in words."""
    if error is None:
        problem, message = CalDAVAccount.Problem.NONE, ""
    elif isinstance(error, caldav_gateway.CalDAVAuthError):
        problem, message = CalDAVAccount.Problem.RECONNECT, error.message
    elif error.retry:
        problem, message = CalDAVAccount.Problem.UNAVAILABLE, error.message
    else:
        problem, message = CalDAVAccount.Problem.REFUSED, error.message
    if (account.problem, account.last_error) == (problem, message):
        return
    account.problem, account.last_error = problem, message
    account.problem_at = timezone.now() if problem else None
    CalDAVAccount.objects.filter(pk=account.pk).update(
        problem=problem, last_error=message, problem_at=account.problem_at
    )


def forget_caldav_busy(user_id: int) -> None:
    """Drop cached CalDAV answers (the calendars that count changed, or a meeting was written)."""
    versions.bump(CALDAV, user_id)


# --- ICS links --------------------------------------------------------------------------------


def _ics_busy(source: Source, start: datetime, end: datetime) -> Busy:
    row = ICSSubscription.objects.filter(pk=source.id).values_list("intervals", flat=True).first()
    if not row:
        return []
    low, high = start.timestamp(), end.timestamp()
    # Sorted and disjoint: the first that could overlap ends after ``start``.
    index = bisect.bisect_right([interval[1] for interval in row], low)
    found: Busy = []
    for begin, finish in row[index:]:
        if begin >= high:
            break
        found.append((datetime.fromtimestamp(begin, UTC), datetime.fromtimestamp(finish, UTC)))
    return found


# --- The one calendar that receives meetings --------------------------------------------------


@dataclass(frozen=True)
class MeetingCalendar:
    kind: str  # "google" or "caldav"
    connection_id: int
    calendar: str  # the calendar's id (Google) or URL (CalDAV)
    name: str

    @property
    def choice(self) -> str:
        return f"{self.kind}:{self.connection_id}:{self.calendar}"


def meeting_calendar(user: User | int) -> MeetingCalendar | None:
    user_id = user if isinstance(user, int) else user.pk
    connection = GoogleCalendarConnection.objects.filter(user_id=user_id).exclude(target_calendar="").first()
    if connection is not None:
        return MeetingCalendar("google", connection.pk, connection.target_calendar, connection.target_name)
    account = CalDAVAccount.objects.filter(user_id=user_id).exclude(target_calendar="").first()
    if account is not None:
        return MeetingCalendar(
            "caldav", account.pk, account.target_calendar, account.calendar_name(account.target_calendar)
        )
    return None


def writable_calendars(user: User) -> list[MeetingCalendar]:
    """Every calendar that could receive meetings, across the user's connections."""
    found = []
    connection = google.connection_for(user)
    if connection is not None and not connection.needs_reconnect:
        for calendar in connection.calendars or [{"id": "primary", "summary": "Your main calendar", "writable": True}]:
            if calendar.get("writable"):
                found.append(MeetingCalendar("google", connection.pk, calendar["id"], f"Google: {calendar['summary']}"))
    for account in CalDAVAccount.objects.filter(user=user):
        for calendar in account.calendars:
            if calendar.get("writable"):
                found.append(
                    MeetingCalendar("caldav", account.pk, calendar["url"], f"{account.name}: {calendar['name']}")
                )
    return found


def set_meeting_calendar(user: User, choice: MeetingCalendar | None) -> None:
    """Make ``choice`` the one calendar that receives new meetings (None: none does). Rows are
    saved one by one, so what listens to them (the worker copying upcoming meetings there) hears."""
    with transaction.atomic():
        for connection in GoogleCalendarConnection.objects.filter(user=user).select_for_update():
            wanted = (
                choice.calendar if choice and choice.kind == "google" and choice.connection_id == connection.pk else ""
            )
            if connection.target_calendar != wanted:
                connection.target_calendar = wanted
                connection.save(update_fields=["target_calendar"])
        for account in CalDAVAccount.objects.filter(user=user).select_for_update():
            wanted = (
                choice.calendar if choice and choice.kind == "caldav" and choice.connection_id == account.pk else ""
            )
            if account.target_calendar != wanted:
                account.target_calendar = wanted
                account.save(update_fields=["target_calendar"])


# --- CalDAV accounts: connecting, choosing, disconnecting ------------------------------------


def connect_caldav(
    user: User, *, name: str, server_url: str, username: str, password: str, discovery: caldav_gateway.Discovery
) -> CalDAVAccount:
    """Keep an account whose discovery just succeeded; its first calendar counts as busy."""
    listed = _listed(discovery)
    return CalDAVAccount.objects.create(
        user=user,
        name=name,
        server_url=server_url,
        principal_url=discovery.principal_url,
        home_url=discovery.home_url,
        username=username,
        password=credentials.encrypt(password),
        calendars=listed,
        busy_calendars=[listed[0]["url"]] if listed else [],
    )


def _listed(discovery: caldav_gateway.Discovery) -> list[dict]:
    return [
        {"url": calendar.url, "name": calendar.name, "color": _colour(calendar.color), "writable": calendar.writable}
        for calendar in discovery.calendars
    ]


def _colour(value: str) -> str:
    """A calendar's colour as the server gives it, kept only if it is a plain #rrggbb(aa): it is
    written into a style attribute, and the server's text is not to be trusted there."""
    value = (value or "").strip()
    return value[:7] if re.fullmatch(r"#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?", value) else ""


def refresh_caldav_calendars(account: CalDAVAccount) -> None:
    """Read the account's calendar list again. Raises ``CalDAVError`` (the problem is recorded)."""
    try:
        discovery = open_caldav(account).discover()
    except caldav_gateway.CalDAVError as error:
        record_problem(account, error)
        raise
    account.calendars = _listed(discovery)
    known = {calendar["url"] for calendar in account.calendars}
    account.busy_calendars = [url for url in account.busy_calendars if url in known]
    account.principal_url, account.home_url = discovery.principal_url, discovery.home_url
    account.problem, account.problem_at, account.last_error = CalDAVAccount.Problem.NONE, None, ""
    account.save()
    forget_caldav_busy(account.user_id)


def reconnect_caldav(account: CalDAVAccount, password: str) -> None:
    """A new password for an account the server stopped accepting. Raises ``CalDAVError``."""
    discovery = caldav_gateway.CalDAVAccount(account.principal_url or account.server_url, account.username,
                                             password).discover()  # fmt: skip
    account.password = credentials.encrypt(password)
    account.calendars = _listed(discovery)
    account.problem, account.problem_at, account.last_error = CalDAVAccount.Problem.NONE, None, ""
    account.save()
    forget_caldav_busy(account.user_id)


def set_busy_calendars(account: CalDAVAccount, urls: list[str]) -> None:
    account.busy_calendars = urls
    account.save(update_fields=["busy_calendars"])
    forget_caldav_busy(account.user_id)


def disconnect_caldav(account: CalDAVAccount) -> None:
    """Forget the account and its password. Meetings already copied there stay there."""
    user_id = account.user_id
    account.delete()
    forget_caldav_busy(user_id)


# --- ICS links: subscribing and refreshing ---------------------------------------------------

ICS_PAST = timedelta(days=1)
ICS_AHEAD = timedelta(days=400)  # booking windows reach two years at most; most are weeks
ICS_REFRESH = timedelta(minutes=30)


def subscribe(user: User, url: str, name: str = "") -> ICSSubscription:
    """Fetch an ICS link now (the person sees at once what is wrong with it) and keep its busy
    times. Raises ``ics_feed.FeedError``; call it outside any transaction (it waits for the link)."""
    url = ics_feed.normalize_url(url)
    fetched = ics_feed.fetch(url)
    subscription = ICSSubscription(user=user, url=url, name=name or _name_of(url))
    _store(subscription, fetched, timezone.now())
    subscription.save()
    return subscription


def refresh(subscription: ICSSubscription, *, now: datetime | None = None) -> None:
    """Fetch the link again and keep its busy times, or the problem in words. The question is
    conditional (ETag, Last-Modified) unless the times must be expanded again: the owner moved
    to another timezone, or the year kept is a week shorter than it should be."""
    now = now or timezone.now()
    stale = subscription.expanded_tz != subscription.user.timezone or (
        subscription.expanded_until is None or subscription.expanded_until < now + ICS_AHEAD - timedelta(days=7)
    )
    try:
        fetched = ics_feed.fetch(
            subscription.url,
            etag="" if stale else subscription.etag,
            last_modified="" if stale else subscription.last_modified,
        )
    except ics_feed.FeedError as error:
        subscription.last_error, subscription.problem_at = error.message, now
        subscription.save(update_fields=["last_error", "problem_at"])
        logger.warning("ICS subscription %s not refreshed: %s", subscription.pk, error.message)
        return
    if fetched.not_modified and not subscription.last_error:
        # Nothing changed: no save, so booking pages keep what they computed from it.
        ICSSubscription.objects.filter(pk=subscription.pk).update(fetched_at=now)
        subscription.fetched_at = now
        return
    _store(subscription, fetched, now)
    subscription.save()


def _store(subscription: ICSSubscription, fetched: ics_feed.Fetched, now: datetime) -> None:
    subscription.fetched_at, subscription.last_error, subscription.problem_at = now, "", None
    if fetched.not_modified or fetched.body is None:
        return
    subscription.etag, subscription.last_modified = fetched.etag, fetched.last_modified
    start, end = now - ICS_PAST, now + ICS_AHEAD
    rules = busy_ical.Rules(
        owner_tz=subscription.user.timezone,
        owner_emails=frozenset({subscription.user.email.lower()} - {""}),
    )
    found = busy_ical.busy([fetched.document or fetched.body], start=start, end=end, rules=rules)
    subscription.intervals = [[begin.timestamp(), finish.timestamp()] for begin, finish in found]
    subscription.expanded_tz, subscription.expanded_from, subscription.expanded_until = (
        subscription.user.timezone, start, end,
    )  # fmt: skip


def _name_of(url: str) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "Calendar link")[:100]


def due_for_refresh(now: datetime):
    return ICSSubscription.objects.select_related("user").filter(
        models.Q(fetched_at__isnull=True) | models.Q(fetched_at__lt=now - ICS_REFRESH)
    )
