"""Google Calendar for a Convene user: connecting, the stored grant, busy times, problems.

``accounts/google_calendar.py`` talks to Google on plain data; this module feeds it the user's
allauth token (saving refreshed ones back), remembers what went wrong so the owner sees a notice,
and caches free/busy answers so a busy booking page does not call Google per request.

Nothing here lets a Google failure escape into a page: reads degrade to "no busy times" with a
logged warning and a notice; writes happen in tasks (scheduling/google_sync.py) that retry.
"""

from __future__ import annotations

import hashlib
import logging
import time as clock
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import httplib2
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts import versions
from accounts.emails import compose
from accounts.google_calendar import (
    SCOPES,
    GoogleAuthError,
    GoogleCalendar,
    GoogleCalendarError,
    GooglePermissionError,
    GoogleUnavailable,
    TokenData,
)
from accounts.models import GoogleCalendarConnection, User

logger = logging.getLogger(__name__)

PROVIDER = "google"
# Marks an allauth round trip as "connect the calendar" rather than "sign in" (accounts/signals.py).
CONNECT_STATE = {"google_calendar": True}
# Sign-in asks for these; connecting the calendar adds ``SCOPES``.
SIGN_IN_SCOPES = ("openid", "email", "profile")
# Free/busy answers are reused this long: long enough that a popular booking page asks Google about
# once a minute and a half per owner and range, short enough that a new meeting soon blocks the time.
BUSY_CACHE_SECONDS = 90
# After a failure, pages stop asking Google for this long (each try could wait for a timeout).
FAILURE_BACKOFF_SECONDS = 60
# A person is waiting while pages read free/busy: one quick try, no retries.
PAGE_TIMEOUT_SECONDS = 4
Busy = list[tuple[datetime, datetime]]


def http_for_google(timeout: float) -> httplib2.Http:
    """The HTTP client every Google call goes through (tests put a fake Google here)."""
    return httplib2.Http(timeout=timeout)


def pause(seconds: float) -> None:
    """The wait between retries (tests make it instant)."""
    clock.sleep(seconds)


def connection_for(user: User | int) -> GoogleCalendarConnection | None:
    user_id = user if isinstance(user, int) else user.pk
    return GoogleCalendarConnection.objects.select_related("account").filter(user_id=user_id).first()


# --- Connecting -------------------------------------------------------------------------------


def configured() -> bool:
    """Whether this server has a Google OAuth client (GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET)."""
    return bool(settings.SOCIALACCOUNT_PROVIDERS.get(PROVIDER, {}).get("APPS"))


def connect_from_login(user: User, account: SocialAccount) -> GoogleCalendarConnection | None:
    """Called once allauth stored the token of a "Connect Google Calendar" round trip.

    A new connection starts with the primary calendar as both busy source and meeting target, which is
    what nearly everyone wants; reconnecting keeps the choices and clears the problem. Returns None when
    Google gave no refresh token (the app could not work while the user is away).
    """
    token = _token_of(account)
    if token is None or not token.token_secret:
        logger.warning("Google Calendar connect for user %s returned no refresh token", user.pk)
        return None
    connection, created = GoogleCalendarConnection.objects.get_or_create(
        user=user,
        defaults={"account": account, "busy_calendars": ["primary"], "target_calendar": "primary"},
    )
    if not created:
        if connection.account_id != account.pk:
            # Another Google account: the old one's calendars mean nothing to it.
            connection.busy_calendars, connection.target_calendar, connection.calendars = ["primary"], "primary", []
        connection.account = account
        connection.problem, connection.problem_at = GoogleCalendarConnection.Problem.NONE, None
        connection.save()
    forget_busy(user.pk)
    return connection


def revoker(connection: GoogleCalendarConnection) -> Callable[[], None]:
    """What revokes the grant at Google later, once the account it belongs to is gone: the token
    is read now, the call is made when asked (after the deletion commits; best effort)."""
    token = _token_of(connection.account)
    data = _token_data(token) if token is not None else None

    def revoke() -> None:
        if data is None:
            return
        try:
            GoogleCalendar(data, http=http_for_google(PAGE_TIMEOUT_SECONDS), retries=0).revoke()
        except Exception:  # the account is gone either way; Google forgets unused grants
            logger.warning("Could not revoke the Google grant of a deleted account", exc_info=True)

    return revoke


def disconnect(connection: GoogleCalendarConnection) -> None:
    """Revoke the grant at Google (best effort, before any transaction) and forget the tokens.

    The Google account stays linked for signing in; the copies of meetings already in Google stay
    there (they are the owner's calendar entries now).
    """
    token = _token_of(connection.account)
    if token is not None:
        GoogleCalendar(_token_data(token), http=http_for_google(PAGE_TIMEOUT_SECONDS), retries=0).revoke()
    with transaction.atomic():
        SocialToken.objects.filter(account=connection.account).delete()
        connection.delete()
    forget_busy(connection.user_id)


# --- Calling Google ---------------------------------------------------------------------------


def _token_of(account: SocialAccount) -> SocialToken | None:
    return SocialToken.objects.filter(account=account).order_by("-pk").first()


def _token_data(token: SocialToken) -> TokenData:
    app = settings.SOCIALACCOUNT_PROVIDERS.get(PROVIDER, {}).get("APPS", [{}])[0]
    return TokenData(
        access_token=token.token,
        refresh_token=token.token_secret or None,
        expires_at=token.expires_at,
        client_id=app.get("client_id", ""),
        client_secret=app.get("secret", ""),
    )


@contextmanager
def google_calendar(
    connection: GoogleCalendarConnection, *, retries: int = 3, timeout: float = 10
) -> Iterator[GoogleCalendar]:
    """The connection's Google Calendar for a few calls: refreshed tokens are saved afterwards, and
    the outcome sets or clears the owner's notice. Errors are re-raised for the caller to handle."""
    token = _token_of(connection.account)
    if token is None:
        _record(connection, GoogleCalendarConnection.Problem.RECONNECT)
        raise GoogleAuthError("No Google token is stored: connect Google Calendar again.")
    calendar = GoogleCalendar(
        _token_data(token), http=http_for_google(timeout), retries=retries, timeout=timeout, sleep=pause
    )
    try:
        yield calendar
    except GoogleAuthError:
        _record(connection, GoogleCalendarConnection.Problem.RECONNECT)
        raise
    except GooglePermissionError:
        _record(connection, GoogleCalendarConnection.Problem.PERMISSION)
        raise
    except GoogleUnavailable:
        _record(connection, GoogleCalendarConnection.Problem.UNAVAILABLE)
        raise
    else:
        _record(connection, GoogleCalendarConnection.Problem.NONE)
    finally:
        refreshed = calendar.refreshed_token
        if refreshed is not None:
            SocialToken.objects.filter(pk=token.pk).update(
                token=refreshed.access_token,
                token_secret=refreshed.refresh_token or token.token_secret,
                expires_at=refreshed.expires_at,
            )


def _record(connection: GoogleCalendarConnection, problem: str) -> None:
    """Set or clear the owner's notice. A dead grant stays flagged until the owner reconnects: a
    passing outage must not hide it."""
    if connection.problem == problem:
        return
    if connection.problem == GoogleCalendarConnection.Problem.RECONNECT and problem:
        return
    connection.problem, connection.problem_at = problem, timezone.now() if problem else None
    rows = GoogleCalendarConnection.objects.filter(pk=connection.pk).exclude(problem=problem)
    if problem:
        # Another process may have seen the grant die: only reconnecting clears that.
        rows = rows.exclude(problem=GoogleCalendarConnection.Problem.RECONNECT)
    changed = rows.update(problem=connection.problem, problem_at=connection.problem_at)
    # Once per lost grant (the conditional update lets only one process through), tell the owner.
    if changed and problem == GoogleCalendarConnection.Problem.RECONNECT and connection.user.email:
        compose(
            subject="Reconnect Google Calendar to Convene",
            template="accounts/email/google_reconnect",
            context={"user": connection.user},
            to=[connection.user.email],
        ).send()


def refresh_calendar_list(connection: GoogleCalendarConnection) -> bool:
    """Read the calendar list into the connection; False (with the notice set) if Google failed.

    "primary" stands for the main calendar until its real id is known.
    """
    try:
        with google_calendar(connection, retries=0, timeout=PAGE_TIMEOUT_SECONDS) as calendar:
            found = calendar.calendars()
    except GoogleCalendarError as error:
        logger.warning("Could not read the calendar list of user %s: %s", connection.user_id, error)
        return False
    primary = next((entry.id for entry in found if entry.primary), "primary")
    connection.calendars = [
        {"id": entry.id, "summary": entry.summary, "primary": entry.primary, "writable": entry.writable}
        for entry in sorted(found, key=lambda entry: (not entry.primary, entry.summary.lower()))
    ]
    connection.busy_calendars = [primary if item == "primary" else item for item in connection.busy_calendars]
    if connection.target_calendar == "primary":
        connection.target_calendar = primary
    connection.save(update_fields=["calendars", "busy_calendars", "target_calendar"])
    return True


# --- Busy times -------------------------------------------------------------------------------

BUSY = "google-busy"


@dataclass(frozen=True)
class BusySource:
    """What reading an owner's Google busy times needs, as plain data (kept in cached booking
    pages): the owner, the Google account and the calendars that count."""

    user_id: int
    account_id: int
    calendars: tuple[str, ...]

    @classmethod
    def of(cls, connection: GoogleCalendarConnection | None) -> BusySource | None:
        """The connection's busy source, or None when nothing is to be read (no calendar ticked, or
        a dead grant)."""
        if connection is None or not connection.busy_calendars or connection.needs_reconnect:
            return None
        return cls(connection.user_id, connection.account_id, tuple(connection.busy_calendars))


def _busy_key(source: BusySource, start: datetime, end: datetime) -> str:
    # The chosen calendars are part of the key: a page holding an older copy of the connection
    # must not cache its answer where the new choice would read it.
    calendars = hashlib.sha1("\n".join(sorted(source.calendars)).encode()).hexdigest()[:12]
    version = versions.current(BUSY, source.user_id)
    days = f"{start:%Y%m%d}:{end:%Y%m%d}"
    return f"google-busy:v2:{source.user_id}:{version}:{source.account_id}:{calendars}:{days}"


def _whole_days(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """Widen to whole UTC days, so bookers in every timezone share the cached answers."""
    first = datetime.combine(start.astimezone(UTC).date(), time(0), tzinfo=UTC)
    last = datetime.combine(end.astimezone(UTC).date(), time(0), tzinfo=UTC)
    return first, last if last == end else last + timedelta(days=1)


def busy_times(
    source: BusySource | None,
    start: datetime,
    end: datetime,
    *,
    fresh: bool = False,
    connection: GoogleCalendarConnection | None = None,
) -> Busy:
    """Busy intervals in the source's calendars overlapping [start, end), UTC, merged.

    Google is asked through ``connection`` when the caller holds it (its ``problem`` then tells
    how the call went), else through the owner's connection read now.

    Cached for ``BUSY_CACHE_SECONDS``; ``fresh`` asks Google now (right before a booking is written).
    If Google fails, the answer is "nothing busy": the app's own meetings still block, a warning is
    logged, the owner sees a notice, and pages stop asking Google for ``FAILURE_BACKOFF_SECONDS``.
    """
    if source is None:
        return []
    first, last = _whole_days(start, end)
    key = _busy_key(source, first, last)
    if not fresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    connection = connection or connection_for(source.user_id)
    if connection is None or connection.account_id != source.account_id or connection.needs_reconnect:
        return []  # disconnected or reconnected since the caller read it
    try:
        with google_calendar(connection, retries=0, timeout=PAGE_TIMEOUT_SECONDS) as calendar:
            busy = calendar.busy(list(source.calendars), first, last)
    except GoogleCalendarError as error:
        logger.warning("Google busy times of user %s left out: %s", connection.user_id, error)
        cache.set(key, [], FAILURE_BACKOFF_SECONDS)
        return []
    cache.set(key, busy, BUSY_CACHE_SECONDS)
    return busy


def forget_busy(user_id: int) -> None:
    """Drop cached free/busy answers after the owner changed which calendars count."""
    versions.bump(BUSY, user_id)


def subtract(busy: Busy, holes: Busy) -> Busy:
    """``busy`` (sorted, merged) with the ``holes`` cut out, in one sweep over both."""
    holes = sorted(holes)
    result: Busy = []
    first = 0
    for start, end in busy:
        while first < len(holes) and holes[first][1] <= start:
            first += 1
        cursor = start
        for hole_start, hole_end in holes[first:]:
            if hole_start >= end:
                break
            if hole_start > cursor:
                result.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
        if cursor < end:
            result.append((cursor, end))
    return result


def connect_scopes() -> list[str]:
    return [*SIGN_IN_SCOPES, *SCOPES]
