"""Throughput of the REST API's free slots, under gunicorn (2 workers, DEBUG off, SQLite), beside the
booking page's day-slots partial and a bare Django view measured in the same run. Run on demand
(``make bench``):

    .venv/bin/python -m pytest tests/benchmarks/bench_api_slots.py -s -q

Needs wrk. The host has 1,000 confirmed bookings over the next 59 days and a 60-day window (the
data of bench_booking_http.py). Cases, each measured three times, interleaved:

- ``GET /api/v1/event-types/{id}/slots`` for 60 days (what an integration asks for), and for one
  day (what the partial shows), with a bearer token; the per-token rate limit stays on, with an
  allowance wrk cannot spend, so its cost is in the figure;
- the day-slots partial of the booking page (the same engine and cache).

Queries per request are counted in a separate process on the same database with Django's test
client: the first request (nothing cached) and the next one. They are pinned in
tests/api/test_slots_api.py.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from tests.benchmarks.bench_booking_http import REPEATS, print_report, wrk
from tests.gunicorn_server import Server

SETUP = """
from datetime import UTC, datetime, time, timedelta
from accounts.api_base import issue_token
from accounts.models import User
from booking.models import EventType, Schedule
from scheduling.models import Event
from tests.factories import bulk_booked

host = User.objects.create_user("benchhost", "benchhost@example.com", "x-password-123", timezone="UTC")
schedule = Schedule.objects.create(owner=host, name="Hours", timezone="UTC", is_default=True)
for day in range(7):
    schedule.weekly_hours.create(weekday=day, start=time(8), end=time(20))
event_type = EventType.objects.create(
    owner=host, title="Call", slug="call", schedule=schedule, duration=30, minimum_notice=0,
    location_kind="phone", location_detail="+1 555 0100", rolling_days=60,
)
start = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=1)
# 1,000 bookings, 17 a day (every 40 minutes), over the next 59 days.
starts = [start + timedelta(days=n // 17, minutes=40 * (n % 17)) for n in range(1000)]
events = Event.objects.bulk_create(
    Event(owner=host, title="Booked", origin="booking", start=moment, end=moment + timedelta(minutes=30))
    for moment in starts
)
bulk_booked(event_type, events)
print("LINK", event_type.pk)
print("TOKEN", issue_token(user=host, name="bench", can_write=False, expires_at=None)[1])
"""

# Run in ``manage.py shell`` against the server's database: each case's queries, cold then warm.
COUNT = """
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.core.cache import caches

client = Client(SERVER_NAME="127.0.0.1")
for alias in ("default", "local"):
    caches[alias].clear()
for name, path, headers in CASES:
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path, headers=dict(headers)).status_code == 200, path
        counts.append(len(captured))
    print("QUERIES", name, *counts, sep="\\t")
"""


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_api_slots_throughput_beside_the_day_slots_partial(tmp_path):
    today = datetime.now(UTC).date()
    day = (today + timedelta(days=3)).isoformat()
    last = (today + timedelta(days=59)).isoformat()
    env = {"API_RATE_LIMIT": "1000000000/m"}
    server = Server("sqlite", tmp_path, setup=SETUP, workers=2, threads=1, settings="tests.benchmarks.settings",
                    production=True, env=env)  # fmt: skip
    with server:
        found = dict(line.split(" ", 1) for line in server.setup_output.splitlines() if " " in line)
        link, token = found["LINK"], found["TOKEN"]
        bearer = (f"Authorization: Bearer {token}",)
        cases = {  # name: (path, headers)
            "bare Django view": ("/__bare__/", ()),
            "API slots, 60 days": (f"/api/v1/event-types/{link}/slots?start={today}&end={last}&timezone=UTC", bearer),
            "API slots, 1 day": (f"/api/v1/event-types/{link}/slots?start={day}&end={day}&timezone=UTC", bearer),
            "day-slots partial": (f"/benchhost/call/?tz=UTC&date={day}", ("HX-Request: true", "HX-Target: day-slots")),
        }
        listed = [
            (name, path, [header.split(": ", 1) for header in headers]) for name, (path, headers) in cases.items()
        ]
        counted = server.manage("shell", "-v", "0", "-c", f"CASES = {listed!r}\n{COUNT}")
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in cases}
        for path, headers in cases.values():  # warm up both workers and their caches
            wrk(server.url + path, headers)
        for _ in range(REPEATS):
            for name, (path, headers) in cases.items():
                runs[name].append(wrk(server.url + path, headers))

    print_report(runs, dict.fromkeys(cases))
    print("\nqueries per request (first, then cached):")
    for line in counted.splitlines():
        if line.startswith("QUERIES"):
            _, name, cold, warm = line.split("\t")
            print(f"  {name:<24}{cold:>4}{warm:>4}")
