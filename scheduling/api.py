"""Polls and calendar events in the REST API.

Handlers validate with the pages' forms (``PollForm``, ``InviteForm``, ``PlanForm``, ``EventForm``)
and call the pages' workflows (``polls.invite``, ``polls.remind``, ``finalize.finalize_poll``,
``events.save_event``, ``events.cancel_event``), so a client gets the messages a person gets and
attendees get the emails the pages send. JSON fields are translated into the form's fields here;
nothing is validated twice.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Case, F, Prefetch, Value, When
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import AwareDatetime

from accounts.api_base import Page, Problem, conflict, form_problem, invalid, invalid_field, owned, paginate
from accounts.inputs import EARLIEST, LATEST
from accounts.models import Contact
from accounts.timezones import known_timezones
from scheduling import events as workflows
from scheduling import finalize, occurrences, options, polls, suggest
from scheduling.forms import EventForm, InviteForm, PlanForm, PollForm
from scheduling.models import Event, Invitation, OptionAnswer, Poll
from scheduling.poll_pages import poll_spans
from scheduling.recurrence import Recurrence
from scheduling.schemas import (
    EventOut,
    InvitationOut,
    OccurrenceOut,
    PollDetailOut,
    PollOut,
    event_out,
    invitation_out,
    poll_out,
)

router = Router(tags=["Polls and calendar"])

MAX_RANGE = timedelta(days=366)


# --- Polls: reading ------------------------------------------------------------------------------


def _polls(request: HttpRequest):
    return Poll.objects.for_owner(request.user).select_related("owner")


def _poll(request: HttpRequest, poll_id: int) -> Poll:
    return owned(_polls(request), poll_id)


@router.get("/polls", response=Page[PollOut], summary="List polls")
def list_polls(request: HttpRequest, status: str = "", page: int = 1, per_page: int = 50):
    """Open polls first (soonest deadline first), then the rest, newest first, as the polls page
    lists them. ``status``: open, closed or finalized."""
    found = _polls(request).with_counts().prefetch_related(Prefetch("meetings", Event.objects.only("pk", "poll_id")))
    if status:
        if status not in Poll.Status.values:
            raise Problem(422, "Invalid request", f"Filter by status {', '.join(Poll.Status.values)}, not “{status}”.")
        found = found.filter(status=status)
    is_open = Case(When(status=Poll.Status.OPEN, then=Value(0)), default=Value(1))
    deadline_if_open = Case(When(status=Poll.Status.OPEN, then=F("deadline")))
    found = found.order_by(is_open, deadline_if_open, "-created_at", "-pk")
    return paginate(request, found, poll_out, page=page, per_page=per_page)


@router.get("/polls/{poll_id}", response=PollDetailOut, summary="Read a poll with everyone's answers")
def read_poll(request: HttpRequest, poll_id: int):
    """Who is invited and how each answered: on a grid poll the painted spans of each person (the
    owner's under ``owner``), on an options poll the options and each person's answers."""
    return _poll_detail(_poll(request, poll_id))


def _poll_detail(poll: Poll) -> dict:
    invitations = list(poll.invitations.all())
    availability: dict[int | None, list[dict]] = defaultdict(list)
    answers: dict[int | None, list[dict]] = defaultdict(list)
    offered = []
    if poll.mode == Poll.Mode.OPTIONS:
        for option in options.in_order(poll.options.all(), poll.tzinfo):
            start, end = _utc(*options.span(option, poll))
            offered.append(
                {"id": option.pk, "start": start, "end": end, "day": option.day, "all_day": bool(option.day)}
            )
        rows = OptionAnswer.objects.filter(option__poll=poll).order_by("option_id")
        for person, option_id, level in rows.values_list("invitation_id", "option_id", "level"):
            answers[person].append({"option_id": option_id, "level": level})
    else:
        for person, start, end, level in sorted(poll_spans(poll.pk), key=lambda span: span[1]):
            availability[person].append({"start": start, "end": end, "level": level})
    return {
        **poll_out(poll),
        "visibility": poll.visibility,
        "options": offered,
        "owner": {"availability": availability[None], "answers": answers[None]},
        "invitations": [
            {**invitation_out(i), "availability": availability[i.pk], "answers": answers[i.pk]} for i in invitations
        ],
    }


# --- Polls: creating, inviting, reminding --------------------------------------------------------


class PollIn(Schema):
    title: str
    description: str = ""
    kind: str = Poll.Kind.GROUP  # group, series
    mode: str = Poll.Mode.GRID  # grid, options
    duration: int = 60
    timezone: str | None = None  # the owner's unless given
    deadline: AwareDatetime
    # A grid poll's days: a range (first_date, last_date) or chosen dates; and its daily hours.
    first_date: date | None = None
    last_date: date | None = None
    dates: list[date] | None = None
    day_start: time = time(8)
    day_end: time = time(20)
    cell_minutes: int = 30
    # An options poll's options, as the page takes them, in the poll's timezone:
    # "2026-12-14 10:00" (a time) or "2026-12-15" (a whole day).
    options: list[str] = []


@router.post("/polls", response={201: PollDetailOut}, summary="Create a poll")
def create_poll(request: HttpRequest, payload: PollIn):
    data = {
        **payload.dict(include={"title", "description", "kind", "mode", "duration", "cell_minutes"}),
        "timezone": payload.timezone or request.user.timezone,
        "deadline": payload.deadline.isoformat(),
        "day_start": payload.day_start.strftime("%H:%M"),
        "day_end": payload.day_end.strftime("%H:%M"),
        "option_list": "\n".join(payload.options),
    }
    if payload.dates is not None:
        data.update(date_mode="list", chosen_dates="\n".join(day.isoformat() for day in payload.dates))
    else:
        data.update(date_mode="range", first_date=payload.first_date or "", last_date=payload.last_date or "")
    form = PollForm(data, owner=request.user)
    if not form.is_valid():
        raise form_problem(form)
    return Status(201, _poll_detail(form.save()))


class PersonIn(Schema):
    name: str
    email: str


class InviteIn(Schema):
    people: list[PersonIn] = []  # someone new (added to the contacts), or an address already there
    contact_ids: list[int] = []


@router.post("/polls/{poll_id}/invitations", response={201: list[InvitationOut]}, summary="Invite people")
def invite(request: HttpRequest, poll_id: int, payload: InviteIn):
    """Each is checked as the poll page's invite form checks one (already invited, at most 200,
    a valid email); they are invited together or not at all, and emailed their link."""
    poll = _poll(request, poll_id)
    if not poll.is_open:
        raise conflict("This poll is closed; invitations can no longer be sent.")
    entries = [(f"contact_ids.{n}", {"contacts": [pk]}) for n, pk in enumerate(payload.contact_ids)]
    entries += [(f"people.{n}", person.dict()) for n, person in enumerate(payload.people)]
    if not entries:
        form = InviteForm({}, poll=poll)
        form.is_valid()
        raise form_problem(form)
    emails = dict(Contact.objects.for_owner(request.user).filter(pk__in=payload.contact_ids).values_list("pk", "email"))
    people, errors, listed = [], [], set()
    invited = {email.lower() for email in poll.invitations.values_list("email", flat=True)}
    for where, data in entries:
        form = InviteForm(data, poll=poll, invited=invited | listed)  # earlier ones here count towards the 200
        email = data.get("email") or emails.get(data.get("contacts", [None])[0]) or ""
        if email.lower() in listed:
            errors.append({"field": where, "message": "The same person is listed twice."})
        elif not form.is_valid():
            errors += [
                {"field": where if field == "__all__" else f"{where}.{field}", "message": message}
                for field, messages in form.errors.items()
                for message in messages
            ]
        else:
            people += form.people
            listed |= {email.lower() for _, email, _ in form.people}
    if errors:
        raise invalid(errors)
    made = polls.invite(poll=poll, people=[polls.Invitee(name, email, contact) for name, email, contact in people])
    return Status(201, [invitation_out(invitation) for invitation in made])


class RemindIn(Schema):
    invitation_ids: list[int] | None = None  # everyone pending unless given


class NotReminded(Schema):
    id: int
    name: str
    reason: str


class RemindOut(Schema):
    reminded: list[InvitationOut]
    not_reminded: list[NotReminded]


@router.post("/polls/{poll_id}/remind", response=RemindOut, summary="Remind pending invitees")
def remind(request: HttpRequest, poll_id: int, payload: RemindIn):
    """Emails a reminder to each pending invitee with an address, at most once an hour each (as
    on the poll page); says why anyone was not reminded."""
    poll = _poll(request, poll_id)
    if not poll.is_open:
        raise conflict("This poll is closed; reminders can no longer be sent.")
    if payload.invitation_ids is None:
        chosen = list(poll.invitations.pending())
    else:
        found = poll.invitations.in_bulk(payload.invitation_ids)
        if len(found) != len(set(payload.invitation_ids)):
            raise Problem(404, "Not found", "Some of these invitation ids are not invitations of this poll.")
        chosen = [found[pk] for pk in dict.fromkeys(payload.invitation_ids)]
    reminded, too_soon = polls.remind(invitations=chosen)
    done = {invitation.pk for invitation in reminded}
    late = {invitation.pk for invitation in too_soon}
    not_reminded = [
        {"id": invitation.pk, "name": invitation.name, "reason": _not_reminded(invitation, late)}
        for invitation in chosen
        if invitation.pk not in done
    ]
    reminded = Invitation.objects.filter(pk__in=done)  # as they are now: reminded once more
    return {"reminded": [invitation_out(i) for i in reminded], "not_reminded": not_reminded}


def _not_reminded(invitation: Invitation, too_soon: set[int]) -> str:
    if invitation.pk in too_soon:
        return f"{invitation.name} was reminded less than an hour ago. Try again later."
    if not invitation.email:
        return f"{invitation.name} joined by link without an email address: there is no one to remind."
    return f"{invitation.name} has already answered."


# --- Polls: suggestions and finalizing -----------------------------------------------------------


class PersonLevel(Schema):
    invitation_id: int
    name: str
    level: int


class PersonRef(Schema):
    invitation_id: int
    name: str


class GroupSuggestion(Schema):
    """A ranked time for the group. On a grid poll a window of equally good starts runs from
    ``start`` to ``latest_start``; levels are 1-3 on a grid, 1 (if need be) or 2 (yes) on options."""

    rank: int
    tie_rank: int
    start: datetime
    end: datetime
    latest_start: datetime
    all_day: bool
    option_id: int | None
    owner_level: int  # 0: the owner is not available
    can_come: int  # the owner included when available
    available: list[PersonLevel]
    unavailable: list[PersonRef]


class PlannedOneOnOne(Schema):
    invitation_id: int
    name: str
    start: datetime
    end: datetime
    option_id: int | None
    owner_level: int
    invitee_level: int


class Unplaced(Schema):
    invitation_id: int
    name: str
    reason: str


class SeriesScheduleOut(Schema):
    """A 1-on-1 series: index 0 is the best, the rest alternatives as good in people placed."""

    index: int
    placed: int
    preference: int
    meetings: list[PlannedOneOnOne]
    unplaced: list[Unplaced]


class SuggestionsOut(Schema):
    kind: str
    mode: str
    group: list[GroupSuggestion]
    schedules: list[SeriesScheduleOut]
    missing: list[PersonRef]  # invited, not answered yet: suggestions are from those who did
    declined: list[PersonRef]
    owner_answered: bool


def _planning(poll: Poll) -> finalize.GridPlanning | options.Planning:
    return options.Planning(poll) if poll.mode == Poll.Mode.OPTIONS else finalize.GridPlanning(poll)


@router.get("/polls/{poll_id}/suggestions", response=SuggestionsOut, summary="Suggested times")
def suggestions(request: HttpRequest, poll_id: int):
    """The ranked times the finalize page shows: group times, or the best 1-on-1 schedules."""
    poll = _poll(request, poll_id)
    planning = _planning(poll)
    found = planning.suggestions()
    if poll.mode == Poll.Mode.OPTIONS:
        group, schedules, owner_answered = _option_suggestions(planning, found)
    else:
        group = [_group_suggestion(option) for option in found.group]
        schedules = _schedules(found.series, lambda slot: None)
        owner_answered = found.owner_answered
    return {
        "kind": poll.kind,
        "mode": poll.mode,
        "group": group,
        "schedules": schedules,
        "missing": [_ref(invitation) for invitation in found.missing],
        "declined": [_ref(invitation) for invitation in found.declined],
        "owner_answered": owner_answered,
    }


def _utc(*moments: datetime) -> tuple[datetime, ...]:
    """Times as the API gives them: in UTC (a whole day is computed in the poll's zone)."""
    return tuple(moment.astimezone(UTC) for moment in moments)


def _ref(invitation: Invitation) -> dict:
    return {"invitation_id": invitation.pk, "name": invitation.name}


def _person(person: suggest.Person) -> dict:
    return {"invitation_id": int(person.key), "name": person.name}


def _group_suggestion(option: suggest.GroupOption) -> dict:
    return {
        "rank": option.rank,
        "tie_rank": option.tie_rank,
        "start": option.start,
        "end": option.end,
        "latest_start": option.latest_start,
        "all_day": False,
        "option_id": None,
        "owner_level": option.owner_level,
        "can_come": option.can_come,
        "available": [{**_person(a.person), "level": a.level} for a in option.available],
        "unavailable": [_person(person) for person in option.unavailable],
    }


def _option_suggestions(planning: options.Planning, found: options.OptionSuggestions):
    data, poll = planning.data, planning.poll
    counted = [invitation for invitation in data.answering if data.of(invitation)]
    group = []
    for suggested in found.group:
        ranked, option = suggested.ranked, suggested.option
        start, end = _utc(*options.span(option, poll))
        levels = {person.key: options.YES for person in ranked.yes}
        levels |= {person.key: options.IF_NEED_BE for person in ranked.if_need_be}
        group.append({
            "rank": ranked.rank, "tie_rank": ranked.tie_rank, "start": start, "end": end, "latest_start": start,
            "all_day": option.day is not None, "option_id": option.pk, "owner_level": suggested.owner_level,
            "can_come": ranked.available_count,
            "available": [{**_ref(i), "level": levels[str(i.pk)]} for i in counted if str(i.pk) in levels],
            "unavailable": [_ref(i) for i in counted if str(i.pk) not in levels],
        })  # fmt: skip
    schedules = _schedules(found.series, lambda slot: data.options[slot.start_index].pk)
    return group, schedules, bool(data.of(None))


def _schedules(series: suggest.SeriesSuggestions | None, option_of) -> list[dict]:
    if series is None:
        return []
    return [
        {
            "index": index,
            "placed": schedule.placed,
            "preference": schedule.total_preference,
            "meetings": [
                {
                    **_person(meeting.invitee),
                    "start": meeting.slot.start,
                    "end": meeting.slot.end,
                    "option_id": option_of(meeting.slot),
                    "owner_level": meeting.owner_level,
                    "invitee_level": meeting.invitee_level,
                }
                for meeting in schedule.meetings
            ],
            "unplaced": [{**_person(item.invitee), "reason": str(item.reason)} for item in schedule.unplaced],
        }
        for index, schedule in enumerate([series.best, *series.alternatives])
    ]


class OneOnOneIn(Schema):
    invitation_id: int
    start: AwareDatetime | None = None  # a listed time or any other
    option_id: int | None = None  # or one of an options poll's options


class FinalizeIn(Schema):
    """A group poll: one meeting at ``start`` (or ``option_id``) with ``attendees`` (invitation ids;
    everyone invited unless given). A series poll: ``meetings``, one per invitee scheduled.
    ``length`` in minutes (the poll's unless given). Warnings (someone unavailable, a clash with
    your calendar) need ``accept_warnings``; ``preview`` only checks and creates nothing."""

    start: AwareDatetime | None = None
    option_id: int | None = None
    attendees: list[int] | None = None
    meetings: list[OneOnOneIn] = []
    length: int | None = None
    accept_warnings: bool = False
    preview: bool = False


class PlannedOut(Schema):
    start: datetime
    end: datetime
    all_day: bool
    invitation_ids: list[int]


class PreviewOut(Schema):
    ok: bool  # no errors: it could be finalized (with accept_warnings if there are warnings)
    meetings: list[PlannedOut]
    errors: list[str]
    warnings: list[str]
    notes: list[str]


class FinalizedOut(Schema):
    poll: PollOut
    meetings: list[EventOut]


@router.post(
    "/polls/{poll_id}/finalize", response={200: PreviewOut, 201: FinalizedOut}, summary="Finalize a poll (or preview)"
)
def finalize_poll(request: HttpRequest, poll_id: int, payload: FinalizeIn):
    """Checked as the finalize page checks a plan; creates the meetings and sends the invitations."""
    poll = _poll(request, poll_id)
    if poll.status == Poll.Status.FINALIZED:
        raise conflict("This poll is already finalized; the invitations have been sent.")
    with timezone.override(poll.timezone):  # the messages name times in the poll's timezone
        planning = _planning(poll)
        form = PlanForm(
            _plan_data(poll, planning, payload), poll=poll, times=planning.times(), invitations=planning.invitations
        )
        if not form.is_valid():
            raise form_problem(form)
        preview = planning.check(form.meetings, list(form.plan_errors))
        if payload.preview:
            return Status(200, _preview_out(preview))
        if not preview.ok:
            raise Problem(
                422, "Plan not valid", "Fix these problems before sending invitations.",
                errors=[{"field": "__all__", "message": message} for message in preview.errors],
                warnings=preview.warnings,
            )  # fmt: skip
        if preview.warnings and not payload.accept_warnings:
            raise Problem(
                422, "Warnings not accepted",
                "Send accept_warnings: true to confirm you want to send despite the warnings.",
                warnings=preview.warnings,
            )  # fmt: skip
        try:
            made = finalize.finalize_poll(poll=poll, meetings=preview.meetings)
        except finalize.AlreadyFinalized:
            raise conflict("This poll was already finalized; nothing was sent again.") from None
    poll.refresh_from_db()
    made = Event.objects.filter(pk__in=[event.pk for event in made]).prefetch_related("attendees")
    return Status(201, {"poll": poll_out(poll), "meetings": [event_out(event) for event in made]})


def _plan_data(poll: Poll, planning, payload: FinalizeIn) -> QueryDict:
    """The finalize page's form fields for the plan sent: a listed time by its key, any other time
    as a custom one (the form then checks it as it checks one typed on the page)."""
    keys = {time.start: time.key for time in planning.times() if time.day is None}

    def when(prefix: str, start: datetime | None, option_id: int | None) -> dict[str, str]:
        if option_id is not None:
            return {prefix: f"o{option_id}"}
        if start is None:
            return {}
        key = keys.get(start)
        return {prefix: key} if key else {prefix: "custom", f"custom_{prefix.removeprefix('slot_')}": start.isoformat()}

    data = QueryDict(mutable=True)
    fields: dict[str, str] = {"length": str(payload.length) if payload.length is not None else ""}
    if poll.kind == Poll.Kind.GROUP:
        chosen = payload.attendees if payload.attendees is not None else finalize.everyone(planning.invitations)
        data.setlist("attendees", [str(pk) for pk in chosen])
        fields.update(when("start", payload.start, payload.option_id))
    else:
        for meeting in payload.meetings:
            fields.update(when(f"slot_{meeting.invitation_id}", meeting.start, meeting.option_id))
    for name, value in fields.items():
        data[name] = value
    return data


def _preview_out(preview: finalize.Preview) -> dict:
    return {
        "ok": preview.ok,
        "meetings": [
            {
                "start": m.start.astimezone(UTC),
                "end": m.end.astimezone(UTC),
                "all_day": m.all_day,
                "invitation_ids": [i.pk for i in m.invitations],
            }
            for m in preview.meetings
        ],
        "errors": preview.errors,
        "warnings": preview.warnings,
        "notes": preview.notes,
    }


# --- Calendar events: reading --------------------------------------------------------------------


def _events(request: HttpRequest):
    return Event.objects.for_owner(request.user).prefetch_related("attendees")


@router.get("/events", response=Page[OccurrenceOut], summary="Calendar events in a range")
def list_events(
    request: HttpRequest,
    start: AwareDatetime,
    end: AwareDatetime,
    expand: bool = True,
    kind: str = "",
    page: int = 1,
    per_page: int = 50,
):
    """Your events overlapping [start, end) (at most 366 days), by start. ``expand`` (the default)
    lists each occurrence of a series in the range as the calendar shows it, with its own times
    and ``recurrence_id``; ``expand=false`` lists each event once as stored, a series with its
    ``rrule`` and ``exdates`` (occurrences edited on their own are events with a ``series_id``).
    Cancelled events are left out."""
    _within(start=start, end=end)
    if end <= start:
        raise Problem(422, "Invalid request", "The range must end after it starts.")
    if end - start > MAX_RANGE:
        raise Problem(422, "Invalid request", "Ask for at most 366 days at a time.")
    events = _events(request).active().filter(occurrences.in_window(start, end))
    if kind:
        events = events.filter(kind=kind)
    found = []
    for event in events:
        expanded = occurrences.expand(event, start, end)
        if expand:
            found += [(occurrence.start, event, occurrence) for occurrence in expanded]
        elif expanded:
            found.append((event.start, event, None))
    found.sort(key=lambda row: (row[0], row[1].pk))
    return paginate(request, found, _occurrence_out, page=page, per_page=per_page)


def _occurrence_out(row) -> dict:
    _, event, occurrence = row
    data = event_out(event)
    if occurrence is not None and event.rrule:
        data.update(start=occurrence.start, end=occurrence.end, recurrence_id=occurrence.start)
    else:
        data["recurrence_id"] = None
    return data


@router.get("/events/{event_id}", response=EventOut, summary="Read an event")
def read_event(request: HttpRequest, event_id: int):
    return event_out(owned(_events(request), event_id))


# --- Calendar events: writing --------------------------------------------------------------------


class AttendeeIn(Schema):
    name: str = ""
    email: str


class EventIn(Schema):
    """Times with their offset. An all-day event covers the days from ``start``'s date to the day
    ``end`` reaches (``end`` exclusive, as returned: midnight after the last day)."""

    title: str
    start: AwareDatetime
    end: AwareDatetime
    timezone: str | None = None  # the event's zone (a series repeats in it); yours unless given
    kind: str = Event.Kind.MEETING  # meeting, event, reminder
    all_day: bool = False
    location: str = ""
    description: str = ""
    attendees: list[AttendeeIn] = []
    contact_ids: list[int] = []  # contacts to invite too
    reminders: list[int] = []  # minutes before: 10, 60, 1440 or 10080
    remind_attendees: bool = False
    rrule: str = ""  # e.g. FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE;COUNT=10 (what the event form can make)


class EventPatch(Schema):
    """Only what is sent changes; ``attendees`` (if sent) is the whole new list."""

    title: str | None = None
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    timezone: str | None = None
    kind: str | None = None
    all_day: bool | None = None
    location: str | None = None
    description: str | None = None
    attendees: list[AttendeeIn] | None = None
    reminders: list[int] | None = None
    remind_attendees: bool | None = None
    rrule: str | None = None


@router.post("/events", response={201: EventOut}, summary="Create an event")
def create_event(request: HttpRequest, payload: EventIn):
    fields = payload.dict()
    return Status(201, _save(request, None, {**fields, "timezone": fields["timezone"] or request.user.timezone}))


@router.patch("/events/{event_id}", response=EventOut, summary="Change an event (or a whole series)")
def update_event(request: HttpRequest, event_id: int, payload: EventPatch):
    event = _live(request, event_id)
    return _save(request, event, {**_current(event), **payload.dict(exclude_unset=True, exclude_none=True)})


@router.delete("/events/{event_id}", response={204: None}, summary="Cancel an event (or a whole series)")
def delete_event(request: HttpRequest, event_id: int, reason: str = ""):
    """Kept as cancelled, as from the page, with ``reason``; attendees are sent the cancellation
    (a booked meeting's booker is told the reason too)."""
    workflows.cancel_event(event=_live(request, event_id), reason=reason[:2000])
    return Status(204, None)


class AttendeesIn(Schema):
    attendees: list[AttendeeIn] = []
    contact_ids: list[int] = []


@router.post("/events/{event_id}/attendees", response={201: EventOut}, summary="Invite more attendees")
def add_attendees(request: HttpRequest, event_id: int, payload: AttendeesIn):
    """The new attendees are sent the invitation; the others hear nothing."""
    event = _live(request, event_id)
    current = _current(event)
    fields = {**current, "attendees": [*current["attendees"], *(a.dict() for a in payload.attendees)]}
    return Status(201, _save(request, event, {**fields, "contact_ids": payload.contact_ids}))


@router.delete("/events/{event_id}/attendees/{attendee_id}", response={204: None}, summary="Remove an attendee")
def remove_attendee(request: HttpRequest, event_id: int, attendee_id: int):
    """The attendee is sent the cancellation; the others hear nothing."""
    event = _live(request, event_id)
    removed = owned(event.attendees.all(), attendee_id)
    keep = [(attendee.name, attendee.email) for attendee in event.attendees.all() if attendee.pk != removed.pk]
    workflows.save_event(event=event, attendees=keep)
    return Status(204, None)


def _live(request: HttpRequest, event_id: int) -> Event:
    event = owned(_events(request), event_id)
    if event.is_cancelled:
        raise conflict("This event was cancelled; it can no longer change.")
    return event


def _current(event: Event) -> dict:
    """An event's fields as ``EventIn`` has them (for a change of a few of them)."""
    return {
        "title": event.title, "start": event.start, "end": event.end, "timezone": event.timezone, "kind": event.kind,
        "all_day": event.all_day, "location": event.location, "description": event.description,
        "attendees": [{"name": a.name, "email": a.email} for a in event.attendees.all()], "contact_ids": [],
        "reminders": list(event.reminders), "remind_attendees": event.remind_attendees, "rrule": event.rrule,
    }  # fmt: skip


def _save(request: HttpRequest, event: Event | None, fields: dict) -> dict:
    form = EventForm(_event_form_data(fields), instance=event, owner=request.user)
    if not form.is_valid():
        raise form_problem(form)
    names = {attendee["email"].lower(): attendee["name"] for attendee in fields["attendees"]}
    attendees = [(name or names.get(email.lower(), ""), email) for name, email in form.attendees]
    try:
        saved = workflows.save_event(event=form.save(), attendees=attendees)
    except workflows.MeetingOverlaps:
        raise Problem(
            409, "Conflict", "This booked meeting would overlap another booking. Pick a time when you have no booking."
        ) from None
    return event_out(_events(request).get(pk=saved.pk))


def _within(**moments: datetime) -> None:
    """Times the pages can compute with (the form's own range, accounts/inputs.py), checked before
    they are moved into a zone, which could overflow at the ends of the calendar."""
    wrong = [name for name, moment in moments.items() if not EARLIEST <= moment.date() <= LATEST]
    if wrong:
        message = f"Give a date between {EARLIEST.year} and {LATEST.year}."
        raise invalid([{"field": name, "message": message} for name in wrong])


def _event_form_data(fields: dict) -> dict:
    """The event page's form fields for an event as the API describes it."""
    _within(start=fields["start"], end=fields["end"])
    zone_name = fields["timezone"]
    zone = zoneinfo.ZoneInfo(zone_name) if zone_name in known_timezones() else None
    start, end = fields["start"], fields["end"]
    if zone is not None:  # an all-day event's dates are those of its own zone
        start, end = start.astimezone(zone), end.astimezone(zone)
    if fields["all_day"]:
        end = max(end - timedelta(seconds=1), start)  # the form counts the days from start to end's date
    data = {
        "title": fields["title"], "kind": fields["kind"], "all_day": fields["all_day"],
        "start": start.isoformat(), "end": end.isoformat(), "timezone": zone_name,
        "location": fields["location"], "description": fields["description"],
        "remind_attendees": fields["remind_attendees"], "reminder_choices": [str(m) for m in fields["reminders"]],
        "contacts": [str(pk) for pk in fields.get("contact_ids", [])],
        "other_attendees": ", ".join(attendee["email"] for attendee in fields["attendees"]),
    }  # fmt: skip
    return data | _recurrence_fields(fields["rrule"], zone_name if zone else "UTC")


def _recurrence_fields(rrule: str, zone_name: str) -> dict:
    if not rrule.strip():
        return {"repeat": ""}
    try:
        rule = Recurrence.from_rrule(rrule, zone_name)
    except ValueError as error:
        raise invalid_field("rrule", str(error)) from None
    return {
        "repeat": rule.frequency, "interval": str(rule.interval), "weekdays": [str(day) for day in rule.weekdays],
        "ends": "on" if rule.until else "after" if rule.count else "never",
        "until": rule.until.isoformat() if rule.until else "", "count": str(rule.count or ""),
    }  # fmt: skip
