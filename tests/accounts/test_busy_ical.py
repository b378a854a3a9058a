"""Busy times read from iCalendar documents with the rules calendar apps use (accounts/busy_ical.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.busy_ical import Document, ParseError, Rules, busy, parse

OWNER = "olivia@example.com"
JUNE = {"start": datetime(2026, 6, 1, tzinfo=UTC), "end": datetime(2026, 7, 1, tzinfo=UTC)}


def ics(*components: str, head: str = "") -> str:
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Convene tests//EN\r\n{head}{''.join(components)}END:VCALENDAR\r\n"
    )


def vevent(*lines: str) -> str:
    return "".join(f"{line}\r\n" for line in ("BEGIN:VEVENT", "DTSTAMP:20260101T000000Z", *lines, "END:VEVENT"))


def rules(owner_tz: str = "Europe/Berlin", skip: tuple[str, ...] = ()) -> Rules:
    return Rules(owner_tz=owner_tz, owner_emails=frozenset({OWNER}), skip_uids=frozenset(skip))


def busy_june(*documents: str | bytes | Document, **rule_args) -> list[tuple[datetime, datetime]]:
    return busy(documents, **JUNE, rules=rules(**rule_args))


def at(zone: str, *args: int) -> datetime:
    """A wall-clock time in a zone, as the UTC instant busy() answers with."""
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


MEETING = vevent(
    "UID:meeting",
    "SUMMARY:Planning",
    "DTSTART;TZID=Europe/Berlin:20260610T100000",
    "DTEND;TZID=Europe/Berlin:20260610T113000",
)


# --- Single events -----------------------------------------------------------------------------


def test_event_with_an_iana_tzid_blocks_its_time_in_utc():
    assert busy_june(ics(MEETING)) == [(utc(2026, 6, 10, 8), utc(2026, 6, 10, 9, 30))]


def test_event_in_utc_blocks_its_time():
    event = vevent("UID:u", "DTSTART:20260610T080000Z", "DTEND:20260610T090000Z")
    assert busy_june(ics(event)) == [(utc(2026, 6, 10, 8), utc(2026, 6, 10, 9))]


def test_event_outside_the_window_is_left_out():
    event = vevent("UID:u", "DTSTART:20260710T080000Z", "DTEND:20260710T090000Z")
    assert busy_june(ics(event)) == []


def test_event_crossing_the_window_edge_is_given_whole():
    event = vevent("UID:u", "DTSTART:20260531T220000Z", "DTEND:20260601T020000Z")
    assert busy_june(ics(event)) == [(utc(2026, 5, 31, 22), utc(2026, 6, 1, 2))]


def test_event_ending_exactly_at_the_window_start_is_left_out():
    event = vevent("UID:u", "DTSTART:20260531T220000Z", "DTEND:20260601T000000Z")
    assert busy_june(ics(event)) == []


def test_duration_is_honoured():
    event = vevent("UID:u", "DTSTART;TZID=America/New_York:20260610T090000", "DURATION:PT1H45M")
    assert busy_june(ics(event)) == [(utc(2026, 6, 10, 13), utc(2026, 6, 10, 14, 45))]


def test_date_time_event_without_end_or_duration_is_an_instant_and_blocks_nothing():
    event = vevent("UID:u", "DTSTART;TZID=Europe/Berlin:20260610T100000")
    assert busy_june(ics(event)) == []


def test_floating_time_is_read_in_the_owners_timezone():
    event = vevent("UID:u", "DTSTART:20260610T090000", "DTEND:20260610T100000")
    assert busy_june(ics(event), owner_tz="Asia/Tokyo") == [(utc(2026, 6, 10, 0), utc(2026, 6, 10, 1))]


def test_floating_time_follows_the_calendars_x_wr_timezone_as_google_and_apple_read_it():
    event = vevent("UID:u", "DTSTART:20260610T090000", "DTEND:20260610T100000")
    document = ics(event, head="X-WR-TIMEZONE:America/New_York\r\n")
    assert busy_june(document, owner_tz="Asia/Tokyo") == [(utc(2026, 6, 10, 13), utc(2026, 6, 10, 14))]


def test_unknown_x_wr_timezone_is_ignored():
    event = vevent("UID:u", "DTSTART:20260610T090000", "DTEND:20260610T100000")
    document = ics(event, head="X-WR-TIMEZONE:Middle/Earth\r\n")
    assert busy_june(document, owner_tz="Asia/Tokyo") == [(utc(2026, 6, 10, 0), utc(2026, 6, 10, 1))]


def test_windows_zone_name_is_read_as_its_iana_zone():
    event = vevent(
        "UID:u",
        "DTSTART;TZID=W. Europe Standard Time:20260610T100000",
        "DTEND;TZID=W. Europe Standard Time:20260610T110000",
    )
    assert busy_june(ics(event)) == [(utc(2026, 6, 10, 8), utc(2026, 6, 10, 9))]


def vtimezone(tzid: str, standard: str, daylight: str) -> str:
    """A zone with European-style rules (last Sunday of March and October) and the given offsets."""
    return (
        f"BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\n"
        f"BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:{daylight}\r\nTZOFFSETTO:{standard}\r\n"
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n"
        f"BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:{standard}\r\nTZOFFSETTO:{daylight}\r\n"
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
    )


def custom_zone_event(tzid: str) -> str:
    return vevent("UID:custom", f"DTSTART;TZID={tzid}:20260610T100000", f"DTEND;TZID={tzid}:20260610T110000")


def test_tzid_defined_by_the_documents_own_vtimezone_is_read_with_it():
    document = ics(vtimezone("Office Time", "+0500", "+0600"), custom_zone_event("Office Time"))
    assert busy_june(document) == [(utc(2026, 6, 10, 4), utc(2026, 6, 10, 5))]


def test_the_same_custom_tzid_in_two_documents_keeps_each_documents_definition():
    # Outlook names many different zones "Customized Time Zone"; icalendar alone keeps the first it saw.
    eastern = ics(vtimezone("Customized Time Zone", "-0500", "-0400"), custom_zone_event("Customized Time Zone"))
    western = ics(vtimezone("Customized Time Zone", "+0100", "+0200"), custom_zone_event("Customized Time Zone"))
    assert busy_june(western) == [(utc(2026, 6, 10, 8), utc(2026, 6, 10, 9))]
    assert busy_june(eastern) == [(utc(2026, 6, 10, 14), utc(2026, 6, 10, 15))]


def test_vtimezone_after_the_event_that_uses_it_is_read():
    document = ics(custom_zone_event("Late Zone"), vtimezone("Late Zone", "+0500", "+0600"))
    assert busy_june(document) == [(utc(2026, 6, 10, 4), utc(2026, 6, 10, 5))]


def test_tzid_nothing_defines_is_read_as_floating_in_the_owners_timezone():
    document = ics(custom_zone_event("Nowhere Standard Time"))
    assert busy_june(document, owner_tz="Asia/Kolkata") == [(utc(2026, 6, 10, 4, 30), utc(2026, 6, 10, 5, 30))]


def test_iana_tzid_is_read_from_the_tz_database_whatever_the_vtimezone_says():
    document = ics(vtimezone("Europe/Berlin", "+0500", "+0600"), custom_zone_event("Europe/Berlin"))
    assert busy_june(document) == [(utc(2026, 6, 10, 8), utc(2026, 6, 10, 9))]


# --- All-day events ----------------------------------------------------------------------------


def test_all_day_event_blocks_the_owners_whole_local_day():
    event = vevent("UID:u", "DTSTART;VALUE=DATE:20260610", "DTEND;VALUE=DATE:20260611")
    assert busy_june(ics(event)) == [(at("Europe/Berlin", 2026, 6, 10), at("Europe/Berlin", 2026, 6, 11))]


@pytest.mark.parametrize(
    ("owner_tz", "start", "end"),
    [
        ("America/Los_Angeles", utc(2026, 6, 10, 7), utc(2026, 6, 11, 7)),
        ("Asia/Tokyo", utc(2026, 6, 9, 15), utc(2026, 6, 10, 15)),
    ],
)
def test_all_day_event_is_the_day_where_the_owner_lives(owner_tz, start, end):
    event = vevent("UID:u", "DTSTART;VALUE=DATE:20260610", "DTEND;VALUE=DATE:20260611")
    assert busy_june(ics(event), owner_tz=owner_tz) == [(start, end)]


def test_multi_day_all_day_event_blocks_from_the_first_midnight_to_the_midnight_after_the_last_day():
    event = vevent("UID:u", "DTSTART;VALUE=DATE:20260610", "DTEND;VALUE=DATE:20260613")
    assert busy_june(ics(event), owner_tz="America/New_York") == [(utc(2026, 6, 10, 4), utc(2026, 6, 13, 4))]


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 8), 23), (date(2026, 11, 1), 25)])
def test_all_day_event_on_a_clock_change_day_lasts_that_days_hours(day, hours):
    event = vevent("UID:u", f"DTSTART;VALUE=DATE:{day:%Y%m%d}", f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}")
    window = {"start": utc(2026, 1, 1), "end": utc(2027, 1, 1)}
    [(start, end)] = busy([ics(event)], **window, rules=rules("America/New_York"))
    assert (start, end - start) == (at("America/New_York", day.year, day.month, day.day), timedelta(hours=hours))


def test_all_day_event_without_end_lasts_one_day():
    event = vevent("UID:u", "DTSTART;VALUE=DATE:20260610")
    assert busy_june(ics(event)) == [(at("Europe/Berlin", 2026, 6, 10), at("Europe/Berlin", 2026, 6, 11))]


def test_all_day_event_ending_on_its_first_day_lasts_one_day():
    event = vevent("UID:u", "DTSTART;VALUE=DATE:20260610", "DTEND;VALUE=DATE:20260610")
    assert busy_june(ics(event)) == [(at("Europe/Berlin", 2026, 6, 10), at("Europe/Berlin", 2026, 6, 11))]


def test_all_day_weekly_series_blocks_each_local_day():
    event = vevent("UID:u", "DTSTART;VALUE=DATE:20260601", "DTEND;VALUE=DATE:20260602", "RRULE:FREQ=WEEKLY;COUNT=2")
    assert busy_june(ics(event), owner_tz="Asia/Tokyo") == [
        (utc(2026, 5, 31, 15), utc(2026, 6, 1, 15)),
        (utc(2026, 6, 7, 15), utc(2026, 6, 8, 15)),
    ]


# --- Series --------------------------------------------------------------------------------------

WEEKLY = (
    "UID:weekly",
    "SUMMARY:Standup",
    "DTSTART;TZID=Europe/Berlin:20260601T090000",
    "DTEND;TZID=Europe/Berlin:20260601T093000",
    "RRULE:FREQ=WEEKLY;COUNT=4",
)


def weekly_at(*days: int, hour: int = 9, minutes: int = 30) -> list[tuple[datetime, datetime]]:
    return [
        (at("Europe/Berlin", 2026, 6, day, hour), at("Europe/Berlin", 2026, 6, day, hour) + timedelta(minutes=minutes))
        for day in days
    ]


def test_weekly_series_is_expanded():
    assert busy_june(ics(vevent(*WEEKLY))) == weekly_at(1, 8, 15, 22)


def test_exdate_removes_an_occurrence():
    event = vevent(*WEEKLY, "EXDATE;TZID=Europe/Berlin:20260608T090000")
    assert busy_june(ics(event)) == weekly_at(1, 15, 22)


def test_rdate_adds_an_occurrence():
    event = vevent(*WEEKLY, "RDATE;TZID=Europe/Berlin:20260625T090000")
    assert busy_june(ics(event)) == weekly_at(1, 8, 15, 22, 25)


def test_moved_occurrence_blocks_its_new_time_instead_of_its_old_one():
    moved = vevent(
        "UID:weekly",
        "RECURRENCE-ID;TZID=Europe/Berlin:20260608T090000",
        "DTSTART;TZID=Europe/Berlin:20260609T140000",
        "DTEND;TZID=Europe/Berlin:20260609T150000",
    )
    assert busy_june(ics(vevent(*WEEKLY), moved)) == sorted(weekly_at(1, 15, 22) + weekly_at(9, hour=14, minutes=60))


def cancelled_occurrence(uid: str = "weekly") -> str:
    return vevent(
        f"UID:{uid}",
        "RECURRENCE-ID;TZID=Europe/Berlin:20260608T090000",
        "DTSTART;TZID=Europe/Berlin:20260608T090000",
        "DTEND;TZID=Europe/Berlin:20260608T093000",
        "STATUS:CANCELLED",
    )


def test_cancelled_override_frees_that_occurrence():
    assert busy_june(ics(vevent(*WEEKLY), cancelled_occurrence())) == weekly_at(1, 15, 22)


def test_override_in_another_document_joins_its_series():
    assert busy_june(ics(vevent(*WEEKLY)), ics(cancelled_occurrence())) == weekly_at(1, 15, 22)


def test_override_without_its_master_blocks_its_own_time():
    moved = vevent(
        "UID:invited-once",
        "RECURRENCE-ID:20260608T070000Z",
        "DTSTART:20260609T120000Z",
        "DTEND:20260609T130000Z",
    )
    assert busy_june(ics(moved)) == [(utc(2026, 6, 9, 12), utc(2026, 6, 9, 13))]


def test_newer_sequence_of_an_event_replaces_the_older_copy():
    old = vevent("UID:u", "SEQUENCE:1", "DTSTART:20260610T080000Z", "DTEND:20260610T090000Z")
    new = vevent("UID:u", "SEQUENCE:2", "DTSTART:20260611T080000Z", "DTEND:20260611T090000Z")
    assert busy_june(ics(new), ics(old)) == [(utc(2026, 6, 11, 8), utc(2026, 6, 11, 9))]


def test_this_and_future_override_moves_the_rest_of_the_series():
    later = vevent(
        "UID:weekly",
        "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20260615T090000",
        "DTSTART;TZID=Europe/Berlin:20260615T110000",
        "DTEND;TZID=Europe/Berlin:20260615T113000",
    )
    assert busy_june(ics(vevent(*WEEKLY), later)) == weekly_at(1, 8) + weekly_at(15, 22, hour=11)


def test_daily_series_begun_years_ago_is_read_in_the_window():
    event = vevent(
        "UID:standup",
        "DTSTART;TZID=America/New_York:20190107T093000",
        "DTEND;TZID=America/New_York:20190107T094500",
        "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
    )
    found = busy([ics(event)], start=utc(2026, 11, 2), end=utc(2026, 11, 4), rules=rules())
    assert found == [
        (utc(2026, 11, 2, 14, 30), utc(2026, 11, 2, 14, 45)),
        (utc(2026, 11, 3, 14, 30), utc(2026, 11, 3, 14, 45)),
    ]


def test_weekly_series_keeps_its_wall_clock_time_across_a_clock_change():
    event = vevent(
        "UID:u",
        "DTSTART;TZID=America/New_York:20261026T090000",
        "DTEND;TZID=America/New_York:20261026T100000",
        "RRULE:FREQ=WEEKLY;COUNT=2",
    )
    window = {"start": utc(2026, 10, 1), "end": utc(2026, 12, 1)}
    assert busy([ics(event)], **window, rules=rules()) == [
        (utc(2026, 10, 26, 13), utc(2026, 10, 26, 14)),
        (utc(2026, 11, 2, 14), utc(2026, 11, 2, 15)),
    ]


# Across the clock changes of Europe/Berlin (2026-10-25) and America/New_York (2026-11-01):
# a Berlin Monday series with one occurrence moved and one cancelled by an override, a New York
# Friday series with one moved and one cancelled by EXDATE, and a floating Sunday series that is
# wherever the owner is.
DST_DOCUMENT = ics(
    vevent(
        "UID:berlin",
        "DTSTART;TZID=Europe/Berlin:20261012T090000",
        "DTEND;TZID=Europe/Berlin:20261012T100000",
        "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6",
    ),
    vevent(
        "UID:berlin",
        "RECURRENCE-ID;TZID=Europe/Berlin:20261102T090000",
        "DTSTART;TZID=Europe/Berlin:20261103T140000",
        "DTEND;TZID=Europe/Berlin:20261103T150000",
    ),
    vevent(
        "UID:berlin",
        "RECURRENCE-ID;TZID=Europe/Berlin:20261109T090000",
        "DTSTART;TZID=Europe/Berlin:20261109T090000",
        "DTEND;TZID=Europe/Berlin:20261109T100000",
        "STATUS:CANCELLED",
    ),
    vevent(
        "UID:new-york",
        "DTSTART;TZID=America/New_York:20261023T160000",
        "DTEND;TZID=America/New_York:20261023T170000",
        "RRULE:FREQ=WEEKLY;BYDAY=FR;UNTIL=20261114T000000Z",
        "EXDATE;TZID=America/New_York:20261113T160000",
    ),
    vevent(
        "UID:new-york",
        "RECURRENCE-ID;TZID=America/New_York:20261030T160000",
        "DTSTART;TZID=America/New_York:20261030T180000",
        "DTEND;TZID=America/New_York:20261030T190000",
    ),
    vevent("UID:floating", "DTSTART:20261018T100000", "DTEND:20261018T110000", "RRULE:FREQ=WEEKLY;COUNT=3"),
)
DST_ZONED = [
    (utc(2026, 10, 12, 7), utc(2026, 10, 12, 8)),  # Berlin, summer time
    (utc(2026, 10, 19, 7), utc(2026, 10, 19, 8)),
    (utc(2026, 10, 23, 20), utc(2026, 10, 23, 21)),  # New York, summer time
    (utc(2026, 10, 26, 8), utc(2026, 10, 26, 9)),  # Berlin, winter time
    (utc(2026, 10, 30, 22), utc(2026, 10, 30, 23)),  # New York, moved to 18:00
    (utc(2026, 11, 3, 13), utc(2026, 11, 3, 14)),  # Berlin, moved to Tuesday 14:00
    (utc(2026, 11, 6, 21), utc(2026, 11, 6, 22)),  # New York, winter time
    (utc(2026, 11, 16, 8), utc(2026, 11, 16, 9)),  # Berlin (11-09 cancelled); New York 11-13 excluded
]


@pytest.mark.parametrize("owner_tz", ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])
def test_series_across_clock_changes_with_moved_and_cancelled_occurrences(owner_tz):
    floating = [(at(owner_tz, 2026, 10, day, 10), at(owner_tz, 2026, 10, day, 11)) for day in (18, 25)] + [
        (at(owner_tz, 2026, 11, 1, 10), at(owner_tz, 2026, 11, 1, 11))
    ]
    window = {"start": utc(2026, 10, 1), "end": utc(2026, 12, 1)}
    assert busy([DST_DOCUMENT], **window, rules=rules(owner_tz)) == sorted(DST_ZONED + floating)


# --- What does not block -------------------------------------------------------------------------


def test_transparent_event_does_not_block():
    event = vevent("UID:u", "TRANSP:TRANSPARENT", "DTSTART:20260610T080000Z", "DTEND:20260610T090000Z")
    assert busy_june(ics(event)) == []


def test_opaque_event_blocks():
    event = vevent("UID:u", "TRANSP:OPAQUE", "DTSTART:20260610T080000Z", "DTEND:20260610T090000Z")
    assert busy_june(ics(event)) == [(utc(2026, 6, 10, 8), utc(2026, 6, 10, 9))]


def test_cancelled_event_does_not_block():
    event = vevent("UID:u", "STATUS:CANCELLED", "DTSTART:20260610T080000Z", "DTEND:20260610T090000Z")
    assert busy_june(ics(event)) == []


def test_cancelled_series_does_not_block():
    assert busy_june(ics(vevent(*WEEKLY, "STATUS:CANCELLED"))) == []


@pytest.mark.parametrize(
    "attendee",
    [
        f"ATTENDEE;PARTSTAT=DECLINED:mailto:{OWNER}",
        f"ATTENDEE;PARTSTAT=DECLINED;CN=Olivia:MAILTO:{OWNER.upper()}",
        f'ATTENDEE;PARTSTAT=DECLINED;EMAIL="{OWNER}":urn:uuid:4f1c0a4e-1111-2222-3333-444455556666',
    ],
)
def test_invitation_the_owner_declined_does_not_block(attendee):
    event = vevent("UID:u", "DTSTART:20260610T080000Z", "DTEND:20260610T090000Z", attendee)
    assert busy_june(ics(event)) == []


@pytest.mark.parametrize("partstat", ["ACCEPTED", "TENTATIVE", "NEEDS-ACTION"])
def test_invitation_the_owner_has_not_declined_blocks(partstat):
    event = vevent(
        "UID:u", "DTSTART:20260610T080000Z", "DTEND:20260610T090000Z", f"ATTENDEE;PARTSTAT={partstat}:mailto:{OWNER}"
    )
    assert busy_june(ics(event)) == [(utc(2026, 6, 10, 8), utc(2026, 6, 10, 9))]


def test_invitation_someone_else_declined_still_blocks():
    event = vevent(
        "UID:u",
        "DTSTART:20260610T080000Z",
        "DTEND:20260610T090000Z",
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{OWNER}",
        "ATTENDEE;PARTSTAT=DECLINED:mailto:bob@example.com",
    )
    assert busy_june(ics(event)) == [(utc(2026, 6, 10, 8), utc(2026, 6, 10, 9))]


def test_declined_series_does_not_block():
    event = vevent(*WEEKLY, f"ATTENDEE;PARTSTAT=DECLINED:mailto:{OWNER}")
    assert busy_june(ics(event)) == []


def test_declining_one_occurrence_frees_only_that_one():
    declined = vevent(
        "UID:weekly",
        "RECURRENCE-ID;TZID=Europe/Berlin:20260608T090000",
        "DTSTART;TZID=Europe/Berlin:20260608T090000",
        "DTEND;TZID=Europe/Berlin:20260608T093000",
        f"ATTENDEE;PARTSTAT=DECLINED:mailto:{OWNER}",
    )
    assert busy_june(ics(vevent(*WEEKLY), declined)) == weekly_at(1, 15, 22)


def test_accepting_one_occurrence_of_a_declined_series_blocks_only_that_one():
    accepted = vevent(
        "UID:weekly",
        "RECURRENCE-ID;TZID=Europe/Berlin:20260608T090000",
        "DTSTART;TZID=Europe/Berlin:20260608T090000",
        "DTEND;TZID=Europe/Berlin:20260608T093000",
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{OWNER}",
    )
    declined_series = vevent(*WEEKLY, f"ATTENDEE;PARTSTAT=DECLINED:mailto:{OWNER}")
    assert busy_june(ics(declined_series, accepted)) == weekly_at(8)


def test_convenes_own_copies_are_skipped_whole_with_their_overrides():
    moved = vevent(
        "UID:weekly",
        "RECURRENCE-ID;TZID=Europe/Berlin:20260608T090000",
        "DTSTART;TZID=Europe/Berlin:20260609T140000",
        "DTEND;TZID=Europe/Berlin:20260609T150000",
    )
    assert busy_june(ics(vevent(*WEEKLY), moved, MEETING), skip=("weekly",)) == [
        (utc(2026, 6, 10, 8), utc(2026, 6, 10, 9, 30))
    ]


def test_todos_and_journals_are_ignored():
    todo = "BEGIN:VTODO\r\nUID:t\r\nDTSTART:20260610T080000Z\r\nDUE:20260610T090000Z\r\nEND:VTODO\r\n"
    journal = "BEGIN:VJOURNAL\r\nUID:j\r\nDTSTART:20260611T080000Z\r\nEND:VJOURNAL\r\n"
    assert busy_june(ics(todo, journal)) == []


# --- Documents -------------------------------------------------------------------------------


def test_overlapping_and_touching_events_are_merged_and_sorted():
    events = [
        vevent("UID:c", "DTSTART:20260611T080000Z", "DTEND:20260611T090000Z"),
        vevent("UID:a", "DTSTART:20260610T080000Z", "DTEND:20260610T090000Z"),
        vevent("UID:b", "DTSTART:20260610T083000Z", "DTEND:20260610T100000Z"),
        vevent("UID:d", "DTSTART:20260611T090000Z", "DTEND:20260611T093000Z"),
    ]
    assert busy_june(ics(*events)) == [
        (utc(2026, 6, 10, 8), utc(2026, 6, 10, 10)),
        (utc(2026, 6, 11, 8), utc(2026, 6, 11, 9, 30)),
    ]


def test_events_without_uid_are_each_counted():
    events = [
        "BEGIN:VEVENT\r\nDTSTART:20260610T080000Z\r\nDTEND:20260610T090000Z\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nDTSTART:20260611T080000Z\r\nDTEND:20260611T090000Z\r\nEND:VEVENT\r\n",
    ]
    assert len(busy_june(ics(*events))) == 2


def test_bytes_str_and_parsed_documents_give_the_same_answer():
    document = ics(vevent(*WEEKLY), MEETING)
    assert busy_june(document.encode()) == busy_june(document) == busy_june(parse(document))


def test_one_parsed_document_answers_several_windows():
    document = parse(ics(vevent(*WEEKLY)))
    first = busy([document], start=utc(2026, 6, 1), end=utc(2026, 6, 10), rules=rules())
    second = busy([document], start=utc(2026, 6, 10), end=utc(2026, 7, 1), rules=rules())
    assert (first, second) == (weekly_at(1, 8), weekly_at(15, 22))


def test_byte_order_mark_is_accepted():
    assert busy_june(b"\xef\xbb\xbf" + ics(MEETING).encode()) == [(utc(2026, 6, 10, 8), utc(2026, 6, 10, 9, 30))]


def test_several_calendars_in_one_file_are_all_read():
    other = vevent("UID:u", "DTSTART:20260611T080000Z", "DTEND:20260611T090000Z")
    assert len(busy_june(ics(MEETING) + ics(other))) == 2


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("<!DOCTYPE html><html><body>Sign in</body></html>", "web page"),
        ("", "empty"),
        ("Hello, this is a calendar\nhonestly", "Hello, this is a calendar"),
        ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u\r\n", "BEGIN:VCALENDAR"),
        ("BEGIN:VEVENT\r\nUID:u\r\nDTSTART:20260610T080000Z\r\nEND:VEVENT\r\n", "BEGIN:VCALENDAR"),
    ],
)
def test_document_that_is_not_icalendar_raises_parse_error_in_words(document, reason):
    with pytest.raises(ParseError) as raised:
        busy_june(document)
    assert raised.value.message.startswith("This is not an iCalendar file: ")
    assert reason in raised.value.message


def test_unreadable_event_is_left_out_and_named_while_the_others_count():
    broken = vevent("UID:broken", "SUMMARY:Dentist", "DTSTART:2026xx10T080000Z", "DTEND:20260610T090000Z")
    document = parse(ics(broken, MEETING))
    assert busy([document], **JUNE, rules=rules()) == [(utc(2026, 6, 10, 8), utc(2026, 6, 10, 9, 30))]
    assert document.problems[0].startswith("The event “Dentist” was left out: ")


def test_event_without_start_is_left_out():
    document = parse(ics(vevent("UID:nostart", "DTEND:20260610T090000Z"), MEETING))
    assert (len(busy([document], **JUNE, rules=rules())), len(document.problems)) == (1, 1)


def test_series_with_an_rrule_that_is_not_one_is_left_out():
    event = vevent(*WEEKLY[:-1], "RRULE:FREQ=SOMETIMES")
    document = parse(ics(event, MEETING))
    assert busy([document], **JUNE, rules=rules()) == [(utc(2026, 6, 10, 8), utc(2026, 6, 10, 9, 30))]
    assert "Standup" in document.problems[0]


def test_window_in_naive_times_is_refused():
    with pytest.raises(ValueError, match="aware"):
        busy([ics(MEETING)], start=datetime(2026, 6, 1), end=datetime(2026, 7, 1), rules=rules())


# --- Properties ------------------------------------------------------------------------------

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
ORIGIN = date(2026, 1, 1)


@st.composite
def recurring_series(draw) -> dict:
    """A DAILY or WEEKLY RRULE whose DTSTART falls on one of its BYDAY days (RFC 5545 leaves the
    others undefined)."""
    first = ORIGIN + timedelta(days=draw(st.integers(0, 330)))
    frequency = draw(st.sampled_from(["DAILY", "WEEKLY"]))
    days = draw(st.sets(st.integers(0, 6), max_size=3)) | {first.weekday()}
    if frequency == "DAILY" and draw(st.booleans()):
        days = set(range(7))  # no BYDAY
    ending = draw(st.sampled_from(["count", "until", "forever"]))
    return {
        "frequency": frequency,
        "zone": draw(st.sampled_from(ZONES)),
        "first": datetime.combine(first, time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45])))),
        "minutes": draw(st.integers(15, 26 * 60)),
        "interval": draw(st.integers(1, 3)),
        "days": sorted(days),
        "count": draw(st.integers(1, 30)) if ending == "count" else None,
        "until": first + timedelta(days=draw(st.integers(0, 1000))) if ending == "until" else None,
        "exdates": draw(st.lists(st.integers(0, 12), max_size=4)),
    }


def brute_force_starts(series: dict, horizon: date) -> list[datetime]:
    """Local starts, walking day by day from DTSTART: a day counts if its weekday is in BYDAY and
    its day (DAILY) or its week, Monday to Sunday (WEEKLY), counted from DTSTART's is a multiple of
    INTERVAL."""
    first: datetime = series["first"]
    zone = ZoneInfo(series["zone"])
    first_monday = first.date() - timedelta(days=first.weekday())
    starts = []
    day = first.date()
    while day <= horizon and (series["count"] is None or len(starts) < series["count"]):
        period = (day - first.date()).days if series["frequency"] == "DAILY" else (day - first_monday).days // 7
        if day.weekday() in series["days"] and period % series["interval"] == 0:
            start = datetime.combine(day, first.time())
            until = series["until"]
            if until is not None and start.replace(tzinfo=zone) > datetime.combine(until, time(), tzinfo=UTC):
                break
            starts.append(start)
        day += timedelta(days=1)
    return starts


def series_document(series: dict, excluded: list[datetime]) -> str:
    first: datetime = series["first"]
    rule = f"RRULE:FREQ={series['frequency']};INTERVAL={series['interval']}"
    if len(series["days"]) < 7:
        rule += f";BYDAY={','.join(DAYS[day] for day in series['days'])}"
    if series["count"] is not None:
        rule += f";COUNT={series['count']}"
    if series["until"] is not None:
        rule += f";UNTIL={series['until']:%Y%m%d}T000000Z"
    lines = [
        "UID:property",
        f"DTSTART;TZID={series['zone']}:{first:%Y%m%dT%H%M%S}",
        f"DURATION:PT{series['minutes']}M",
        rule,
    ]
    lines += [f"EXDATE;TZID={series['zone']}:{moment:%Y%m%dT%H%M%S}" for moment in excluded]
    return ics(vevent(*lines))


@settings(max_examples=200, deadline=None)
@given(
    series=recurring_series(),
    window_day=st.one_of(st.integers(-7, 60), st.integers(60, 900)),
    window_hours=st.integers(1, 60 * 24),
    owner_tz=st.sampled_from(ZONES),
)
def test_daily_and_weekly_series_match_a_day_by_day_expansion(series, window_day, window_hours, owner_tz):
    zone = ZoneInfo(series["zone"])
    start = datetime.combine(series["first"].date() + timedelta(days=window_day), time(), tzinfo=UTC)
    end = start + timedelta(hours=window_hours)
    starts = brute_force_starts(series, horizon=end.date() + timedelta(days=2))
    nearby = [local for local in starts if local.replace(tzinfo=zone) >= start - timedelta(days=3)]
    excluded = sorted({nearby[index] for index in series["exdates"] if index < len(nearby)})
    duration = timedelta(minutes=series["minutes"])
    # Durations are wall-clock time, as calendar apps (and recurring-ical-events) apply them.
    expected = [
        (local.replace(tzinfo=zone).astimezone(UTC), (local + duration).replace(tzinfo=zone).astimezone(UTC))
        for local in starts
        if local not in excluded
    ]
    expected = [(begin, finish) for begin, finish in expected if begin < end and finish > start and begin < finish]

    found = busy([series_document(series, excluded)], start=start, end=end, rules=rules(owner_tz))

    assert found == merged(expected)


def merged(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    result: list[tuple[datetime, datetime]] = []
    for begin, finish in sorted(intervals):
        if result and begin <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], finish))
        else:
            result.append((begin, finish))
    return result


@st.composite
def single_events(draw) -> dict:
    """A zoned, UTC, floating or all-day event somewhere around March 2026 (and its clock changes)."""
    kind = draw(st.sampled_from(["zoned", "utc", "floating", "all-day"]))
    day = date(2026, 3, 20) + timedelta(days=draw(st.integers(0, 20)))
    if kind == "all-day":
        return {"kind": kind, "start": day, "end": day + timedelta(days=draw(st.integers(0, 3)))}
    start = datetime.combine(day, time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30]))))
    end = start + timedelta(minutes=draw(st.integers(0, 48 * 60)))
    return {"kind": kind, "start": start, "end": end, "zone": draw(st.sampled_from(ZONES))}


def single_lines(event: dict) -> tuple[str, str]:
    if event["kind"] == "all-day":
        return f"DTSTART;VALUE=DATE:{event['start']:%Y%m%d}", f"DTEND;VALUE=DATE:{event['end']:%Y%m%d}"
    if event["kind"] == "zoned":
        return tuple(f"{name};TZID={event['zone']}:{event[key]:%Y%m%dT%H%M%S}" for name, key in DTSTART_DTEND)
    suffix = "Z" if event["kind"] == "utc" else ""
    return tuple(f"{name}:{event[key]:%Y%m%dT%H%M%S}{suffix}" for name, key in DTSTART_DTEND)


DTSTART_DTEND = (("DTSTART", "start"), ("DTEND", "end"))


def single_interval(event: dict, owner_tz: str) -> tuple[datetime, datetime]:
    """Where the event is, worked out from its definition without icalendar."""
    zone = {"zoned": event.get("zone"), "utc": "UTC"}.get(event["kind"], owner_tz)
    if event["kind"] == "all-day":
        last = max(event["end"], event["start"] + timedelta(days=1))
        return tuple(
            datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC) for day in (event["start"], last)
        )
    return tuple(event[key].replace(tzinfo=ZoneInfo(zone)).astimezone(UTC) for key in ("start", "end"))


@settings(max_examples=150, deadline=None)
@given(
    events=st.lists(single_events(), min_size=1, max_size=12),
    window_hour=st.integers(3 * 24, 25 * 24),
    window_hours=st.integers(1, 10 * 24),
    owner_tz=st.sampled_from(ZONES),
)
def test_single_events_give_sorted_disjoint_intervals_of_what_overlaps_the_window(
    events, window_hour, window_hours, owner_tz
):
    start = datetime(2026, 3, 15, tzinfo=UTC) + timedelta(hours=window_hour)
    end = start + timedelta(hours=window_hours)
    document = ics(*(vevent(f"UID:e{index}", *single_lines(event)) for index, event in enumerate(events)))

    found = busy([document], start=start, end=end, rules=rules(owner_tz))

    assert all(begin < finish for begin, finish in found)
    assert all(earlier[1] < later[0] for earlier, later in pairwise(found))
    intervals = [single_interval(event, owner_tz) for event in events]
    overlapping = [(begin, finish) for begin, finish in intervals if begin < finish and begin < end and finish > start]
    assert found == merged(overlapping)
