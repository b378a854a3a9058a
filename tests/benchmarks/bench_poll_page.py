"""The owner's poll page with 50 invitees over 14 days of 30-minute cells (08:00–20:00), and
saving one painted stroke, measured in-process next to a bare Django view. Run on demand:

    .venv/bin/python -m pytest tests/benchmarks/bench_poll_page.py -s -q

Targets: median render <= 40 ms; saving a stroke <= 15 ms; SQL queries independent of invitees
and cells (pinned at <= 12 in tests/scheduling/test_polls.py).
"""

from __future__ import annotations

import json
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

import pytest
from django.core.handlers.base import BaseHandler
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from scheduling import grid
from scheduling.models import AvailabilitySpan, Invitation
from tests.factories import PollFactory, UserFactory

RUNS = 60


def measure(function, runs: int = RUNS) -> tuple[float, float]:
    function()  # warm up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def wsgi(client: Client):
    """Serve requests through Django's full middleware stack, as the WSGI handler does, with the
    client's session and CSRF cookies (without the test client's per-template bookkeeping)."""
    handler = BaseHandler()
    handler.load_middleware()
    factory = RequestFactory()
    client.get("/dashboard/")  # sets the CSRF cookie
    cookies = {key: morsel.value for key, morsel in client.cookies.items()}

    def serve(method: str, path: str, data: dict | None = None) -> int:
        request = factory.post(path, data or {}) if method == "POST" else factory.get(path)
        request.COOKIES = cookies
        request.META["HTTP_X_CSRFTOKEN"] = cookies.get("csrftoken", "")
        response = handler.get_response(request)
        assert response.status_code in (200, 302), response.status_code
        return response.status_code

    return serve


@pytest.mark.django_db
def test_poll_page_with_50_invitees_over_14_days(settings):
    settings.ROOT_URLCONF = "tests.benchmarks.urls"
    owner = UserFactory(username="bench", timezone="Europe/Berlin")
    first = date(2030, 3, 4)
    poll = PollFactory(owner=owner, dates=[(first + timedelta(days=n)).isoformat() for n in range(14)],
                       day_start=clock(8), day_end=clock(20), deadline=datetime(2030, 3, 1, tzinfo=UTC))  # fmt: skip
    cells = poll.cells()
    invitations = Invitation.objects.bulk_create(
        Invitation(poll=poll, name=f"Invitee {n}", email=f"invitee{n}@example.org", status="responded")
        for n in range(50)
    )
    # People paint blocks: each day, up to three stretches of 1–8 cells at one level.
    rng = random.Random(7)
    per_day = len(cells) // 14
    spans = []
    for invitation in [None, *invitations]:
        levels = {}
        for day in range(14):
            for _ in range(rng.randint(0, 3)):
                start = day * per_day + rng.randrange(per_day)
                level = rng.choice([1, 2, 3])
                for i in range(start, min(start + rng.randint(1, 8), (day + 1) * per_day)):
                    levels[i] = level
        spans += [AvailabilitySpan(poll=poll, invitation=invitation, start=s.start, end=s.end, level=s.level)
                  for s in grid.spans_from_levels(cells, poll.cell_minutes, levels)]  # fmt: skip
    AvailabilitySpan.objects.bulk_create(spans)

    client = Client()
    client.force_login(owner)
    url = poll.get_absolute_url()
    response = client.get(url)
    assert response.status_code == 200

    # Through the full middleware stack; the test client's own bookkeeping (it copies every
    # template context it sees) would double the figures.
    serve = wsgi(client)
    with CaptureQueriesContext(connection) as queries:
        serve("GET", url)
    render_median, render_p95 = measure(lambda: serve("GET", url))
    bare_median, bare_p95 = measure(lambda: serve("GET", "/__bare__/"))
    stroke = json.dumps({"cells": {grid.cell_key(cells[i]): 3 for i in range(0, len(cells), 3)}})
    save_url = f"/polls/{poll.pk}/availability/"
    save_median, save_p95 = measure(lambda: serve("POST", save_url, {"payload": stroke}))

    size = len(response.content) // 1024
    print(f"\npoll: {len(cells)} cells, 50 invitees, {len(spans)} stored intervals, page {size} KiB")
    print(f"SQL queries for the page:   {len(queries)}")
    print(f"poll page render:           median {render_median:6.1f} ms   p95 {render_p95:6.1f} ms")
    print(f"bare Django view:           median {bare_median:6.1f} ms   p95 {bare_p95:6.1f} ms")
    print(f"save one painted stroke:    median {save_median:6.1f} ms   p95 {save_p95:6.1f} ms")
    assert len(queries) <= 12
    assert render_median <= 40
    assert save_median <= 15
