"""Keep Google Calendar copies in step with the owner's connection (scheduling/google_sync.py).

Meetings themselves are pushed by the workflows' on-commit step (scheduling/outbox.py), once per
Event and transaction, not by model signals.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from accounts.models import GoogleCalendarConnection
from scheduling import google_sync


def _connection_saved(sender, instance: GoogleCalendarConnection, **kwargs) -> None:
    from scheduling.tasks import push_upcoming_to_google

    google_sync.forget_pushes(instance.user_id)
    if instance.target_calendar and not instance.needs_reconnect:
        transaction.on_commit(partial(push_upcoming_to_google, instance.user_id))


def _connection_deleted(sender, instance: GoogleCalendarConnection, **kwargs) -> None:
    google_sync.forget_pushes(instance.user_id)


def connect() -> None:
    post_save.connect(_connection_saved, sender=GoogleCalendarConnection, dispatch_uid="google-push-connection")
    post_delete.connect(_connection_deleted, sender=GoogleCalendarConnection, dispatch_uid="google-push-disconnect")
