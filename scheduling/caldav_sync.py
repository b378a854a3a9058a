"""Copies of confirmed meetings in the owner's CalDAV calendar (the one chosen to receive new
meetings on the Calendars page).

Like the Google copies (scheduling/google_sync.py), one task brings the copy in step with the
Event as it is now: it creates it, updates it or deletes it, so a late, repeated or out-of-order
task is harmless. The resource is named from the meeting's UID, and every write is conditional on
the ETag Convene last saw, so a retried create updates instead of duplicating.

The copy is the owner's own: no ATTENDEE (a server doing implicit scheduling would otherwise
email the attendees a second invitation), the people are named in the description. A series is
one resource holding its master and the occurrences edited on their own.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.utils import timezone

from accounts import caldav_gateway, calendars
from accounts.models import CalDAVAccount
from scheduling import ical, ics, outbox
from scheduling.models import Event

logger = logging.getLogger(__name__)

PUSHES_CACHE_SECONDS = 300


def pushes_meetings(owner_id: int) -> bool:
    """Whether one of the owner's CalDAV calendars receives meetings (cached: asked on every change)."""
    key = f"caldav-pushes:v1:{owner_id}"
    answer = cache.get(key)
    if answer is None:
        answer = CalDAVAccount.objects.filter(user_id=owner_id).exclude(target_calendar="").exists()
        cache.set(key, answer, PUSHES_CACHE_SECONDS)
    return answer


def forget_pushes(owner_id: int) -> None:
    cache.delete(f"caldav-pushes:v1:{owner_id}")


def document(master: Event) -> bytes:
    """The owner's copy of a meeting (with its edited occurrences) as one calendar object."""
    with_whom = ", ".join(
        f"{attendee.name} <{attendee.email}>" if attendee.name else attendee.email
        for attendee in master.attendees.all()
    )
    manage = f"Open in Convene: {settings.SITE_URL}{master.get_absolute_url()}"
    description = "\n\n".join(
        part for part in (master.description.strip(), f"With: {with_whom}" if with_whom else "", manage) if part
    )
    return ics.build(ical.components(master, with_attendees=False, description=description))


def sync_event(event_id: int) -> None:
    """Make the CalDAV copy match the Event (its series, for an edited occurrence). Raises
    ``CalDAVError`` with ``retry`` for the task to try again; other failures are shown to the
    owner on the Calendars page and logged."""
    event = Event.objects.select_related("series").filter(pk=event_id).first()
    if event is None:
        return
    master = (
        Event.objects.select_related("owner", "caldav_account")
        .prefetch_related("attendees", "exceptions")
        .get(pk=ical.root(event).pk)
    )
    if master.is_cancelled and not master.caldav_href:
        return  # never copied: nothing to delete
    account = master.caldav_account if master.caldav_href else _target_account(master.owner_id)
    if account is None or account.needs_reconnect:
        return
    try:
        gateway = calendars.open_caldav(account)
        if master.is_cancelled:
            _delete(gateway, master)
            _saved(master, account=None, href="", etag="")
        else:
            calendar_url = _collection_of(master.caldav_href) if master.caldav_href else account.target_calendar
            href, etag = _put(gateway, calendar_url, master)
            _saved(master, account=account, href=href, etag=etag)
    except caldav_gateway.CalDAVError as error:
        calendars.record_problem(account, error)
        if error.retry:
            raise
        logger.error("Meeting %s could not be copied to CalDAV account %s: %s", master.pk, account.pk, error)
        return
    calendars.record_problem(account, None)


def _put(gateway: caldav_gateway.CalDAVAccount, calendar_url: str, master: Event) -> tuple[str, str]:
    body = document(master)
    try:
        return gateway.put(calendar_url, master.uid, body, etag=master.caldav_etag or None)
    except caldav_gateway.CalDAVConflict:
        # The copy was changed in the owner's calendar app since Convene wrote it: the meeting is
        # Convene's, so its copy is written again as it is.
        logger.info("The CalDAV copy of meeting %s changed on the server; writing it again", master.pk)
        return gateway.put(calendar_url, master.uid, body, etag=None)


def _delete(gateway: caldav_gateway.CalDAVAccount, master: Event) -> None:
    try:
        gateway.delete(master.caldav_href, etag=master.caldav_etag or None)
    except caldav_gateway.CalDAVConflict:
        # Changed in the owner's calendar app since: the meeting is cancelled all the same.
        gateway.delete(master.caldav_href, etag=None)


def _saved(master: Event, *, account: CalDAVAccount | None, href: str, etag: str) -> None:
    # update(): saving through the model would record another change.
    Event.objects.filter(pk=master.pk).update(
        caldav_account=account, caldav_href=href, caldav_etag=etag, caldav_synced_at=timezone.now()
    )
    outbox.calendar_changed(master.owner_id)  # booking pages cut this copy out of the CalDAV busy times
    calendars.forget_caldav_busy(master.owner_id)


def _collection_of(href: str) -> str:
    return href.rsplit("/", 1)[0] + "/"


def owners_to_repair():
    """Owners whose CalDAV calendar receives meetings and still accepts our password."""
    return (
        CalDAVAccount.objects.exclude(target_calendar="")
        .exclude(problem=CalDAVAccount.Problem.RECONNECT)
        .values_list("user_id", flat=True)
    )


def _target_account(owner_id: int) -> CalDAVAccount | None:
    return CalDAVAccount.objects.filter(user_id=owner_id).exclude(target_calendar="").first()


def upcoming_to_sync(owner_id: int, now):
    """Meetings still to come (series whole) whose copy may be missing or out of date: when a
    calendar starts receiving meetings, and for the hourly repair."""
    upcoming = Event.objects.filter(owner_id=owner_id, series__isnull=True).filter(
        models.Q(end__gte=now) | ~models.Q(rrule="")
    )
    return (
        upcoming.filter(models.Q(status=Event.Status.CONFIRMED) | ~models.Q(caldav_href=""))
        .order_by("start")
        .values_list("pk", flat=True)
    )


def out_of_step(owner_id: int, now):
    return upcoming_to_sync(owner_id, now).filter(
        models.Q(caldav_synced_at__isnull=True) | models.Q(updated_at__gt=models.F("caldav_synced_at"))
    )
