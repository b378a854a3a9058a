"""Throughput of the owner's own pages for a big account, under gunicorn (2 workers, DEBUG off,
SQLite), next to a bare Django view measured in the same run. Run on demand (``make bench``):

    .venv/bin/python -m pytest tests/benchmarks/bench_owner_pages.py -s -q

Needs wrk. The owner has 5,000 bookings (half ahead, half behind, some cancelled) on three links,
200 polls with an invitee each (and is invited to 50 of other people's), and 2,000 contacts. The
pages are requested signed in (a session cookie made in the setup).

Target (issue 22): each page >= 15% of the bare view's requests per second. The queries per page
are pinned (<= 6, constant as the account grows) in tests/test_owner_lists.py.
"""

from __future__ import annotations

import shutil
import urllib.request

import pytest

from tests.benchmarks.bench_booking_http import REPEATS, print_report, wrk
from tests.booking.test_booking_race import NoRedirect
from tests.gunicorn_server import Server

SETUP = """
from datetime import UTC, datetime, time, timedelta
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from accounts.models import Contact, User
from booking.models import EventType, Schedule
from scheduling.models import Event, Invitation, Poll
from tests.factories import bulk_booked

owner = User.objects.create_user("bigowner", "big@example.com", "x-password-123", timezone="Europe/Berlin")
schedule = Schedule.objects.create(owner=owner, name="Hours", timezone="UTC", is_default=True)
links = [
    EventType.objects.create(owner=owner, title=title, slug=title.lower(), schedule=schedule, duration=30,
                             location_kind="phone", location_detail="+1 555 0100")
    for title in ("Call", "Intro", "Review")
]
now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
starts = [now + timedelta(hours=2 * n) for n in range(-2500, 2500)]
events = Event.objects.bulk_create(
    Event(owner=owner, title="Booked", origin="booking", start=start, end=start + timedelta(minutes=30))
    for start in starts
)
for index, link in enumerate(links):
    bulk_booked(link, events[index::3], email=f"booker{index}@example.org")
Event.objects.filter(pk__in=[event.pk for event in events[::10]]).update(status="cancelled")
other = User.objects.create_user("otherowner", "other@example.com", "x-password-123")
polls = Poll.objects.bulk_create(
    Poll(owner=owner if n < 200 else other, title=f"Poll {n}", duration=60, timezone="Europe/Berlin",
         dates=[(now + timedelta(days=n % 30 + 1)).date().isoformat()], day_start=time(9), day_end=time(17),
         cell_minutes=30, deadline=now + timedelta(days=n % 30 + 1), status="open" if n % 4 else "closed")
    for n in range(250)
)
Invitation.objects.bulk_create(
    Invitation(poll=poll, name="Ina", email="big@example.com" if poll.owner_id == other.pk else f"i{n}@example.org")
    for n, poll in enumerate(polls)
)
Contact.objects.bulk_create(
    Contact(owner=owner, first_name=f"First{n}", last_name=f"Last{n}", email=f"c{n}@example.org") for n in range(2000)
)
session = import_module(settings.SESSION_ENGINE).SessionStore()
session[SESSION_KEY] = str(owner.pk)
session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
session[HASH_SESSION_KEY] = owner.get_session_auth_hash()
session.create()
print("SESSION", session.session_key)
"""


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_owner_pages_throughput_against_a_bare_view(tmp_path):
    cases = {  # name: (path, target share of the bare view)
        "bare Django view": ("/__bare__/", None),
        "dashboard": ("/dashboard/", 0.15),
        "bookings, upcoming": ("/booking-links/bookings/", 0.15),
        "bookings, past p. 40": ("/booking-links/bookings/?tab=past&page=40", 0.15),
        "polls": ("/polls/", 0.15),
        "contacts": ("/contacts/", 0.15),
        "booking links": ("/booking-links/", 0.15),
    }
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in cases}
    server = Server("sqlite", tmp_path, setup=SETUP, workers=2, threads=1, settings="tests.benchmarks.settings",
                    production=True)  # fmt: skip
    with server:
        session = next(line.split()[1] for line in server.setup_output.splitlines() if line.startswith("SESSION"))
        cookie = (f"Cookie: sessionid={session}",)
        for path, _ in cases.values():  # signed in: each page answers 200 itself, not a redirect to log in
            request = urllib.request.Request(server.url + path, headers={"Cookie": cookie[0].split(": ", 1)[1]})
            assert urllib.request.build_opener(NoRedirect).open(request).status == 200, path
        for path, _ in cases.values():  # warm up both workers
            wrk(server.url + path, cookie)
        for _ in range(REPEATS):
            for name, (path, _) in cases.items():
                runs[name].append(wrk(server.url + path, cookie))

    print_report(runs, {name: target for name, (_, target) in cases.items()})
