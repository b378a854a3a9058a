"""Pages for bookers (no account): public profile, booking page, book, manage, reschedule, cancel."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_ratelimit.core import get_usage

from accounts import clock
from accounts.clock import Clock
from accounts.inputs import parse_moment
from accounts.timezones import timezone_options, zone_from_query
from booking import availability, links, page, slots
from booking import book as book_module
from booking.book import (
    Booker,
    BookingChanged,
    SlotUnavailable,
    book_slot,
    cancel_booking,
    is_free,
    occurrence_starts,
    reschedule_booking,
)
from booking.emails import booker_download, booker_google_url
from booking.forms import BookingForm, CancelBookingForm
from booking.links import BookingLink
from booking.models import Booking, EventType
from booking.page import BookingChoice
from scheduling.models import Event


def _owner(username: str) -> links.Owner:
    found = links.owner(username)
    if found is None:
        raise Http404("No such person.")
    return found


def _public_link(owner: links.Owner, username: str, slug: str) -> BookingLink:
    return _bookable(links.published(owner, username, slug))


def _bookable(link: BookingLink | None) -> BookingLink:
    """A link found at a public URL, or the 404 that says why not."""
    if link is None:
        raise Http404("No such booking link.")
    if not link.is_active:
        raise Http404("This booking link is turned off.")
    return link


def _embed(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.GET.get("embed") == "1":
        response.xframe_options_exempt = True
    return response


@require_GET
def profile(request: HttpRequest, username: str) -> HttpResponse:
    html = page.profile_page(request, _owner(username), username, embed=request.GET.get("embed") == "1")
    if html is None:
        raise Http404("No such person.")
    return _embed(request, HttpResponse(html))


# The booking page, or the part of it an htmx request asks for (by the id of what it replaces).
PARTS = {"day-slots": "slots", "booking-widget": "widget"}


def _render_booking_page(
    request, link: BookingLink, owner: links.Owner | None, *, booking: Booking | None = None, error: str = "",
    status: int = 200,
) -> HttpResponse:  # fmt: skip
    now = timezone.now()
    choice = BookingChoice(request, link, now)
    part = PARTS.get(request.htmx.target, "page") if request.htmx else "page"
    # Every time on the page is shown in the booker's timezone.
    with timezone.override(choice.tz):
        html = page.booking_page(request, link, owner, choice, now, part=part, moving=booking, error=error)
    return _embed(request, HttpResponse(html, status=status))


# --- A team's public pages: /team/<slug>/ --------------------------------------------------------


def _team(slug: str) -> links.Owner:
    found = links.team_owner(slug)
    if found is None:
        raise Http404("No such team.")
    return found


def _team_link(owner: links.Owner, team: str, slug: str) -> BookingLink:
    return _bookable(links.team_published(owner, team, slug))


@require_GET
def team_page(request: HttpRequest, team: str) -> HttpResponse:
    found = links.team_profile(_team(team))
    if found is None:
        raise Http404("No such team.")
    team_row, team_links = found
    context = {"team": team_row, "links": team_links, "embed": request.GET.get("embed") == "1"}
    return _embed(request, render(request, "booking/public/team.html", context))


@require_GET
def team_event_type_page(request: HttpRequest, team: str, slug: str) -> HttpResponse:
    owner = _team(team)
    return _render_booking_page(request, _team_link(owner, team, slug), owner)


def team_book(request: HttpRequest, team: str, slug: str) -> HttpResponse:
    link = _team_link(_team(team), team, slug)
    now = timezone.now()
    choice = BookingChoice(request, link, now)
    with clock.override(choice.clock):
        return _book(request, link, choice, now)


def _who(link: BookingLink, start: datetime, duration: int, now: datetime) -> list[str]:
    """Who the booker would meet at ``start`` if they booked now (a round-robin link's pick may
    change by the time they confirm: the confirmation says who it is)."""
    free = availability.free_by_host(link, start=start, end=start + timedelta(seconds=1), now=now, duration=duration)
    try:
        chosen = book_module._pick_hosts(link, slots.free_hosts(free, start), now)
    except SlotUnavailable:
        return []
    return [link.member(host).name for host in chosen]


@require_GET
def event_type_page(request: HttpRequest, username: str, slug: str) -> HttpResponse:
    owner = _owner(username)
    return _render_booking_page(request, _public_link(owner, username, slug), owner)


def _occurrences(link: BookingLink, start: datetime, duration: int, now: datetime) -> list[dict]:
    """The weekly occurrences a recurring booking would take, each marked free or not."""
    starts = occurrence_starts(start, link.max_occurrences, link.timezone)
    free = {
        slot.start
        for slot in availability.free_slots(
            link, start=starts[0], end=starts[-1] + timedelta(seconds=1), now=now, duration=duration
        )
    }
    return [{"start": moment, "free": moment in free} for moment in starts]


def book(request: HttpRequest, username: str, slug: str) -> HttpResponse:
    link = _public_link(_owner(username), username, slug)
    now = timezone.now()
    choice = BookingChoice(request, link, now)
    with clock.override(choice.clock):
        return _book(request, link, choice, now)


def _book(request: HttpRequest, link: BookingLink, choice: BookingChoice, now: datetime) -> HttpResponse:
    start = parse_moment(request.GET.get("start"))
    back = link.url + "?" + choice.query()
    if start is None:
        return render(request, "booking/public/problem.html", {
            "title": "That link is incomplete",
            "message": "The meeting time is missing or malformed. Please pick a time on the booking page.",
            "back": back,
        }, status=400)  # fmt: skip
    event_type = get_object_or_404(EventType.objects.select_related("schedule", "owner"), pk=link.id)
    form = BookingForm(request.POST or None, event_type=event_type)
    context = {
        "event_type": event_type,
        "host": link.host,
        "choice": choice,
        "embed": choice.embed,
        "form": form,
        "back": back,
        "start": start,
        "end": start + timedelta(minutes=choice.duration),
        "occurrences": _occurrences(link, start, choice.duration, now) if link.allow_recurring else [],
        "team_hosts": _who(link, start, choice.duration, now) if link.is_team and link.show_hosts else [],
    }
    if request.method == "POST":
        return _submit(request, link, form, context, start=start, choice=choice, now=now)
    if not is_free(link, start, duration=choice.duration, now=now):
        context["unavailable"] = "That time is not available. Please pick another time."
        return _embed(request, render(request, "booking/public/book.html", context, status=409))
    return _embed(request, render(request, "booking/public/book.html", context))


TOO_MANY = (
    "Too many bookings from your network in the last hour. Please wait a while before booking again, "
    "or contact the host directly."
)


def _allowance_spent(request: HttpRequest, link: BookingLink, people: int) -> int | None:
    """Count a submission and the people it would have Convene email (the booker, each guest)
    against this client's hourly allowance on this link, kept in the shared cache. The seconds
    until it renews once spent, else None."""
    rate = f"{settings.BOOKING_SUBMISSIONS_PER_HOUR}/h"
    usage = [get_usage(request, group=f"booking:{link.id}", key="ip", rate=rate, increment=True) for _ in range(people)]
    spent = [found for found in usage if found is not None and found["should_limit"]]
    return max(1, spent[-1]["time_left"]) if spent else None


def _submit(request, link: BookingLink, form: BookingForm, context: dict, *, start, choice, now) -> HttpResponse:
    valid = form.is_valid()
    wait = _allowance_spent(request, link, 1 + (len(form.cleaned_data["guests"]) if valid else 0))
    if wait is not None:
        form.add_error(None, TOO_MANY)
        response = render(request, "booking/public/book.html", context, status=429)
        response["Retry-After"] = str(wait)
        return response
    if not valid:
        return render(request, "booking/public/book.html", context)
    try:
        bookings = book_slot(
            event_type=form.event_type,
            start=start,
            booker=Booker(
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                timezone=choice.tz_name,
                answers=form.answers(),
                guests=form.cleaned_data["guests"],
                location=form.cleaned_data.get("location", ""),
                hour12=choice.clock.hour12,
            ),
            duration=choice.duration,
            occurrences=form.cleaned_data.get("occurrences", 1),
            now=now,
        )
    except SlotUnavailable as unavailable:
        form.add_error(None, unavailable.message)
        return render(request, "booking/public/book.html", context, status=409)
    return redirect(reverse("booking:manage", args=[bookings[0].token]) + "?new=1")


# --- Managing a booking through its emailed token ------------------------------------------------


def _booking_by_token(token: str) -> Booking:
    return get_object_or_404(
        Booking.objects.select_related(
            "event__owner", "event__series", "event_type__schedule", "event_type__owner"
        ).prefetch_related("event__attendees", "event__exceptions"),
        token=token,
    )


def _shown_in(request: HttpRequest, booking: Booking) -> tuple[str, Clock]:
    """The zone and clock a booker's pages show their times in: what the zone switcher on the
    booking's page asked for (``?tz=&clock=``), else what they booked in (their emails' too)."""
    return zone_from_query(request.GET.get("tz"), booking.timezone), Clock.from_query(request.GET, booking.clock)


def _shown_query(zone: str, shown: Clock) -> str:
    """The booking's other pages (cancel, reschedule, back) in the zone and clock shown."""
    return urlencode({"tz": zone, "clock": shown.query()["clock"]})


@require_GET
def manage(request: HttpRequest, token: str) -> HttpResponse:
    booking = _booking_by_token(token)
    zone, shown = _shown_in(request, booking)
    with clock.override(shown):
        return _manage(request, booking, zone)


def _manage(request: HttpRequest, booking: Booking, zone: str) -> HttpResponse:
    series = (
        Booking.objects.filter(series=booking.series).select_related("event").order_by("event__start")
        if booking.series
        else []
    )
    is_new = request.GET.get("new") == "1"
    return render(request, "booking/public/manage.html", {
        "booking": booking,
        "tz": zoneinfo.ZoneInfo(zone),
        # The zone switcher (scheduling/_viewer_zone_form.html): nothing to detect, the booker chose both.
        "timezone_options": timezone_options(zone),
        "viewer_clock": clock.active(),
        "tz_from_url": True,
        "clock_from_url": True,
        "keep_fields": [("new", "1")] if is_new else [],
        "shown_query": _shown_query(zone, clock.active()),
        "is_new": is_new,
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
    zone, shown = _shown_in(request, booking)
    with clock.override(shown):
        return _cancel(request, booking, zone)


def _changed_meanwhile(request: HttpRequest, booking: Booking) -> HttpResponse:
    """409: the booker's change lost a race with another (their other tab, the host)."""
    booking.refresh_from_db()
    return render(request, "booking/public/changed.html", {"booking": booking, "tz": booking.booker_tzinfo}, status=409)


def _cancel(request: HttpRequest, booking: Booking, zone: str) -> HttpResponse:
    token = booking.token
    seen = request.POST.get("seen") if request.method == "POST" else None
    if not booking.can_be_changed():
        if seen is not None and seen != booking.version:  # changed since the page was shown
            return _changed_meanwhile(request, booking)
        return render(request, "booking/public/closed.html", {"booking": booking}, status=410)
    form = CancelBookingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancel_booking(booking=booking, reason=form.cleaned_data["reason"], by=Event.By.ATTENDEE, seen=seen)
        except BookingChanged:
            return _changed_meanwhile(request, booking)
        except SlotUnavailable:
            return render(request, "booking/public/closed.html", {"booking": booking}, status=410)
        return redirect(reverse("booking:manage", args=[token]) + "?" + _shown_query(zone, clock.active()))
    return render(request, "booking/public/cancel.html", {
        "booking": booking, "form": form, "tz": zoneinfo.ZoneInfo(zone), "zone": zone,
        "shown_query": _shown_query(zone, clock.active()),
    })  # fmt: skip


def reschedule(request: HttpRequest, token: str) -> HttpResponse:
    booking = _booking_by_token(token)
    seen = request.POST.get("seen") if request.method == "POST" else None
    if not booking.can_be_changed() or booking.event_type is None or not booking.event_type.is_active:
        if seen is not None and seen != booking.version:  # cancelled since the page was shown
            return _changed_meanwhile(request, booking)
        return render(request, "booking/public/closed.html", {"booking": booking}, status=410)
    if request.method == "POST":
        start = parse_moment(request.POST.get("start"))
        if start is None:
            return HttpResponseBadRequest("The new time is missing or malformed. Please pick a time.")
        by = Event.By.OWNER if request.user == booking.host else Event.By.ATTENDEE
        try:
            reschedule_booking(booking=booking, start=start, by=by, seen=seen)
        except BookingChanged:
            return _changed_meanwhile(request, booking)
        except SlotUnavailable as unavailable:
            link = _link_of(booking)
            return _render_booking_page(request, link, None, booking=booking, error=unavailable.message, status=409)
        # Back to the booking in the zone and clock the new time was picked in.
        shown = _shown_query(*_shown_in(request, booking))
        return redirect(reverse("booking:manage", args=[token]) + f"?new=1&{shown}")
    return _render_booking_page(request, _link_of(booking), None, booking=booking)


def _link_of(booking: Booking) -> BookingLink:
    """The booking's link as it is now (a rescheduling booker sees the current rules)."""
    return links.from_event_type(links.fresh(booking.event_type_id))
