"""Meetings as iCalendar: which VEVENTs each reader gets, built by ``scheduling/ics.py``.

A one-off meeting is one VEVENT. A series is its master (RRULE, EXDATE of the deleted
occurrences) plus an override for every occurrence edited on its own (same UID, RECURRENCE-ID),
whichever of them the reader asked about: a download of one moved occurrence carries its series.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.conf import settings

from scheduling import ics
from scheduling.models import Attendee, Event

AttendeeFilter = Callable[[Event, Attendee], bool]


def root(event: Event) -> Event:
    """The series of an edited occurrence, or the meeting itself."""
    return event.series if event.series_id else event


def members(event: Event) -> list[Event]:
    """The events one UID stands for: a meeting; or a series' master and its live overrides."""
    master = root(event)
    if not master.rrule:
        return [master]
    overrides = sorted(
        (child for child in master.exceptions.all() if not child.is_cancelled), key=lambda child: child.original_start
    )
    return [master, *overrides]


def person(attendee: Attendee) -> ics.Person:
    return ics.Person(email=attendee.email, name=attendee.name, status=attendee.status.upper())


def reply_address(attendee: Attendee | None) -> str | None:
    """Where the attendee's calendar sends its answer (iTIP REPLY goes to the ORGANIZER): a
    personal address on ``CALENDAR_REPLY_ADDRESS`` (rsvp+TOKEN@domain, read by the inbound
    webhook) when one is configured."""
    address = settings.CALENDAR_REPLY_ADDRESS
    if not address or attendee is None:
        return None
    local, _, domain = address.partition("@")
    return f"{local}+{attendee.token}@{domain}"


def organizer(event: Event, attendee: Attendee | None = None) -> ics.Person:
    owner = event.owner
    return ics.Person(email=reply_address(attendee) or owner.email, name=owner.display_name)


def component(
    event: Event,
    *,
    attendees: Sequence[ics.Person] = (),
    organizer_person: ics.Person | None = None,
    url: str = "",
    description: str | None = None,
    summary: str | None = None,
) -> ics.Component:
    master = root(event)
    series_exdates: list = []
    if event.rrule:
        # Occurrences moved out of the series are overrides, not exclusions: EXDATE only those deleted.
        moved = {child.original_start for child in event.exceptions.all() if not child.is_cancelled}
        series_exdates = [moment for moment in event.exception_starts if moment not in moved]
    return ics.Component(
        uid=master.uid,
        sequence=event.sequence,
        start=event.start,
        end=event.end,
        summary=event.title if summary is None else summary,
        timezone=master.timezone if event.series_id else event.timezone,
        all_day=event.all_day,
        organizer=organizer_person or organizer(event),
        attendees=tuple(attendees),
        description=event.description if description is None else description,
        location=event.location,
        url=url,
        cancelled=event.is_cancelled,
        rrule=event.rrule,
        exdates=tuple(series_exdates),
        recurrence_id=event.original_start if event.series_id else None,
    )


def components(
    event: Event,
    *,
    include: AttendeeFilter | None = None,
    with_attendees: bool = True,
    organizer_person: ics.Person | None = None,
    url: str = "",
    description: str | None = None,
    summary: str | None = None,
) -> list[ics.Component]:
    """The VEVENTs of ``event``'s UID. ``include`` picks the attendees written into each (all of
    them by default); ``with_attendees=False`` writes none (and reads none)."""
    return [
        component(
            member,
            attendees=[person(a) for a in member.attendees.all() if include is None or include(member, a)]
            if with_attendees
            else (),
            organizer_person=organizer_person,
            url=url,
            description=description,
            summary=summary,
        )
        for member in members(event)
    ]


def download(event: Event) -> bytes:
    """The owner's .ics of a meeting (and its whole series), with its attendees."""
    return ics.build(components(event))


def published(events: Sequence[Event], *, name: str = "") -> bytes:
    """The owner's own copy of meetings (summaries, feeds): PUBLISH, so no ATTENDEE and no RSVP."""
    seen: set[str] = set()
    parts: list[ics.Component] = []
    for event in events:
        if root(event).uid not in seen:
            seen.add(root(event).uid)
            parts += components(event)
    return ics.build(parts, method="PUBLISH", name=name)
