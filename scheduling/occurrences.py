"""The owner's calendar as occurrences: one-off events as they are, recurring series expanded in
their own timezone (scheduling/recurrence.py), deleted or moved occurrences left out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q

from scheduling import recurrence
from scheduling.models import Event


@dataclass(frozen=True)
class Occurrence:
    event: Event
    start: datetime
    end: datetime

    @property
    def original(self) -> str:
        """Identifies the occurrence in URLs (``?occurrence=...``): its start in UTC."""
        return self.start.strftime("%Y%m%dT%H%M%SZ")


def parse_original(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def expand(event: Event, window_start: datetime, window_end: datetime) -> list[Occurrence]:
    if not event.rrule:
        if event.start < window_end and event.end > window_start:
            return [Occurrence(event, event.start, event.end)]
        return []
    exceptions = set(event.exception_starts)
    return [
        Occurrence(event, start, end)
        for start, end in recurrence.occurrences(
            start=event.start,
            end=event.end,
            tz_name=event.timezone,
            rule=event.rrule,
            window_start=window_start,
            window_end=window_end,
            exceptions=exceptions,
        )
    ]


def between(
    owner, window_start: datetime, window_end: datetime, *, kinds: list[str] | None = None, text: str = ""
) -> list[Occurrence]:
    """Every occurrence of the owner's active events overlapping [window_start, window_end), in
    one query whatever the number of events."""
    events = (
        Event.objects.for_owner(owner)
        .active()
        .filter(Q(rrule="", start__lt=window_end, end__gt=window_start) | (~Q(rrule="") & Q(start__lt=window_end)))
    )
    if kinds:
        events = events.filter(kind__in=kinds)
    for word in text.split():
        events = events.filter(Q(title__icontains=word) | Q(description__icontains=word) | Q(location__icontains=word))
    found = [occurrence for event in events for occurrence in expand(event, window_start, window_end)]
    return sorted(found, key=lambda occurrence: (occurrence.start, occurrence.event.pk))
