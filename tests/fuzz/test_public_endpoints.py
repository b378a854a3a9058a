"""Every public endpoint, driven with generated hostile input (huge and empty strings, control
characters, extreme and impossible dates, unknown timezones, out-of-range numbers, wrong methods,
missing fields, JSON and garbage bodies): the answer is never a 5xx, and no row changes unless
the request was a write the app accepted.

Bounded (``EXAMPLES`` per endpoint) so that it runs in CI on both engines; ``FUZZ_EXAMPLES=500``
digs deeper. The number of requests sent per endpoint is printed at the end (``-s``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.cache import caches
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.book import Booker, book_slot
from scheduling import participants
from scheduling.events import save_event
from scheduling.models import CalendarFeed, Event
from tests.factories import EventTypeFactory, InvitationFactory, PollFactory, ScheduleFactory, UserFactory

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
SENT: Counter[str] = Counter()

EXTREME_MOMENTS = [
    "9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00", "9999-12-31", "0001-01-01", "0000-00-00",
    "2026-02-30", "2026-13-01", "2026-12-08T10:00:00+14:00", "2026-12-08T10:00:00-12:00", "2026-12-08T10:00",
    "2026-12-08T09:00:00Z", "2027-03-28T02:30", "2027-10-31T02:30", "1970-01-01T00:00:00+00:00", "9999-12",
    "0001-01", "2026-W50", "-1", "nan", "inf", "1e309", "99999999999999999999999", "0", "",
]  # fmt: skip
ZONES = ["UTC", "Europe/Berlin", "Mars/Olympus", "../../etc/passwd", "America/New_York\x00", "utc", "+05:00"]
HOSTILE = [
    "", " ", "\x00", "\r\n", "\u2028", "\x0b", "a" * 100_000, "<script>alert(1)</script>", "'; DROP TABLE x; --",
    "{{ 7*7 }}", "%00", "%", "\\", "😀" * 1000, "a@b", "bea@example.org", "x" * 300 + "@example.org",
    '{"cells": {"20261208T0900": 3}}', '{"cells": {"99991231T2359": 3}}', '{"cells": []}', "null", "[]", "{}",
    "true", "-99999999999", "3", "4", "-1",
]  # fmt: skip
PARAMS = [
    "start", "date", "month", "tz", "duration", "clock", "week", "embed", "new", "name", "email", "guests", "notes",
    "answer_0", "answer_1", "reason", "response", "propose_start", "note", "payload", "cells", "level", "comment",
    "text", "choice", "view", "scope", "occurrence", "login", "password", "password1", "password2", "username",
    "remember", "confirmation", "people", "answers", "undo", "page", "q", "format", "seats", "recurring", "cell",
    "next", "timezone",
]  # fmt: skip

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
value = st.one_of(st.sampled_from(EXTREME_MOMENTS), st.sampled_from(HOSTILE), st.sampled_from(EXTREME_MOMENTS),
                  st.sampled_from(ZONES), text, st.integers(-(2**70), 2**70).map(str))  # fmt: skip
methods = st.sampled_from(["GET", "GET", "POST", "POST", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"])
bodies = st.one_of(
    st.just(("form", None)),
    st.tuples(st.just("json"), st.recursive(st.none() | st.booleans() | st.integers() | text,
                                           lambda inner: st.lists(inner, max_size=4)
                                           | st.dictionaries(text, inner, max_size=4), max_leaves=12)),
    st.tuples(st.just("raw"), st.binary(max_size=200)),
)  # fmt: skip


@pytest.fixture
def world(db, settings):
    """A host with links, a booking, a poll with an invitee, a meeting with an attendee: every
    token a public URL needs. Rate limits raised, so that the fuzzer reaches the forms."""
    settings.BOOKING_SUBMISSIONS_PER_HOUR = 1_000_000
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        host = UserFactory(username="hanna", email="hanna@example.com", timezone="Europe/Berlin")
        schedule = ScheduleFactory(owner=host, is_default=True, hours=[(day, time(8), time(18)) for day in range(7)])
        link = EventTypeFactory(owner=host, slug="intro", schedule=schedule, allow_recurring=True, max_occurrences=4,
                                questions=[{"label": "Company", "kind": "short", "required": True}])  # fmt: skip
        EventTypeFactory(owner=host, slug="workshop", schedule=schedule, kind="group", seats=3)
        start = datetime(2026, 12, 8, 9, tzinfo=UTC)
        [booking] = book_slot(event_type=link, start=start, booker=Booker(name="Bea", email="bea@example.org",
                              timezone="UTC", answers=[{"question": "Company", "answer": "Acme"}]))  # fmt: skip
        poll = PollFactory(owner=host)
        invitation = InvitationFactory(poll=poll, email="ina@example.org")
        participants.share(poll, enabled=True)
        later = start + timedelta(days=1)
        review = Event(
            owner=host, title="Review", start=later, end=later + timedelta(hours=1), timezone="Europe/Berlin"
        )
        meeting = save_event(event=review, attendees=[("Ana", "ana@example.org")])
    return {
        "booking": booking.token, "invitation": invitation.token, "rsvp": meeting.attendees.get().token,
        "feed": CalendarFeed.objects.create(owner=host).token,
        "share": poll.share_token,
    }  # fmt: skip


PAGE = ["tz", "date", "month", "duration", "clock", "week", "embed"]
BOOK = [*PAGE, "start", "name", "email", "guests", "notes", "answer_0", "recurring", "seats"]
# Each endpoint with the parameters it reads: the fuzzer mostly sends those, with hostile values.
ENDPOINTS = {
    "/hanna/": ["embed", "tz", "clock"],
    "/hanna/intro/": PAGE,
    "/hanna/intro/book/": BOOK,
    "/hanna/workshop/book/": BOOK,
    "/hanna/nobody/": PAGE,
    "/booking/{booking}/": ["new", "tz", "clock"],
    "/booking/{booking}/meeting.ics": [],
    "/booking/{booking}/cancel/": ["reason"],
    "/booking/{booking}/reschedule/": [*PAGE, "start"],
    "/booking/not-a-token/cancel/": ["reason"],
    "/p/{invitation}/": ["tz", "clock", "week"],
    "/p/{invitation}/availability/": ["payload", "cells"],
    "/p/{invitation}/decline/": ["note", "tz"],
    "/p/{invitation}/undo-decline/": ["tz"],
    "/p/{invitation}/comments/": ["text", "comment"],
    "/p/{invitation}/who/": ["cell", "tz"],
    "/p/{invitation}/options/": ["answers", "choice", "level"],
    "/p/join/{share}/": ["name", "email"],
    "/rsvp/{rsvp}/": ["response", "propose_start", "note", "clock"],
    "/calendar/feed/{feed}.ics": [],
    "/team/nobody/": ["embed"],
    "/team/nobody/intro/book/": BOOK,
    "/accounts/signup/": ["username", "email", "password1", "password2", "name", "timezone"],
    "/accounts/login/": ["login", "password", "remember", "next"],
    "/accounts/password/reset/": ["email"],
    "/healthz": [],
}


def params_for(known: list[str]):
    """Mostly the endpoint's own parameters, sometimes any other, with hostile values."""
    keys = st.sampled_from(known) if known else st.sampled_from(PARAMS)
    keys = st.one_of(keys, keys, keys, st.sampled_from(PARAMS), text.filter(bool))
    return st.dictionaries(keys, value | st.lists(value, max_size=3), max_size=8)


def _fingerprint() -> dict[str, str]:
    """A checksum of every row of every model of ours (and allauth's users)."""
    found = {}
    for model in apps.get_models():
        if model._meta.app_label not in {"accounts", "booking", "scheduling", "account"}:
            continue
        rows = list(model.objects.order_by("pk").values_list())
        found[model._meta.label] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return found


def _send(client, method: str, url: str, query: dict, body) -> int:
    kind, payload = body
    if method in {"GET", "HEAD", "OPTIONS", "DELETE"}:
        return getattr(client, method.lower())(url, query).status_code
    call = getattr(client, method.lower())
    if kind == "json":
        return call(url, json.dumps(payload), content_type="application/json").status_code
    if kind == "raw":
        return call(url, payload, content_type="application/octet-stream").status_code
    if method == "POST":
        return client.post(url, query).status_code
    return call(url, json.dumps(query), content_type="application/x-www-form-urlencoded").status_code


@pytest.mark.parametrize("template", ENDPOINTS)
def test_no_hostile_request_gets_a_5xx_or_changes_what_it_should_not(client, world, template):
    url = template.format(**world)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
    @given(method=methods, query=params_for(ENDPOINTS[template]), body=bodies)
    def hostile(method, query, body):
        caches["default"].clear()
        caches["versions"].clear()
        before = _fingerprint()
        with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
            status = _send(client, method, url, query, body)
        SENT[template] += 1
        assert status < 500, f"{method} {url} {query!r} {body!r} -> {status}"
        if method in {"GET", "HEAD", "OPTIONS"} or status >= 400:
            assert _fingerprint() == before, f"{method} {url} {query!r} -> {status} changed rows"

    hostile()


def test_zz_report_requests_sent():
    """Printed with ``-s``: how many requests each endpoint received."""
    for template, count in sorted(SENT.items()):
        print(f"fuzz: {count:5d} requests  {template}")
