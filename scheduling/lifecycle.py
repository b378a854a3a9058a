"""A poll after its first life: reopened, un-finalized, duplicated, exported.

- **Reopen** a closed poll (or one past its deadline): it takes answers again, with at least a
  week left, so nobody is turned away the moment it opens.
- **Un-finalize**: the meetings it made are cancelled (attendees get a cancellation with the
  same UID, so their calendars drop the event) and the poll is open again to pick another time.
- **Duplicate**: a new poll with the same settings and options, no people and no answers.
- **Export**: everyone's answers as CSV, for a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from scheduling import events, outbox
from scheduling.models import AvailabilitySpan, Event, Invitation, OptionAnswer, Poll, PollOption
from scheduling.options import in_order

REOPEN_FOR = timedelta(days=7)
UNFINALIZE_REASON = "The organiser reopened the poll to find another time."


def reopen(*, poll: Poll, now: datetime | None = None) -> Poll:
    """Open a closed (or expired) poll again; the deadline moves to a week from now if it is sooner."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Poll.objects.select_for_update().get(pk=poll.pk)
        if locked.status == Poll.Status.FINALIZED:
            raise ValueError("A finalized poll is reopened by un-finalizing it.")
        locked.status, locked.closed_at = Poll.Status.OPEN, None
        locked.deadline = max(locked.deadline, now + REOPEN_FOR)
        locked.save(update_fields=["status", "closed_at", "deadline", "updated_at"])
    return locked


def meetings_of(poll: Poll) -> list[Event]:
    """The poll's meetings that still stand."""
    return list(poll.meetings.exclude(status=Event.Status.CANCELLED).prefetch_related("attendees"))


def unfinalize(*, poll: Poll, now: datetime | None = None) -> int:
    """Cancel the meetings a finalized poll made and open it again. Returns how many meetings
    were cancelled. The cancellations are one workflow: their emails and calendar copies leave
    after commit, exactly as when the owner deletes a meeting."""
    now = now or timezone.now()
    with outbox.workflow():
        locked = Poll.objects.select_for_update().get(pk=poll.pk)
        if locked.status != Poll.Status.FINALIZED:
            return 0
        cancelled = 0
        for meeting in meetings_of(locked):
            events.cancel_event(event=meeting, reason=UNFINALIZE_REASON)
            cancelled += 1
        locked.invitations.update(meeting=None)
        locked.status, locked.closed_at = Poll.Status.OPEN, None
        locked.deadline = max(locked.deadline, now + REOPEN_FOR)
        locked.save(update_fields=["status", "closed_at", "deadline", "updated_at"])
    return cancelled


def duplicate(*, poll: Poll, now: datetime | None = None) -> Poll:
    """A copy to run again: settings, dates and options; no participants, answers or link."""
    now = now or timezone.now()
    with transaction.atomic():
        copy = Poll.objects.create(
            owner=poll.owner, title=f"{poll.title} (copy)"[:200], description=poll.description, kind=poll.kind,
            duration=poll.duration, timezone=poll.timezone, dates=list(poll.dates), day_start=poll.day_start,
            day_end=poll.day_end, cell_minutes=poll.cell_minutes, mode=poll.mode, visibility=poll.visibility,
            deadline=max(poll.deadline, now + REOPEN_FOR),
        )  # fmt: skip
        PollOption.objects.bulk_create(
            PollOption(poll=copy, start=option.start, day=option.day) for option in poll.options.all()
        )
    return copy


# --- CSV ---------------------------------------------------------------------------------------

_LEVELS = {3: "Preferred", 2: "Fine", 1: "If need be"}
_OPTION_LEVELS = {2: "Yes", 1: "If need be"}


def _cell(value: str) -> str:
    """A spreadsheet must not run a participant's name as a formula (CSV injection)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(poll: Poll) -> str:
    """Everyone's answers, times in the poll's timezone: one row per painted stretch for a grid
    poll, one row per person and a column per option for a poll of options."""
    out = io.StringIO()
    writer = csv.writer(out)
    people = list(poll.invitations.all())
    if poll.mode == Poll.Mode.OPTIONS:
        _options_csv(writer, poll, people)
    else:
        _grid_csv(writer, poll, people)
    return out.getvalue()


def _person(poll: Poll, invitation: Invitation | None) -> list[str]:
    if invitation is None:
        return [poll.owner.display_name + " (organiser)", poll.owner.email, "Organiser"]
    return [invitation.name, invitation.email, invitation.get_status_display()]


def _grid_csv(writer, poll: Poll, people: list[Invitation]) -> None:
    zone = poll.tzinfo
    writer.writerow(["Name", "Email", "Status", "Date", f"From ({poll.timezone})", f"To ({poll.timezone})", "Answer"])
    spans: dict[int | None, list[AvailabilitySpan]] = {}
    for span in AvailabilitySpan.objects.filter(poll=poll).order_by("start"):
        spans.setdefault(span.invitation_id, []).append(span)
    for invitation in [None, *people]:
        row = [_cell(value) for value in _person(poll, invitation)]
        mine = spans.get(invitation.pk if invitation else None, [])
        if not mine:
            writer.writerow([*row, "", "", "", ""])  # pending, declined, or nothing painted
        for span in mine:
            start, end = span.start.astimezone(zone), span.end.astimezone(zone)
            writer.writerow([*row, start.date().isoformat(), f"{start:%H:%M}", f"{end:%H:%M}", _LEVELS[span.level]])


def _options_csv(writer, poll: Poll, people: list[Invitation]) -> None:
    zone = poll.tzinfo
    options = in_order(poll.options.all(), poll.tzinfo)  # the same order on every engine
    headers = [
        f"{option.day.isoformat()} (all day)"
        if option.day
        else f"{option.start.astimezone(zone):%Y-%m-%d %H:%M} {poll.timezone}"
        for option in options
    ]
    writer.writerow(["Name", "Email", "Status", *headers])
    answers = {
        (answer.invitation_id, answer.option_id): answer.level
        for answer in OptionAnswer.objects.filter(option__poll=poll)
    }
    for invitation in [None, *people]:
        person = invitation.pk if invitation else None
        cells = [_OPTION_LEVELS.get(answers.get((person, option.pk)), "No") for option in options]
        if invitation is not None and invitation.status == Invitation.Status.PENDING:
            cells = ["" for _ in options]
        writer.writerow([*(_cell(value) for value in _person(poll, invitation)), *cells])
