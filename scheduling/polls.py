"""Poll workflows: painting availability, inviting, reminding, declining, editing, closing.

Views and tasks call these; each write is one transaction and emails leave after commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts import webhooks
from accounts.models import Contact
from scheduling import activity, grid
from scheduling.models import AvailabilitySpan, Invitation, Poll

REMINDER_INTERVAL = timedelta(hours=1)
DEADLINE_REMINDER_LEAD = timedelta(hours=24)


class PollClosed(Exception):
    """The poll no longer takes answers (closed, finalized or past its deadline)."""


def painted_levels(
    poll: Poll, invitation: Invitation | None, cells: Sequence[datetime] | None = None
) -> dict[int, int]:
    cells = poll.cells() if cells is None else cells
    spans = AvailabilitySpan.objects.filter(poll=poll, invitation=invitation)
    return grid.levels_from_spans(cells, poll.cell_minutes, (grid.Span(s.start, s.end, s.level) for s in spans))


def save_availability(*, poll: Poll, invitation: Invitation | None, levels: dict[int, int],
                      cells: Sequence[datetime], answering: bool = True) -> int:  # fmt: skip
    """Replace one person's painted availability with ``levels`` (cell index -> 1..3), stored as
    merged intervals; an invitee who paints something has responded. Returns the number of
    stored intervals."""
    spans = grid.spans_from_levels(cells, poll.cell_minutes, levels)
    with transaction.atomic():
        AvailabilitySpan.objects.filter(poll=poll, invitation=invitation).delete()
        AvailabilitySpan.objects.bulk_create(
            AvailabilitySpan(poll=poll, invitation=invitation, start=s.start, end=s.end, level=s.level) for s in spans
        )
        if answering and invitation is not None and levels:
            mark_responded(invitation)
        if answering and invitation is not None:
            activity.poll_answered(invitation=invitation)  # strokes are folded into one answer there
            answered(invitation)
    return len(spans)


# How long a poll answer must rest before ``poll.responded`` goes out: the grid saves each stroke.
ANSWER_SETTLES = timedelta(minutes=1)


def answered(invitation: Invitation) -> None:
    """``poll.responded`` to the owner's webhooks, with the invitation as it stands once the
    person has stopped for a minute: after saves of an answer (each stroke on the grid), a
    decline, or a decline taken back. Call inside the transaction that saved it."""
    webhooks.emit(
        owner_id=invitation.poll.owner_id,
        event_type=webhooks.Events.POLL_RESPONDED,
        data=lambda: _answer_data(invitation),
        settle=ANSWER_SETTLES,
        key=f"invitation:{invitation.pk}",
    )


def _answer_data(invitation: Invitation) -> dict:
    from scheduling.schemas import invitation_data, poll_data

    return {"poll": poll_data(invitation.poll), "invitation": invitation_data(invitation)}


def mark_responded(invitation: Invitation) -> None:
    """Someone who answered (painted the grid, or said yes or if need be to an option) has
    responded; answering undoes a decline."""
    if invitation.status != Invitation.Status.RESPONDED:
        invitation.status = Invitation.Status.RESPONDED
        invitation.responded_at = timezone.now()
        invitation.decline_note = ""
        invitation.save(update_fields=["status", "responded_at", "decline_note"])


def fill_free_cells(*, poll: Poll, busy: Iterable[tuple[datetime, datetime]], level: int = 2) -> int:
    """Paint the owner's unpainted cells that are not ``busy`` at ``level`` ("fine"), keeping
    everything the owner painted by hand. Returns how many cells were filled.

    The poll's own dates and hours are the working hours: the owner chose them for this poll.
    """
    cells = poll.cells()
    painted = painted_levels(poll, None, cells)
    blocked = grid.busy_positions(cells, poll.cell_minutes, sorted(busy))
    free = {position: level for position in range(len(cells)) if position not in painted and position not in blocked}
    if free:
        save_availability(poll=poll, invitation=None, levels={**painted, **free}, cells=cells)
    return len(free)


@dataclass(frozen=True)
class Invitee:
    name: str
    email: str
    contact: Contact | None = None


def invite(*, poll: Poll, people: Iterable[Invitee]) -> list[Invitation]:
    """Invite people; a typed name and email becomes a contact too. Emails leave after commit."""
    from scheduling.tasks import send_invitation

    with transaction.atomic():
        invitations = []
        for person in people:
            contact = person.contact
            if contact is None:
                contact = Contact.objects.for_owner(poll.owner).filter(email__iexact=person.email).first()
                if contact is None:
                    first, _, last = person.name.partition(" ")
                    contact = Contact.objects.create(owner=poll.owner, first_name=first, last_name=last,
                                                     email=person.email)  # fmt: skip
            invitations.append(
                Invitation.objects.create(poll=poll, contact=contact, name=person.name, email=person.email)
            )
    for invitation in invitations:
        transaction.on_commit(lambda pk=invitation.pk: send_invitation(pk))
    return invitations


def remind(
    *, invitations: Iterable[Invitation], now: datetime | None = None
) -> tuple[list[Invitation], list[Invitation]]:
    """Remind pending invitees, at most once an hour each. Returns (reminded, too soon)."""
    from scheduling.tasks import send_reminder

    now = now or timezone.now()
    reminded, too_soon = [], []
    for invitation in invitations:
        # A conditional update claims the reminder, so double clicks or two tabs send one email.
        claimed = (
            Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.PENDING)
            .exclude(email="")  # joined by link without an address: nothing to remind them with
            .filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=now - REMINDER_INTERVAL))
            .update(last_reminded_at=now, reminders_sent=F("reminders_sent") + 1)
        )
        if claimed:
            transaction.on_commit(lambda pk=invitation.pk: send_reminder(pk))
            reminded.append(invitation)
        elif invitation.status == Invitation.Status.PENDING and invitation.email:
            too_soon.append(invitation)
    return reminded, too_soon


def due_deadline_reminders(now: datetime):
    """Pending invitees of open polls whose deadline is less than 24 hours away and who have not
    had the automatic reminder for this deadline yet."""
    return (
        Invitation.objects.filter(
            status=Invitation.Status.PENDING,
            poll__status=Poll.Status.OPEN,
            poll__deadline__gt=now,
            poll__deadline__lte=now + DEADLINE_REMINDER_LEAD,
        )
        .exclude(deadline_reminder_for=F("poll__deadline"))
        .exclude(email="")
    )


def claim_deadline_reminder(invitation_id: int, deadline: datetime) -> bool:
    """Mark the automatic reminder for ``deadline`` as sent; only one worker can win."""
    return bool(
        Invitation.objects.filter(pk=invitation_id, status=Invitation.Status.PENDING)
        .filter(Q(deadline_reminder_for__isnull=True) | ~Q(deadline_reminder_for=deadline))
        .update(deadline_reminder_for=deadline)
    )


def decline(*, invitation: Invitation, note: str = "") -> None:
    if not invitation.poll.accepts_answers():
        raise PollClosed
    with transaction.atomic():
        invitation.status = Invitation.Status.DECLINED
        invitation.decline_note = note
        invitation.responded_at = timezone.now()
        invitation.save(update_fields=["status", "decline_note", "responded_at"])
        activity.poll_declined(invitation=invitation)
        answered(invitation)


def undo_decline(*, invitation: Invitation) -> None:
    if not invitation.poll.accepts_answers():
        raise PollClosed
    has_answer = invitation.spans.exists() or invitation.answers.exists()  # painted, or answered options
    with transaction.atomic():
        invitation.status = Invitation.Status.RESPONDED if has_answer else Invitation.Status.PENDING
        invitation.decline_note = ""
        invitation.save(update_fields=["status", "decline_note"])
        if has_answer:  # their earlier answer stands again
            activity.poll_answered(invitation=invitation)
        answered(invitation)


def apply_edit(*, poll: Poll, dropped: Sequence[date]) -> int:
    """After an edit that removed dates or hours: delete painted availability outside the poll's
    cells. Returns how many intervals were removed or trimmed."""
    cells = poll.cells()
    changed = 0
    with transaction.atomic():
        poll.save()
        people = [None, *poll.invitations.all()]
        for invitation in people:
            before = AvailabilitySpan.objects.filter(poll=poll, invitation=invitation).count()
            levels = painted_levels(poll, invitation, cells)
            after = save_availability(poll=poll, invitation=invitation, levels=levels, cells=cells, answering=False)
            changed += max(before - after, 0) if levels or before else 0
    return changed


def close(*, poll: Poll) -> None:
    poll.status = Poll.Status.CLOSED
    poll.closed_at = timezone.now()
    poll.save(update_fields=["status", "closed_at", "updated_at"])
