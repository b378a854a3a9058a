from __future__ import annotations

from typing import Any

from accounts.export import export_section, fields
from booking.models import Booking


@export_section("booking_links")
def _event_types(user) -> list[dict[str, Any]]:
    """Every setting of the links the user made, their own and their teams'."""
    return [
        {
            **fields(event_type),
            "schedule": event_type.schedule.name,
            "team": event_type.team.slug if event_type.team_id else None,
            "hosts": [{**fields(host), "user": host.user.username} for host in event_type.hosts.all()],
            "offered_times": [slot.start for slot in event_type.offered_slots.all()],
        }
        for event_type in user.event_types.select_related("schedule", "team").prefetch_related(
            "hosts__user", "offered_slots"
        )
    ]


@export_section("schedules")
def _schedules(user) -> list[dict[str, Any]]:
    return [
        {
            **fields(schedule),
            "weekly_hours": [fields(rule) for rule in schedule.weekly_hours.all()],
            "overrides": [fields(override) for override in schedule.overrides.all()],
        }
        for schedule in user.schedules.prefetch_related("weekly_hours", "overrides")
    ]


@export_section("bookings_received")
def _bookings(user) -> list[dict[str, Any]]:
    return [
        {
            **fields(booking, leave_out=("name", "email", "timezone")),
            "booker": {"name": booking.name, "email": booking.email, "timezone": booking.timezone},
            "event_type": booking.event_type.title if booking.event_type else None,
            "start": booking.event.start,
            "end": booking.event.end,
            "status": "cancelled" if booking.is_cancelled else "confirmed",
            "cancel_reason": booking.cancellation.reason if booking.cancellation else "",
        }
        for booking in Booking.objects.for_host(user).select_related("event", "event_type")
    ]
