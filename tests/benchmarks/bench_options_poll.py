"""A poll of options with 100 participants and 40 options: the owner's page (everyone's answers,
ranked) and a participant's page, measured in-process next to a bare Django view. Run on demand:

    .venv/bin/python -m pytest tests/benchmarks/bench_options_poll.py -s -q

Targets: median render <= 40 ms for both pages; SQL queries independent of people and options
(pinned in tests/scheduling/test_poll_options.py too).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from scheduling import options
from scheduling.models import Invitation, OptionAnswer, Poll
from tests.benchmarks.bench_poll_page import measure, wsgi
from tests.factories import PollFactory, UserFactory

PEOPLE, OPTIONS = 100, 40
OWNER_PAGE_QUERIES, PARTICIPANT_PAGE_QUERIES = 13, 5


def options_poll(kind: str) -> tuple[Poll, list[Invitation]]:
    owner = UserFactory(username=f"bench-{kind}", timezone="Europe/Berlin")
    poll = PollFactory(owner=owner, kind=kind, mode=Poll.Mode.OPTIONS, dates=[],
                       deadline=datetime(2030, 3, 1, tzinfo=UTC))  # fmt: skip
    first = datetime(2030, 3, 4, 8, tzinfo=UTC)
    choices = [options.Choice(start=first + timedelta(days=n // 4, hours=2 * (n % 4))) for n in range(OPTIONS - 4)]
    choices += [options.Choice(day=(first + timedelta(days=20 + n)).date()) for n in range(4)]  # whole days too
    created = options.add_options(poll=poll, choices=choices)
    invitations = Invitation.objects.bulk_create(
        Invitation(poll=poll, name=f"Participant {n}", email=f"p{n}@example.org", status="responded")
        for n in range(PEOPLE)
    )
    # Everyone answers about half the options, a third of those "if need be".
    rng = random.Random(7)
    OptionAnswer.objects.bulk_create(
        OptionAnswer(option=option, invitation=invitation, level=rng.choice([1, 2, 2]))
        for invitation in invitations
        for option in created
        if rng.random() < 0.5
    )
    return poll, invitations


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [Poll.Kind.GROUP, Poll.Kind.SERIES])
def test_options_poll_pages_with_100_people_and_40_options(settings, kind):
    settings.ROOT_URLCONF = "tests.benchmarks.urls"
    poll, invitations = options_poll(kind)
    client = Client()
    client.force_login(poll.owner)
    owner_url, participant_url = poll.get_absolute_url(), invitations[0].get_absolute_url() + "?tz=UTC&clock=24"
    sizes = {url: len(client.get(url).content) // 1024 for url in (owner_url, participant_url)}

    # Through the full middleware stack; the test client's own bookkeeping would inflate the figures.
    serve = wsgi(client)
    with CaptureQueriesContext(connection) as owner_queries:
        serve("GET", owner_url)
    with CaptureQueriesContext(connection) as participant_queries:
        serve("GET", participant_url)
    owner_median, owner_p95 = measure(lambda: serve("GET", owner_url))
    participant_median, participant_p95 = measure(lambda: serve("GET", participant_url))
    bare_median, bare_p95 = measure(lambda: serve("GET", "/__bare__/"))

    answers = OptionAnswer.objects.filter(option__poll=poll).count()
    print(f"\noptions poll ({kind}): {PEOPLE} participants x {OPTIONS} options, {answers} answers")
    print(f"SQL queries: owner page {len(owner_queries)}, participant page {len(participant_queries)}")
    print(f"owner page ({sizes[owner_url]} KiB):       median {owner_median:6.1f} ms   p95 {owner_p95:6.1f} ms")
    print(f"participant page ({sizes[participant_url]} KiB): median {participant_median:6.1f} ms   "
          f"p95 {participant_p95:6.1f} ms")  # fmt: skip
    print(f"bare Django view:            median {bare_median:6.1f} ms   p95 {bare_p95:6.1f} ms")
    assert len(owner_queries) <= OWNER_PAGE_QUERIES
    assert len(participant_queries) <= PARTICIPANT_PAGE_QUERIES
    assert owner_median <= 40
    assert participant_median <= 40
