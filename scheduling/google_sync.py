"""Copies of confirmed meetings in the owner's Google Calendar.

Every meeting is a ``scheduling.Event`` whatever its origin (booking, finalized poll, calendar), so
one path keeps Google in step: saving an Event queues ``push_event_to_google`` after commit
(``scheduling/signals.py``), and the task calls ``sync_event``, which creates, updates or deletes the
copy to match the Event as it is now. That makes a late, repeated or out-of-order task harmless.

The copy's id is derived from the Event's UID, so two tasks racing to create it, or a retry after a
timeout whose request did land, meet Google's 409 instead of making a second copy.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.utils import timezone

from accounts import google
from accounts.google_calendar import EventBody, GoogleAuthError, GoogleCalendarError, GoogleUnavailable
from accounts.models import GoogleCalendarConnection
from scheduling import outbox
from scheduling.models import Event

logger = logging.getLogger(__name__)

# Saving any of these changes what the Google copy shows.
SYNCED_FIELDS = frozenset(
    {"title", "description", "location", "start", "end", "all_day", "timezone", "rrule", "exdates", "status"}
)
PUSHES_CACHE_SECONDS = 300


def google_id_for(event: Event) -> str:
    # Google event ids use base32hex (0-9, a-v): hex digits qualify.
    return "cv" + hashlib.sha1(event.uid.encode()).hexdigest()


def pushes_meetings(owner_id: int) -> bool:
    """Whether the owner has a calendar that receives meetings (cached: asked on every Event save)."""
    key = f"google-pushes:v1:{owner_id}"
    answer = cache.get(key)
    if answer is None:
        answer = GoogleCalendarConnection.objects.filter(user_id=owner_id).exclude(target_calendar="").exists()
        cache.set(key, answer, PUSHES_CACHE_SECONDS)
    return answer


def forget_pushes(owner_id: int) -> None:
    cache.delete(f"google-pushes:v1:{owner_id}")


def event_body(event: Event) -> EventBody:
    manage = f"Open in Convene: {settings.SITE_URL}{event.get_absolute_url()}"
    recurrence: tuple[str, ...] = ()
    if event.rrule:
        recurrence = (f"RRULE:{event.rrule}", *_exdate_lines(event))
    return EventBody(
        summary=event.title,
        start=event.start,
        end=event.end,
        timezone=event.timezone,
        description="\n\n".join(part for part in (event.description.strip(), manage) if part),
        location=event.location,
        attendees=tuple((attendee.email, attendee.name) for attendee in event.attendees.all()),
        # A detached occurrence is its own Google event; the series already holds the UID there.
        ical_uid=event.uid if event.series_id is None else None,
        all_day=event.all_day,
        recurrence=recurrence,
    )


def _exdate_lines(event: Event) -> list[str]:
    moments = event.exception_starts
    if event.all_day:
        zone = ZoneInfo(event.timezone)
        return [f"EXDATE;VALUE=DATE:{moment.astimezone(zone):%Y%m%d}" for moment in moments]
    return [f"EXDATE:{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}" for moment in moments]


def upcoming_to_sync(owner_id: int, now: datetime):
    """Meetings still to come whose Google copy may be missing or out of date: those made, changed or
    cancelled while Google could not be reached or was disconnected. Updating a copy that is
    already current changes nothing, so all of them are synced."""
    upcoming = Event.objects.filter(owner_id=owner_id).filter(models.Q(end__gte=now) | ~models.Q(rrule=""))
    return (
        upcoming.filter(models.Q(status=Event.Status.CONFIRMED) | ~models.Q(google_event_id=""))
        .order_by("start")
        .values_list("pk", flat=True)
    )


def out_of_step(owner_id: int, now: datetime):
    """Upcoming meetings changed since Google last matched them (a push that ran out of retries)."""
    return upcoming_to_sync(owner_id, now).filter(
        models.Q(google_synced_at__isnull=True) | models.Q(updated_at__gt=models.F("google_synced_at"))
    )


def connections_to_repair():
    """Connections whose calendar receives meetings and still accepts our access."""
    return (
        GoogleCalendarConnection.objects.select_related("account")
        .exclude(target_calendar="")
        .exclude(problem=GoogleCalendarConnection.Problem.RECONNECT)
    )


def sync_event(event_id: int, *, connection: GoogleCalendarConnection | None = None) -> None:
    """Make the Google copy match the Event. Raises ``GoogleUnavailable`` for the task to retry;
    other failures are recorded on the connection (the owner sees a notice) and logged. Batches
    pass the owner's ``connection`` so it is read once."""
    event = Event.objects.select_related("owner").prefetch_related("attendees").filter(pk=event_id).first()
    if event is None:
        return
    connection = connection or google.connection_for(event.owner_id)
    if connection is None or connection.needs_reconnect:
        return
    try:
        if event.status == Event.Status.CANCELLED:
            _delete_copies(connection, event)
        elif event.google_event_id:
            _update_copy(connection, event)
        elif connection.target_calendar:
            _create_copy(connection, event, connection.target_calendar)
        Event.objects.filter(pk=event.pk).update(google_synced_at=timezone.now())
    except GoogleUnavailable:
        raise
    except GoogleAuthError as error:
        logger.warning("Meeting %s not copied to Google, the owner must reconnect: %s", event.pk, error)
    except GoogleCalendarError as error:
        logger.error("Meeting %s could not be copied to Google: %s", event.pk, error)


def _create_copy(connection: GoogleCalendarConnection, event: Event, calendar_id: str) -> None:
    with google.google_calendar(connection) as calendar:
        google_id = calendar.insert_event(calendar_id, event_body(event), event_id=google_id_for(event))
    # update(): saving through the model would queue another push.
    Event.objects.filter(pk=event.pk).update(google_event_id=google_id, google_calendar_id=calendar_id)
    outbox.calendar_changed(event.owner_id)  # pages now cut this copy out of Google's busy times
    event.google_event_id, event.google_calendar_id = google_id, calendar_id
    if Event.objects.filter(pk=event.pk, status=Event.Status.CANCELLED).exists():
        # Cancelled while we were creating it: that push saw no copy to delete.
        _delete_copies(connection, event)


def _update_copy(connection: GoogleCalendarConnection, event: Event) -> None:
    try:
        with google.google_calendar(connection) as calendar:
            calendar.update_event(event.google_calendar_id, event.google_event_id, event_body(event))
    except GoogleCalendarError as error:
        if error.status not in (404, 410) or not connection.target_calendar:
            raise
        # The copy was deleted in Google (or the calendar is gone): the meeting still stands.
        _create_copy(connection, event, connection.target_calendar)


def _delete_copies(connection: GoogleCalendarConnection, event: Event) -> None:
    """Delete the copy of a cancelled meeting, and of its detached occurrences (cancelled with it)."""
    copies = [event, *event.exceptions.exclude(google_event_id="")] if event.series_id is None else [event]
    with google.google_calendar(connection) as calendar:
        for copy in copies:
            if copy.google_event_id:
                calendar.delete_event(copy.google_calendar_id, copy.google_event_id)
                Event.objects.filter(pk=copy.pk).update(google_event_id="", google_calendar_id="")
                outbox.calendar_changed(copy.owner_id)
