"""Keep Google Calendar copies in step with meetings (scheduling/google_sync.py)."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from accounts.models import GoogleCalendarConnection
from scheduling import google_sync
from scheduling.models import Attendee, Event


def _event_saved(sender, instance: Event, update_fields=None, **kwargs) -> None:
    from scheduling.tasks import push_event_to_google

    if update_fields is not None and google_sync.SYNCED_FIELDS.isdisjoint(update_fields):
        return
    if instance.google_event_id or google_sync.pushes_meetings(instance.owner_id):
        transaction.on_commit(partial(push_event_to_google, instance.pk))


def _attendees_changed(sender, instance: Attendee, created: bool = True, **kwargs) -> None:
    """A guest joined or left (a group booking's seats, say): the copy's guest list changes too.
    An RSVP (an update of an existing row) changes nothing in Google."""
    from scheduling.tasks import push_event_to_google

    if not created:
        return
    event = Event.objects.filter(pk=instance.event_id).values("owner_id", "google_event_id").first()
    if event and (event["google_event_id"] or google_sync.pushes_meetings(event["owner_id"])):
        transaction.on_commit(partial(push_event_to_google, instance.event_id))


def _connection_saved(sender, instance: GoogleCalendarConnection, **kwargs) -> None:
    from scheduling.tasks import push_upcoming_to_google

    google_sync.forget_pushes(instance.user_id)
    if instance.target_calendar and not instance.needs_reconnect:
        transaction.on_commit(partial(push_upcoming_to_google, instance.user_id))


def _connection_deleted(sender, instance: GoogleCalendarConnection, **kwargs) -> None:
    google_sync.forget_pushes(instance.user_id)


def connect() -> None:
    post_save.connect(_event_saved, sender=Event, dispatch_uid="google-push-event")
    post_save.connect(_attendees_changed, sender=Attendee, dispatch_uid="google-push-attendee-added")
    post_delete.connect(_attendees_changed, sender=Attendee, dispatch_uid="google-push-attendee-removed")
    post_save.connect(_connection_saved, sender=GoogleCalendarConnection, dispatch_uid="google-push-connection")
    post_delete.connect(_connection_deleted, sender=GoogleCalendarConnection, dispatch_uid="google-push-disconnect")
