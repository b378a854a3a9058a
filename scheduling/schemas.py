"""The JSON shapes of calendar events, attendees, polls and invitations: what the REST API
returns (``scheduling/api.py``) and what webhooks carry in ``data`` (the same shape, so a client
reads both with one parser). Times are ISO 8601 in UTC with their offset."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from ninja import Schema

from accounts.api_base import LocalTime
from scheduling.models import Attendee, Event, Invitation, Poll


class AttendeeOut(Schema):
    id: int
    name: str
    email: str
    status: str  # needs-action, accepted, declined, tentative
    responded_at: datetime | None
    host_id: int | None = None


class Cancellation(Schema):
    at: datetime | None
    by: str
    reason: str


class EventOut(Schema):
    id: int
    title: str
    description: str
    location: str
    kind: str  # meeting, event, reminder
    origin: str  # manual, poll, booking
    status: str  # confirmed, cancelled
    start: datetime
    end: datetime
    all_day: bool
    timezone: str
    rrule: str  # RFC 5545 RRULE of a series ("" for a single event)
    exdates: list[str]
    series_id: int | None
    original_start: datetime | None
    reminders: list[int]  # minutes before the start
    poll_id: int | None
    cancellation: Cancellation | None
    attendees: list[AttendeeOut]
    url: str
    created_at: datetime
    updated_at: datetime


class InvitationOut(Schema):
    id: int
    name: str
    email: str
    status: str  # pending, responded, declined
    responded_at: datetime | None
    decline_note: str
    joined_by_link: bool
    reminders_sent: int


class PollOut(Schema):
    id: int
    title: str
    description: str
    kind: str  # group, series
    mode: str  # grid, options
    duration: int
    timezone: str
    dates: list[date]
    day_start: LocalTime
    day_end: LocalTime
    cell_minutes: int
    deadline: datetime
    status: str  # open, closed, finalized
    invited: int
    responded: int
    declined: int
    meeting_ids: list[int]
    url: str
    created_at: datetime


def attendee_out(attendee: Attendee) -> dict:
    return {
        "id": attendee.pk,
        "name": attendee.name,
        "email": attendee.email,
        "status": attendee.status,
        "responded_at": attendee.responded_at,
        "host_id": attendee.host_id,
    }


def event_out(event: Event) -> dict:
    cancelled = event.status == Event.Status.CANCELLED
    return {
        "id": event.pk,
        "title": event.title,
        "description": event.description,
        "location": event.location,
        "kind": event.kind,
        "origin": event.origin,
        "status": event.status,
        "start": event.start,
        "end": event.end,
        "all_day": event.all_day,
        "timezone": event.timezone,
        "rrule": event.rrule,
        "exdates": [str(moment) for moment in event.exdates],
        "series_id": event.series_id,
        "original_start": event.original_start,
        "reminders": list(event.reminders),
        "poll_id": event.poll_id,
        "cancellation": (
            {"at": event.cancelled_at, "by": event.cancelled_by, "reason": event.cancel_reason} if cancelled else None
        ),
        "attendees": [attendee_out(attendee) for attendee in event.attendees.all()],
        "url": settings.SITE_URL + event.get_absolute_url(),
        "created_at": event.created_at,
        "updated_at": event.updated_at,
    }


def invitation_out(invitation: Invitation) -> dict:
    return {
        "id": invitation.pk,
        "name": invitation.name,
        "email": invitation.email,
        "status": invitation.status,
        "responded_at": invitation.responded_at,
        "decline_note": invitation.decline_note,
        "joined_by_link": invitation.joined_by_link,
        "reminders_sent": invitation.reminders_sent,
    }


def poll_out(poll: Poll) -> dict:
    """``poll`` may carry the counts of ``Poll.objects.with_counts()``; else they are counted."""
    counts = getattr(poll, "invited", None)
    if counts is None:
        statuses = list(poll.invitations.values_list("status", flat=True))
        invited, responded, declined = (
            len(statuses),
            statuses.count(Invitation.Status.RESPONDED),
            statuses.count(Invitation.Status.DECLINED),
        )
    else:
        invited, responded, declined = poll.invited, poll.responded, poll.declined
    return {
        "id": poll.pk,
        "title": poll.title,
        "description": poll.description,
        "kind": poll.kind,
        "mode": poll.mode,
        "duration": poll.duration,
        "timezone": poll.timezone,
        "dates": poll.dates,
        "day_start": poll.day_start,
        "day_end": poll.day_end,
        "cell_minutes": poll.cell_minutes,
        "deadline": poll.deadline,
        "status": poll.status,
        "invited": invited,
        "responded": responded,
        "declined": declined,
        "meeting_ids": sorted(meeting.pk for meeting in poll.meetings.all()),  # prefetched by lists
        "url": settings.SITE_URL + poll.get_absolute_url(),
        "created_at": poll.created_at,
    }


# JSON-ready dicts, for webhooks' ``data``.


def attendee_data(attendee: Attendee) -> dict:
    return AttendeeOut(**attendee_out(attendee)).model_dump(mode="json")


def event_data(event: Event) -> dict:
    return EventOut(**event_out(event)).model_dump(mode="json")


def invitation_data(invitation: Invitation) -> dict:
    return InvitationOut(**invitation_out(invitation)).model_dump(mode="json")


def poll_data(poll: Poll) -> dict:
    return PollOut(**poll_out(poll)).model_dump(mode="json")


# --- The API's fuller shapes (not sent by webhooks) ----------------------------------------------


class OccurrenceOut(EventOut):
    """One occurrence of the calendar: a single event, or a series' occurrence with its own
    ``start`` and ``end`` and, in ``recurrence_id``, the original start that names it
    (iCalendar's RECURRENCE-ID; empty for a single event)."""

    recurrence_id: datetime | None


class SpanOut(Schema):
    """Painted availability: ``[start, end)`` at a level (1 = if need be, 2 = fine, 3 = preferred)."""

    start: datetime
    end: datetime
    level: int


class OptionOut(Schema):
    """A time an options poll offers: a start (lasting the poll's length) or a whole ``day`` in the
    poll's timezone (then ``start``/``end`` are that day's midnights)."""

    id: int
    start: datetime
    end: datetime
    day: date | None
    all_day: bool


class AnswerOut(Schema):
    """An answer to one option: 2 = yes, 1 = if need be (no answer listed means no)."""

    option_id: int
    level: int


class OwnerAnswersOut(Schema):
    availability: list[SpanOut]
    answers: list[AnswerOut]


class InvitationDetailOut(InvitationOut):
    availability: list[SpanOut]  # grid polls
    answers: list[AnswerOut]  # options polls


class PollDetailOut(PollOut):
    visibility: str
    options: list[OptionOut]
    owner: OwnerAnswersOut
    invitations: list[InvitationDetailOut]
