"""Who hears of a change to a meeting, and in whose words: one email per recipient and meeting.

``send`` runs in the worker with the changes of one transaction (``scheduling/outbox.py``). It
works out, per meeting, who was invited, who must be told of an update, who of a cancellation
and who was taken off, then asks the **composer** of the meeting's origin for the messages. The
calendar's composer (``scheduling/emails.py``) writes calendar invitations; booking registers its
own (``booking/emails.py``), so a booked meeting edited in the calendar still reaches its booker as
a booking email with their manage link. Composers are registered in ``AppConfig.ready``;
scheduling never imports the apps that register them.

Answers (RSVPs, proposed times) are not told here: the organiser hears of them as they chose, at
once or in the daily digest (``scheduling/activity.py``, called by ``events.respond``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from django.core.mail import EmailMessage

from scheduling import recipients
from scheduling.models import Attendee, Event
from scheduling.outbox import Change

logger = logging.getLogger(__name__)


@dataclass
class Notice:
    """One meeting's change, with the people it concerns (``event`` is loaded with its owner,
    attendees and series)."""

    event: Event
    change: Change
    invited: list[Attendee] = field(default_factory=list)
    updated: list[Attendee] = field(default_factory=list)
    cancelled: list[Attendee] = field(default_factory=list)  # the meeting is off for them
    removed: list[tuple[str, str]] = field(default_factory=list)  # (email, name) no longer attendees


class Composer(Protocol):
    def messages(self, notices: list[Notice]) -> list[EmailMessage]: ...

    def reminder(self, event: Event, start: datetime) -> list[EmailMessage]: ...


_composers: dict[str, Composer] = {}


def register(origin: str, composer: Composer) -> None:
    _composers[origin] = composer


def composer_for(origin: str) -> Composer:
    return _composers.get(origin) or _composers[Event.Origin.MANUAL]


def load(event_ids: list[int]) -> dict[int, Event]:
    events = (
        Event.objects.select_related("owner", "poll", "series__owner")
        .prefetch_related("attendees", "exceptions__attendees", "series__attendees", "series__exceptions__attendees")
        .filter(pk__in=event_ids)
    )
    return {event.pk: event for event in events}


def notice_for(event: Event, change: Change) -> Notice:
    attendees = list(event.attendees.all())
    current = {attendee.email.lower() for attendee in attendees}
    notice = Notice(
        event=event,
        change=change,
        removed=[(email, name) for email, name in change.removed if email.lower() not in current],
    )
    if event.is_cancelled:
        if change.cancelled:
            notice.cancelled = attendees
        return notice
    added = change.added_emails
    notice.invited = [a for a in attendees if change.created or a.email.lower() in added]
    if change.changed:
        notice.updated = [a for a in attendees if a not in notice.invited]
    return notice


def send(changes: list[Change]) -> int:
    """Build every message first, then send them: a failure while building sends nothing (and
    the task's retry starts over), instead of half the recipients hearing twice."""
    messages = build(changes)
    for message in messages:
        message.send()
    return len(messages)


def build(changes: list[Change]) -> list[EmailMessage]:
    """Every message the changes call for, one per recipient and meeting (nothing sent)."""
    events = load([change.event_id for change in changes])
    by_origin: dict[str, list[Notice]] = defaultdict(list)
    for change in changes:
        event = events.get(change.event_id)
        if event is None:  # deleted with its owner before the worker got to it
            continue
        by_origin[event.origin].append(notice_for(event, change))
    addresses = [
        email
        for notices in by_origin.values()
        for notice in notices
        for email in (*(a.email for a in notice.event.attendees.all()), *(e for e, _ in notice.removed))
    ]
    messages: list[EmailMessage] = []
    with recipients.users_at(addresses):  # whose account each reader has: one query for them all
        for origin, notices in by_origin.items():
            messages += composer_for(origin).messages(notices)
    return messages
