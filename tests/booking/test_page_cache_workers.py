"""Cached booking pages across processes: a real gunicorn server with two workers, each holding
its own copy of the page, and changes made by a third process (``manage.py shell``, as the Huey
worker or another web process would). Every worker shows the change at its next request, on the
embedded default (versions in files beside the database) and on PostgreSQL."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from tests.booking.pages import SLOT_LIST, TIME
from tests.gunicorn_server import Server, postgres_available

pytestmark = pytest.mark.race

SETUP = """
from datetime import time
from accounts.models import User
from booking.models import EventType, Schedule
host = User.objects.create_user("cachehost", "host@example.com", "x-password-123", timezone="UTC")
schedule = Schedule.objects.create(owner=host, name="All week", timezone="UTC", is_default=True)
for day in range(7):
    schedule.weekly_hours.create(weekday=day, start=time(9), end=time(12))
EventType.objects.create(owner=host, title="Solo", slug="solo", schedule=schedule, duration=30, minimum_notice=0,
                         location_kind="phone", location_detail="+1 555 0100")
"""

BOOK = """
from datetime import datetime
from booking.book import Booker, book_slot
from booking.models import EventType
book_slot(event_type=EventType.objects.get(slug="solo"), start=datetime.fromisoformat("{start}"),
          booker=Booker(name="Bea", email="bea@example.org", timezone="UTC"))
"""

DAY_OFF = """
from booking.models import Schedule
Schedule.objects.get(name="All week").overrides.create(date="{day}")
"""

REQUESTS = 16  # enough that both workers answer several


def offered(server: Server, day: str) -> set[tuple[str, ...]]:
    """The distinct lists of times the workers offer for ``day``."""
    seen = set()
    for _ in range(REQUESTS):
        with urllib.request.urlopen(f"{server.url}/cachehost/solo/?tz=UTC&date={day}", timeout=10) as response:
            page = response.read().decode()
        found = SLOT_LIST.search(page)
        seen.add(tuple(TIME.findall(found.group(1))) if found else ())
    return seen


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_every_worker_shows_a_change_made_elsewhere_at_once(tmp_path, engine):
    if engine == "postgresql" and not postgres_available():
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    day = datetime.now(UTC).date() + timedelta(days=2)
    start = datetime.combine(day, datetime.min.time().replace(hour=10), tzinfo=UTC)
    with Server(engine, tmp_path, setup=SETUP, workers=2, threads=1) as server:
        assert offered(server, day.isoformat()) == {("09:00", "09:30", "10:00", "10:30", "11:00", "11:30")}

        server.manage("shell", "-c", BOOK.format(start=start.isoformat()))
        assert offered(server, day.isoformat()) == {("09:00", "09:30", "10:30", "11:00", "11:30")}

        server.manage("shell", "-c", DAY_OFF.format(day=day.isoformat()))
        assert offered(server, day.isoformat()) == {()}
