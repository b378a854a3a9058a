"""From a poll's answers to meetings: suggestions, a checked plan (preview), and finalizing.

Finalizing creates the meetings as calendar Events in one transaction, marks the poll finalized,
and emails every attendee an invitation (.ics) once the transaction commits. A poll can be
finalized once: the poll row is locked and its status re-checked inside the transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Protocol
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts import clock, webhooks
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
    owner_answered: bool = True  # the owner painted something, so counts as a participant

    @property
    def has_windows(self) -> bool:
        return any(option.is_window for option in self.group)


def suggestions(data: PollData, *, limit: int = 8) -> Suggestions:
    """Computed from everyone who answered; says who is missing rather than refusing."""
    grid, owner, invitees = people(data)
    answered = [person for person in invitees if person.levels]
    result = Suggestions(
        kind=data.poll.kind,
        missing=[i for i in data.invitations if i.status == Invitation.Status.PENDING and not data.of(i)],
        declined=[i for i in data.invitations if i.status == Invitation.Status.DECLINED],
        owner_answered=bool(owner.levels),
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
    """A meeting about to be created. ``all_day``: a whole day (from a whole-day option), from
    midnight to midnight in the poll's timezone."""

    start: datetime
    end: datetime
    invitations: tuple[Invitation, ...]
    all_day: bool = False

    @property
    def attendees(self) -> tuple[Invitation, ...]:
        """Who is sent an invitation: someone who joined by the poll's link without an email
        cannot be, and sees the time on their poll page instead."""
        return tuple(invitation for invitation in self.invitations if invitation.email)


@dataclass(frozen=True)
class PlanTime:
    """A time the plan offers: a grid start, or one of the poll's options (``day`` for a whole one)."""

    key: str
    label: str
    start: datetime
    day: date | None = None


def whole_day(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A date as an all-day meeting stores it: midnight to midnight in ``zone`` (23 or 25 hours
    on the days the clocks change)."""
    return datetime.combine(day, time(0), tzinfo=zone), datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


class Answers(Protocol):
    """What the checks ask of a poll's answers, painted on the grid or given to options."""

    poll: Poll

    def outside(self, meeting: PlannedMeeting) -> str:
        """Why the meeting's time is not one the poll asked about, as the end of a sentence
        ("is outside the poll's dates and hours"); empty when it is one."""

    def owner_can(self, meeting: PlannedMeeting) -> bool: ...

    def answered(self, invitation: Invitation) -> bool: ...

    def can(self, invitation: Invitation, meeting: PlannedMeeting) -> bool: ...


class GridAnswers:
    """The painted grid: someone can come when they painted every cell the meeting covers."""

    def __init__(self, data: PollData) -> None:
        self.poll, self.data = data.poll, data
        self.grid, self.owner, _ = people(data)

    def _cells(self, meeting: PlannedMeeting) -> int:
        return -(-(meeting.end - meeting.start) // self.grid.cell)  # a part of a cell needs the cell

    def outside(self, meeting: PlannedMeeting) -> str:
        index = self.grid.index_of(meeting.start)
        if index is None:
            return "is outside the poll's dates and hours"
        cells = self._cells(meeting)
        last = index + cells - 1
        if last >= len(self.grid) or self.grid.starts[last] - self.grid.starts[index] != self.grid.cell * (cells - 1):
            return "runs past the poll's hours"
        return ""

    def _level(self, levels: dict[int, int], meeting: PlannedMeeting) -> int | None:
        index = self.grid.index_of(meeting.start)
        if index is None:
            return None
        person = suggest.Person(key="x", name="", levels=levels)
        return suggest.person_level(self.grid, person, index, self._cells(meeting))

    def owner_can(self, meeting: PlannedMeeting) -> bool:
        return self._level(self.data.of(None), meeting) is not None

    def answered(self, invitation: Invitation) -> bool:
        return bool(self.data.of(invitation))

    def can(self, invitation: Invitation, meeting: PlannedMeeting) -> bool:
        return self._level(self.data.of(invitation), meeting) is not None


@dataclass
class Preview:
    meetings: list[PlannedMeeting]
    errors: list[str]
    warnings: list[str]
    notes: list[str] = field(default_factory=list)  # worth knowing, nothing to accept

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.meetings)


def meeting_when(meeting: PlannedMeeting, zone: ZoneInfo) -> str:
    """ "Mon 07 Dec, 09:00", or "Tue 15 Dec (all day)", in the poll's timezone."""
    local = meeting.start.astimezone(zone)
    return f"{local:%a %d %b} (all day)" if meeting.all_day else clock.active().when(local, "%a %d %b")


def check(data: PollData | Answers, meetings: list[PlannedMeeting], errors: list[str]) -> Preview:
    """Warnings the owner may accept: someone unavailable, not answered or declined; a time outside
    the poll or the owner's availability; overlaps with the owner's calendar. ``data``: a painted
    poll, or the answers of any kind of poll."""
    answers = GridAnswers(data) if isinstance(data, PollData) else data
    poll = answers.poll
    warnings: list[str] = []
    notes: list[str] = []
    zone = poll.tzinfo
    ordered = sorted(meetings, key=lambda meeting: meeting.start)
    for earlier, later in pairwise(ordered):
        if later.start < earlier.end:
            errors.append(f"Meeting times overlap: {meeting_when(earlier, zone)} and {meeting_when(later, zone)}.")
    for meeting in meetings:
        when = meeting_when(meeting, zone)
        outside = answers.outside(meeting)
        if outside:
            warnings.append(f"{when} {outside}.")
        elif not answers.owner_can(meeting):
            warnings.append(f"You did not mark yourself available at {when}.")
        for invitation in meeting.invitations:
            if invitation.status == Invitation.Status.DECLINED:
                warnings.append(f"{invitation.name} declined the poll.")
            elif not answers.answered(invitation):
                warnings.append(f"{invitation.name} has not answered yet.")
            elif outside or not answers.can(invitation, meeting):
                warnings.append(f"{invitation.name} is not available at {when}.")
            if not invitation.email:
                notes.append(
                    f"{invitation.name} joined without an email, so gets no invitation: "
                    "they see the time on their poll page."
                )
    if meetings:
        # Every occurrence of the owner's meetings, series included, except this poll's own.
        span = (min(m.start for m in meetings), max(m.end for m in meetings))
        clashes = [found for found in occurrences.between(poll.owner_id, *span) if found.event.poll_id != poll.pk]
        for found in clashes:
            if any(meeting.start < found.end and found.start < meeting.end for meeting in meetings):
                at = clock.active().when(found.start.astimezone(zone), "%a %d %b")
                warnings.append(f"You already have “{found.event.title}” at {at}.")
    return Preview(
        meetings=meetings, errors=errors, warnings=list(dict.fromkeys(warnings)), notes=list(dict.fromkeys(notes))
    )


class GridPlanning:
    """What the finalize page needs from a painted poll: suggestions, the times to offer, a picked
    suggestion as a plan, and the checks (``scheduling/options.py`` has the same for options)."""

    def __init__(self, poll: Poll) -> None:
        self.poll = poll
        self.data = PollData.load(poll)
        self.invitations = self.data.invitations

    def suggestions(self) -> Suggestions:
        return suggestions(self.data)

    def times(self) -> list[PlanTime]:
        """Every grid start where a meeting of the poll's length fits."""
        grid, _, _ = people(self.data)
        cells = duration_cells(self.poll)
        starts = [self.data.cells[i] for first, end in grid.runs for i in range(first, end - cells + 1)]
        zone, on_clock = self.poll.tzinfo, clock.active()
        return [PlanTime(_key(start), on_clock.when(start.astimezone(zone), "%a %d %b"), start) for start in starts]

    def initial(self, params, found: Suggestions) -> dict:
        """The plan of the suggestion the owner picked (``?option=N`` or ``?alternative=K``): a
        group meeting at the suggestion's earliest start, with everyone invited told of it."""
        if found.kind == Poll.Kind.GROUP:
            try:
                option = found.group[int(params.get("option", 0))]
            except (ValueError, IndexError):
                return {}
            return {"start": _key(option.start), "attendees": everyone(self.invitations)}
        return initial_series(params, found.series)

    def check(self, meetings: list[PlannedMeeting], errors: list[str]) -> Preview:
        return check(self.data, meetings, errors)


def everyone(invitations: list[Invitation]) -> list[str]:
    """Who a group meeting is sent to unless the owner unticks them: everyone invited, whether they
    answered, can come or declined, as Doodle and Rallly tell every participant the outcome. Those
    who cannot come are warned about in the preview, where the owner can untick them."""
    return [str(invitation.pk) for invitation in invitations]


def _key(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M")


def initial_series(params, series: suggest.SeriesSuggestions | None, key=None) -> dict:
    """The plan of the 1-on-1 schedule picked (``?alternative=K``): a time per invitee."""
    if series is None:
        return {}
    schedules = [series.best, *series.alternatives]
    try:
        schedule = schedules[int(params.get("alternative", 0))]
    except (ValueError, IndexError):
        return {}
    key = key or (lambda slot: _key(slot.start))
    return {f"slot_{m.invitee.key}": key(m.slot) for m in schedule.meetings}


# --- Finalizing ----------------------------------------------------------------------------------


def finalize_poll(*, poll: Poll, meetings: list[PlannedMeeting]) -> list[Event]:
    """Create the meetings and close the poll for good; invitations leave after commit, to the
    participants who have an email."""
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
                all_day=meeting.all_day,
                timezone=poll.timezone,
            )
            attendees = Attendee.objects.bulk_create(
                Attendee(event=event, name=person.name, email=person.email) for person in meeting.attendees
            )
            # How each participant's page finds their meeting, with an email or without.
            Invitation.objects.filter(pk__in=[person.pk for person in meeting.invitations]).update(meeting=event)
            outbox.record(event, created=True, added=attendees, by=Event.By.OWNER, finalized=True, poll=poll.pk)
            events.append(event)
        locked.status = Poll.Status.FINALIZED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        webhooks.emit(
            owner_id=locked.owner_id,
            event_type=webhooks.Events.POLL_FINALIZED,
            data=lambda: _finalized_data(locked, events),
        )
    logger.info("Finalized: poll %s into events %s", poll.pk, [event.pk for event in events])
    return events


def _finalized_data(poll: Poll, events: list[Event]) -> dict:
    from scheduling.schemas import event_data, poll_data

    return {"poll": poll_data(poll), "meetings": [event_data(event) for event in events]}
