from __future__ import annotations

from typing import Any

from accounts.export import export_section


@export_section("calendar_events")
def _events(user) -> list[dict[str, Any]]:
    return [
        {
            "title": event.title,
            "kind": event.kind,
            "origin": event.origin,
            "status": event.status,
            "start": event.start.isoformat(),
            "end": event.end.isoformat(),
            "timezone": event.timezone,
            "location": event.location,
            "description": event.description,
            "attendees": [
                {"name": attendee.name, "email": attendee.email, "status": attendee.status}
                for attendee in event.attendees.all()
            ],
        }
        for event in user.events.prefetch_related("attendees")
    ]
