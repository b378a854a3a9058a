"""Pages for bookers (no account): public profile, booking page, book, manage, reschedule, cancel."""

from __future__ import annotations

import calendar
import zoneinfo
from datetime import date, datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from accounts.timezones import known_timezones, timezone_names
from booking import availability
from booking.book import (
    Booker,
    SlotUnavailable,
    book_slot,
    cancel_booking,
    is_free,
    occurrence_starts,
    reschedule_booking,
)
from booking.emails import booker_download, booker_google_url
from booking.forms import BookingForm, CancelBookingForm
from booking.models import Booking, EventType
from booking.ratelimit import rate_limited
from scheduling.models import Event


def _host(username: str):
    return get_object_or_404(get_user_model(), username__iexact=username, is_active=True)


def _public_event_type(username: str, slug: str) -> EventType:
    event_type = availability.load_event_type(username, slug)
    if event_type is None:
        raise Http404("No such booking link.")
    if not event_type.is_active:
        raise Http404("This booking link is turned off.")
    return event_type


def _zone(name: str | None, fallback: str) -> str:
    return name if name in known_timezones() else fallback


def _embed(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.GET.get("embed") == "1":
        response.xframe_options_exempt = True
    return response


class BookingChoice:
    """What the booker has chosen so far, read leniently from the query string."""

    def __init__(self, request: HttpRequest, event_type: EventType, now: datetime):
        self.tz_name = _zone(request.GET.get("tz"), event_type.schedule.timezone)
        self.tz_from_url = "tz" in request.GET
        self.tz = zoneinfo.ZoneInfo(self.tz_name)
        self.today = now.astimezone(self.tz).date()
        try:
            self.duration = int(request.GET.get("duration", event_type.duration))
        except ValueError:
            self.duration = event_type.duration
        if self.duration not in event_type.durations:
            self.duration = event_type.duration
        self.day = self._date(request.GET.get("date"))
        month = self._date((request.GET.get("month") or "") + "-01") or self.day or self.today
        self.month = month.replace(day=1)
        self.embed = request.GET.get("embed") == "1"

    @staticmethod
    def _date(value: str | None) -> date | None:
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            return None

    def query(self, **changes) -> str:
        params = {"tz": self.tz_name, "duration": self.duration, "month": f"{self.month:%Y-%m}"}
        if self.day:
            params["date"] = self.day.isoformat()
        if self.embed:
            params["embed"] = "1"
        params.update(changes)
        return urlencode({key: value for key, value in params.items() if value is not None})

    def local_midnight(self, day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), tzinfo=self.tz)


def _slot_choices(event_type, choice: BookingChoice, found, *, moving) -> list[dict]:
    """The start times of one day as the booker sees them, with where each one leads."""
    book_url = reverse("booking:book", args=[event_type.owner.username, event_type.slug])
    return [
        {
            "start": slot.start.astimezone(choice.tz),
            "value": slot.start.isoformat(),
            "seats_left": slot.seats_left if event_type.is_group else None,
            "href": None
            if moving
            else f"{book_url}?{choice.query(start=slot.start.isoformat(), month=None, date=None)}",
        }
        for slot in found
    ]


def _month_context(event_type: EventType, choice: BookingChoice, now: datetime, moving=None) -> dict:
    next_month = (choice.month + timedelta(days=32)).replace(day=1)
    found = availability.free_slots(
        event_type,
        start=choice.local_midnight(choice.month),
        end=choice.local_midnight(next_month),
        now=now,
        duration=choice.duration,
        moving=moving,
    )
    by_day = {
        day: list(day_slots)
        for day, day_slots in groupby(found, key=lambda slot: slot.start.astimezone(choice.tz).date())
    }
    weeks = [
        [
            {
                "date": day,
                "in_month": day.month == choice.month.month,
                "free": len(by_day.get(day, [])),
                "query": choice.query(date=day.isoformat()),
                "selected": day == choice.day,
                "today": day == choice.today,
            }
            for day in week
        ]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(choice.month.year, choice.month.month)
    ]
    previous_month = (choice.month - timedelta(days=1)).replace(day=1)
    return {
        "weeks": weeks,
        "free_days": len(by_day),
        "day_slots": _slot_choices(event_type, choice, by_day.get(choice.day, []), moving=moving),
        "previous_query": choice.query(month=f"{previous_month:%Y-%m}", date=None)
        if previous_month >= choice.today.replace(day=1)
        else None,
        "next_query": choice.query(month=f"{next_month:%Y-%m}", date=None),
    }


def _day_context(event_type: EventType, choice: BookingChoice, now: datetime, moving=None) -> dict:
    if choice.day is None:
        return {"day_slots": []}
    found = availability.free_slots(
        event_type,
        start=choice.local_midnight(choice.day),
        end=choice.local_midnight(choice.day + timedelta(days=1)),
        now=now,
        duration=choice.duration,
        moving=moving,
    )
    return {"day_slots": _slot_choices(event_type, choice, found, moving=moving)}


@require_GET
def profile(request: HttpRequest, username: str) -> HttpResponse:
    host = _host(username)
    event_types = EventType.objects.for_owner(host).public().select_related("owner")
    return _embed(request, render(request, "booking/public/profile.html", {"host": host, "event_types": event_types}))


def _render_booking_page(
    request, event_type, *, booking: Booking | None = None, error: str = "", status: int = 200
) -> HttpResponse:
    now = timezone.now()
    choice = BookingChoice(request, event_type, now)
    context = {
        "event_type": event_type,
        "host": event_type.owner,
        "choice": choice,
        "moving": booking,
        "error": error,
        "timezones": timezone_names(),
        "expired": event_type.is_one_off and event_type.one_off_used(now, booking),
    }
    # Every time on the page is shown in the booker's timezone.
    with timezone.override(choice.tz):
        if request.htmx and request.htmx.target == "day-slots":
            context.update(_day_context(event_type, choice, now, moving=booking))
            return render(request, "booking/public/event_type.html#slots", context)
        context.update(_month_context(event_type, choice, now, moving=booking))
        template = "booking/public/event_type.html"
        if request.htmx and request.htmx.target == "booking-widget":
            template += "#widget"
        return _embed(request, render(request, template, context, status=status))


@require_GET
def event_type_page(request: HttpRequest, username: str, slug: str) -> HttpResponse:
    return _render_booking_page(request, _public_event_type(username, slug))


def _parse_start(value: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _occurrences(event_type: EventType, start: datetime, duration: int, now: datetime) -> list[dict]:
    """The weekly occurrences a recurring booking would take, each marked free or not."""
    starts = occurrence_starts(start, event_type.max_occurrences, event_type.schedule.timezone)
    free = {
        slot.start
        for slot in availability.free_slots(
            event_type, start=starts[0], end=starts[-1] + timedelta(seconds=1), now=now, duration=duration
        )
    }
    return [{"start": moment, "free": moment in free} for moment in starts]


def book(request: HttpRequest, username: str, slug: str) -> HttpResponse:
    event_type = _public_event_type(username, slug)
    now = timezone.now()
    choice = BookingChoice(request, event_type, now)
    start = _parse_start(request.GET.get("start"))
    back = reverse("booking:public_event_type", args=[event_type.owner.username, slug]) + "?" + choice.query()
    if start is None:
        return render(request, "booking/public/problem.html", {
            "title": "That link is incomplete",
            "message": "The meeting time is missing or malformed. Please pick a time on the booking page.",
            "back": back,
        }, status=400)  # fmt: skip
    form = BookingForm(request.POST or None, event_type=event_type)
    context = {
        "event_type": event_type,
        "host": event_type.owner,
        "choice": choice,
        "form": form,
        "back": back,
        "start": start,
        "end": start + timedelta(minutes=choice.duration),
        "occurrences": _occurrences(event_type, start, choice.duration, now) if event_type.allow_recurring else [],
    }
    if request.method == "POST":
        if rate_limited(request, "booking", limit=settings.BOOKING_SUBMISSIONS_PER_HOUR, period=3600):
            return render(request, "booking/public/problem.html", {
                "title": "Too many bookings from your network",
                "message": "Please wait a little while before booking again, or contact the host directly.",
                "back": back,
            }, status=429)  # fmt: skip
        if not form.is_valid():
            return render(request, "booking/public/book.html", context)
        try:
            bookings = book_slot(
                event_type=event_type,
                start=start,
                booker=Booker(
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    timezone=choice.tz_name,
                    answers=form.answers(),
                    guests=form.cleaned_data["guests"],
                    location=form.cleaned_data.get("location", ""),
                ),
                duration=choice.duration,
                occurrences=form.cleaned_data.get("occurrences", 1),
                now=now,
            )
        except SlotUnavailable as unavailable:
            form.add_error(None, unavailable.message)
            return render(request, "booking/public/book.html", context, status=409)
        return redirect(reverse("booking:manage", args=[bookings[0].token]) + "?new=1")
    if not is_free(event_type, start, duration=choice.duration, now=now):
        context["unavailable"] = "That time is not available. Please pick another time."
        return _embed(request, render(request, "booking/public/book.html", context, status=409))
    return _embed(request, render(request, "booking/public/book.html", context))


# --- Managing a booking through its emailed token ------------------------------------------------


def _booking_by_token(token: str) -> Booking:
    return get_object_or_404(
        Booking.objects.select_related(
            "event__owner", "event__series", "event_type__schedule", "event_type__owner"
        ).prefetch_related("event__attendees", "event__exceptions"),
        token=token,
    )


@require_GET
def manage(request: HttpRequest, token: str) -> HttpResponse:
    booking = _booking_by_token(token)
    series = (
        Booking.objects.filter(series=booking.series).select_related("event").order_by("event__start")
        if booking.series
        else []
    )
    return render(request, "booking/public/manage.html", {
        "booking": booking,
        "tz": booking.booker_tzinfo,
        "is_new": request.GET.get("new") == "1",
        "can_change": booking.can_be_changed(),
        "google_url": booker_google_url(booking),
        "cancellation": booking.cancellation,
        "series": series,
    })  # fmt: skip


@require_GET
def booking_ics(request: HttpRequest, token: str) -> HttpResponse:
    booking = _booking_by_token(token)
    return HttpResponse(
        booker_download(booking),
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="meeting.ics"'},
    )


def cancel(request: HttpRequest, token: str) -> HttpResponse:
    booking = _booking_by_token(token)
    if not booking.can_be_changed():
        return render(request, "booking/public/closed.html", {"booking": booking}, status=410)
    form = CancelBookingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancel_booking(booking=booking, reason=form.cleaned_data["reason"], by=Event.By.ATTENDEE)
        except SlotUnavailable:
            return render(request, "booking/public/closed.html", {"booking": booking}, status=410)
        return redirect("booking:manage", token=token)
    return render(
        request, "booking/public/cancel.html", {"booking": booking, "form": form, "tz": booking.booker_tzinfo}
    )


def reschedule(request: HttpRequest, token: str) -> HttpResponse:
    booking = _booking_by_token(token)
    if not booking.can_be_changed() or booking.event_type is None or not booking.event_type.is_active:
        return render(request, "booking/public/closed.html", {"booking": booking}, status=410)
    if request.method == "POST":
        start = _parse_start(request.POST.get("start"))
        if start is None:
            return HttpResponseBadRequest("The new time is missing or malformed. Please pick a time.")
        by = Event.By.OWNER if request.user == booking.host else Event.By.ATTENDEE
        try:
            reschedule_booking(booking=booking, start=start, by=by)
        except SlotUnavailable as unavailable:
            return _render_booking_page(
                request, booking.event_type, booking=booking, error=unavailable.message, status=409
            )
        return redirect(reverse("booking:manage", args=[token]) + "?new=1")
    return _render_booking_page(request, booking.event_type, booking=booking)
