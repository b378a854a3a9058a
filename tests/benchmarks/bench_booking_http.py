"""Throughput of the booking page's day-slots partial under gunicorn (2 workers), next to a bare
Django view measured in the same run, with 1,000 existing bookings. Run on demand:

    .venv/bin/python -m pytest tests/benchmarks/bench_booking_http.py -s -q

Needs wrk (Debian: apt-get install wrk). Target: the partial serves >= 20% of the bare view's
requests per second.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from tests.gunicorn_server import Server

SETUP = """
from datetime import UTC, datetime, time, timedelta
from accounts.models import User
from booking.models import EventType, Schedule
from tests.factories import bulk_booked
from scheduling.models import Event
host = User.objects.create_user("benchhost", "host@example.com", "x-password-123", timezone="UTC")
schedule = Schedule.objects.create(owner=host, name="Hours", timezone="UTC", is_default=True)
for day in range(7):
    schedule.weekly_hours.create(weekday=day, start=time(8), end=time(20))
event_type = EventType.objects.create(owner=host, title="Call", slug="call", schedule=schedule, duration=30,
                                      minimum_notice=0, location_kind="phone", location_detail="+1 555 0100")
start = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=1)
# 1,000 bookings, 17 a day (every 40 minutes), over the next 59 days.
starts = [start + timedelta(days=n // 17, minutes=40 * (n % 17)) for n in range(1000)]
events = Event.objects.bulk_create(
    Event(owner=host, title="Booked", origin="booking", start=moment, end=moment + timedelta(minutes=30))
    for moment in starts
)
bulk_booked(event_type, events)
print(Booking.objects.count())
"""

DURATION = "8s"


def wrk(url: str, *headers: str) -> float:
    command = ["wrk", "-t2", "-c8", f"-d{DURATION}", "--latency", url]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    assert errors is None, output
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_day_slots_partial_throughput_against_a_bare_view(tmp_path):
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    with Server("sqlite", tmp_path, setup=SETUP, workers=2, threads=1, settings="tests.benchmarks.settings",
                production=True) as server:  # fmt: skip
        wrk(f"{server.url}/__bare__/")  # warm up both workers
        bare = wrk(f"{server.url}/__bare__/")
        partial_url = f"{server.url}/benchhost/call/?tz=UTC&date={day}"
        partial = wrk(partial_url, "HX-Request: true", "HX-Target: day-slots")
        page = wrk(partial_url)
    ratio = partial / bare
    print(f"\nbare Django view:        {bare:8.0f} req/s")
    print(f"day-slots partial:       {partial:8.0f} req/s  ({ratio:.1%} of bare)")
    print(f"full booking page:       {page:8.0f} req/s  ({page / bare:.1%} of bare)")
    assert ratio >= 0.20
