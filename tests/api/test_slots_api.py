"""Free slots through the REST API: the booking page's times, in the zone asked for, with its offset."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.models import EventType
from scheduling.models import Event
from tests.api.conftest import ApiClient, token_for
from tests.factories import EventTypeFactory, ScheduleFactory, UserFactory, booked, bulk_booked

pytestmark = pytest.mark.django_db

WEDNESDAY = {"start": "2026-12-02", "end": "2026-12-02"}


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


@pytest.fixture
def link(user):
    """Mon–Fri 09:00–17:00 in Berlin, 30 minutes, every half hour."""
    return EventTypeFactory(owner=user, slug="intro", extra_durations=[60])


def starts(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [slot["start"] for slot in response.json()["slots"]]


def test_slots_are_shown_in_the_zone_asked_for_with_its_offset(api, link):
    response = api.get(f"/event-types/{link.pk}/slots", **WEDNESDAY, timezone="America/New_York")
    assert response.json()["timezone"] == "America/New_York"
    found = response.json()["slots"]
    # 09:00 in Berlin is 03:00 in New York; the New York day ends at 05:00 UTC the next day,
    # before the Thursday hours begin.
    assert found[0] == {"start": "2026-12-02T03:00:00-05:00", "end": "2026-12-02T03:30:00-05:00", "seats_left": 1}
    assert len(found) == 16


def test_slots_default_to_the_links_zone_and_length(api, link):
    response = api.get(f"/event-types/{link.pk}/slots", **WEDNESDAY)
    assert (response.json()["timezone"], response.json()["duration"]) == ("Europe/Berlin", 30)
    assert starts(response)[:2] == ["2026-12-02T09:00:00+01:00", "2026-12-02T09:30:00+01:00"]


def test_another_offered_length_is_used(api, link):
    found = starts(api.get(f"/event-types/{link.pk}/slots", **WEDNESDAY, duration=60))
    assert found[-1] == "2026-12-02T16:00:00+01:00"


def test_a_legacy_zone_name_is_answered_under_its_current_name(api, link):
    response = api.get(f"/event-types/{link.pk}/slots", **WEDNESDAY, timezone="Asia/Calcutta")
    assert response.json()["timezone"] == "Asia/Kolkata"
    assert starts(response)[0] == "2026-12-02T13:30:00+05:30"


def test_booked_times_are_not_offered(api, link):
    booked(link, datetime(2026, 12, 2, 8, 0, tzinfo=UTC))
    assert starts(api.get(f"/event-types/{link.pk}/slots", **WEDNESDAY))[0] == "2026-12-02T09:30:00+01:00"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({**WEDNESDAY, "timezone": "Mars/Base"}, "timezone",
         "“Mars/Base” is not a known timezone. Pick one from the list, e.g. Europe/Berlin."),
        ({"start": "2026-12-03", "end": "2026-12-02"}, "end", "The end date must be on or after the start date."),
        ({"start": "2026-12-01", "end": "2027-02-01"}, "end",
         "Ask for at most 62 days at a time; split a longer range."),
        ({**WEDNESDAY, "duration": 45}, "duration",
         "That meeting length is not offered. Please pick one of the listed lengths."),
    ],
)  # fmt: skip
def test_a_bad_question_is_a_problem_that_says_what_to_change(api, link, query, field, message):
    response = api.get(f"/event-types/{link.pk}/slots", **query)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": field, "message": message}]


def test_sixty_two_days_are_answered(api, link):
    found = starts(api.get(f"/event-types/{link.pk}/slots", start="2026-12-01", end="2027-01-31"))
    assert (found[0], found[-1]) == ("2026-12-01T09:00:00+01:00", "2027-01-29T16:30:00+01:00")


def test_a_missing_or_malformed_date_is_refused(api, link):
    assert api.get(f"/event-types/{link.pk}/slots", start="2026-12-02").status_code == 422
    assert api.get(f"/event-types/{link.pk}/slots", start="tomorrow", end="2026-12-03").status_code == 422


def test_a_link_turned_off_offers_no_times(api, link):
    link.is_active = False
    link.save()
    response = api.get(f"/event-types/{link.pk}/slots", **WEDNESDAY)
    assert response.status_code == 409
    assert "turned off" in response.json()["detail"]


def test_another_users_link_has_no_slots_for_you(intruder, anonymous, link):
    assert intruder.get(f"/event-types/{link.pk}/slots", **WEDNESDAY).status_code == 404
    assert anonymous.get(f"/event-types/{link.pk}/slots", **WEDNESDAY).status_code == 401


# --- Queries stay constant as bookings grow ----------------------------------------------------------


def _add_bookings(link, count: int, first: datetime) -> None:
    moments = [first + timedelta(days=n // 8, hours=n % 8) for n in range(count)]
    events = Event.objects.bulk_create(
        Event(owner=link.owner, title="Booked", origin="booking", start=moment, end=moment + timedelta(minutes=30))
        for moment in moments
    )
    bulk_booked(link, events)


def _queries_for_sixty_days(api, link) -> tuple[int, int]:
    """(queries of a first request, queries of the same request again), caches cleared first;
    the token's last use is written beforehand (once a minute, not per request)."""
    api.get(f"/event-types/{link.pk}")
    for alias in ("default", "local", "versions"):
        caches[alias].clear()
    query = {"start": "2026-12-01", "end": "2027-01-29", "timezone": "America/New_York"}
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            assert api.get(f"/event-types/{link.pk}/slots", **query).status_code == 200
        counts.append(len(captured))
    return counts[0], counts[1]


def test_slot_queries_stay_constant_as_bookings_grow(api, link, django_assert_max_num_queries):
    start = datetime(2026, 12, 2, 9, tzinfo=UTC)
    _add_bookings(link, 10, start)
    few = _queries_for_sixty_days(api, link)
    _add_bookings(link, 1000, start + timedelta(minutes=30))
    assert _queries_for_sixty_days(api, link) == few
    for alias in ("default", "local", "versions"):
        caches[alias].clear()
    query = {"start": "2026-12-01", "end": "2027-01-29", "timezone": "America/New_York"}
    # Cold: the token, the rate-limit count, the link's id, the owner, the link with its rules as
    # the booking page reads it (six), the owner's meetings. Warm: the token, the count and the
    # link's id; the rest is the booking page's cache.
    with django_assert_max_num_queries(11):
        api.get(f"/event-types/{link.pk}/slots", **query)
    with django_assert_max_num_queries(3):
        api.get(f"/event-types/{link.pk}/slots", **query)


def test_max_per_day_queries_stay_constant_too(api, link):
    link.max_per_day = 3
    link.save()
    _add_bookings(link, 5, datetime(2026, 12, 2, 9, tzinfo=UTC))
    few = _queries_for_sixty_days(api, link)
    _add_bookings(link, 500, datetime(2026, 12, 2, 9, 30, tzinfo=UTC))
    assert _queries_for_sixty_days(api, link) == few


# --- The API answers as the booking page does ---------------------------------------------------------

ZONES = ["America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Europe/Berlin", "UTC"]
# A few days before DST changes: New York (8 March, 1 November), Berlin (29 March, 25 October),
# Lord Howe (half an hour, 5 April and 4 October); Kolkata has none.
NOWS = [
    datetime(2026, 3, 5, 13, 17, tzinfo=UTC),
    datetime(2026, 3, 26, 22, 45, tzinfo=UTC),
    datetime(2026, 4, 2, 3, 0, tzinfo=UTC),
    datetime(2026, 10, 1, 11, 0, tzinfo=UTC),
    datetime(2026, 10, 22, 6, 30, tzinfo=UTC),
    datetime(2026, 10, 29, 17, 0, tzinfo=UTC),
]
HREF_START = re.compile(r'href="[^"]*[?&;]start=([^"&]+)"')
PARTIAL = {"HX-Request": "true", "HX-Target": "day-slots"}


def _clock(half_hours: int) -> time:
    return time(23, 59, 59) if half_hours == 48 else time(half_hours // 2, 30 * (half_hours % 2))


@st.composite
def weekly_hours(draw) -> list[tuple[int, time, time]]:
    rows = []
    for weekday in range(7):
        count = draw(st.sampled_from([0, 2, 2, 4]))  # a day off, one range or two
        points = sorted(draw(st.lists(st.integers(0, 48), min_size=count, max_size=count, unique=True)))
        rows += [(weekday, _clock(a), _clock(b)) for a, b in zip(points[0::2], points[1::2], strict=False)]
    return rows


@st.composite
def cases(draw) -> dict:
    now = draw(st.sampled_from(NOWS))
    first = (now + timedelta(days=draw(st.integers(-1, 3)))).date()
    return {
        "now": now,
        "hours": draw(weekly_hours()),
        "zone": draw(st.sampled_from(ZONES)),
        "asked_zone": draw(st.sampled_from(ZONES)),
        "duration": draw(st.sampled_from([15, 30, 45, 60])),
        "increment": draw(st.sampled_from([0, 15, 20])),
        "buffers": (draw(st.sampled_from([0, 10])), draw(st.sampled_from([0, 15]))),
        "notice": draw(st.sampled_from([0, 90, 24 * 60])),
        "max_per_day": draw(st.sampled_from([None, None, 1, 2])),
        "first": first,
        "days": draw(st.integers(1, 8)),
        # Meetings at quarter hours over the days asked about (and around them).
        "bookings": draw(st.lists(st.tuples(st.integers(-1, 7), st.integers(0, 95)), max_size=12)),
    }


_serial = itertools.count()


def _page_starts(client: Client, event_type: EventType, day: date, zone: str, duration: int) -> set[datetime]:
    """The times the public booking page offers on ``day`` in ``zone`` (its day-slots partial)."""
    query = {"tz": zone, "date": day.isoformat(), "duration": duration}
    response = client.get(event_type.get_absolute_url(), query, headers=PARTIAL)
    assert response.status_code == 200
    return {datetime.fromisoformat(unquote(found)) for found in HREF_START.findall(response.content.decode())}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_api_slots_are_the_booking_pages_slots(db, case):
    n = next(_serial)
    with time_machine.travel(case["now"], tick=False):
        host = UserFactory(username=f"prop{n}", email=f"prop{n}@example.com", timezone=case["zone"])
        schedule = ScheduleFactory(owner=host, timezone=case["zone"], hours=case["hours"] or [(0, time(9), time(10))])
        event_type = EventTypeFactory(
            owner=host, schedule=schedule, slug="call", duration=case["duration"], increment=case["increment"],
            buffer_before=case["buffers"][0], buffer_after=case["buffers"][1], minimum_notice=case["notice"],
            max_per_day=case["max_per_day"], extra_durations=[15, 30, 45, 60],
        )  # fmt: skip
        midnight = datetime.combine(case["first"], time(), tzinfo=UTC)
        taken_until = None  # a host's booked meetings never overlap (PostgreSQL's exclusion constraint)
        for day, quarter in sorted(set(case["bookings"])):
            start = midnight + timedelta(days=day, minutes=15 * quarter)
            if taken_until is None or start >= taken_until:
                booked(event_type, start, email=f"b{day}-{quarter}@x.org")
                taken_until = start + timedelta(minutes=30)
        api = ApiClient(Client(), token_for(host, can_write=False))
        last = case["first"] + timedelta(days=case["days"] - 1)
        asked = {"start": case["first"].isoformat(), "end": last.isoformat(), "timezone": case["asked_zone"]}
        response = api.get(f"/event-types/{event_type.pk}/slots", **asked, duration=case["duration"])
        assert response.status_code == 200, response.content
        found = [datetime.fromisoformat(slot["start"]) for slot in response.json()["slots"]]
        zone = ZoneInfo(case["asked_zone"])
        assert all(moment.utcoffset() == moment.astimezone(zone).utcoffset() for moment in found)
        page = Client()
        expected = set().union(*(
            _page_starts(page, event_type, case["first"] + timedelta(days=d), case["asked_zone"], case["duration"])
            for d in range(case["days"])
        ))  # fmt: skip
        assert sorted(found) == sorted(expected)
