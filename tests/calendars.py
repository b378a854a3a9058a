"""Reading Convene's iCalendar the way other calendars do, to compare with Convene's own calendar.

Three independent readings: ``recurring-ical-events`` over icalendar, vobject (the parser inside
Radicale and Xandikos) with its own rrule expansion and its own timezone objects built from our
VTIMEZONE, and the CalDAV servers themselves (tests/caldav_servers.py). Each gives occurrences
as (UID, start, end) in UTC, all-day ones as dates.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import icalendar
import recurring_ical_events
import vobject

from scheduling import ical, occurrences
from tests.caldav_servers import Occurrence, as_utc, sort_key


def calendar_part(message) -> tuple[str, bytes]:
    """(METHOD, document) of the text/calendar part inside an email's multipart/alternative."""
    for content, mimetype in message.alternatives:
        if mimetype.startswith("text/calendar"):
            method = mimetype.split("method=", 1)[1].split(";", 1)[0].strip()
            return method, content.encode() if isinstance(content, str) else content
    raise AssertionError(f"No text/calendar alternative in {message.subject!r}")


def _instance(vevent, start, end) -> Occurrence:
    return Occurrence(uid=str(vevent["UID"]), start=as_utc(start), end=as_utc(end), summary=str(vevent["SUMMARY"]))


def by_recurring_ical_events(documents: list[bytes], start: datetime, end: datetime) -> list[Occurrence]:
    found = []
    for document in documents:
        calendar = icalendar.Calendar.from_ical(document)
        for vevent in recurring_ical_events.of(calendar).between(start, end):
            if str(vevent.get("STATUS", "")).upper() == "CANCELLED":
                continue
            found.append(_instance(vevent, vevent.decoded("DTSTART"), vevent.decoded("DTEND")))
    return sorted(found, key=sort_key)


def by_vobject(documents: list[bytes], start: datetime, end: datetime) -> list[Occurrence]:
    found = []
    for document in documents:
        for calendar in vobject.readComponents(document.decode()):
            groups = defaultdict(list)
            for vevent in calendar.contents.get("vevent", []):
                groups[vevent.uid.value].append(vevent)
            for members in groups.values():
                found += _vobject_series(members, start, end)
    return sorted(found, key=sort_key)


def _vobject_series(members, start: datetime, end: datetime) -> list[Occurrence]:
    masters = [m for m in members if not hasattr(m, "recurrence_id")]
    overrides = [m for m in members if hasattr(m, "recurrence_id")]
    result = []
    replaced = {_key(override.recurrence_id.value) for override in overrides}
    for master in masters:
        if getattr(master, "status", None) and master.status.value.upper() == "CANCELLED":
            continue
        first, last = master.dtstart.value, master.dtend.value
        length = last - first
        all_day = not isinstance(first, datetime)
        if hasattr(master, "rrule"):
            rules = master.getrruleset(addRDate=True)
            if all_day:
                midnight = datetime.min.time()
                window = (datetime.combine(start.date(), midnight) - length, datetime.combine(end.date(), midnight))
            else:
                window = (start - length, end)
            starts = rules.between(*window, inc=True)
        else:
            starts = [first]
        for moment in starts:
            if _key(moment) in replaced:
                continue
            if all_day and isinstance(moment, datetime):
                moment = moment.date()
            finish = moment + length
            if _overlaps(moment, finish, start, end):
                result.append(Occurrence(master.uid.value, as_utc(moment), as_utc(finish), master.summary.value))
    for override in overrides:
        if getattr(override, "status", None) and override.status.value.upper() == "CANCELLED":
            continue
        moment, finish = override.dtstart.value, override.dtend.value
        if _overlaps(moment, finish, start, end):
            result.append(Occurrence(override.uid.value, as_utc(moment), as_utc(finish), override.summary.value))
    return result


def _key(moment):
    if isinstance(moment, datetime):
        return (
            moment.astimezone(UTC)
            if moment.tzinfo
            else moment.date()
            if moment.time() == datetime.min.time()
            else moment
        )
    return moment


def _overlaps(begin, finish, start: datetime, end: datetime) -> bool:
    if not isinstance(begin, datetime):
        return begin < end.date() and finish > start.date()
    return begin < end and finish > start


def convene_view(owner, start: datetime, end: datetime) -> list[Occurrence]:
    """What Convene's own calendar shows the owner in [start, end): all-day events as their local dates."""
    found = []
    for occurrence in occurrences.between(owner, start, end):
        event = occurrence.event
        begin, finish = occurrence.start, occurrence.end
        if event.all_day:
            begin, finish = begin.astimezone(event.tzinfo).date(), finish.astimezone(event.tzinfo).date()
        found.append(Occurrence(ical.root(event).uid, as_utc(begin), as_utc(finish), event.title))
    return sorted(found, key=sort_key)


def without_summaries(found: list[Occurrence]) -> list[tuple]:
    return [(o.uid, o.start, o.end) for o in found]


def day_span(first: date, days: int) -> tuple[datetime, datetime]:
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    return start, start + timedelta(days=days)
