from __future__ import annotations

from django.utils import timezone

from accounts.dashboard import dashboard_panel
from booking.models import Booking, EventType


@dashboard_panel(order=30)
def latest_bookings(request):
    now = timezone.now()
    upcoming = list(Booking.objects.for_host(request.user).upcoming(now).select_related("event", "event_type")[:5])
    recent = list(
        Booking.objects.for_host(request.user).select_related("event", "event_type").order_by("-created_at")[:5]
    )
    has_links = EventType.objects.for_owner(request.user).exists()
    return "booking/_dashboard_panel.html", {"upcoming": upcoming, "recent": recent, "has_links": has_links}
