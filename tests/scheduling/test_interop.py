"""Convene's iCalendar as other calendars read it: the feed, every download and every email, read by
recurring-ical-events and by vobject, stored in Radicale and Xandikos and expanded by them, must
show exactly the occurrences Convene's own calendar shows, in four time zones across both of
2027's DST changes (tests/scenarios.py builds a year of meetings of every kind)."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
import vobject
from dateutil.tz import tzical
from django.core import mail
from django.urls import reverse

from booking.emails import booker_download
from scheduling import ical
from scheduling.calendar_views import feed_urls
from scheduling.ics import _vtimezone_text
from scheduling.models import Attendee, Event
from scheduling.occurrences import expand
from tests.caldav_servers import Occurrence, as_utc, sort_key, start_radicale, start_xandikos
from tests.calendars import by_recurring_ical_events, by_vobject, calendar_part, convene_view, without_summaries
from tests.scenarios import NOW, WINDOW, ZONES, build

pytestmark = pytest.mark.django_db


@pytest.fixture(params=list(ZONES))
def scenario(request, django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        built = build(request.param)
    return built


@pytest.fixture(scope="session")
def caldav_servers(tmp_path_factory):
    servers = [start_radicale(tmp_path_factory.mktemp("radicale")), start_xandikos(tmp_path_factory.mktemp("xandikos"))]
    yield servers
    for server in servers:
        server.stop()


def feed_of(scenario) -> bytes:
    path = "/" + feed_urls(scenario.owner)["https"].split("/", 3)[3]
    response = scenario.client.get(path)
    assert response.status_code == 200
    return response.content


def split_per_uid(document: bytes) -> list[bytes]:
    """One calendar object per UID (with the VTIMEZONEs), as a CalDAV collection stores a feed."""
    calendar = icalendar.Calendar.from_ical(document)
    zones = calendar.walk("VTIMEZONE")
    groups = defaultdict(list)
    for vevent in calendar.walk("VEVENT"):
        groups[str(vevent["UID"])].append(vevent)
    documents = []
    for members in groups.values():
        part = icalendar.Calendar()
        part.add("prodid", "-//split//EN")
        part.add("version", "2.0")
        for component in [*zones, *members]:
            part.add_component(component)
        documents.append(part.to_ical())
    return documents


def downloads_of(scenario) -> list[bytes]:
    """The owner's .ics download of every meeting (a moved occurrence's comes with its series)."""
    documents = {}
    for event in Event.objects.filter(owner=scenario.owner).active():
        response = scenario.client.get(reverse("scheduling:event_ics", args=[event.pk]))
        documents[ical.root(event).uid] = response.content
    return list(documents.values())


def test_the_scenario_has_every_kind_of_meeting(scenario):
    origins = set(Event.objects.filter(owner=scenario.owner).values_list("origin", flat=True))
    assert origins == {Event.Origin.MANUAL, Event.Origin.BOOKING, Event.Origin.POLL}
    assert scenario.series.exceptions.count() == 1
    assert len(scenario.series.exdates) == 2  # one deleted, one moved
    found = convene_view(scenario.owner, *WINDOW)
    assert len(found) >= 45  # 39 weekly occurrences, 4 all-day days, 5 bookings, 1 poll meeting


def test_weekly_series_keeps_its_local_time_all_year(scenario):
    weekday, at, _ = ZONES[scenario.zone]
    series = scenario.series
    starts = [o.start.astimezone(scenario.tz) for o in expand(series, *WINDOW)]
    assert {(moment.weekday(), moment.time()) for moment in starts} == {(weekday, at)}
    feed_starts = [
        o.start.astimezone(scenario.tz)
        for o in by_recurring_ical_events([feed_of(scenario)], *WINDOW)
        if o.uid == series.uid and o.start != ical.members(series)[1].start
    ]
    assert {(moment.weekday(), moment.time()) for moment in feed_starts} == {(weekday, at)}


def test_feed_reads_the_same_in_icalendar_and_vobject(scenario):
    expected = without_summaries(convene_view(scenario.owner, *WINDOW))
    feed = feed_of(scenario)
    assert without_summaries(by_recurring_ical_events([feed], *WINDOW)) == expected
    assert without_summaries(by_vobject([feed], *WINDOW)) == expected


def test_downloads_read_the_same_in_icalendar_and_vobject(scenario):
    expected = without_summaries(convene_view(scenario.owner, *WINDOW))
    documents = downloads_of(scenario)
    assert without_summaries(by_recurring_ical_events(documents, *WINDOW)) == expected
    assert without_summaries(by_vobject(documents, *WINDOW)) == expected


def test_caldav_servers_expand_the_feed_and_the_downloads_as_convene_shows_them(scenario, caldav_servers):
    expected = without_summaries(convene_view(scenario.owner, *WINDOW))
    for server in caldav_servers:
        for documents in (split_per_uid(feed_of(scenario)), downloads_of(scenario)):
            calendar = server.new_calendar()
            assert [server.put(calendar, document) for document in documents] == [201] * len(documents)
            assert without_summaries(server.expanded(calendar, *WINDOW)) == expected, server.name


def test_caldav_servers_store_what_the_booker_downloads(scenario, caldav_servers):
    for booking in scenario.bookings:
        expected = [] if booking.is_cancelled else [(booking.event.uid, booking.event.start, booking.event.end)]
        for server in caldav_servers:
            calendar = server.new_calendar()
            assert server.put(calendar, booker_download(booking)) == 201
            assert without_summaries(server.expanded(calendar, *WINDOW)) == expected, server.name


# --- Every recipient's emails, replayed into a calendar ------------------------------------------


class ReplayedCalendar:
    """A calendar client's inbox processing: REQUEST adds or replaces (a whole series, or one
    occurrence when only that one is sent), CANCEL removes (the meeting, or the one occurrence it
    names), PUBLISH adds or replaces and removes what it says is cancelled; older SEQUENCEs lose."""

    def __init__(self):
        self.objects: dict[str, dict] = {}  # uid -> {recurrence-id key or None: vevent}
        self.zones: dict[str, icalendar.Timezone] = {}

    def apply(self, method: str, document: bytes) -> None:
        calendar = icalendar.Calendar.from_ical(document)
        assert str(calendar["METHOD"]) == method
        for zone in calendar.walk("VTIMEZONE"):
            self.zones[str(zone["TZID"])] = zone
        for vevent in calendar.walk("VEVENT"):
            uid, instance = str(vevent["UID"]), _instance_key(vevent)
            stored = self.objects.setdefault(uid, {})
            current = stored.get(instance) or stored.get(None)
            if current is not None and int(vevent["SEQUENCE"]) < int(current["SEQUENCE"]):
                continue
            cancelled = method == "CANCEL" or str(vevent.get("STATUS", "")).upper() == "CANCELLED"
            if cancelled and instance is None:
                self.objects.pop(uid)
            elif cancelled:
                stored.pop(instance, None)
                if None in stored:
                    stored[None].add("exdate", vevent.decoded("RECURRENCE-ID"))
            elif instance is None and "RRULE" in vevent:
                # A whole series: its master and overrides replace what was there.
                self.objects[uid] = {None: vevent}
            else:
                stored[instance] = vevent

    def document(self) -> bytes:
        calendar = icalendar.Calendar()
        calendar.add("prodid", "-//replay//EN")
        calendar.add("version", "2.0")
        for zone in self.zones.values():
            calendar.add_component(zone)
        for components in self.objects.values():
            for vevent in components.values():
                calendar.add_component(vevent)
        return calendar.to_ical()


def _instance_key(vevent):
    if "RECURRENCE-ID" not in vevent:
        return None
    return as_utc(vevent.decoded("RECURRENCE-ID"))


def replay(messages) -> ReplayedCalendar:
    replayed = ReplayedCalendar()
    for message in messages:
        if not any(mimetype.startswith("text/calendar") for _, mimetype in message.alternatives):
            continue  # reminders, answers' notes
        # A series document sends its master and overrides together: group them per message.
        method, document = calendar_part(message)
        replayed.apply(method, document)
    return replayed


def attendee_view(email: str, start: datetime, end: datetime) -> list[Occurrence]:
    """What Convene shows ``email``: every occurrence of the live meetings they attend."""
    found = []
    seats = Attendee.objects.filter(email__iexact=email, event__status=Event.Status.CONFIRMED)
    for seat in seats.select_related("event__series"):
        event = seat.event
        for occurrence in expand(event, start, end):
            begin, finish = occurrence.start, occurrence.end
            if event.all_day:
                begin, finish = begin.astimezone(event.tzinfo).date(), finish.astimezone(event.tzinfo).date()
            found.append(Occurrence(ical.root(event).uid, as_utc(begin), as_utc(finish), ""))
    return sorted(found, key=sort_key)


def owner_view(scenario) -> list[Occurrence]:
    """The owner's own copies arrive for bookings and poll results (they make calendar events themselves)."""
    booked = [o for o in convene_view(scenario.owner, *WINDOW) if _origin(o.uid) != Event.Origin.MANUAL]
    return booked


def _origin(uid: str) -> str:
    return Event.objects.get(uid=uid).origin


def test_each_recipients_emails_replayed_leave_what_convene_shows_them(scenario):
    by_recipient = defaultdict(list)
    for message in mail.outbox:
        by_recipient[message.to[0].lower()].append(message)
    people = ["ana@example.org", "ben@example.org", "bea@example.org", "gus@example.org", "cy@example.org",
              "dee@example.org"]  # fmt: skip
    assert set(people) <= set(by_recipient)
    for email in people:
        replayed = by_recurring_ical_events([replay(by_recipient[email]).document()], *WINDOW)
        assert without_summaries(replayed) == without_summaries(attendee_view(email, *WINDOW)), email
    owner = scenario.owner.email.lower()
    replayed = by_recurring_ical_events([replay(by_recipient[owner]).document()], *WINDOW)
    assert without_summaries(replayed) == without_summaries(owner_view(scenario))


def test_one_email_per_recipient_and_meeting_in_each_workflow(scenario):
    # The recurring booking (four meetings) sent Dee four invitations and the host one summary.
    to_dee = [m for m in mail.outbox if m.to == ["dee@example.org"]]
    assert [m.subject.split(":")[0] for m in to_dee] == ["Confirmed"] * 4
    to_host = [m for m in mail.outbox if m.to == [scenario.owner.email] and "Dee" in m.subject]
    assert len(to_host) == 1
    assert len(icalendar.Calendar.from_ical(calendar_part(to_host[0])[1]).walk("VEVENT")) == 4


def test_times_are_written_in_the_meetings_own_zone(scenario):
    calendar = icalendar.Calendar.from_ical(feed_of(scenario))
    zones = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    series = next(v for v in calendar.walk("VEVENT") if str(v["UID"]) == scenario.series.uid and "RRULE" in v)
    assert series["DTSTART"].params["TZID"] == scenario.zone
    assert scenario.zone in zones
    # The deleted occurrence is excluded in the series' own zone; the moved one is an override.
    assert series["EXDATE"].params["TZID"] == scenario.zone
    override = next(v for v in calendar.walk("VEVENT") if str(v["UID"]) == scenario.series.uid and "RRULE" not in v)
    assert override["RECURRENCE-ID"].params["TZID"] == scenario.zone
    # An all-day series is dates throughout: DTSTART, UNTIL and EXDATE.
    day = next(v for v in calendar.walk("VEVENT") if str(v["UID"]) == scenario.all_day.uid)
    assert day["DTSTART"].params.get("VALUE") == "DATE"
    assert not isinstance(day["RRULE"]["UNTIL"][0], datetime)
    assert not isinstance(day["EXDATE"].dts[0].dt, datetime)


def test_a_moved_occurrence_downloads_with_its_series_and_caldav_accepts_it(scenario, caldav_servers):
    single = scenario.series.exceptions.get()
    document = scenario.client.get(reverse("scheduling:event_ics", args=[single.pk])).content
    vevents = icalendar.Calendar.from_ical(document).walk("VEVENT")
    assert [("RRULE" in v, "RECURRENCE-ID" in v) for v in vevents] == [(True, False), (False, True)]
    for server in caldav_servers:
        assert server.put(server.new_calendar(), document) == 201, server.name


@pytest.mark.parametrize("zone_name", [*ZONES, "America/Sao_Paulo", "Africa/Casablanca"])
def test_every_vtimezone_reads_as_tzdata_in_each_parser_for_every_year_it_covers(zone_name):
    # vobject (and so Radicale) keeps only the first value of an RDATE list, and icalendar's own
    # search skipped Morocco's Ramadan months: every parser must agree with tzdata for 15 years.
    text = _vtimezone_text(zone_name, 2026, 2026).decode()
    readers = {
        "vobject": vobject.readOne(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{text}END:VCALENDAR\r\n").vtimezone.gettzinfo(),
        "dateutil": tzical(io.StringIO(text)).get(),
        "icalendar": icalendar.Calendar.from_ical(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{text}END:VCALENDAR\r\n")
        .walk("VTIMEZONE")[0]
        .to_tz(),
    }
    zone = ZoneInfo(zone_name)
    for day in range(0, 15 * 365, 5):
        moment = datetime(2026, 1, 1, 12) + timedelta(days=day)
        for name, reader in readers.items():
            assert reader.utcoffset(moment) == zone.utcoffset(moment), (name, moment)
