"""iCalendar (RFC 5545) and iTIP (RFC 5546) documents, built with icalendar.

Pure: plain data in, bytes out. One builder serves every document Convene hands out: the
invitations, updates and cancellations in emails, the owner's own copies, downloads and the
subscription feed. What other calendars need from it, and why:

* Times are written in the meeting's own zone (``DTSTART;TZID=Europe/Berlin:...``) with a
  VTIMEZONE for every zone used. A series repeats in that zone's wall-clock time; written in UTC,
  a weekly 09:00 Berlin meeting would move to 10:00 in every client after the spring change, and a
  Tuesday 01:00 Kolkata series would expand on Mondays (BYDAY is read in DTSTART's zone).
* EXDATE, RECURRENCE-ID and UNTIL take the series' value type: local times in its zone, or dates
  for an all-day series (UNTIL stays in UTC for a timed series, as RFC 5545 requires).
* An occurrence edited on its own is an override (same UID, RECURRENCE-ID) beside its master:
  alone, it is an instance without a series, which CalDAV servers refuse.
* A meeting keeps one UID for life; a change attendees must see raises SEQUENCE, so clients
  replace the earlier copy instead of adding one.
* PUBLISH documents (the owner's copies, the feed) carry no ATTENDEE: they are not invitations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, vCalAddress, vDuration, vRecur, vText
from icalendar import Event as VEvent

PRODID = "-//Convene//Convene scheduler//EN"
METHODS = ("REQUEST", "CANCEL", "PUBLISH", "REPLY")


@dataclass(frozen=True)
class Person:
    email: str
    name: str = ""
    # iCalendar PARTSTAT: NEEDS-ACTION, ACCEPTED, DECLINED, TENTATIVE
    status: str = "NEEDS-ACTION"


@dataclass(frozen=True)
class Component:
    """One VEVENT: a single meeting, a series' master, or one of its overrides."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    timezone: str = "UTC"
    all_day: bool = False
    organizer: Person | None = None
    attendees: Sequence[Person] = field(default_factory=tuple)
    description: str = ""
    location: str = ""
    url: str = ""
    cancelled: bool = False
    # A series: its RRULE text as stored (UNTIL in UTC) and the original starts of removed occurrences.
    rrule: str = ""
    exdates: Sequence[datetime] = ()
    # An override: the original start of the occurrence it replaces.
    recurrence_id: datetime | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def cancel(self) -> Component:
        return replace(self, cancelled=True)

    def only(self, attendees: Sequence[Person]) -> Component:
        return replace(self, attendees=tuple(attendees))


def build(
    components: Iterable[Component],
    *,
    method: str | None = None,
    name: str = "",
    refresh: timedelta | None = None,
    stamp: datetime | None = None,
) -> bytes:
    """A VCALENDAR of ``components``. ``method`` is REQUEST, CANCEL or REPLY for iTIP messages,
    PUBLISH for copies that are not invitations, and None for plain downloads. ``refresh`` tells
    subscribers how often to fetch again (feeds)."""
    if method is not None and method not in METHODS:
        raise ValueError(f"Unknown iTIP method {method!r}")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    if refresh is not None:
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    components = list(components)
    for zone_name, (first, last) in _zones_used(components).items():
        calendar.add_component(_vtimezone(zone_name, first, last))
    for component in components:
        calendar.add_component(_vevent(component, stamp, attendees=method != "PUBLISH"))
    return calendar.to_ical()


def _moment(component: Component, moment: datetime) -> datetime | date:
    """``moment`` in the component's value type: a local date (all day), a UTC time (UTC
    meetings) or a local time in the meeting's zone."""
    if component.all_day:
        return moment.astimezone(component.zone).date()
    if component.timezone == "UTC":
        return moment.astimezone(UTC)
    return moment.astimezone(component.zone)


def _rrule(component: Component) -> vRecur:
    rule = vRecur.from_ical(component.rrule.removeprefix("RRULE:"))
    if component.all_day and "UNTIL" in rule:
        # A DATE series ends on a DATE (RFC 5545 3.3.10): the local day of the stored UTC end.
        until = rule["UNTIL"][0]
        if isinstance(until, datetime):
            rule["UNTIL"] = [(until if until.tzinfo else until.replace(tzinfo=UTC)).astimezone(component.zone).date()]
    return rule


def _vevent(component: Component, stamp: datetime, *, attendees: bool) -> VEvent:
    event = VEvent()
    event.add("uid", component.uid)
    event.add("sequence", component.sequence)
    event.add("dtstamp", stamp)
    if component.recurrence_id is not None:
        event.add("recurrence-id", _moment(component, component.recurrence_id))
    event.add("dtstart", _moment(component, component.start))
    event.add("dtend", _moment(component, component.end))
    if component.rrule:
        event.add("rrule", _rrule(component))
        if component.exdates:
            event.add("exdate", [_moment(component, moment) for moment in component.exdates])
    event.add("summary", component.summary)
    if component.description:
        event.add("description", component.description)
    if component.location:
        event.add("location", component.location)
    if component.url:
        event.add("url", component.url)
    event.add("status", "CANCELLED" if component.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if component.organizer is not None:
        event.add("organizer", _address(component.organizer))
    if attendees:
        for person in component.attendees:
            event.add("attendee", _address(person, attendee=True))
    return event


def _address(person: Person, *, attendee: bool = False) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    if person.name:
        address.params["CN"] = vText(person.name)
    if attendee:
        address.params["CUTYPE"] = vText("INDIVIDUAL")
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
        address.params["PARTSTAT"] = vText(person.status)
        address.params["RSVP"] = vText("TRUE" if person.status == "NEEDS-ACTION" else "FALSE")
    return address


def _zones_used(components: list[Component]) -> dict[str, tuple[int, int]]:
    """The zones written as TZID, with the years their VTIMEZONE must cover."""
    years: dict[str, tuple[int, int]] = {}
    for component in components:
        if component.all_day or component.timezone == "UTC":
            continue
        first, last = years.get(component.timezone, (component.start.year, component.end.year))
        moments = [component.start, component.end, *component.exdates]
        if component.recurrence_id:
            moments.append(component.recurrence_id)
        years[component.timezone] = (min(first, *(m.year for m in moments)), max(last, *(m.year for m in moments)))
    return years


class _Timezone(Timezone):
    # icalendar finds each transition by stepping 64 days first, and so jumps over periods shorter
    # than that: Morocco's month of +00 during Ramadan vanished. Start at 8 days (no zone in tzdata
    # keeps an offset for less than that); the finer steps stay icalendar's.
    _from_tzinfo_skip_search = [timedelta(days=8), *Timezone._from_tzinfo_skip_search[4:]]


@lru_cache(maxsize=256)
def _vtimezone_text(zone_name: str, first_year: int, last_year: int) -> bytes:
    # The transitions of the zone as tzdata has them (RDATE lists), from a year before the first
    # moment to well after the last, so a series that never ends stays right for years.
    timezone = _Timezone.from_tzid(
        zone_name, first_date=date(first_year - 1, 1, 1), last_date=date(max(last_year + 2, first_year + 15), 1, 1)
    )
    # One RDATE property per transition: readers built on vobject (Radicale among them) keep only
    # the first value of a comma-separated RDATE list, and then read every later summer as winter.
    for observance in timezone.subcomponents:
        listed = observance.pop("RDATE", None)
        for rdate in listed if isinstance(listed, list) else [listed] if listed else []:
            for period in rdate.dts:
                observance.add("RDATE", period.dt)
    return timezone.to_ical()


def _vtimezone(zone_name: str, first_year: int, last_year: int) -> Timezone:
    # Built once per zone and span (it takes milliseconds), parsed fresh for each document.
    return Timezone.from_ical(_vtimezone_text(zone_name, first_year, last_year))


def google_calendar_url(component: Component) -> str:
    """ "Add to Google Calendar" link (no API access needed), with the series' rule if any."""

    def stamp(moment: datetime) -> str:
        if component.all_day:
            return f"{moment.astimezone(component.zone):%Y%m%d}"
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    query = {
        "action": "TEMPLATE",
        "text": component.summary,
        "dates": f"{stamp(component.start)}/{stamp(component.end)}",
        "details": component.description,
        "location": component.location,
        "ctz": component.timezone,
        "recur": f"RRULE:{component.rrule.removeprefix('RRULE:')}" if component.rrule else "",
    }
    return "https://calendar.google.com/calendar/render?" + urlencode({k: v for k, v in query.items() if v})
