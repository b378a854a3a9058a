"""A poll shared by link with 200 participants on the grid (7 days, 08:00–20:00, 30-minute cells),
everyone's answers visible to participants, 50 comments: a participant's page (their grid, the heat
map with names, the roster, the comments), the owner's page, and joining, measured in-process next
to a bare Django view. Run on demand:

    .venv/bin/python -m pytest tests/benchmarks/bench_link_poll.py -s -q

Target: a participant's page and the owner's <= 40 ms (median); SQL queries the same with 20 or 200
participants.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from scheduling import grid, participants
from scheduling.models import AvailabilitySpan, Invitation, Poll, PollComment
from tests.benchmarks.bench_poll_page import measure, wsgi
from tests.factories import PollFactory, UserFactory

DAYS = 7


def _people(poll: Poll, count: int, start: int = 0) -> list[Invitation]:
    invitations = Invitation.objects.bulk_create(
        Invitation(poll=poll, name=f"Participant {n}", joined_by_link=True, status="responded")
        for n in range(start, start + count)
    )
    cells = poll.cells()
    per_day = len(cells) // DAYS
    rng = random.Random(start)
    spans = []
    for invitation in invitations:
        levels = {}
        for day in range(DAYS):
            for _ in range(rng.randint(0, 2)):
                first = day * per_day + rng.randrange(per_day)
                level = rng.choice([1, 2, 3])
                for i in range(first, min(first + rng.randint(2, 10), (day + 1) * per_day)):
                    levels[i] = level
        spans += [AvailabilitySpan(poll=poll, invitation=invitation, start=s.start, end=s.end, level=s.level)
                  for s in grid.spans_from_levels(cells, poll.cell_minutes, levels)]  # fmt: skip
    AvailabilitySpan.objects.bulk_create(spans)
    return invitations


@pytest.mark.django_db
def test_link_poll_with_200_participants(settings):
    settings.ROOT_URLCONF = "tests.benchmarks.urls"
    settings.POLL_JOINS_PER_HOUR = 10_000
    settings.POLL_MAX_PARTICIPANTS = 10_000  # the page is measured at 200; joining goes on past it
    owner = UserFactory(username="bench", timezone="Europe/Berlin")
    first = date(2030, 3, 4)
    poll = PollFactory(owner=owner, dates=[(first + timedelta(days=n)).isoformat() for n in range(DAYS)],
                       day_start=clock(8), day_end=clock(20), deadline=datetime(2030, 3, 1, tzinfo=UTC),
                       visibility=Poll.Visibility.ALWAYS)  # fmt: skip
    participants.share(poll, enabled=True)
    people = _people(poll, 20)
    PollComment.objects.bulk_create(
        PollComment(poll=poll, invitation=people[n % 20], name=people[n % 20].name, text=f"Comment {n} " * 8)
        for n in range(50)
    )

    anonymous = Client()
    page_url = people[0].get_absolute_url()
    anonymous.get(f"/p/join/{poll.share_token}/")  # the CSRF cookie, as a browser would have it
    serve_participant = wsgi(anonymous)

    def queries(path: str, serve) -> int:
        with CaptureQueriesContext(connection) as captured:
            serve("GET", path)
        return len(captured)

    owner_client = Client()
    owner_client.force_login(owner)
    serve_owner = wsgi(owner_client)
    few = (queries(page_url, serve_participant), queries(poll.get_absolute_url(), serve_owner))
    _people(poll, 180, start=20)
    many = (queries(page_url, serve_participant), queries(poll.get_absolute_url(), serve_owner))

    size = len(anonymous.get(page_url).content) // 1024
    participant_median, participant_p95 = measure(lambda: serve_participant("GET", page_url))
    owner_median, owner_p95 = measure(lambda: serve_owner("GET", poll.get_absolute_url()))
    bare_median, bare_p95 = measure(lambda: serve_participant("GET", "/__bare__/"))
    joined = iter(range(10_000))
    join_url = f"/p/join/{poll.share_token}/"

    def join() -> None:
        caches["default"].clear()
        caches["versions"].clear()
        serve_participant("POST", join_url, {"name": f"Newcomer {next(joined)}"})

    join_median, join_p95 = measure(join, runs=30)

    spans = AvailabilitySpan.objects.filter(poll=poll).count()
    print(f"\nlink poll: {len(poll.cells())} cells, 200 participants, {spans} intervals, 50 comments, page {size} KiB")
    print(f"SQL queries, participant page: {few[0]} with 20 people, {many[0]} with 200")
    print(f"SQL queries, owner page:       {few[1]} with 20 people, {many[1]} with 200")
    print(f"participant page:  median {participant_median:6.1f} ms   p95 {participant_p95:6.1f} ms")
    print(f"owner page:        median {owner_median:6.1f} ms   p95 {owner_p95:6.1f} ms")
    print(f"join by link:      median {join_median:6.1f} ms   p95 {join_p95:6.1f} ms")
    print(f"bare Django view:  median {bare_median:6.1f} ms   p95 {bare_p95:6.1f} ms")
    assert few == many
    assert participant_median <= 40
    assert owner_median <= 40
