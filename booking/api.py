"""Booking links, schedules, free slots and bookings in the REST API.

Every write goes through what the owner's pages use: the same forms (so a client gets the messages
a person gets), the same workflows (``book_slot``, ``reschedule_booking``, ``cancel_booking``, with
their locks and re-checks) and, for free slots, the same engine and cache as the public booking
page (``availability.published_free_slots`` over the link ``links.published`` serves), so the API
and the page never disagree.

Scope: a token reads its user's own links and their teams' links (as the team pages show them to
every member), and changes only its user's own links (team links are edited on the team's pages; a
write to one is a 404, the answer team pages give to what a member may not do). Bookings are those
``Booking.objects.for_host`` gives; only the meeting's owner reschedules or cancels.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils.timezone import now as utc_now
from ninja import Field, Router, Schema, Status
from pydantic import AwareDatetime, field_validator

from accounts.api_base import Page, conflict, form_problem, idempotent, invalid, invalid_field, owned, paginate
from accounts.inputs import parse_date, parse_moment
from accounts.timezones import canonical_timezone, validate_timezone
from booking import availability, links
from booking.book import Booker, SlotUnavailable, book_slot, cancel_booking, reschedule_booking
from booking.forms import BookingForm, CancelBookingForm, DateOverrideForm, EventTypeForm, ScheduleForm
from booking.links import BookingLink
from booking.models import WEEKDAYS, Booking, EventType, Schedule
from booking.schedules import ensure_default_schedule
from booking.schemas import BookingOut, EventTypeOut, ScheduleOut, booking_data, event_type_out, schedule_out
from scheduling.models import Event

router = Router(tags=["Booking links and bookings"])

# The longest range one slots request may ask for: two months and a bit, like the page's month view
# with room to spare, and a bounded amount of work per request.
MAX_SLOT_DAYS = 62
NOT_OFFERED = "That meeting length is not offered. Please pick one of the listed lengths."


def _zone(value: str, field: str = "timezone") -> str:
    """A zone under its current IANA name, or a 422 with the message the forms give."""
    name = canonical_timezone(value)
    try:
        validate_timezone(name)
    except ValidationError as error:
        raise invalid_field(field, error.messages[0]) from None
    return name


# --- Event types -----------------------------------------------------------------------------------


def _readable_links(user) -> QuerySet[EventType]:
    """The user's own links and their teams' links (every member sees those)."""
    return EventType.objects.filter(Q(owner=user, team__isnull=True) | Q(team__memberships__user=user))


def _own_links(user) -> QuerySet[EventType]:
    return EventType.objects.for_owner(user).select_related("owner", "schedule").prefetch_related("offered_slots")


class QuestionIn(Schema):
    label: str = Field(min_length=1, max_length=200)
    kind: Literal["short", "long"] = "short"
    required: bool = False

    @field_validator("label")
    @classmethod
    def _one_plain_line(cls, label: str) -> str:
        """The form reads questions as lines, with ``long:`` and `` *`` as markers: a label that
        held them would come back as other questions."""
        label = label.strip()
        if "\n" in label or "\r" in label:
            raise ValueError("Write each question on one line; send several questions as several items.")
        if label.lower().startswith("long:") or label.endswith("*"):
            raise ValueError("Use kind and required instead of starting with “long:” or ending with “*”.")
        return label


class EventTypePatch(Schema):
    """The writable fields of a booking link; what is left out keeps its value (its default, for a
    new link). Each has the meaning and the limits of the booking link page's field."""

    title: str | None = None
    slug: str | None = Field(None, description="Made from the title when empty.")
    description: str | None = None
    kind: Literal["one_on_one", "group", "one_off"] | None = None
    duration: int | None = Field(None, description="Minutes (5–720).")
    extra_durations: list[int] | None = Field(None, description="Other lengths the booker may choose, in minutes.")
    location_kind: Literal["none", "in_person", "phone", "video", "ask"] | None = None
    location_detail: str | None = None
    schedule_id: int | None = Field(None, description="One of your schedules; your default one when left out.")
    window: Literal["rolling", "range", "dates"] | None = None
    rolling_days: int | None = None
    window_start: date | None = None
    window_end: date | None = None
    window_dates: list[date] | None = None
    minimum_notice: int | None = Field(None, description="Minutes.")
    buffer_before: int | None = None
    buffer_after: int | None = None
    increment: int | None = Field(None, description="Start times every this many minutes; 0: every duration.")
    max_per_day: int | None = None
    seats: int | None = None
    allow_recurring: bool | None = None
    max_occurrences: int | None = None
    reminder_minutes: int | None = None
    expires_at: AwareDatetime | None = None
    offered_times: list[AwareDatetime] | None = Field(None, description="A one-off link's start times.")
    questions: list[QuestionIn] | None = None
    color: str | None = None
    is_active: bool | None = None


class EventTypeIn(EventTypePatch):
    title: str


# Form fields that take the model's value as it is.
PLAIN_FIELDS = (
    "title", "slug", "description", "kind", "duration", "location_kind", "location_detail", "window", "rolling_days",
    "window_start", "window_end", "minimum_notice", "buffer_before", "buffer_after", "increment", "max_per_day",
    "seats", "allow_recurring", "max_occurrences", "reminder_minutes", "expires_at", "color", "is_active",
)  # fmt: skip
# The form's name of a field and the API's, where they differ.
API_FIELD = {
    "schedule": "schedule_id",
    "extra_durations_text": "extra_durations",
    "window_dates_text": "window_dates",
    "offered_slots_text": "offered_times",
    "questions_text": "questions",
}


def _questions_text(questions: list[dict]) -> str:
    return "\n".join(
        ("long: " if question["kind"] == "long" else "") + question["label"] + (" *" if question["required"] else "")
        for question in questions
    )


def _event_type_form(user, event_type: EventType | None, payload: EventTypePatch) -> EventTypeForm:
    """The booking link page's form, posted with the link's current values (a new link's defaults)
    overlaid with what the client sent."""
    current = event_type or EventType(owner=user, schedule=ensure_default_schedule(user))
    sent = payload.dict(exclude_unset=True)
    nulls = [name for name in PLAIN_FIELDS if sent.get(name, "") is None and not EventType._meta.get_field(name).null]
    if nulls:  # a form would read null as empty, and an empty tick box as "off"
        raise invalid([{"field": name, "message": "This cannot be null; leave it out to keep it."} for name in nulls])
    values = {name: getattr(current, name) for name in PLAIN_FIELDS}
    values.update({name: sent[name] for name in PLAIN_FIELDS if name in sent})
    data = {name: "" if value is None else value for name, value in values.items()}
    data["schedule"] = sent.get("schedule_id", current.schedule_id) or ""
    data["extra_durations_text"] = ", ".join(map(str, sent.get("extra_durations", current.extra_durations) or []))
    dates = sent.get("window_dates", current.window_dates)
    data["window_dates_text"] = "\n".join(str(day) for day in dates or [])
    # Each question whole, with its defaults (``exclude_unset`` above leaves them out).
    questions = [question.dict() for question in payload.questions or []] if "questions" in sent else current.questions
    data["questions_text"] = _questions_text(questions or [])
    # Offered times are written in the schedule's zone, the one the link has once saved.
    schedule = Schedule.objects.for_owner(user).filter(pk=data["schedule"] or None).first()
    zone = zoneinfo.ZoneInfo(schedule.timezone) if schedule else UTC
    offered = sent.get("offered_times")
    if offered is None:
        offered = [slot.start for slot in current.offered_slots.all()] if current.pk else []
    data["offered_slots_text"] = "\n".join(f"{moment.astimezone(zone):%Y-%m-%d %H:%M}" for moment in offered)
    return EventTypeForm(data, instance=event_type, owner=user)


def _save_event_type(form: EventTypeForm) -> EventType:
    if not form.is_valid():
        problem = form_problem(form)
        for error in problem.errors:
            error["field"] = API_FIELD.get(error["field"], error["field"])
        raise problem
    with transaction.atomic():
        return form.save()


def _event_type_json(event_type: EventType) -> dict:
    return event_type_out(event_type)


@router.get("/event-types", response=Page[EventTypeOut], summary="List booking links")
def list_event_types(request: HttpRequest, active: bool | None = None, page: int = 1, per_page: int = 50):
    """Your own booking links and your teams' links."""
    found = _readable_links(request.user).select_related("owner", "team").prefetch_related("offered_slots")
    if active is not None:
        found = found.filter(is_active=active)
    return paginate(request, found.order_by("title", "id"), _event_type_json, page=page, per_page=per_page)


@router.post("/event-types", response={201: EventTypeOut}, summary="Make a booking link")
def create_event_type(request: HttpRequest, payload: EventTypeIn):
    saved = _save_event_type(_event_type_form(request.user, None, payload))
    return Status(201, _event_type_json(saved))


@router.get("/event-types/{event_type_id}", response=EventTypeOut, summary="Read a booking link")
def read_event_type(request: HttpRequest, event_type_id: int):
    found = _readable_links(request.user).select_related("owner", "team").prefetch_related("offered_slots")
    return _event_type_json(owned(found, event_type_id))


@router.patch("/event-types/{event_type_id}", response=EventTypeOut, summary="Change a booking link")
def update_event_type(request: HttpRequest, event_type_id: int, payload: EventTypePatch):
    event_type = owned(_own_links(request.user), event_type_id)
    return _event_type_json(_save_event_type(_event_type_form(request.user, event_type, payload)))


def _set_active(request: HttpRequest, event_type_id: int, active: bool) -> dict:
    event_type = owned(_own_links(request.user), event_type_id)
    if event_type.is_active != active:
        event_type.is_active = active
        event_type.save(update_fields=["is_active"])
    return _event_type_json(event_type)


@router.post("/event-types/{event_type_id}/deactivate", response=EventTypeOut, summary="Turn a booking link off")
def deactivate_event_type(request: HttpRequest, event_type_id: int):
    return _set_active(request, event_type_id, False)


@router.post("/event-types/{event_type_id}/activate", response=EventTypeOut, summary="Turn a booking link on")
def activate_event_type(request: HttpRequest, event_type_id: int):
    return _set_active(request, event_type_id, True)


# --- Free slots ------------------------------------------------------------------------------------


class SlotOut(Schema):
    start: datetime
    end: datetime
    seats_left: int


class SlotsOut(Schema):
    timezone: str
    duration: int
    slots: list[SlotOut]


def _published_link(user, event_type_id: int) -> tuple[BookingLink, links.Owner]:
    """The link as its public page reads it (cached under the same versions), and whose it is; a
    link the user may not read is a 404. One plain query when cached: compiling the scoped
    queryset cost most of a request's time."""
    found = (
        EventType.objects.filter(pk=event_type_id).order_by()
        .values_list("owner_id", "slug", "owner__username", "team_id", "team__slug")[:1]
    )  # fmt: skip
    owner_id, slug, username, team_id, team = next(iter(found), (None, "", "", None, ""))
    if team_id is not None and user.memberships.filter(team_id=team_id).exists():
        owner = links.team_owner(team)
        link = links.team_published(owner, team, slug) if owner else None
    elif team_id is None and owner_id == user.pk:
        owner = links.owner(username)
        link = links.published(owner, username, slug) if owner else None
    else:
        link = None
    if link is None:
        raise Http404
    return link, owner


@router.get("/event-types/{event_type_id}/slots", response=SlotsOut, summary="Free times of a booking link")
def event_type_slots(
    request: HttpRequest,
    event_type_id: int,
    start: date,
    end: date,
    timezone: str | None = None,
    duration: int | None = None,
):
    """The start times a booker can book from ``start`` to ``end`` (both included, local dates in
    ``timezone``, at most 62 days), shown in ``timezone`` with its offset: the times the public
    booking page offers. ``timezone`` defaults to the link's schedule's; ``duration`` to the
    link's length."""
    link, owner = _published_link(request.user, event_type_id)
    zone_name = _zone(timezone) if timezone is not None else link.timezone
    if end < start:
        raise invalid_field("end", "The end date must be on or after the start date.")
    if (end - start).days + 1 > MAX_SLOT_DAYS:
        raise invalid_field("end", f"Ask for at most {MAX_SLOT_DAYS} days at a time; split a longer range.")
    minutes = link.duration if duration is None else duration
    if minutes not in link.durations:
        raise invalid_field("duration", NOT_OFFERED)
    if not link.is_active:
        raise conflict("This booking link is turned off, so it offers no times. Turn it on first.")
    zone = zoneinfo.ZoneInfo(zone_name)
    # Local midnights, as the page takes a month (booking/page.py BookingChoice.local_midnight).
    begin = datetime.combine(start, time.min, tzinfo=zone)
    finish = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    found = availability.published_free_slots(
        link, start=begin, end=finish, now=utc_now(), duration=minutes, stamp=owner.stamp
    ).slots
    return {
        "timezone": zone_name,
        "duration": minutes,
        "slots": [
            {"start": slot.start.astimezone(zone), "end": slot.end.astimezone(zone), "seats_left": slot.seats_left}
            for slot in found
        ],
    }


# --- Schedules ---------------------------------------------------------------------------------------


class HoursIn(Schema):
    weekday: int = Field(..., ge=0, le=6, description="0 = Monday.")
    start: str = Field(..., description="HH:MM in the schedule's timezone.", examples=["09:00"])
    end: str = Field(..., description="HH:MM; 24:00 for midnight.", examples=["17:00"])


class WeeklyHoursIn(Schema):
    weekly_hours: list[HoursIn]


class RangeIn(Schema):
    start: str = Field(..., examples=["10:00"])
    end: str = Field(..., examples=["14:00"])


class OverrideIn(Schema):
    date: date
    hours: list[RangeIn] = Field(default_factory=list, description="Empty: unavailable all day.")


def _schedules(user) -> QuerySet[Schedule]:
    return Schedule.objects.for_owner(user).prefetch_related("weekly_hours", "overrides")


def _ranges_text(ranges) -> str:
    return ", ".join(f"{item.start}-{item.end}" for item in ranges)


@router.get("/schedules", response=Page[ScheduleOut], summary="List schedules")
def list_schedules(request: HttpRequest, page: int = 1, per_page: int = 50):
    ensure_default_schedule(request.user)
    return paginate(request, _schedules(request.user), schedule_out, page=page, per_page=per_page)


@router.get("/schedules/{schedule_id}", response=ScheduleOut, summary="Read a schedule")
def read_schedule(request: HttpRequest, schedule_id: int):
    return schedule_out(owned(_schedules(request.user), schedule_id))


@router.put("/schedules/{schedule_id}/weekly-hours", response=ScheduleOut, summary="Replace a schedule's weekly hours")
def replace_weekly_hours(request: HttpRequest, schedule_id: int, payload: WeeklyHoursIn):
    """Every weekday's hours at once; a weekday left out is unavailable."""
    schedule = owned(_schedules(request.user), schedule_id)
    data = {"name": schedule.name, "timezone": schedule.timezone}
    for weekday, _ in WEEKDAYS:
        data[f"day_{weekday}"] = _ranges_text(row for row in payload.weekly_hours if row.weekday == weekday)
    form = ScheduleForm(data, instance=schedule, owner=request.user)
    if not form.is_valid():
        problem = form_problem(form)
        names = {f"day_{weekday}": f"weekly_hours.{name}" for weekday, name in WEEKDAYS}
        for error in problem.errors:
            error["field"] = names.get(error["field"], error["field"])
        raise problem
    form.instance.hours_saved_at = utc_now()
    with transaction.atomic():
        form.save()
    return schedule_out(owned(_schedules(request.user), schedule_id))


@router.post("/schedules/{schedule_id}/overrides", response={201: ScheduleOut}, summary="Set one date's hours")
def add_override(request: HttpRequest, schedule_id: int, payload: OverrideIn):
    """Different hours on one date (replacing that date's earlier override), or none: unavailable."""
    schedule = owned(_schedules(request.user), schedule_id)
    form = DateOverrideForm({"date": payload.date, "hours": _ranges_text(payload.hours)}, schedule=schedule)
    if not form.is_valid():
        raise form_problem(form)
    with transaction.atomic():
        form.save()
        links.forget(request.user.pk)  # bulk_create sends no signals
    return Status(201, schedule_out(owned(_schedules(request.user), schedule_id)))


@router.delete(
    "/schedules/{schedule_id}/overrides/{override_date}", response={204: None}, summary="Remove a date's hours"
)
def delete_override(request: HttpRequest, schedule_id: int, override_date: date):
    schedule = owned(_schedules(request.user), schedule_id)
    overrides = schedule.overrides.filter(date=override_date)
    if not overrides.exists():
        raise Http404
    with transaction.atomic():
        overrides.delete()
        links.forget(request.user.pk)
    return Status(204, None)


# --- Bookings --------------------------------------------------------------------------------------


class AnswerIn(Schema):
    question: str = Field(..., description="A question of the link, as worded there.")
    answer: str


class BookingIn(Schema):
    event_type: int
    start: AwareDatetime = Field(..., description="With its offset, e.g. 2026-12-07T09:00:00-05:00.")
    name: str
    email: str
    timezone: str = Field(..., description="The booker's IANA timezone: their emails show times in it.")
    guests: list[str] = Field(default_factory=list)
    answers: list[AnswerIn] = Field(default_factory=list)
    location: str = Field("", description="Where to meet, for links that ask the booker.")
    duration: int | None = Field(None, description="Minutes; the link's length when left out.")
    occurrences: int = Field(1, description="Weekly occurrences, for links that allow recurring bookings.")
    hour12: bool | None = Field(None, description="The booker's clock for their emails; the host's when left out.")


class RescheduleIn(Schema):
    start: AwareDatetime


class CancelIn(Schema):
    reason: str = ""


def _hosted(user) -> QuerySet[Booking]:
    return Booking.objects.for_host(user).select_related("event", "event_type")


def _owned_booking(user, pk: int) -> Booking:
    """A booking of a meeting ``user`` owns, for changing it (co-hosts of a team meeting read it)."""
    return owned(Booking.objects.filter(event__owner=user).select_related("event__owner", "event_type"), pk)


def _moment(value: str, field: str, zone: zoneinfo.ZoneInfo, *, end: bool) -> datetime:
    """A filter's date-time with offset, or a date (its start in the user's zone; for ``end``,
    the day is included)."""
    moment = parse_moment(value)
    if moment is not None:
        return moment
    day = parse_date(value)
    if day is not None:
        return datetime.combine(day + timedelta(days=1) if end else day, time.min, tzinfo=zone)
    if parse_moment(value, aware=False) is not None:
        raise invalid_field(field, "Give the time with its offset, e.g. 2026-12-07T09:00:00+01:00, or just a date.")
    raise invalid_field(
        field, f"“{value}” is not a date or time. Use ISO 8601, e.g. 2026-12-07 or 2026-12-07T09:00:00Z."
    )


@router.get("/bookings", response=Page[BookingOut], summary="List bookings")
def list_bookings(
    request: HttpRequest,
    start: str | None = None,
    end: str | None = None,
    status: Literal["confirmed", "cancelled"] | None = None,
    event_type: int | None = None,
    page: int = 1,
    per_page: int = 50,
):
    """Bookings of meetings you host, by start time. ``start``/``end``: meetings starting in
    [start, end); a date stands for its day in your timezone (``end``'s day included)."""
    found = _hosted(request.user)
    zone = request.user.tzinfo
    if start:
        found = found.filter(event__start__gte=_moment(start, "start", zone, end=False))
    if end:
        found = found.filter(event__start__lt=_moment(end, "end", zone, end=True))
    if status == "confirmed":
        found = found.confirmed()
    elif status == "cancelled":
        found = found.cancelled()
    if event_type is not None:
        found = found.filter(event_type_id=event_type)
    return paginate(request, found.order_by("event__start", "pk"), booking_data, page=page, per_page=per_page)


@router.get("/bookings/{booking_id}", response=BookingOut, summary="Read a booking")
def read_booking(request: HttpRequest, booking_id: int):
    return booking_data(owned(_hosted(request.user), booking_id))


def _booking_form(event_type: EventType, payload: BookingIn) -> BookingForm:
    """The booking page's form, filled from the request; answers are matched to the link's
    questions by their wording."""
    data = {"name": payload.name, "email": payload.email, "guests": ", ".join(payload.guests),
            "location": payload.location, "occurrences": payload.occurrences}  # fmt: skip
    index = {question["label"]: n for n, question in enumerate(event_type.questions)}
    for answer in payload.answers:
        if answer.question not in index:
            raise invalid_field("answers", f"“{answer.question}” is not a question of this booking link.")
        data[f"question_{index[answer.question]}"] = answer.answer
    return BookingForm(data, event_type=event_type)


def _book(request: HttpRequest, payload: BookingIn) -> tuple[int, dict]:
    links_readable = _readable_links(request.user).select_related("schedule", "owner")
    event_type = owned(links_readable, payload.event_type)
    zone = _zone(payload.timezone)
    minutes = payload.duration or event_type.duration
    if minutes not in event_type.durations:
        raise invalid_field("duration", NOT_OFFERED)
    form = _booking_form(event_type, payload)
    if not form.is_valid():
        problem = form_problem(form)
        labels = {f"question_{n}": f"answers.{question['label']}" for n, question in enumerate(event_type.questions)}
        for error in problem.errors:
            error["field"] = labels.get(error["field"], error["field"])
        raise problem
    booker = Booker(
        name=form.cleaned_data["name"],
        email=form.cleaned_data["email"],
        timezone=zone,
        answers=form.answers(),
        guests=form.cleaned_data["guests"],
        location=form.cleaned_data.get("location", ""),
        hour12=event_type.owner.hour12 if payload.hour12 is None else payload.hour12,
    )
    try:
        made = book_slot(
            event_type=event_type,
            start=payload.start,
            booker=booker,
            duration=minutes,
            occurrences=form.cleaned_data.get("occurrences", 1),
        )
    except SlotUnavailable as unavailable:
        raise conflict(unavailable.message) from None
    return 201, booking_data(Booking.objects.select_related("event", "event_type").get(pk=made[0].pk))


@router.post("/bookings", response={201: BookingOut}, summary="Book a time for someone")
def create_booking(request: HttpRequest, payload: BookingIn):
    """Book on behalf of a booker, as the booking page does (the same checks, the same emails).
    A recurring booking answers with its first week (``series`` links the others). Send an
    ``Idempotency-Key`` header to retry safely: the same key and body give the first answer."""
    return idempotent(request, lambda: _book(request, payload))


@router.post("/bookings/{booking_id}/reschedule", response=BookingOut, summary="Move a booking")
def reschedule(request: HttpRequest, booking_id: int, payload: RescheduleIn):
    booking = _owned_booking(request.user, booking_id)
    try:
        reschedule_booking(booking=booking, start=payload.start, by=Event.By.OWNER)
    except SlotUnavailable as unavailable:
        raise conflict(unavailable.message) from None
    return booking_data(owned(_hosted(request.user), booking_id))


@router.post("/bookings/{booking_id}/cancel", response=BookingOut, summary="Cancel a booking")
def cancel(request: HttpRequest, booking_id: int, payload: CancelIn):
    """Cancel as the host; the booker is emailed with the reason."""
    booking = _owned_booking(request.user, booking_id)
    form = CancelBookingForm({"reason": payload.reason})
    if not form.is_valid():
        raise form_problem(form)
    if booking.is_cancelled:
        raise conflict("This booking is already cancelled.")
    try:
        cancel_booking(booking=booking, reason=form.cleaned_data["reason"], by=Event.By.OWNER)
    except SlotUnavailable as unavailable:
        raise conflict(unavailable.message) from None
    return booking_data(owned(_hosted(request.user), booking_id))
