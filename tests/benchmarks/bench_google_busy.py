"""What Google Calendar costs a booking page: the page of a host with 300 busy times
in Google over the month, measured in-process through the full middleware stack. Google itself is
the in-process fake (tests/google_fake.py), so "cold" is our own work per Google answer (building
the request, parsing, merging, caching) without the network; the real round trip adds Google's
latency, once per host, range and 90 seconds. Run on demand:

    .venv/bin/python -m pytest tests/benchmarks/bench_google_busy.py -s -q

Targets: a warm (cached) Google layer adds <= 2 ms to the page; subtracting Convene's own copies
from 1,000 busy intervals <= 5 ms.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from accounts import google
from tests.benchmarks.bench_poll_page import measure, wsgi
from tests.factories import EventTypeFactory, UserFactory, connect_google
from tests.google_fake import PRIMARY


@pytest.mark.django_db
@time_machine.travel("2030-03-01T06:00:00Z")
def test_booking_partial_with_google_busy_times(settings, fake_google):
    settings.ROOT_URLCONF = "tests.benchmarks.urls"
    rng = random.Random(3)
    host = UserFactory(username="hanna", timezone="Europe/Berlin")
    plain_host = UserFactory(username="paul", timezone="Europe/Berlin")
    for owner in (host, plain_host):
        EventTypeFactory(owner=owner, slug="intro")
    connect_google(host)
    first = date(2030, 3, 1)
    for _ in range(300):
        start = datetime.combine(first + timedelta(days=rng.randrange(31)), datetime.min.time(), tzinfo=UTC)
        start += timedelta(minutes=30 * rng.randrange(14, 36))
        fake_google.add_busy(PRIMARY, start, start + timedelta(minutes=30 * rng.randint(1, 4)))

    serve = wsgi(Client())
    headers_path = "/{user}/intro/?date=2030-03-13&tz=Europe/Berlin"

    def partial(user: str):
        return lambda: serve("GET", headers_path.format(user=user))

    without, _ = measure(partial("paul"))
    warm, warm_p95 = measure(partial("hanna"))

    def cold():
        cache.clear()
        serve("GET", headers_path.format(user="hanna"))

    cold_median, _ = measure(cold)
    print(f"\nBooking page, no Google: median {without:.2f} ms")
    print(f"Booking page, Google cached: median {warm:.2f} ms (p95 {warm_p95:.2f}), +{warm - without:.2f} ms")
    print(f"Booking page, Google asked (in-process fake, cache cleared): median {cold_median:.2f} ms")


def test_subtracting_own_copies_from_1000_busy_intervals():
    start = datetime(2030, 3, 1, tzinfo=UTC)
    busy = [(start + timedelta(hours=2 * n), start + timedelta(hours=2 * n, minutes=90)) for n in range(1000)]
    own = busy[::10]

    median, p95 = measure(lambda: google.subtract(busy, own))
    print(f"\nsubtract(1,000 busy, 100 own copies): median {median:.2f} ms (p95 {p95:.2f})")
