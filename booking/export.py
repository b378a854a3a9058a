from __future__ import annotations

from typing import Any

from accounts.export import export_section
from booking.models import Booking


@export_section("booking_links")
def _event_types(user) -> list[dict[str, Any]]:
    return [
        {
            "title": event_type.title,
            "slug": event_type.slug,
            "kind": event_type.kind,
            "duration": event_type.duration,
            "schedule": event_type.schedule.name,
            "is_active": event_type.is_active,
        }
        for event_type in user.event_types.select_related("schedule")
    ]


@export_section("schedules")
def _schedules(user) -> list[dict[str, Any]]:
    return [
        {
            "name": schedule.name,
            "timezone": schedule.timezone,
            "weekly_hours": [str(rule) for rule in schedule.weekly_hours.all()],
            "overrides": [str(override) for override in schedule.overrides.all()],
        }
        for schedule in user.schedules.prefetch_related("weekly_hours", "overrides")
    ]


@export_section("bookings_received")
def _bookings(user) -> list[dict[str, Any]]:
    return [
        {
            "event_type": booking.event_type.title if booking.event_type else None,
            "start": booking.event.start.isoformat(),
            "end": booking.event.end.isoformat(),
            "booker": {"name": booking.name, "email": booking.email, "timezone": booking.timezone},
            "answers": booking.answers,
            "guests": booking.guests,
            "status": "cancelled" if booking.is_cancelled else "confirmed",
            "cancel_reason": booking.cancellation.reason if booking.cancellation else "",
        }
        for booking in Booking.objects.for_host(user).select_related("event", "event_type")
    ]
