from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts import versions
from accounts.dashboard import SetupStep, dashboard_panel, setup_step
from booking import links
from booking.models import Booking, EventType, Schedule
from scheduling import outbox
from scheduling.models import Event
from scheduling.occurrences import cohosted

setup_step(
    SetupStep(
        order=20,
        title="Set your weekly hours",
        detail="Bookers pick times only within them; they start as Monday to Friday, 9:00 to 17:00.",
        action="Set your hours",
        url_name="booking:schedule_list",
        done=lambda: Exists(Schedule.objects.filter(owner=OuterRef("pk"), hours_saved_at__isnull=False)),
    )
)
setup_step(
    SetupStep(
        order=30,
        title="Make your first booking link",
        detail="A title is enough to start; share it and people book a time with you.",
        action="New booking link",
        url_name="booking:event_type_create",
        done=lambda: Exists(EventType.objects.filter(owner=OuterRef("pk"))),
    )
)


@dashboard_panel(order=1)
def booking_page(request):
    """The owner's booking page, to share (their links are listed there)."""
    url = settings.SITE_URL + reverse("booking:public_profile", args=[request.user.username])
    return "booking/_booking_page_panel.html", {"booking_page_url": url}


# How long this process may keep the panel's rows; they are checked against the owner's versions
# at every read, and the time at which they would change by themselves.
PANEL_SECONDS = 900

# What the panel shows of a booking (Booking.cancellation included): read nothing else.
SHOWN = (
    "name", "created_at", "attendee_id", "seat_cancelled_at", "seat_cancelled_by", "seat_cancel_reason",
    "event__title", "event__start", "event__end", "event__status", "event__cancelled_at", "event__cancelled_by",
    "event__cancel_reason", "event_type__title",
)  # fmt: skip


@dataclass(frozen=True)
class Line:
    """A booking as the panel writes it, built once when the panel's rows are computed."""

    start: datetime
    what: str  # the link's title, or the meeting's
    name: str
    cancelled: bool
    by_host: bool
    at: datetime  # when it was booked, or cancelled


@dashboard_panel(order=30)
def latest_bookings(request):
    """The next five bookings and the five latest made. The rows are kept in this process until
    the owner's meetings or links change (their versions), a booking shown ends, or a quarter of
    an hour passes."""
    user = request.user
    now = timezone.now()
    stamp = versions.current_many((outbox.CALENDAR, user.pk), (links.PAGES, user.pk))
    rows = versions.reuse(f"dashboard-bookings:{user.pk}", stamp, now, partial(_bookings, user, now),
                          timeout=PANEL_SECONDS)  # fmt: skip
    return "booking/_dashboard_panel.html", rows


def _bookings(user, now: datetime) -> tuple[dict, datetime]:
    """Both lists in one statement: each list's ids are a limited subquery, and the rows of both
    are sorted apart here (the five soonest of the rows are the five soonest of all, and so are
    the five newest). Whether the owner has links at all is asked only when both are empty."""
    mine = Booking.objects.for_host(user)
    # The next booked meetings, found from the meetings' side (their owner-and-start index; a
    # booked meeting lasts less than a day, so none that started earlier is still going on).
    meetings = Event.objects.filter(Q(owner=user) | Q(pk__in=cohosted(user)))
    next_meetings = (
        meetings.filter(origin=Event.Origin.BOOKING, status=Event.Status.CONFIRMED, end__gt=now,
                        start__gt=now - timedelta(days=1))
        .order_by("start", "pk").values("pk")[:5]
    )  # fmt: skip
    latest_ids = mine.order_by("-pk").values("pk")[:5]  # ids grow with time: the newest bookings
    found = list(
        mine.filter(Q(event_id__in=Subquery(next_meetings)) | Q(pk__in=Subquery(latest_ids)))
        .select_related("event", "event_type")
        .only(*SHOWN)
    )
    upcoming = sorted(
        (booking for booking in found if not booking.is_cancelled and booking.event.end > now),
        key=lambda booking: (booking.event.start, booking.pk),
    )[:5]
    recent = sorted(found, key=lambda booking: booking.pk, reverse=True)[:5]
    has_links = bool(upcoming or recent) or EventType.objects.for_owner(user).exists()
    rows = {"upcoming": [_line(booking) for booking in upcoming], "recent": [_line(booking) for booking in recent],
            "has_links": has_links}  # fmt: skip
    return rows, min([now + timedelta(seconds=PANEL_SECONDS), *(booking.event.end for booking in upcoming)])


def _line(booking: Booking) -> Line:
    cancellation = booking.cancellation
    return Line(
        start=booking.event.start,
        what=booking.event_type.title if booking.event_type else booking.event.title,
        name=booking.name,
        cancelled=cancellation is not None,
        by_host=cancellation is not None and cancellation.by_host,
        at=cancellation.at if cancellation is not None and cancellation.at else booking.created_at,
    )
