"""Calendar views and the subscription feed with 2,000 events (50 of them recurring series),
measured in-process through the full middleware stack next to a bare Django view. Run on demand:

    .venv/bin/python -m pytest tests/benchmarks/bench_calendar.py -s -q

Targets: month and week views median <= 60 ms; the feed for a year of events <= 300 ms; SQL
queries constant in the number of events (pinned at <= 10 in tests/scheduling/test_calendar.py).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from scheduling.models import CalendarFeed, Event
from scheduling.recurrence import Recurrence
from tests.benchmarks.bench_poll_page import measure, wsgi
from tests.factories import UserFactory


@pytest.mark.django_db
def test_calendar_views_and_feed_with_2000_events(settings):
    settings.ROOT_URLCONF = "tests.benchmarks.urls"
    owner = UserFactory(username="busy", timezone="Europe/Berlin")
    rng = random.Random(11)
    start = datetime(2026, 1, 1, 7, tzinfo=UTC)
    singles = []
    for n in range(1950):
        begin = start + timedelta(days=rng.randrange(365), hours=rng.randrange(12), minutes=rng.choice([0, 30]))
        singles.append(
            Event(owner=owner, title=f"Meeting {n}", start=begin, end=begin + timedelta(minutes=rng.choice([30, 60])))
        )
    rules = [
        Recurrence("weekly", weekdays=(0, 2)),
        Recurrence("daily"),
        Recurrence("monthly"),
        Recurrence("weekly", interval=2, weekdays=(4,)),
        Recurrence("yearly"),
    ]
    series = []
    for n in range(50):
        begin = datetime(2025, 6, 2, 8, tzinfo=UTC) + timedelta(days=n, hours=n % 8)
        rule = rules[n % len(rules)].to_rrule("Europe/Berlin")
        end = begin + timedelta(minutes=45)
        series.append(
            Event(owner=owner, title=f"Series {n}", start=begin, end=end, timezone="Europe/Berlin", rrule=rule)
        )
    Event.objects.bulk_create(singles + series)
    feed = CalendarFeed.objects.create(owner=owner)

    client = Client()
    client.force_login(owner)
    serve = wsgi(client)
    figures = {}
    for label, path in [
        ("month view", "/calendar/month/?date=2026-06-15"),
        ("week view", "/calendar/week/?date=2026-06-15"),
    ]:
        with CaptureQueriesContext(connection) as queries:
            serve("GET", path)
        figures[label] = (*measure(lambda path=path: serve("GET", path), runs=40), len(queries))
    with CaptureQueriesContext(connection) as queries:
        serve("GET", f"/calendar/feed/{feed.token}.ics")
    figures["feed (a year)"] = (
        *measure(lambda: serve("GET", f"/calendar/feed/{feed.token}.ics"), runs=8),
        len(queries),
    )
    figures["bare Django view"] = (*measure(lambda: serve("GET", "/__bare__/"), runs=40), 0)

    print()
    for label, (median, p95, query_count) in figures.items():
        print(f"{label:18} median {median:7.1f} ms   p95 {p95:7.1f} ms   {query_count} queries")
    assert figures["month view"][0] <= 60
    assert figures["week view"][0] <= 60
    assert figures["feed (a year)"][0] <= 300
