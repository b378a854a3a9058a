"""The busy times of a person from iCalendar documents (CalDAV resources, ICS links), read with the
rules calendar apps use. Pure: no ORM, no I/O, no settings.

``busy(documents, start=, end=, rules=)`` gives the sorted, merged, half-open UTC intervals of every
occurrence that overlaps [start, end) and blocks the owner's time:

- Series are expanded by recurring-ical-events (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides,
  RANGE=THISANDFUTURE). The pieces of one series are joined by UID across all the documents given,
  so a master and its overrides may come in one document (a CalDAV resource, an ICS feed) or in
  several. Where two pieces claim the same place, the higher SEQUENCE wins.
- All-day events (VALUE=DATE) block the owner's whole local days: local midnight of the first day to
  local midnight after the last, in ``Rules.owner_tz`` (so 23 or 25 hours on a DST day). A date
  DTSTART with no DTEND/DURATION, or with a DTEND on the same day, lasts one day.
- Floating times (no TZID, no Z) are read in ``owner_tz``; so is a TZID that is neither an IANA (or
  Windows) zone name nor defined by a VTIMEZONE of the same document. A calendar-wide
  X-WR-TIMEZONE (Google, Apple) wins over ``owner_tz`` for floating times, as those apps read it.
- A TZID defined by the document's own VTIMEZONE is read with that definition, never with a
  definition of the same name from another document (Outlook calls many different zones
  "Customized Time Zone"); an IANA TZID is read from the tz database, whatever the VTIMEZONE says.
- TRANSP:TRANSPARENT, STATUS:CANCELLED and an invitation the owner declined (an ATTENDEE with one
  of ``owner_emails`` and PARTSTAT=DECLINED) do not block. Each is read from the component an
  occurrence comes from: a cancelled or declined override frees that one occurrence, an accepted
  override of a declined series blocks. UIDs in ``skip_uids`` (Convene's own copies) are left out
  whole, overrides included.
- A date-time DTSTART with no DTEND/DURATION is an instant and blocks nothing. Durations (DTEND -
  DTSTART of a series, DURATION) are applied in local wall-clock time, as calendar apps show them:
  a 20:00-08:00 night shift stays 20:00-08:00 across a DST change.

A document that is not iCalendar raises ``ParseError``; an event in it that cannot be read (no
DTSTART, a date that is not one, an RRULE that is not one) is left out and named in
``Document.problems``, so one broken event does not hide a whole calendar. Parsing is the costly
step (icalendar reads a few thousand events a second, expanding a month of them takes
milliseconds): ``parse`` once and pass the ``Document`` to ``busy`` to read one answer twice.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import icalendar
import x_wr_timezone
from dateutil.rrule import rrule
from recurring_ical_events import EventAdapter, Occurrence, Series

Interval = tuple[datetime, datetime]

# The properties whose date-times carry a TZID and decide when an occurrence is.
_ZONED_PROPERTIES = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")
_NO_UID = "\x00"  # cannot occur in iCalendar text: keys events without a UID apart from every real UID


# Evolution and Thunderbird write TZIDs like /freeassociation.sourceforge.net/Europe/Berlin;
# icalendar reads them as the IANA zone they name, and says so with a warning for each. That is
# what Convene wants, so the warning is not news.
warnings.filterwarnings("ignore", category=icalendar.GloballyUniqueTZIDGuessed)


class ParseError(ValueError):
    """The document is not iCalendar; ``message`` says why, in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Rules:
    owner_tz: str  # IANA zone: floating times and all-day dates are read in it
    owner_emails: frozenset[str]  # an ATTENDEE with one of these and PARTSTAT=DECLINED does not block
    skip_uids: frozenset[str] = frozenset()  # Convene's own copies: the whole series, overrides included


class _Event(EventAdapter):
    """One VEVENT as recurring-ical-events reads it, with what decides whether it blocks time."""

    def __init__(self, component: icalendar.Event, key: str) -> None:
        super().__init__(component)
        self.component = component
        self.key = key
        self.repeats = "RRULE" in component or "RDATE" in component
        self.replaces = "RECURRENCE-ID" in component
        self.cancelled = _word(component, "STATUS") == "CANCELLED"
        self.transparent = _word(component, "TRANSP") == "TRANSPARENT"
        self.answers = tuple(_answers(component))
        self.utc: Interval | None = None  # set when both ends are zoned: the same for every owner

    def blocks(self, owner_emails: frozenset[str]) -> bool:
        if self.cancelled or self.transparent:
            return False
        if not self.answers:
            return True
        mine = [partstat for address, partstat in self.answers if address in owner_emails]
        return not mine or any(partstat != "DECLINED" for partstat in mine)


class _Occurrence(Occurrence):
    def __init__(self, adapter: _Event, start=None, end=None, sequence: int = -1) -> None:
        super().__init__(adapter, start, end, sequence)
        self.event = adapter


class _FromNearTheWindow:
    """A DAILY or WEEKLY rule without COUNT, walked from a whole number of periods after DTSTART
    just before the window asked: the same occurrences as from DTSTART, without walking through
    years of them (dateutil always starts at DTSTART: a daily series begun in 2019 costs
    milliseconds on every read). Shifting by whole periods keeps the rule's phase (its weeks, its
    INTERVAL); the shift is in wall-clock time, as dateutil steps."""

    def __init__(self, rule: rrule, dtstart: datetime, period: timedelta) -> None:
        self.rule, self.dtstart, self.period = rule, dtstart, period
        self.until = getattr(rule, "until", None)  # recurring-ical-events checks UNTIL itself
        self.shifted: tuple[int, rrule] = (0, rule)  # the last one made: asked again for the same window

    def between(self, after: datetime, before: datetime, inc: bool = False) -> list[datetime]:
        # Two days before the window: no zone's offset moves a wall-clock time further than that.
        periods = max(0, (after - self.dtstart - timedelta(days=2)) // self.period)
        if periods != self.shifted[0]:
            moved = (self.dtstart.replace(tzinfo=None) + periods * self.period).replace(tzinfo=self.dtstart.tzinfo)
            # Without dateutil's cache: filling it costs more than walking a few weeks again.
            self.shifted = (periods, self.rule.replace(dtstart=moved, cache=False))
        return self.shifted[1].between(after, before, inc=inc)


_DAYS_IN_PERIOD = {"DAILY": 1, "WEEKLY": 7}
_KEEP_PHASE = {"FREQ", "INTERVAL", "UNTIL", "WKST", "BYDAY", "BYMONTH", "BYHOUR", "BYMINUTE", "BYSECOND"}


def _near_the_window(rule: rrule, dtstart: datetime) -> rrule | _FromNearTheWindow:
    parts = dict(part.split("=", 1) for part in getattr(rule, "string", "").upper().split(";") if "=" in part)
    days = _DAYS_IN_PERIOD.get(parts.get("FREQ", ""))
    interval = parts.get("INTERVAL", "1")
    if (
        days is None
        or not isinstance(rule, rrule)
        or not parts.keys() <= _KEEP_PHASE  # COUNT, BYSETPOS, BYMONTHDAY...: walked from DTSTART
        or any(character.isdigit() for character in parts.get("BYDAY", ""))
        or not interval.isdigit()
        or int(interval) < 1
    ):
        return rule
    return _FromNearTheWindow(rule, dtstart, timedelta(days=days * int(interval)))


class _Recurrence(Series.RecurrenceRules):
    def __init__(self, core: _Event) -> None:
        super().__init__(core)
        # The first is the set of RDATEs and DTSTART; the others are the RRULEs.
        self.rrules = [self.rrules[0], *(_near_the_window(rule, self.start) for rule in self.rrules[1:])]


class _Series(Series):
    """A series whose occurrences remember the component they come from (master or override)."""

    RecurrenceRules = _Recurrence

    def __init__(self, events: list[_Event]) -> None:
        super().__init__(events)
        self.events = events

    def occurrence(self, adapter: _Event, start=None, end=None) -> _Occurrence:
        return _Occurrence(adapter, start, end)


@dataclass(frozen=True, eq=False)
class Document:
    """A parsed iCalendar document: its events by UID, each series ready to expand."""

    groups: dict[str, list[_Event]]
    series: dict[str, _Series]  # the UIDs that are more than one single event
    problems: tuple[str, ...] = ()  # the events left out, in words


def parse(document: bytes | str) -> Document:
    """Read an iCalendar document; raise ``ParseError`` if it is not one."""
    calendars = _calendars(document)
    groups: dict[str, list[_Event]] = {}
    problems: list[str] = []
    for calendar in calendars:
        events = [component for component in calendar.subcomponents if component.name == "VEVENT"]
        _read_own_zones(calendar, events)
        for component in _with_calendar_zone(calendar, events):
            try:
                event = _event(component)
            except (ValueError, TypeError, KeyError, AttributeError) as error:
                problems.append(f"{_name(component)} was left out: {_reason(error)}")
                continue
            groups.setdefault(event.key, []).append(event)
    series: dict[str, _Series] = {}
    for key, events in list(groups.items()):
        if len(events) == 1 and not events[0].repeats and not events[0].replaces:
            continue
        try:
            series[key] = _Series(events)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            problems.append(f"{_name(events[0].component)} was left out: {_reason(error)}")
            del groups[key]
    return Document(groups=groups, series=series, problems=tuple(problems))


def busy(
    documents: Iterable[bytes | str | Document], *, start: datetime, end: datetime, rules: Rules
) -> list[Interval]:
    """Sorted, merged, half-open UTC intervals of every occurrence that overlaps [start, end) and blocks
    the owner's time. Raises ``ParseError`` if one of the documents is not iCalendar."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes")
    zone = ZoneInfo(rules.owner_tz)
    emails = frozenset(address.lower() for address in rules.owner_emails)
    window = (start.astimezone(UTC), end.astimezone(UTC))
    if window[0] >= window[1]:
        return []
    # recurring-ical-events reads dates and floating times in the zone of the window it is given.
    span = (start.astimezone(zone), end.astimezone(zone))

    whole: dict[str, Document] = {}  # UID -> the one document holding all of it
    joined: dict[str, list[_Event]] = {}  # UID -> pieces from several documents
    for document in documents:
        parsed = document if isinstance(document, Document) else parse(document)
        for key, events in parsed.groups.items():
            if key in rules.skip_uids:
                continue
            if key in joined:
                joined[key] += events
            elif key in whole:
                joined[key] = [*whole.pop(key).groups[key], *events]
            else:
                whole[key] = parsed

    found: list[Interval] = []
    for key, parsed in whole.items():
        series = parsed.series.get(key)
        if series is None:
            event = parsed.groups[key][0]
            if not event.blocks(emails):
                continue
            if event.utc is None:
                _add(found, event.start, event.end, zone, window)
            elif event.utc[0] < window[1] and event.utc[1] > window[0] and event.utc[0] < event.utc[1]:
                found.append(event.utc)
        else:
            _expand(found, series, span, zone, window, emails)
    for events in joined.values():
        try:
            series = _Series(events)
        except (ValueError, TypeError, KeyError, AttributeError):
            continue  # pieces that do not make a series together (a broken RRULE in one of them)
        _expand(found, series, span, zone, window, emails)
    return _merged(found)


def _expand(
    found: list[Interval],
    series: _Series,
    span: tuple[datetime, datetime],
    zone: ZoneInfo,
    window: Interval,
    emails: frozenset[str],
) -> None:
    if not any(event.blocks(emails) for event in series.events):
        return
    try:
        occurrences = list(series.between(*span))
    except (ValueError, TypeError, OverflowError):
        return  # a series that cannot be expanded (dates and date-times mixed in ways nothing reads)
    for occurrence in occurrences:
        if occurrence.event.blocks(emails):
            _add(found, occurrence.start, occurrence.end, zone, window)


def _add(found: list[Interval], start: date, end: date, zone: ZoneInfo, window: Interval) -> None:
    if not isinstance(start, datetime) and not isinstance(end, datetime) and end <= start:
        end = start + timedelta(days=1)
    begins, ends = _utc(start, zone), _utc(end, zone)
    if begins < ends and begins < window[1] and ends > window[0]:
        found.append((begins, ends))


def _utc(moment: date, zone: ZoneInfo) -> datetime:
    """A date is the local midnight starting it; a floating time is a local time."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(), tzinfo=zone)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _merged(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


# --- Reading -----------------------------------------------------------------------------------


def _calendars(document: bytes | str) -> list[icalendar.Calendar]:
    text = document.decode("utf-8", "replace") if isinstance(document, bytes) else document
    text = text.lstrip("\ufeff \t\r\n")
    if not text:
        raise ParseError("This is not an iCalendar file: it is empty.")
    if text.startswith("<"):
        raise ParseError("This is not an iCalendar file: it is a web page (HTML) or XML.")
    try:
        components = icalendar.Calendar.from_ical(text, multiple=True)
    # Third-party code reading text anyone can publish: whatever it raises means "cannot be read".
    except Exception as error:
        raise ParseError(f"This is not an iCalendar file: {_reason(error)}") from None
    calendars = [component for component in components if component.name == "VCALENDAR"]
    if not calendars:
        raise ParseError("This is not an iCalendar file: it has no complete BEGIN:VCALENDAR … END:VCALENDAR.")
    return calendars


def _event(component: icalendar.Event) -> _Event:
    uid = str(component.get("UID", "")).strip()
    event = _Event(component, uid or f"{_NO_UID}{id(component)}")
    start, end = event.span  # read now: a broken DTSTART/DTEND/DURATION leaves this event out here
    if not isinstance(start, date) or not isinstance(end, date):
        raise ValueError("DTSTART is not a date or a date-time")
    if isinstance(start, datetime) and start.tzinfo is not None and end.tzinfo is not None:
        event.utc = (start.astimezone(UTC), end.astimezone(UTC))
    return event


def _read_own_zones(calendar: icalendar.Calendar, events: list[icalendar.Event]) -> None:
    """Give date-times whose TZID is not an IANA name the zone this document defines for it.

    icalendar keeps one process-wide table of VTIMEZONE definitions by TZID, the first one seen
    winning, so without this a "Customized Time Zone" of one person's Outlook would be read with the
    definition from another person's calendar. A TZID nothing defines leaves the time floating.
    """
    own: dict[str, tzinfo | None] | None = None
    for component in events:
        for name in _ZONED_PROPERTIES:
            values = component.get(name)
            if values is None:
                continue
            for value in values if isinstance(values, list) else [values]:
                # Anything else is a property icalendar could not read: the event is left out later.
                singles = value.dts if isinstance(value, icalendar.vDDDLists) else [value]
                for single in singles:
                    if not isinstance(single, icalendar.vDDDTypes):
                        continue
                    tzid = single.params.get("TZID")
                    if not tzid or not _needs_own_zone(single.dt):
                        continue
                    if own is None:
                        own = _own_zones(calendar)
                    single.dt = _localized(single.dt, own.get(str(tzid)))


def _needs_own_zone(value: object) -> bool:
    moments = value if isinstance(value, tuple) else (value,)
    return any(isinstance(moment, datetime) and not isinstance(moment.tzinfo, ZoneInfo) for moment in moments)


def _localized(value: datetime | tuple, zone: tzinfo | None):
    if isinstance(value, tuple):
        return tuple(_localized(part, zone) for part in value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=zone)
    return value


def _own_zones(calendar: icalendar.Calendar) -> dict[str, tzinfo | None]:
    zones: dict[str, tzinfo | None] = {}
    for component in calendar.walk("VTIMEZONE"):
        tzid = str(component.get("TZID", ""))
        if tzid and tzid not in zones:
            try:
                zones[tzid] = component.to_tz(lookup_tzid=False)
            except Exception:  # a VTIMEZONE nothing can read: its times stay floating
                zones[tzid] = None
    return zones


def _with_calendar_zone(calendar: icalendar.Calendar, events: list[icalendar.Event]) -> list[icalendar.Event]:
    """The events with floating and UTC times moved into the calendar's X-WR-TIMEZONE, if it names one."""
    if "X-WR-TIMEZONE" not in calendar:
        return events
    try:
        zone = ZoneInfo(str(calendar["X-WR-TIMEZONE"]).strip())
    except (ValueError, KeyError):
        return events  # not a zone name: ignored, as the apps that write it would
    walker = x_wr_timezone.UTCChangingWalker(zone)
    return [walker.walk_event(event) for event in events]


def _word(component: icalendar.Event, name: str) -> str:
    value = component.get(name, "")
    return str(value[0] if isinstance(value, list) and value else value).strip().upper()


def _answers(component: icalendar.Event) -> Iterator[tuple[str, str]]:
    """(address, PARTSTAT) of every ATTENDEE, by its URI and by its EMAIL parameter."""
    attendees = component.get("ATTENDEE", [])
    for attendee in attendees if isinstance(attendees, list) else [attendees]:
        params = getattr(attendee, "params", {})
        partstat = str(params.get("PARTSTAT", "NEEDS-ACTION")).strip().upper()
        for address in (str(attendee), str(params.get("EMAIL", ""))):
            address = address.strip().lower().removeprefix("mailto:")
            if address:
                yield address, partstat


def _name(component: icalendar.Event) -> str:
    summary = str(component.get("SUMMARY", "")).strip()
    uid = str(component.get("UID", "")).strip()
    if summary:
        return f"The event “{summary[:80]}”"
    return f"The event with UID {uid[:80]}" if uid else "An event without a UID"


def _reason(error: Exception) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:199] + "…"
