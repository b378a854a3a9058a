"""The JSON shapes of booking links, schedules and bookings: what the REST API returns
(``booking/api.py``) and what booking webhooks carry in ``data``. Times are ISO 8601 in UTC with
their offset; a booking's ``timezone`` is the zone its booker chose."""

from __future__ import annotations

from datetime import date, datetime, time

from ninja import Schema

from accounts.api_base import LocalTime
from booking.models import Booking, EventType, Schedule
from scheduling.schemas import Cancellation


class QuestionOut(Schema):
    label: str
    kind: str  # short, long
    required: bool


class EventTypeOut(Schema):
    id: int
    title: str
    slug: str
    description: str
    kind: str  # one_on_one, group, one_off
    duration: int
    extra_durations: list[int]
    location_kind: str  # none, in_person, phone, video, ask
    location_detail: str
    schedule_id: int
    team_id: int | None
    window: str
    rolling_days: int | None
    window_start: date | None
    window_end: date | None
    minimum_notice: int
    buffer_before: int
    buffer_after: int
    increment: int | None
    max_per_day: int | None
    seats: int
    is_active: bool
    hosting: str  # solo; a team link's collective or round_robin
    allow_recurring: bool
    max_occurrences: int
    reminder_minutes: int
    expires_at: datetime | None
    window_dates: list[date]
    offered_times: list[datetime]  # a one-off link's start times
    questions: list[QuestionOut]
    color: str
    url: str
    created_at: datetime


class HoursOut(Schema):
    weekday: int  # 0 = Monday
    start: LocalTime
    end: LocalTime


class OverrideOut(Schema):
    date: date
    start: LocalTime | None  # both empty: unavailable all day
    end: LocalTime | None


class ScheduleOut(Schema):
    id: int
    name: str
    timezone: str
    is_default: bool
    weekly_hours: list[HoursOut]
    overrides: list[OverrideOut]


class EventTypeRef(Schema):
    id: int
    title: str
    slug: str


class BookingOut(Schema):
    id: int
    status: str  # confirmed, cancelled
    event_type: EventTypeRef | None
    event_id: int
    start: datetime
    end: datetime
    title: str
    location: str
    name: str
    email: str
    timezone: str
    guests: list[str]
    answers: list[dict]
    series: str | None
    cancellation: Cancellation | None
    created_at: datetime


def event_type_out(event_type: EventType) -> dict:
    """``event_type`` is loaded with its owner and team (its URL) and offered slots (prefetched)."""
    return {
        **{field: getattr(event_type, field) for field in EventTypeOut.model_fields if hasattr(event_type, field)},
        "url": event_type.public_url,
        "schedule_id": event_type.schedule_id,
        "team_id": event_type.team_id,
        "offered_times": [slot.start for slot in event_type.offered_slots.all()] if event_type.pk else [],
    }


def schedule_out(schedule: Schedule) -> dict:
    return {
        "id": schedule.pk,
        "name": schedule.name,
        "timezone": schedule.timezone,
        "is_default": schedule.is_default,
        "weekly_hours": [
            {"weekday": row.weekday, "start": row.start, "end": row.end}
            for row in sorted(schedule.weekly_hours.all(), key=lambda row: (row.weekday, row.start))
        ],
        "overrides": [
            {"date": row.date, "start": row.start, "end": row.end}
            for row in sorted(schedule.overrides.all(), key=lambda row: (row.date, row.start or time.min))
        ],
    }


def booking_out(booking: Booking) -> dict:
    """``booking`` is loaded with its event and event type (``select_related``)."""
    event, event_type, cancellation = booking.event, booking.event_type, booking.cancellation
    return {
        "id": booking.pk,
        "status": "cancelled" if booking.is_cancelled else "confirmed",
        "event_type": (
            {"id": event_type.pk, "title": event_type.title, "slug": event_type.slug} if event_type else None
        ),
        "event_id": event.pk,
        "start": event.start,
        "end": event.end,
        "title": event.title,
        "location": event.location,
        "name": booking.name,
        "email": booking.email,
        "timezone": booking.timezone,
        "guests": list(booking.guests),
        "answers": list(booking.answers),
        "series": str(booking.series) if booking.series else None,
        "cancellation": (
            {"at": cancellation.at, "by": cancellation.by, "reason": cancellation.reason} if cancellation else None
        ),
        "created_at": booking.created_at,
    }


def booking_data(booking: Booking) -> dict:
    """JSON-ready, for webhooks' ``data``."""
    return BookingOut(**booking_out(booking)).model_dump(mode="json")
