"""What a workflow changed, and the side effects that follow once it commits.

Every workflow that writes meetings (``book_slot``, ``reschedule_booking``, ``cancel_booking``,
``save_event``, ``finalize_poll``, ``respond``, ...) runs inside :func:`workflow`: one
transaction, plus a record of each meeting it touched, made with :func:`record`. When the
outermost workflow commits, one step turns the record into side effects:

* one calendar push per Event (Google Calendar), however many rows were saved;
* one email per recipient and meeting (``scheduling/notices.py`` asks the meeting's origin, so a
  booked meeting moved in the calendar gets the booking's emails), **written at once**, as the
  meeting is at this commit, and handed to the worker to deliver. A worker with a backlog must
  not tell a booker "Confirmed" with the time of a later change.

Webhooks (``accounts/webhooks.py``) are one more side effect: at the end of the outermost
workflow, still inside its transaction (the record is complete, and the deliveries commit with the
change), the **webhook describer** of each origin turns the changes into events for the owners'
endpoints. Describers are registered in ``AppConfig.ready`` (booking registers the one that makes
``booking.*`` events, ``booking/webhooks.py``); scheduling never imports the apps that register
them. Answers and finalizing are told by their own workflows (``events.respond``,
``finalize.finalize_poll``), which emit their events directly.

A transaction that rolls back sends nothing, and a workflow called by another adds to the
record of the outer one. Model signals are not used: a save is not a change someone must hear of.

Recording a change also moves the owner's calendar version (``CALENDAR``, accounts/versions.py),
which is part of the key of everything computed from their meetings (the free times cached for
booking pages): at once, and again when the change commits, since a page may read the old rows
in between.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import transaction

from accounts import versions, webhooks
from scheduling.models import Attendee, Event

logger = logging.getLogger(__name__)

CALENDAR = "calendar"


def calendar_changed(owner_id: int) -> None:
    """A new calendar version for the owner: now, and once the current transaction commits."""
    versions.bump(CALENDAR, owner_id)
    transaction.on_commit(lambda: versions.bump(CALENDAR, owner_id))


@dataclass
class Change:
    """What happened to one meeting in one transaction (plain data: it travels to the worker)."""

    event_id: int
    owner_id: int
    origin: str
    had_copy: bool = False  # a Google copy existed before the change
    had_caldav_copy: bool = False  # a CalDAV copy existed before the change
    created: bool = False
    # Time, place, title or recurrence changed: the attendees get an update (SEQUENCE raised).
    changed: bool = False
    cancelled: bool = False
    # Only the calendar copy must change (an occurrence split off to be edited on its own).
    synced: bool = False
    added: list[str] = field(default_factory=list)  # emails of attendees invited
    removed: list[tuple[str, str]] = field(default_factory=list)  # (email, name) of attendees taken off
    replied: list[str] = field(default_factory=list)  # emails of attendees who answered
    by: str = ""  # Event.By: who made the change
    context: dict[str, Any] = field(default_factory=dict)  # origin-specific (which booking, the reason)

    @property
    def calendar_push(self) -> bool:
        """Whether the meeting's copy in the owner's calendar must change (answers alone do not)."""
        return self.created or self.changed or self.cancelled or self.synced or bool(self.added or self.removed)

    @property
    def removed_emails(self) -> set[str]:
        return {email.lower() for email, _ in self.removed}

    @property
    def added_emails(self) -> set[str]:
        return {email.lower() for email in self.added}


class Batch:
    def __init__(self) -> None:
        self.changes: dict[int, Change] = {}
        self.owners: set[int] = set()  # whose calendar version moved

    def change_for(self, event: Event) -> Change:
        change = self.changes.get(event.pk)
        if change is None:
            change = self.changes[event.pk] = Change(
                event_id=event.pk,
                owner_id=event.owner_id,
                origin=event.origin,
                had_copy=bool(event.google_event_id),
                had_caldav_copy=bool(event.caldav_href or (event.series_id and event.series.caldav_href)),
            )
        return change


_current: contextvars.ContextVar[Batch | None] = contextvars.ContextVar("convene_outbox", default=None)


@contextmanager
def workflow(*, emails_before_commit: bool = False) -> Iterator[Batch]:
    """A transaction whose meeting changes are acted on once, after the outermost one commits.

    ``emails_before_commit``: the emails are written inside the transaction instead, as queued
    rows that commit with it: for a change whose meetings will be gone by the time it commits
    (an account deleted with them), so nothing would be left to write them from."""
    outer = _current.get()
    if outer is not None:
        with transaction.atomic():
            yield outer
        return
    batch = Batch()
    token = _current.set(batch)
    try:
        with transaction.atomic():
            yield batch
            if batch.changes:
                changes = list(batch.changes.values())
                describe(changes)
                if emails_before_commit:
                    from scheduling import notices

                    notices.send(changes)
                transaction.on_commit(partial(dispatch, changes, emails=not emails_before_commit))
    finally:
        _current.reset(token)


WebhookDescriber = Callable[[list[Change]], None]
_describers: dict[str, WebhookDescriber] = {}


def register_webhooks(origin: str, describer: WebhookDescriber) -> None:
    """``describer(changes)`` emits the webhook events of one transaction's changes to meetings of
    ``origin`` (``accounts.webhooks.emit``), inside that transaction."""
    _describers[origin] = describer


def describe(changes: list[Change]) -> None:
    """Hand each origin's changes to its webhook describer; nothing (one query) when none of the
    owners has an endpoint. A describer that fails costs its events, never the change."""
    by_origin: dict[str, list[Change]] = {}
    for change in changes:
        if change.origin in _describers:
            by_origin.setdefault(change.origin, []).append(change)
    if not by_origin or not webhooks.listening(change.owner_id for group in by_origin.values() for change in group):
        return
    for origin, group in by_origin.items():
        try:
            with transaction.atomic():  # a savepoint: a describer's failure never undoes the change
                _describers[origin](group)
        except Exception:
            logger.exception("Webhook events of %d %s change(s) not written", len(group), origin)


def record(
    event: Event,
    *,
    created: bool = False,
    changed: bool = False,
    cancelled: bool = False,
    synced: bool = False,
    added: Iterable[Attendee | str] = (),
    removed: Iterable[Attendee] = (),
    replied: Iterable[Attendee] = (),
    by: str = "",
    **context: Any,
) -> Change:
    """Note what a workflow did to ``event``; must run inside :func:`workflow`."""
    batch = _current.get()
    if batch is None:
        raise RuntimeError("outbox.record() outside outbox.workflow(): the change would never be acted on")
    added = list(added)
    if event.owner_id not in batch.owners:
        batch.owners.add(event.owner_id)
        calendar_changed(event.owner_id)
    if event.origin == Event.Origin.BOOKING:
        # A team booking is in its co-hosts' calendars too: their free times change with it.
        for host_id in event.attendees.filter(host__isnull=False).values_list("host_id", flat=True):
            if host_id not in batch.owners:
                batch.owners.add(host_id)
                calendar_changed(host_id)
    for attendee in added:
        host_id = getattr(attendee, "host_id", None)
        if host_id is not None and host_id not in batch.owners:
            batch.owners.add(host_id)
            calendar_changed(host_id)
    change = batch.change_for(event)
    change.created |= created
    change.changed |= changed
    change.cancelled |= cancelled
    change.synced |= synced
    for item in added:
        email = item if isinstance(item, str) else item.email
        if email.lower() not in change.added_emails:
            change.added.append(email)
        change.removed = [(e, n) for e, n in change.removed if e.lower() != email.lower()]
    for attendee in removed:
        if attendee.email.lower() in change.added_emails:
            # Invited and taken off again in one go: nobody heard of it.
            change.added = [e for e in change.added if e.lower() != attendee.email.lower()]
        elif attendee.email.lower() not in change.removed_emails:
            change.removed.append((attendee.email, attendee.name))
    for attendee in replied:
        if attendee.email.lower() not in {e.lower() for e in change.replied}:
            change.replied.append(attendee.email)
    change.by = by or change.by
    change.context.update(context)
    return change


def dispatch(changes: list[Change], *, emails: bool = True) -> None:
    """After commit: one calendar push per meeting that needs one (to each calendar that holds or
    should hold its copy: Google, CalDAV), and the emails (unless written before the commit),
    written now and delivered by the worker."""
    from scheduling import caldav_sync, google_sync, notices
    from scheduling.tasks import push_event_to_caldav, push_event_to_google, send_notices

    for change in changes:
        if not change.calendar_push:
            continue
        if change.had_copy or google_sync.pushes_meetings(change.owner_id):
            push_event_to_google(change.event_id)
        if change.had_caldav_copy or caldav_sync.pushes_meetings(change.owner_id):
            push_event_to_caldav(change.event_id)
    if not emails:
        return
    try:
        messages = notices.build(changes)
    except Exception:
        # The change is committed whatever happens here: rather than fail the request, the worker
        # writes these emails (later, but better than never) and the error is logged.
        logger.exception("Emails of %d meeting change(s) not written at commit; left to the worker", len(changes))
        send_notices(changes)
        return
    for message in messages:  # each queued on its own: one that fails is not sent twice by a retry
        try:
            message.send()
        except Exception:
            logger.exception("Email %r not queued", message.subject)
