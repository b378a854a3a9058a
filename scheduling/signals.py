"""Keep meetings' copies in step with the owner's calendar connections (scheduling/google_sync.py,
scheduling/caldav_sync.py): a calendar that starts receiving meetings gets the upcoming ones.

Meetings themselves are pushed by the workflows' on-commit step (scheduling/outbox.py), once per
Event and transaction, not by model signals.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from accounts.models import CalDAVAccount, GoogleCalendarConnection
from scheduling import caldav_sync, google_sync


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


def connect() -> None:
    post_save.connect(_connection_saved, sender=GoogleCalendarConnection, dispatch_uid="google-push-connection")
    post_delete.connect(_connection_deleted, sender=GoogleCalendarConnection, dispatch_uid="google-push-disconnect")
    post_save.connect(_caldav_saved, sender=CalDAVAccount, dispatch_uid="caldav-push-account")
    post_delete.connect(_caldav_deleted, sender=CalDAVAccount, dispatch_uid="caldav-push-disconnect")
