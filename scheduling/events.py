"""Calendar event workflows: save, cancel, RSVP, proposals.

Each records what it did (``scheduling/outbox.py``); after commit, attendees hear what concerns
them: an invitation when added, an update (same UID, higher SEQUENCE) when the time, place or
recurrence changes, a cancellation when removed or when the event is deleted. The meeting's
origin decides the words: a booked meeting moved here reaches its booker as a booking email.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError
from django.utils import timezone

from accounts import webhooks
from scheduling import activity, outbox
from scheduling.models import Attendee, Event, TimeProposal

logger = logging.getLogger(__name__)

# A change to any of these is one attendees must see: SEQUENCE goes up and they get an update.
ATTENDEE_VISIBLE = ("start", "end", "all_day", "timezone", "location", "title", "description", "rrule")


class MeetingOverlaps(Exception):
    """PostgreSQL refused the change: booked meetings of one host never overlap."""


def save_event(*, event: Event, attendees: list[tuple[str, str]]) -> Event:
    """Create or update an event and its attendee list (name, email)."""
    try:
        with outbox.workflow():
            created = event.pk is None
            before = None if created else Event.objects.filter(pk=event.pk).values(*ATTENDEE_VISIBLE).first()
            changed = before is not None and any(before[name] != getattr(event, name) for name in ATTENDEE_VISIBLE)
            current = {} if created else {attendee.email.lower(): attendee for attendee in event.attendees.all()}
            wanted = {email.lower(): (name, email) for name, email in attendees}
            removed = [attendee for key, attendee in current.items() if key not in wanted]
            if changed or removed:
                event.sequence += 1  # also for a removed attendee's CANCEL
            event.save()
            added = [
                Attendee.objects.create(event=event, name=name, email=email)
                for key, (name, email) in wanted.items()
                if key not in current
            ]
            for attendee in removed:
                attendee.delete()
            outbox.record(event, created=created, changed=changed, added=added, removed=removed, by=Event.By.OWNER)
    except IntegrityError as error:
        raise MeetingOverlaps from error
    logger.info("Saved: event %s (created=%s, changed=%s)", event.pk, created, changed)
    return event


def cancel_event(*, event: Event, by: str = Event.By.OWNER, reason: str = "") -> None:
    """Deleting keeps the row as cancelled: attendees' links then show a clear page, and the
    cancellation carries the meeting's UID. A series takes its edited occurrences with it."""
    now = timezone.now()
    with outbox.workflow():
        event = Event.objects.select_for_update().get(pk=event.pk)
        event.status, event.cancelled_at, event.cancelled_by, event.cancel_reason = (
            Event.Status.CANCELLED, now, by, reason,
        )  # fmt: skip
        event.sequence += 1
        event.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "sequence", "updated_at"])
        event.exceptions.update(status=Event.Status.CANCELLED, cancelled_at=now, cancelled_by=by, updated_at=now)
        outbox.record(event, cancelled=True, by=by, reason=reason)
    logger.info("Cancelled: event %s", event.pk)


def cancel_occurrence(*, event: Event, original: datetime) -> None:
    """Remove one occurrence of a series (an exception date); the rest stays."""
    with outbox.workflow():
        series = Event.objects.select_for_update().get(pk=event.pk)
        series.exdates = sorted({*series.exdates, original.isoformat()})
        series.sequence += 1
        series.save(update_fields=["exdates", "sequence", "updated_at"])
        outbox.record(series, changed=True, by=Event.By.OWNER)
    logger.info("Cancelled: occurrence %s of event %s", original.isoformat(), event.pk)


def detach_occurrence(*, series: Event, original: datetime) -> Event:
    """Turn one occurrence into its own event (to edit it alone), keeping the link to its series.
    Nothing changes for the attendees yet; the calendar copy splits the occurrence off too."""
    with outbox.workflow():
        locked = Event.objects.select_for_update().get(pk=series.pk)
        locked.exdates = sorted({*locked.exdates, original.isoformat()})
        locked.save(update_fields=["exdates", "updated_at"])
        length = locked.end - locked.start
        single = Event.objects.create(
            owner=locked.owner, title=locked.title, description=locked.description, location=locked.location,
            kind=locked.kind, origin=locked.origin, start=original, end=original + length, all_day=locked.all_day,
            timezone=locked.timezone, reminders=locked.reminders, remind_attendees=locked.remind_attendees,
            sequence=locked.sequence, series=locked, original_start=original,
        )  # fmt: skip
        Attendee.objects.bulk_create(
            Attendee(event=single, name=attendee.name, email=attendee.email, status=attendee.status)
            for attendee in locked.attendees.all()
        )
        outbox.record(locked, synced=True)
        outbox.record(single, synced=True)
    return single


def respond(*, attendee: Attendee, status: str, proposal: tuple[datetime, datetime, str] | None = None) -> None:
    """An attendee's answer, from the RSVP link or their mail client's reply: the organiser is told
    as they chose (scheduling/activity.py)."""
    try:
        with outbox.workflow():
            _answer(attendee, status, proposal)
    except IntegrityError as error:
        # A co-host taking back a meeting they declined, now booked elsewhere at that time
        # (PostgreSQL's guard: scheduling/migrations/0012).
        raise MeetingOverlaps from error
    logger.info("Answered: attendee %s of event %s: %s", attendee.pk, attendee.event_id, status)


def _answer(attendee: Attendee, status: str, proposal) -> None:
    attendee.status = status
    attendee.responded_at = timezone.now()
    attendee.save(update_fields=["status", "responded_at"])
    proposed = None
    if proposal is not None:
        start, end, note = proposal
        proposed = TimeProposal.objects.create(attendee=attendee, start=start, end=end, note=note)
    outbox.record(attendee.event, replied=[attendee], by=Event.By.ATTENDEE)
    activity.attendee_responded(attendee=attendee, proposal=proposed)
    webhooks.emit(
        owner_id=attendee.event.owner_id, event_type=webhooks.Events.EVENT_RSVP, data=lambda: _rsvp_data(attendee)
    )


def _rsvp_data(attendee: Attendee) -> dict:
    from scheduling.schemas import attendee_data, event_data

    return {"event": event_data(attendee.event), "attendee": attendee_data(attendee)}


def accept_proposal(*, proposal: TimeProposal) -> Event:
    """Move the event to the proposed time; everyone gets the update."""
    event = proposal.attendee.event
    with outbox.workflow():
        event.start, event.end = proposal.start, proposal.end
        event.sequence += 1
        event.save(update_fields=["start", "end", "sequence", "updated_at"])
        proposal.status = TimeProposal.Status.ACCEPTED
        proposal.save(update_fields=["status"])
        # Everyone is asked again for the new time; the proposer has said yes to it.
        event.attendees.exclude(pk=proposal.attendee_id).update(status=Attendee.Status.PENDING)
        Attendee.objects.filter(pk=proposal.attendee_id).update(status=Attendee.Status.ACCEPTED)
        outbox.record(event, changed=True, by=Event.By.OWNER)
    return event
