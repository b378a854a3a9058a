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


@export_section("polls")
def _polls(user) -> list[dict[str, Any]]:
    return [
        {
            "title": poll.title,
            "description": poll.description,
            "kind": poll.kind,
            "status": poll.status,
            "timezone": poll.timezone,
            "dates": poll.dates,
            "deadline": poll.deadline.isoformat(),
            "my_availability": [
                {"start": span.start.isoformat(), "end": span.end.isoformat(), "level": span.level}
                for span in poll.spans.all()
                if span.invitation_id is None
            ],
            "invitees": [
                {"name": invitation.name, "email": invitation.email, "status": invitation.status}
                for invitation in poll.invitations.all()
            ],
        }
        for poll in user.polls.prefetch_related("spans", "invitations")
    ]
