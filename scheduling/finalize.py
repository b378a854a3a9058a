"""From a poll's answers to meetings: suggestions, a checked plan (preview), and finalizing.

Finalizing creates the meetings as calendar Events in one transaction, marks the poll finalized,
and emails every attendee an invitation (.ics) once the transaction commits. A poll can be
finalized once: the poll row is locked and its status re-checked inside the transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from django.utils import timezone

from accounts import clock
from scheduling import occurrences, outbox, suggest
from scheduling.models import Attendee, Event, Invitation, Poll
from scheduling.poll_pages import PollData

logger = logging.getLogger(__name__)


class AlreadyFinalized(Exception):
    pass


def people(data: PollData) -> tuple[suggest.Grid, suggest.Person, list[suggest.Person]]:
    grid = suggest.Grid(starts=tuple(data.cells), cell=timedelta(minutes=data.poll.cell_minutes))
    owner = suggest.Person(key="owner", name=data.poll.owner.display_name, levels=data.of(None))
    invitees = [
        suggest.Person(key=str(invitation.pk), name=invitation.name, levels=data.of(invitation))
        for invitation in data.invitations
        if invitation.status != Invitation.Status.DECLINED
    ]
    return grid, owner, invitees


def duration_cells(poll: Poll) -> int:
    return poll.duration // poll.cell_minutes


@dataclass
class Suggestions:
    kind: str
    group: list[suggest.GroupOption] = field(default_factory=list)
    series: suggest.SeriesSuggestions | None = None
    missing: list[Invitation] = field(default_factory=list)  # invited, have not answered
    declined: list[Invitation] = field(default_factory=list)


def suggestions(data: PollData, *, limit: int = 8) -> Suggestions:
    """Computed from everyone who answered; says who is missing rather than refusing."""
    grid, owner, invitees = people(data)
    answered = [person for person in invitees if person.levels]
    result = Suggestions(
        kind=data.poll.kind,
        missing=[i for i in data.invitations if i.status == Invitation.Status.PENDING and not data.of(i)],
        declined=[i for i in data.invitations if i.status == Invitation.Status.DECLINED],
    )
    if not data.cells:
        return result
    if data.poll.kind == Poll.Kind.GROUP:
        result.group = suggest.rank_group_times(grid, duration_cells(data.poll), owner, answered, limit=limit)
    else:
        result.series = suggest.one_on_one_schedules(grid, duration_cells(data.poll), owner, answered, alternatives=3)
    return result


# --- A plan and its checks -----------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedMeeting:
    start: datetime
    end: datetime
    invitations: tuple[Invitation, ...]


@dataclass
class Preview:
    meetings: list[PlannedMeeting]
    errors: list[str]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.meetings)


def check(data: PollData, meetings: list[PlannedMeeting], errors: list[str]) -> Preview:
    """Warnings the owner may accept: someone unavailable, not answered or declined; a time outside
    the poll or the owner's availability; overlaps with the owner's calendar."""
    poll = data.poll
    grid, owner, _ = people(data)
    cells = duration_cells(poll)
    warnings: list[str] = []
    zone, on_clock = poll.tzinfo, clock.active()
    ordered = sorted(meetings, key=lambda meeting: meeting.start)
    for earlier, later in pairwise(ordered):
        if later.start < earlier.end:
            errors.append(
                f"Meeting times overlap: {on_clock.when(earlier.start.astimezone(zone), '%a %d %b')} and "
                f"{on_clock.when(later.start.astimezone(zone), '%a %d %b')}."
            )
    for meeting in meetings:
        when = on_clock.when(meeting.start.astimezone(zone), "%a %d %b")
        index = grid.index_of(meeting.start)
        if index is None or suggest.person_level(grid, owner, index, cells) is None:
            if index is None:
                warnings.append(f"{when} is outside the poll's dates and hours.")
            else:
                warnings.append(f"You did not mark yourself available at {when}.")
        for invitation in meeting.invitations:
            levels = data.of(invitation)
            if invitation.status == Invitation.Status.DECLINED:
                warnings.append(f"{invitation.name} declined the poll.")
            elif not levels:
                warnings.append(f"{invitation.name} has not answered yet.")
            elif index is None or suggest.person_level(
                grid, suggest.Person(key="x", name="", levels=levels), index, cells
            ) is None:  # fmt: skip
                warnings.append(f"{invitation.name} is not available at {when}.")
    if meetings:
        # Every occurrence of the owner's meetings, series included, except this poll's own.
        span = (min(m.start for m in meetings), max(m.end for m in meetings))
        clashes = [found for found in occurrences.between(poll.owner_id, *span) if found.event.poll_id != poll.pk]
        for found in clashes:
            if any(meeting.start < found.end and found.start < meeting.end for meeting in meetings):
                at = on_clock.when(found.start.astimezone(zone), "%a %d %b")
                warnings.append(f"You already have “{found.event.title}” at {at}.")
    return Preview(meetings=meetings, errors=errors, warnings=list(dict.fromkeys(warnings)))


# --- Finalizing ----------------------------------------------------------------------------------


def finalize_poll(*, poll: Poll, meetings: list[PlannedMeeting]) -> list[Event]:
    """Create the meetings and close the poll for good; invitations leave after commit."""
    with outbox.workflow():
        locked = Poll.objects.select_for_update().get(pk=poll.pk)
        if locked.status == Poll.Status.FINALIZED:
            raise AlreadyFinalized
        events = []
        for meeting in meetings:
            names = ", ".join(invitation.name for invitation in meeting.invitations)
            title = poll.title if poll.kind == Poll.Kind.GROUP else f"{poll.title} — {names}"
            event = Event.objects.create(
                owner=poll.owner,
                poll=poll,
                title=title,
                description=poll.description,
                kind=Event.Kind.MEETING,
                origin=Event.Origin.POLL,
                start=meeting.start,
                end=meeting.end,
                timezone=poll.timezone,
            )
            attendees = Attendee.objects.bulk_create(
                Attendee(event=event, name=person.name, email=person.email) for person in meeting.invitations
            )
            outbox.record(event, created=True, added=attendees, by=Event.By.OWNER, finalized=True, poll=poll.pk)
            events.append(event)
        locked.status = Poll.Status.FINALIZED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
    logger.info("Finalized: poll %s into events %s", poll.pk, [event.pk for event in events])
    return events
