"""Many people book the same slot at the same moment, against a real gunicorn server with several
worker processes and a real database (SQLite file, and PostgreSQL when one answers on 127.0.0.1).

Exactly one booking wins (N for a group with N seats); everyone else gets the friendly 409 page,
and nobody gets a server error.
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from tests.gunicorn_server import Server, postgres_available

BOOKERS = 24

SETUP = """
from datetime import time
from accounts.models import User
from booking.models import EventType, Schedule
host = User.objects.create_user("racehost", "host@example.com", "x-password-123", timezone="UTC")
schedule = Schedule.objects.create(owner=host, name="All week", timezone="UTC", is_default=True)
for day in range(7):
    schedule.weekly_hours.create(weekday=day, start=time(0), end=time(23, 30))
EventType.objects.create(owner=host, title="Solo", slug="solo", schedule=schedule, duration=30, minimum_notice=0,
                         location_kind="phone", location_detail="+1 555 0100")
EventType.objects.create(owner=host, title="Group", slug="group", kind="group", seats=5, schedule=schedule,
                         duration=30, minimum_notice=0, location_kind="phone", location_detail="+1 555 0100")
"""

COUNT = "from booking.models import Booking; print(Booking.objects.filter(event_type__slug='{slug}').count())"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _race(server: Server, slug: str, *, one_time_each: bool = False) -> list[int]:
    """Every booker loads the form, then all submit at once: for the same time, or each for a
    time of their own. Returns the HTTP statuses."""
    day = datetime.now(UTC).date() + timedelta(days=2)
    ten = datetime.combine(day, datetime.min.time().replace(hour=10), tzinfo=UTC)
    barrier = threading.Barrier(BOOKERS)
    statuses: list[int] = []

    def book(index: int) -> None:
        start = ten + timedelta(minutes=30 * index if one_time_each else 0)
        url = f"{server.url}/racehost/{slug}/book/?" + urllib.parse.urlencode({"start": start.isoformat(), "tz": "UTC"})
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        try:
            page = opener.open(url, timeout=30).read().decode()
        except urllib.error.HTTPError as error:
            statuses.append(-error.code)  # the form itself did not load: a failed test setup
            barrier.abort()
            return
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "name": f"Booker {index}", "email": f"booker{index}@example.org"}
        ).encode()
        request = urllib.request.Request(url, data=data, headers={"Referer": url})
        barrier.wait()
        try:
            response = opener.open(request, timeout=60)
            statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=book, args=(index,)) for index in range(BOOKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


ENGINES = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not postgres_available(), reason="no PostgreSQL on 127.0.0.1")),
]


@pytest.mark.race
@pytest.mark.parametrize("engine", ENGINES)
def test_concurrent_bookings_of_one_slot_make_exactly_one_booking(engine, tmp_path):
    with Server(engine, tmp_path, setup=SETUP) as server:
        statuses = _race(server, "solo")
        booked = int(server.manage("shell", "-c", COUNT.format(slug="solo")).split()[-1])
    assert len(statuses) == BOOKERS
    assert statuses.count(302) == 1, statuses
    assert statuses.count(409) == BOOKERS - 1, statuses
    assert booked == 1


@pytest.mark.race
@pytest.mark.parametrize("engine", ENGINES)
def test_concurrent_bookings_of_a_group_slot_fill_exactly_its_seats(engine, tmp_path):
    with Server(engine, tmp_path, setup=SETUP) as server:
        statuses = _race(server, "group")
        booked = int(server.manage("shell", "-c", COUNT.format(slug="group")).split()[-1])
    assert statuses.count(302) == 5, statuses
    assert statuses.count(409) == BOOKERS - 5, statuses
    assert booked == 5


@pytest.mark.race
@pytest.mark.parametrize("engine", ENGINES)
def test_the_booking_rate_limit_holds_across_workers(engine, tmp_path):
    """One client, 24 bookings of 24 free times at once, against 4 workers: exactly the
    allowance gets through (the count is shared and incremented atomically), the rest are told
    to wait."""
    with Server(engine, tmp_path, setup=SETUP, env={"BOOKING_SUBMISSIONS_PER_HOUR": "10"}) as server:
        statuses = _race(server, "solo", one_time_each=True)
        booked = int(server.manage("shell", "-c", COUNT.format(slug="solo")).split()[-1])
    assert statuses.count(302) == 10, statuses
    assert statuses.count(429) == BOOKERS - 10, statuses
    assert booked == 10
