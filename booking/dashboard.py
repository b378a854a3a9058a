from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, Subquery
from django.utils import timezone

from accounts.dashboard import dashboard_panel
from booking.models import Booking, EventType
from scheduling.models import Event
from scheduling.occurrences import cohosted


@dashboard_panel(order=30)
def latest_bookings(request):
    """The next five bookings and the five latest made, in one statement: each list's ids are a
    limited subquery, and the rows of both are sorted apart here (the five soonest of the rows
    are the five soonest of all, and so are the five newest). Whether the owner has links at all
    is asked only when both lists are empty."""
    now = timezone.now()
    mine = Booking.objects.for_host(request.user)
    # The next booked meetings, found from the meetings' side (their owner-and-start index; a
    # booked meeting lasts less than a day, so none that started earlier is still going on).
    meetings = Event.objects.filter(Q(owner=request.user) | Q(pk__in=cohosted(request.user)))
    next_meetings = (
        meetings.filter(origin=Event.Origin.BOOKING, status=Event.Status.CONFIRMED, end__gt=now,
                        start__gt=now - timedelta(days=1))
        .order_by("start", "pk").values("pk")[:5]
    )  # fmt: skip
    latest_ids = mine.order_by("-pk").values("pk")[:5]  # ids grow with time: the newest bookings
    found = list(
        mine.filter(Q(event_id__in=Subquery(next_meetings)) | Q(pk__in=Subquery(latest_ids))).select_related(
            "event", "event_type"
        )
    )
    upcoming = sorted(
        (booking for booking in found if not booking.is_cancelled and booking.event.end > now),
        key=lambda booking: (booking.event.start, booking.pk),
    )[:5]
    recent = sorted(found, key=lambda booking: booking.pk, reverse=True)[:5]
    has_links = bool(upcoming or recent) or EventType.objects.for_owner(request.user).exists()
    return "booking/_dashboard_panel.html", {"upcoming": upcoming, "recent": recent, "has_links": has_links}
