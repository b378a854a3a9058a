"""The owner's calendar as occurrences: one-off events as they are, recurring series expanded in
their own timezone (scheduling/recurrence.py), deleted or moved occurrences left out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q, Subquery

from accounts.inputs import EARLIEST, LATEST
from scheduling import recurrence
from scheduling.models import Attendee, Event


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
    """The occurrence a URL names, within the dates pages can compute with (accounts/inputs.py)."""
    try:
        moment = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None
    return moment if EARLIEST <= moment.date() <= LATEST else None


def expand_plain(
    *,
    start: datetime,
    end: datetime,
    rrule: str,
    exdates: list[str],
    tz_name: str,
    window_start: datetime,
    window_end: datetime,
) -> list[tuple[datetime, datetime]]:
    """The occurrences of one meeting overlapping the window, from its columns as plain data
    (``exdates`` as stored: ISO strings)."""
    if not rrule:
        return [(start, end)] if start < window_end and end > window_start else []
    return recurrence.occurrences(
        start=start,
        end=end,
        tz_name=tz_name,
        rule=rrule,
        window_start=window_start,
        window_end=window_end,
        exceptions={datetime.fromisoformat(value) for value in exdates},
    )


def expand(event: Event, window_start: datetime, window_end: datetime) -> list[Occurrence]:
    return [
        Occurrence(event, start, end)
        for start, end in expand_plain(
            start=event.start,
            end=event.end,
            rrule=event.rrule,
            exdates=event.exdates,
            tz_name=event.timezone,
            window_start=window_start,
            window_end=window_end,
        )
    ]


def in_window(window_start: datetime, window_end: datetime) -> Q:
    """Meetings that may have an occurrence in the window: one-off ones overlapping it, series
    begun before it ends (their expansion decides)."""
    return Q(rrule="", start__lt=window_end, end__gt=window_start) | (~Q(rrule="") & Q(start__lt=window_end))


def cohosted(user):
    """The ids of the meetings ``user`` (a user or id) co-hosts and has not declined."""
    return Attendee.objects.filter(host=user).exclude(status=Attendee.Status.DECLINED).values("event_id")


def between(
    owner,
    window_start: datetime,
    window_end: datetime,
    *,
    kinds: list[str] | None = None,
    text: str = "",
    copied_to_google: bool = False,
) -> list[Occurrence]:
    """Every occurrence of the owner's active events overlapping [window_start, window_end), in
    one query whatever the number of events. ``owner`` is a user or their id. Meetings they
    co-host (a team booking another host owns) are theirs too, unless they declined them."""
    events = _calendar(owner).filter(in_window(window_start, window_end))
    if kinds:
        events = events.filter(kind__in=kinds)
    if copied_to_google:
        events = events.exclude(google_event_id="")
    for word in text.split():
        events = events.filter(Q(title__icontains=word) | Q(description__icontains=word) | Q(location__icontains=word))
    found = [occurrence for event in events for occurrence in expand(event, window_start, window_end)]
    return sorted(found, key=lambda occurrence: (occurrence.start, occurrence.event.pk))


def coming(owner, now: datetime, until: datetime, *, all_before: datetime, then: int) -> list[Occurrence]:
    """The owner's occurrences overlapping [now, until): all of those that start before
    ``all_before``, then the ``then`` next ones. One query: one-off meetings past ``all_before``
    are read only as far as the first ``then`` of them (a limited subquery); series are expanded."""
    calendar = _calendar(owner).filter(start__lt=until)
    next_ones = calendar.filter(rrule="", start__gte=all_before).order_by("start", "pk").values("pk")[:then]
    started = Q(rrule="", start__lt=all_before, end__gt=now)
    events = calendar.filter(started | Q(pk__in=Subquery(next_ones)) | ~Q(rrule=""))
    found = sorted(
        (occurrence for event in events for occurrence in expand(event, now, until)),
        key=lambda occurrence: (occurrence.start, occurrence.event.pk),
    )
    first = [occurrence for occurrence in found if occurrence.start < all_before]
    return first + [occurrence for occurrence in found if occurrence.start >= all_before][:then]


def _calendar(owner):
    """The meetings on the owner's calendar: their own and those they co-host, not cancelled."""
    return Event.objects.filter(Q(owner=owner) | Q(pk__in=cohosted(owner))).active()


def busy(owner_id: int, start: datetime, end: datetime, external: list[tuple[datetime, datetime]]):
    """When the owner is busy in [start, end): every occurrence of their meetings, and the busy
    times of their connected calendars without the copies Convene put there itself. Sorted."""
    from accounts import google

    own = between(owner_id, start, end)
    copies = sorted((found.start, found.end) for found in own if found.event.google_event_id or found.event.caldav_href)
    return sorted([*google.subtract(external, copies), *((found.start, found.end) for found in own)])
