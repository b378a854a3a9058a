"""The CalDAV gateway against real servers asking for a password: Radicale and Xandikos (each test runs
against both), and against local servers that are not CalDAV, fail, or present an untrusted certificate.

What each server offers for discovery: both answer PROPFIND for current-user-principal on their root
and on any collection, and both redirect /.well-known/caldav to their root (Radicale with 301 before
asking for a password, Xandikos with 302 after it), so a bare host works on both. Radicale's calendar
home is the principal itself ("/anna/"), Xandikos's is "/anna/calendars/". Radicale reports the user's
privileges per calendar (current-user-privilege-set); Xandikos always reports DAV:all.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from accounts import caldav_gateway
from accounts.caldav_gateway import (
    CalDAVAccount,
    CalDAVAuthError,
    CalDAVConflict,
    CalDAVError,
    CalDAVNotCalDAV,
    CalDAVRefused,
    CalDAVTLSError,
    CalDAVUnavailable,
    RemoteCalendar,
    resource_name,
)
from tests import caldav_fixtures
from tests.caldav_fixtures import PASSWORD, USERNAME, AuthenticatedServer, answering, serving
from tests.caldav_servers import free_port

# The fixtures, bound here so pytest finds them (caldav_server runs a test against Radicale and Xandikos).
authenticated_caldav_servers = caldav_fixtures.authenticated_caldav_servers
caldav_server = caldav_fixtures.caldav_server
radicale_server = caldav_fixtures.radicale_server
plain_web_server = caldav_fixtures.plain_web_server
untrusted_tls = caldav_fixtures.untrusted_tls

BERLIN = ZoneInfo("Europe/Berlin")
JUNE_START, JUNE_END = datetime(2030, 6, 1, tzinfo=UTC), datetime(2030, 7, 1, tzinfo=UTC)


def account(server: AuthenticatedServer, url: str | None = None, password: str = PASSWORD) -> CalDAVAccount:
    return CalDAVAccount(url or server.principal_url, USERNAME, password, timeout=10)


def vevent(uid: str, start: datetime | date, end: datetime | date, summary: str = "Meeting") -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime(2030, 5, 1, tzinfo=UTC))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    return event


# As calendar apps write it, with rules. Not icalendar's add_missing_timezones(): Radicale's vobject reads
# its RDATE list as "no summer time", and keeps the first VTIMEZONE it sees per TZID for the whole process.
BERLIN_VTIMEZONE = icalendar.Timezone.from_ical(
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"
    "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n"
    "DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n"
    "DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
)


def document(*events: icalendar.Event) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Another calendar app//EN")
    calendar.add("version", "2.0")
    calendar.add_component(BERLIN_VTIMEZONE)
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()


def weekly_series() -> bytes:
    """Tuesdays 09:00 in Berlin, six times from 4 June 2030; the 11th moved to Wednesday the 12th at
    14:00, the 18th cancelled by an EXDATE."""
    master = vevent("weekly", datetime(2030, 6, 4, 9, tzinfo=BERLIN), datetime(2030, 6, 4, 10, tzinfo=BERLIN))
    master.add("rrule", {"freq": "weekly", "count": 6})
    master.add("exdate", datetime(2030, 6, 18, 9, tzinfo=BERLIN))
    moved = vevent("weekly", datetime(2030, 6, 12, 14, tzinfo=BERLIN), datetime(2030, 6, 12, 15, tzinfo=BERLIN))
    moved.add("recurrence-id", datetime(2030, 6, 11, 9, tzinfo=BERLIN))
    return document(master, moved)


@pytest.fixture
def calendar_with_events(caldav_server) -> str:
    """A calendar another app filled: three events in June 2030, one before and one after."""
    calendar = caldav_server.new_calendar()
    caldav_server.store(
        calendar,
        document(vevent("one-off", datetime(2030, 6, 3, 10, tzinfo=BERLIN), datetime(2030, 6, 3, 11, tzinfo=BERLIN))),
    )
    caldav_server.store(calendar, weekly_series())
    caldav_server.store(calendar, document(vevent("all-day", date(2030, 6, 5), date(2030, 6, 6), "Offsite")))
    caldav_server.store(
        calendar,
        document(vevent("last-year", datetime(2029, 6, 3, 10, tzinfo=UTC), datetime(2029, 6, 3, 11, tzinfo=UTC))),
    )
    caldav_server.store(
        calendar,
        document(vevent("autumn", datetime(2030, 9, 2, 10, tzinfo=UTC), datetime(2030, 9, 2, 11, tzinfo=UTC))),
    )
    return calendar


def uids(documents: list[bytes]) -> set[str]:
    return {
        str(component["UID"]) for data in documents for component in icalendar.Calendar.from_ical(data).walk("VEVENT")
    }


def by_uid(documents: list[bytes], uid: str) -> icalendar.Calendar:
    (found,) = [data for data in documents if uid in uids([data])]
    return icalendar.Calendar.from_ical(found)


# --- discovery ---


def test_discovers_principal_home_and_calendars_from_the_principal_url(caldav_server):
    calendar = caldav_server.new_calendar("Team")

    discovery = account(caldav_server).discover()

    assert (discovery.principal_url, discovery.home_url) == (caldav_server.principal_url, caldav_server.home_url)
    assert calendar in [found.url for found in discovery.calendars]


def test_discovers_from_the_server_root(caldav_server):
    discovery = account(caldav_server, f"{caldav_server.url}/").discover()

    assert (discovery.principal_url, discovery.home_url) == (caldav_server.principal_url, caldav_server.home_url)


def test_discovers_from_a_bare_host_through_well_known(caldav_server):
    discovery = account(caldav_server, caldav_server.url).discover()

    assert (discovery.principal_url, discovery.home_url) == (caldav_server.principal_url, caldav_server.home_url)


def test_discovers_from_the_address_of_one_calendar(caldav_server):
    calendar = caldav_server.new_calendar()

    discovery = account(caldav_server, calendar).discover()

    assert discovery.home_url == caldav_server.home_url


def test_discovers_own_principal_from_an_address_this_account_may_not_read(caldav_server):
    discovery = account(caldav_server, f"{caldav_server.url}/somebody-else/calendars/").discover()

    assert discovery.principal_url == caldav_server.principal_url


@pytest.mark.parametrize("status", [301, 302])
def test_well_known_redirect_to_another_host_is_followed_with_the_request_intact(caldav_server, status):
    # requests alone would resend the PROPFIND without its body after a 301, and as a GET after a 302.
    redirect = answering(status, headers={"Location": f"{caldav_server.url}/"})

    with serving(redirect) as url:
        discovery = account(caldav_server, url).discover()

    assert discovery.principal_url == caldav_server.principal_url


def test_lists_calendars_with_their_names_and_colours(caldav_server):
    work = caldav_server.new_calendar("Work", color="#FF2968FF")
    plain = caldav_server.new_calendar("Family")

    calendars = {found.url: found for found in account(caldav_server).discover().calendars}

    assert (calendars[work], calendars[plain]) == (
        RemoteCalendar(url=work, name="Work", color="#FF2968FF", writable=True),
        RemoteCalendar(url=plain, name="Family", color="", writable=True),
    )


def test_leaves_out_calendars_that_cannot_hold_events(caldav_server):
    tasks = caldav_server.new_calendar("Tasks", components=["VTODO"])

    calendars = account(caldav_server).discover().calendars

    assert tasks not in [found.url for found in calendars]


def test_calendar_shared_read_only_is_not_writable(radicale_server):
    holidays = radicale_server.new_calendar("Holidays", read_only=True)

    calendars = {found.url: found for found in account(radicale_server).discover().calendars}

    assert calendars[holidays].writable is False


# --- failures, in words ---


def test_wrong_password_is_an_auth_error_that_suggests_an_app_password(caldav_server):
    with pytest.raises(CalDAVAuthError) as refused:
        account(caldav_server, password="my usual password").discover()

    assert "app password" in refused.value.message
    assert refused.value.retry is False


def test_address_that_is_not_caldav_says_so(plain_web_server):
    with pytest.raises(CalDAVNotCalDAV) as failure:
        CalDAVAccount(plain_web_server, USERNAME, PASSWORD).discover()

    assert failure.value.message.startswith("That address answers, but not as a CalDAV server")


@pytest.mark.parametrize("status", [429, 503])
def test_busy_server_is_worth_retrying(status):
    with serving(answering(status)) as url, pytest.raises(CalDAVUnavailable) as failure:
        CalDAVAccount(f"{url}/dav/", USERNAME, PASSWORD).discover()

    assert failure.value.retry is True


def test_unreachable_server_is_worth_retrying():
    with pytest.raises(CalDAVUnavailable) as failure:
        CalDAVAccount(f"http://127.0.0.1:{free_port()}/dav/", USERNAME, PASSWORD, timeout=2).discover()

    assert failure.value.retry is True


def test_untrusted_certificate_is_a_tls_error(untrusted_tls):
    with serving(answering(207), tls=untrusted_tls) as url, pytest.raises(CalDAVTLSError) as failure:
        CalDAVAccount(f"{url}/dav/", USERNAME, PASSWORD).discover()

    assert "certificate" in failure.value.message


JUNE_START_END = (datetime(2030, 6, 3, 10, tzinfo=UTC), datetime(2030, 6, 3, 11, tzinfo=UTC))


def test_oversized_answer_is_refused_in_words(monkeypatch):
    monkeypatch.setattr(caldav_gateway, "MAX_RESPONSE_BYTES", 1_000_000)

    with serving(answering(207, b" " * 1_000_001)) as url, pytest.raises(CalDAVError) as failure:
        CalDAVAccount(f"{url}/dav/", USERNAME, PASSWORD).discover()

    assert "too large" in failure.value.message


OPERATIONS = {
    "discover": lambda gateway, calendar: gateway.discover(),
    "events": lambda gateway, calendar: gateway.events(calendar, JUNE_START, JUNE_END),
    "put": lambda gateway, calendar: gateway.put(calendar, "refused", document(vevent("refused", *JUNE_START_END))),
    "delete": lambda gateway, calendar: gateway.delete(f"{calendar}refused.ics"),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_loopback_server_is_refused_unless_private_addresses_are_allowed(caldav_server, settings, operation):
    calendar = caldav_server.new_calendar()
    settings.OUTBOUND_ALLOW_PRIVATE = False

    with pytest.raises(CalDAVRefused) as refused:
        OPERATIONS[operation](account(caldav_server), calendar)

    assert "127.0.0.1" in refused.value.message


# --- events ---


def test_events_overlapping_the_range_come_back_and_others_do_not(caldav_server, calendar_with_events):
    documents = account(caldav_server).events(calendar_with_events, JUNE_START, JUNE_END)

    assert uids(documents) == {"one-off", "weekly", "all-day"}


def test_recurring_event_comes_back_whole_for_the_caller_to_expand(caldav_server, calendar_with_events):
    documents = account(caldav_server).events(calendar_with_events, JUNE_START, JUNE_END)

    series = by_uid(documents, "weekly")
    starts = [occurrence.start for occurrence in recurring_ical_events.of(series).between(JUNE_START, JUNE_END)]
    assert starts == [
        datetime(2030, 6, 4, 9, tzinfo=BERLIN),
        datetime(2030, 6, 12, 14, tzinfo=BERLIN),
        datetime(2030, 6, 25, 9, tzinfo=BERLIN),
    ]


def test_series_comes_back_when_only_its_moved_occurrence_overlaps(caldav_server, calendar_with_events):
    moved_start = datetime(2030, 6, 12, 14, tzinfo=BERLIN)

    documents = account(caldav_server).events(calendar_with_events, moved_start, moved_start + timedelta(hours=1))

    assert uids(documents) == {"weekly"}


def test_all_day_event_comes_back_for_its_day(caldav_server, calendar_with_events):
    day = datetime(2030, 6, 5, tzinfo=UTC)

    documents = account(caldav_server).events(calendar_with_events, day, day + timedelta(days=1))

    assert by_uid(documents, "all-day").walk("VEVENT")[0].decoded("DTSTART") == date(2030, 6, 5)


def test_events_need_timezone_aware_datetimes(caldav_server):
    with pytest.raises(ValueError, match="timezone-aware"):
        account(caldav_server).events(caldav_server.home_url, datetime(2030, 6, 1), datetime(2030, 7, 1))


# --- put and delete ---


def convene_event(summary: str = "Interview") -> bytes:
    return document(vevent("meeting-42@convene.example", *JUNE_START_END, summary))


def test_put_creates_a_resource_named_after_the_uid(caldav_server):
    calendar = caldav_server.new_calendar()

    href, etag = account(caldav_server).put(calendar, "meeting-42@convene.example", convene_event())

    assert href == calendar + resource_name("meeting-42@convene.example")
    assert caldav_server.fetch(href)[0] == 200
    assert etag


def test_put_of_the_same_uid_again_updates_instead_of_duplicating(caldav_server):
    calendar = caldav_server.new_calendar()
    gateway = account(caldav_server)
    gateway.put(calendar, "meeting-42@convene.example", convene_event("Interview"))

    gateway.put(calendar, "meeting-42@convene.example", convene_event("Moved interview"))

    documents = gateway.events(calendar, JUNE_START, JUNE_END)
    assert [str(by_uid(documents, "meeting-42@convene.example").walk("VEVENT")[0]["SUMMARY"])] == ["Moved interview"]
    assert len(documents) == 1


def test_put_with_the_current_etag_updates(caldav_server):
    calendar = caldav_server.new_calendar()
    gateway = account(caldav_server)
    href, etag = gateway.put(calendar, "meeting-42@convene.example", convene_event("Interview"))

    _, new_etag = gateway.put(calendar, "meeting-42@convene.example", convene_event("Moved interview"), etag=etag)

    assert new_etag != etag
    assert "Moved interview" in caldav_server.fetch(href)[1]


def test_put_with_a_stale_etag_fails_in_words(caldav_server):
    calendar = caldav_server.new_calendar()
    gateway = account(caldav_server)
    _, stale = gateway.put(calendar, "meeting-42@convene.example", convene_event("Interview"))
    gateway.put(calendar, "meeting-42@convene.example", convene_event("Changed in the calendar app"))

    with pytest.raises(CalDAVConflict) as conflict:
        gateway.put(calendar, "meeting-42@convene.example", convene_event("Moved interview"), etag=stale)

    assert "changed" in conflict.value.message


def test_put_updates_the_copy_another_app_stored_under_another_name(caldav_server):
    calendar = caldav_server.new_calendar()
    elsewhere = caldav_server.store(calendar, convene_event("From the emailed invitation"), name="from-mail")

    href, _ = account(caldav_server).put(calendar, "meeting-42@convene.example", convene_event("Interview"))

    assert href == elsewhere
    assert caldav_server.names_in(calendar) == ["from-mail.ics"]


def test_resource_names_are_safe_and_distinct_for_any_uid():
    names = [resource_name(uid) for uid in ("a/b c@d", "a-b-c-d", "../../etc", "ümlaut?", "x" * 300, "plain-uid_1")]

    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,100}\.ics", name) for name in names)
    assert len(set(names)) == len(names)
    assert names[-1] == "plain-uid_1.ics"


def test_put_of_an_awkward_uid_round_trips(caldav_server):
    calendar = caldav_server.new_calendar()
    uid = "Ω 7/8 ?&#@example"

    href, _ = account(caldav_server).put(calendar, uid, document(vevent(uid, *JUNE_START_END)))

    assert uid in caldav_server.fetch(href)[1]


def test_delete_removes_the_event_and_deleting_again_is_fine(caldav_server):
    calendar = caldav_server.new_calendar()
    gateway = account(caldav_server)
    href, _ = gateway.put(calendar, "meeting-42@convene.example", convene_event())

    gateway.delete(href)
    gateway.delete(href)

    assert caldav_server.fetch(href)[0] == 404


def test_delete_with_a_stale_etag_leaves_the_changed_event(caldav_server):
    calendar = caldav_server.new_calendar()
    gateway = account(caldav_server)
    href, stale = gateway.put(calendar, "meeting-42@convene.example", convene_event())
    gateway.put(calendar, "meeting-42@convene.example", convene_event("Changed in the calendar app"))

    with pytest.raises(CalDAVConflict):
        gateway.delete(href, etag=stale)

    assert caldav_server.fetch(href)[0] == 200
