"""Throughput of the pages a booker opens, under gunicorn (2 workers, DEBUG off, SQLite), next to a
bare Django view measured in the same run. Run on demand (``make bench``):

    .venv/bin/python -m pytest tests/benchmarks/bench_booking_http.py -s -q

Needs wrk (Debian: apt-get install wrk). The host has 1,000 confirmed bookings over the next 59
days and a 60-day booking window. Cases, each measured three times, interleaved so a slow moment
of the machine hits every case alike:

- the public profile ``/<username>/``;
- the full booking page with a day picked (what a shared link opens);
- the day-slots partial (what picking another day fetches);
- the full booking page of a host whose Google Calendar is connected, its free/busy answer
  cached (Google is the fake of tests/google_fake.py, installed in each worker by
  tests/benchmarks/urls.py).

Targets (issue 12): the full page >= 20% of the bare view's requests per second, the partial
>= 25%, the profile page >= 30%. Query counts are pinned in tests/booking/test_public_booking.py.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from tests.gunicorn_server import Server

SETUP = """
from datetime import UTC, datetime, time, timedelta
from accounts.models import User
from booking.models import Booking, EventType, Schedule
from tests.factories import bulk_booked, connect_google
from scheduling.models import Event

def host_with_bookings(username):
    host = User.objects.create_user(username, f"{username}@example.com", "x-password-123", timezone="UTC")
    schedule = Schedule.objects.create(owner=host, name="Hours", timezone="UTC", is_default=True)
    for day in range(7):
        schedule.weekly_hours.create(weekday=day, start=time(8), end=time(20))
    for slug, title in (("call", "Call"), ("intro", "Intro"), ("review", "Review")):
        event_type = EventType.objects.create(
            owner=host, title=title, slug=slug, schedule=schedule, duration=30, minimum_notice=0,
            location_kind="phone", location_detail="+1 555 0100", rolling_days=60,
        )
    event_type = EventType.objects.get(owner=host, slug="call")
    start = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=1)
    # 1,000 bookings, 17 a day (every 40 minutes), over the next 59 days.
    starts = [start + timedelta(days=n // 17, minutes=40 * (n % 17)) for n in range(1000)]
    events = Event.objects.bulk_create(
        Event(owner=host, title="Booked", origin="booking", start=moment, end=moment + timedelta(minutes=30))
        for moment in starts
    )
    bulk_booked(event_type, events)
    return host

host_with_bookings("benchhost")
connect_google(host_with_bookings("googlehost"))
print(Booking.objects.count())
"""

DURATION = "5s"
REPEATS = 3
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, headers: tuple[str, ...] = ()) -> tuple[float, float, float]:
    """(requests per second, p50 ms, p99 ms) of one wrk run."""
    command = ["wrk", "-t2", "-c8", f"-d{DURATION}", "--latency", url]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert "Non-2xx or 3xx responses" not in output, output

    def percentile(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)$", output, re.MULTILINE).groups()
        return float(value) * UNITS[unit]

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return rate, percentile("50"), percentile("99")


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_booking_pages_throughput_against_a_bare_view(tmp_path):
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    partial = ("HX-Request: true", "HX-Target: day-slots")
    cases = {  # name: (path, headers, target share of the bare view)
        "bare Django view": ("/__bare__/", (), None),
        "profile page": ("/benchhost/", (), 0.30),
        "full booking page": (f"/benchhost/call/?tz=UTC&date={day}", (), 0.20),
        "day-slots partial": (f"/benchhost/call/?tz=UTC&date={day}", partial, 0.25),
        "page, Google cached": (f"/googlehost/call/?tz=UTC&date={day}", (), 0.20),
    }
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in cases}
    with Server("sqlite", tmp_path, setup=SETUP, workers=2, threads=1, settings="tests.benchmarks.settings",
                production=True) as server:  # fmt: skip
        for path, headers, _ in cases.values():  # warm up both workers and their caches
            wrk(server.url + path, headers)
        for _ in range(REPEATS):
            for name, (path, headers, _) in cases.items():
                runs[name].append(wrk(server.url + path, headers))

    print_report(runs, {name: target for name, (_, _, target) in cases.items()})


def print_report(runs: dict[str, list[tuple[float, float, float]]], targets: dict[str, float | None]) -> None:
    """Each case's median requests per second, its share of the first case (the bare view) and
    the target met or missed, median p50 and p99, and each run's figure."""
    median = {name: tuple(statistics.median(run[i] for run in found) for i in range(3)) for name, found in runs.items()}
    bare = next(iter(median.values()))[0]
    print(
        f"\n{'case':<24}{'req/s (median)':>15}{'of bare':>9}{'target':>8}{'p50 ms':>9}{'p99 ms':>9}   each run, req/s"
    )
    for name, (rate, p50, p99) in median.items():
        target = targets[name]
        verdict = "" if target is None else f"{'>=' if rate / bare >= target else '< '}{target:.0%}"
        each = " ".join(f"{run[0]:.0f}" for run in runs[name])
        print(f"{name:<24}{rate:>15.0f}{rate / bare:>9.1%}{verdict:>8}{p50:>9.2f}{p99:>9.2f}   {each}")
