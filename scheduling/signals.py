"""Keep meetings' copies in step with the owner's calendar connections (scheduling/google_sync.py,
scheduling/caldav_sync.py): a calendar that starts receiving meetings gets the upcoming ones. And
when an account is deleted, the people invited to its upcoming meetings are told they are off.

Meetings themselves are pushed by the workflows' on-commit step (scheduling/outbox.py), once per
Event and transaction, not by model signals.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from accounts.models import CalDAVAccount, GoogleCalendarConnection
from accounts.signals import deleting_account
from scheduling import caldav_sync, events, google_sync, occurrences, outbox
from scheduling.models import Event

# How far ahead a series is looked at for an occurrence still to come.
SERIES_HORIZON = timedelta(days=2 * 366)


def _connection_saved(sender, instance: GoogleCalendarConnection, **kwargs) -> None:
    from scheduling.tasks import push_upcoming_to_google

    google_sync.forget_pushes(instance.user_id)
    if instance.target_calendar and not instance.needs_reconnect:
        transaction.on_commit(partial(push_upcoming_to_google, instance.user_id))


def _connection_deleted(sender, instance: GoogleCalendarConnection, **kwargs) -> None:
    google_sync.forget_pushes(instance.user_id)


def _caldav_saved(sender, instance: CalDAVAccount, update_fields=None, **kwargs) -> None:
    from scheduling.tasks import push_upcoming_to_caldav

    caldav_sync.forget_pushes(instance.user_id)
    chosen_now = update_fields is None or "target_calendar" in update_fields
    if instance.target_calendar and chosen_now and not instance.needs_reconnect:
        transaction.on_commit(partial(push_upcoming_to_caldav, instance.user_id))


def _caldav_deleted(sender, instance: CalDAVAccount, **kwargs) -> None:
    caldav_sync.forget_pushes(instance.user_id)


def _cancel_upcoming_meetings(sender, user, **kwargs) -> None:
    """An account about to be deleted (accounts.signals.deleting_account) takes its meetings
    with it: everyone invited to one still to come (bookers and their guests, poll invitees,
    attendees) gets its cancellation, written now, since the meetings are gone once it commits.
    Edited occurrences go first: cancelling a series cancels them without a word of their own."""
    now = timezone.now()
    reason = f"{user.display_name} closed their Convene account."
    meetings = Event.objects.filter(owner=user, attendees__isnull=False).active().distinct()
    upcoming = [
        event
        for event in meetings.order_by("series_id", "pk")
        if (event.end > now if not event.rrule else occurrences.expand(event, now, now + SERIES_HORIZON))
    ]
    with outbox.workflow(emails_before_commit=True):
        for event in sorted(upcoming, key=lambda event: event.series_id is None):
            events.cancel_event(event=event, by=Event.By.OWNER, reason=reason)


def connect() -> None:
    deleting_account.connect(_cancel_upcoming_meetings, dispatch_uid="account-meetings-cancelled")
    post_save.connect(_connection_saved, sender=GoogleCalendarConnection, dispatch_uid="google-push-connection")
    post_delete.connect(_connection_deleted, sender=GoogleCalendarConnection, dispatch_uid="google-push-disconnect")
    post_save.connect(_caldav_saved, sender=CalDAVAccount, dispatch_uid="caldav-push-account")
    post_delete.connect(_caldav_deleted, sender=CalDAVAccount, dispatch_uid="caldav-push-disconnect")
