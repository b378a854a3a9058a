"""Calendar event workflows: save, cancel, RSVP, proposals. Attendees hear about what concerns
them after commit: an invitation when added, an update (same UID, higher SEQUENCE) when the time
or place changes, a cancellation when removed or when the event is deleted."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from scheduling.models import Attendee, Event, TimeProposal


def _notify(event: Event, kind: str, emails: list[str]) -> None:
    from scheduling.tasks import send_event_emails

    if emails:
        transaction.on_commit(lambda: send_event_emails(event.pk, kind, emails))


def save_event(*, event: Event, attendees: list[tuple[str, str]]) -> Event:
    """Create or update an event and its attendee list (name, email)."""
    with transaction.atomic():
        before = None
        if event.pk:
            before = Event.objects.filter(pk=event.pk).values("start", "end", "location", "title", "rrule").first()
        changed = before is not None and any(
            before[field] != getattr(event, field) for field in ("start", "end", "location", "title", "rrule")
        )
        if changed:
            event.sequence += 1
        event.save()
        current = {attendee.email.lower(): attendee for attendee in event.attendees.all()}
        wanted = {email.lower(): (name, email) for name, email in attendees}
        added = [
            Attendee.objects.create(event=event, name=name, email=email)
            for key, (name, email) in wanted.items()
            if key not in current
        ]
        removed = [attendee for key, attendee in current.items() if key not in wanted]
        removed_emails = [attendee.email for attendee in removed]
        for attendee in removed:
            attendee.delete()
        kept = [attendee.email for key, attendee in current.items() if key in wanted]
    _notify(event, "invitation", [attendee.email for attendee in added])
    if changed:
        _notify(event, "update", kept)
    _notify(event, "cancellation", removed_emails)
    return event


def cancel_event(*, event: Event) -> None:
    """Deleting keeps the row as cancelled: attendees' links then show a clear page, and the
    cancellation carries the meeting's UID."""
    with transaction.atomic():
        event.status = Event.Status.CANCELLED
        event.sequence += 1
        event.save(update_fields=["status", "sequence", "updated_at"])
        event.exceptions.update(status=Event.Status.CANCELLED)
    _notify(event, "cancellation", [attendee.email for attendee in event.attendees.all()])


def cancel_occurrence(*, event: Event, original: datetime) -> None:
    """Remove one occurrence of a series (an exception date); the rest stays."""
    with transaction.atomic():
        series = Event.objects.select_for_update().get(pk=event.pk)
        series.exdates = sorted({*series.exdates, original.isoformat()})
        series.sequence += 1
        series.save(update_fields=["exdates", "sequence", "updated_at"])
    _notify(series, "update", [attendee.email for attendee in series.attendees.all()])


def detach_occurrence(*, series: Event, original: datetime) -> Event:
    """Turn one occurrence into its own event (to edit it alone), keeping the link to its series."""
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=series.pk)
        locked.exdates = sorted({*locked.exdates, original.isoformat()})
        locked.save(update_fields=["exdates", "updated_at"])
        length = locked.end - locked.start
        single = Event.objects.create(
            owner=locked.owner, title=locked.title, description=locked.description, location=locked.location,
            kind=locked.kind, origin=locked.origin, start=original, end=original + length, all_day=locked.all_day,
            timezone=locked.timezone, reminders=locked.reminders, remind_attendees=locked.remind_attendees,
            series=locked, original_start=original,
        )  # fmt: skip
        Attendee.objects.bulk_create(
            Attendee(event=single, name=attendee.name, email=attendee.email, status=attendee.status)
            for attendee in locked.attendees.all()
        )
    return single


def respond(*, attendee: Attendee, status: str, proposal: tuple[datetime, datetime, str] | None = None) -> None:
    with transaction.atomic():
        attendee.status = status
        attendee.responded_at = timezone.now()
        attendee.save(update_fields=["status", "responded_at"])
        if proposal is not None:
            start, end, note = proposal
            TimeProposal.objects.create(attendee=attendee, start=start, end=end, note=note)


def accept_proposal(*, proposal: TimeProposal) -> Event:
    """Move the event to the proposed time; everyone gets the update."""
    event = proposal.attendee.event
    with transaction.atomic():
        event.start, event.end = proposal.start, proposal.end
        event.sequence += 1
        event.save(update_fields=["start", "end", "sequence", "updated_at"])
        proposal.status = TimeProposal.Status.ACCEPTED
        proposal.save(update_fields=["status"])
        # Everyone is asked again for the new time; the proposer has said yes to it.
        event.attendees.exclude(pk=proposal.attendee_id).update(status=Attendee.Status.PENDING)
        Attendee.objects.filter(pk=proposal.attendee_id).update(status=Attendee.Status.ACCEPTED)
    _notify(event, "update", [attendee.email for attendee in event.attendees.all()])
    return event
