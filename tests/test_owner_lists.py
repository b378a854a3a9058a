"""Owner pages stay fast as an account grows: every list is a page at a time with its filters in
the URL (working without JavaScript), and each page makes the same few queries whatever the size
of the account (pinned here; the throughput is in tests/benchmarks/bench_owner_pages.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling.models import Event, Poll
from tests.factories import (
    ContactFactory,
    EventTypeFactory,
    InvitationFactory,
    PollFactory,
    UserFactory,
    bulk_booked,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)
MAX_QUERIES = 6


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def grow(owner, size: int, *, shift: timedelta = timedelta(0)) -> None:
    """``size`` bookings ahead and behind, cancelled ones, polls (open, closed, some of someone
    else's the owner is invited to) and contacts. ``shift`` moves the meetings, so that growing
    twice never overlaps booked meetings (PostgreSQL refuses that)."""
    intro = EventTypeFactory(owner=owner, slug=f"intro-{size}", title="Intro call")
    demo = EventTypeFactory(owner=owner, slug=f"demo-{size}", title="Demo")
    starts = [NOW + shift + timedelta(hours=3 * n) for n in range(-size, size)]
    events = Event.objects.bulk_create(
        Event(owner=owner, title="Booked", origin="booking", start=start, end=start + timedelta(minutes=30))
        for start in starts
    )
    bulk_booked(intro, events[::2], email="bea@example.org")
    bulk_booked(demo, events[1::2], email="cy@example.org")
    Event.objects.filter(pk__in=[event.pk for event in events[-size // 4 :]]).update(status=Event.Status.CANCELLED)
    for n in range(size):
        poll = PollFactory(owner=owner, title=f"Poll {n}", status=Poll.Status.OPEN if n % 3 else Poll.Status.CLOSED,
                           deadline=NOW + timedelta(days=n + 1))  # fmt: skip
        InvitationFactory(poll=poll)
        InvitationFactory(poll=PollFactory(deadline=NOW + timedelta(days=n + 1)), email=owner.email)
    ContactFactory.create_batch(size, owner=owner)


def queries(client, url: str, params: dict | None = None) -> int:
    client.get(url, params or {})
    caches["default"].clear()
    caches["versions"].clear()
    caches["local"].clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured.captured_queries)


PAGES = [
    ("dashboard", None),
    ("booking:booking_list", None),
    ("booking:booking_list", {"tab": "past", "page": "2"}),
    ("booking:booking_list", {"tab": "cancelled", "q": "bea"}),
    ("scheduling:poll_list", None),
    ("scheduling:poll_list", {"status": "open", "q": "Poll 1", "page": "2"}),
    ("contacts:list", None),
    ("booking:event_type_list", None),
]


@pytest.mark.parametrize(("name", "params"), PAGES)
def test_owner_pages_make_the_same_few_queries_however_big_the_account(owner_client, user, name, params):
    grow(user, 10)
    small = queries(owner_client, reverse(name), params)
    grow(user, 60, shift=timedelta(hours=1))
    big = queries(owner_client, reverse(name), params)
    assert big == small
    assert big <= MAX_QUERIES


def test_bookings_come_a_page_at_a_time_upcoming_first(owner_client, user):
    grow(user, 40)
    first = owner_client.get(reverse("booking:booking_list"))
    rows = first.context["rows"]
    assert len(rows) == 25
    upcoming = Event.objects.filter(owner=user, status=Event.Status.CONFIRMED, end__gt=NOW).count()
    assert first.context["page"].paginator.count == upcoming
    assert rows[0]["when"] == "Tue 1 Dec 2026, 09:00–09:30"  # the soonest, in the owner's zone
    second = owner_client.get(reverse("booking:booking_list"), {"page": 2})
    assert len(second.context["rows"]) == first.context["page"].paginator.count - 25
    assert 'rel="next"' in first.content.decode()


def test_past_bookings_page_through_latest_first_without_gaps_or_repeats(owner_client, user):
    grow(user, 40)  # 40 past meetings, three hours apart: two pages
    seen = []
    for number in (1, 2):
        response = owner_client.get(reverse("booking:booking_list"), {"tab": "past", "page": number})
        seen += [row["when"] for row in response.context["rows"]]
    expected = Event.objects.filter(owner=user, status=Event.Status.CONFIRMED, end__lte=NOW).order_by("-start")
    zone = user.tzinfo
    assert len(set(seen)) == len(seen) == expected.count() == 40
    assert [when.split(",")[0] for when in seen] == [
        f"{event.start.astimezone(zone):%a} {event.start.astimezone(zone).day} {event.start.astimezone(zone):%b %Y}"
        for event in expected
    ]


def test_booking_filters_are_in_the_url_and_kept_across_tabs_and_pages(owner_client, user):
    grow(user, 30)
    demo = user.event_types.get(title="Demo")
    response = owner_client.get(reverse("booking:booking_list"), {"tab": "past", "link": demo.pk, "q": "cy@"})
    rows = response.context["rows"]
    assert rows
    assert {(row["title"], row["email"]) for row in rows} == {("Demo", "cy@example.org")}
    page = response.content.decode()
    assert f'href="?tab=upcoming&amp;link={demo.pk}&amp;q=cy%40"' in page  # switching tab keeps them
    assert f'<option value="{demo.pk}" selected>Demo</option>' in page
    nothing = owner_client.get(reverse("booking:booking_list"), {"q": "nobody-like-this"})
    assert "No bookings match." in nothing.content.decode()


def test_bad_filter_values_fall_back_instead_of_failing(owner_client, user):
    grow(user, 5)
    for params in ({"tab": "everything"}, {"link": "not-a-number"}, {"page": "9999"}, {"page": "-1"}, {"link": "0"}):
        assert owner_client.get(reverse("booking:booking_list"), params).status_code == 200


def test_polls_open_first_by_deadline_then_the_rest_with_filters(owner_client, user):
    grow(user, 30)
    response = owner_client.get(reverse("scheduling:poll_list"))
    polls = list(response.context["page"].object_list)
    assert len(polls) == 24
    assert polls[0].status == Poll.Status.OPEN
    assert [poll.deadline for poll in polls if poll.status == Poll.Status.OPEN] == sorted(
        poll.deadline for poll in polls if poll.status == Poll.Status.OPEN
    )
    closed = owner_client.get(reverse("scheduling:poll_list"), {"status": "closed"}).context["page"].object_list
    assert {poll.status for poll in closed} == {Poll.Status.CLOSED}
    found = owner_client.get(reverse("scheduling:poll_list"), {"q": "Poll 2"}).context["page"].object_list
    assert {poll.title for poll in found} == {f"Poll {n}" for n in range(30) if "2" in str(n)}  # every word


def test_the_dashboard_shows_the_next_bookings_the_latest_activity_and_polls(owner_client, user):
    grow(user, 10)
    other = UserFactory(email="someone@example.org")
    response = owner_client.get(reverse("dashboard"))
    page = response.content.decode()
    assert page.count('data-testid="upcoming-bookings"') == 1
    panel = page[page.index('data-testid="open-polls"') :]
    assert "Poll 1" in panel
    invited = page[page.index('data-testid="invited-polls"') :]
    invited = invited[: invited.index("</ul>")]
    assert invited.count("<li>") == 6
    assert other.email not in invited


def test_one_bad_filter_value_leaves_the_others_standing(owner_client, user):
    grow(user, 5)
    response = owner_client.get(reverse("booking:booking_list"), {"tab": "past", "link": "999999999999"})
    assert response.context["tab"] == "past"
