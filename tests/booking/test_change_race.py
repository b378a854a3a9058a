"""A booker's cancel and reschedule of the same booking, sent at the same moment from several
browsers (two tabs each way), against gunicorn with several worker processes, on SQLite and on
PostgreSQL: each round exactly one change wins, every other one is told "this booking was just
changed" (409) and did nothing, and nobody gets a server error.

Each page carries the version of the booking it showed (``seen``): a change sent from a page
that no longer matches (the booking moved or was cancelled meanwhile) is refused under the same
lock that serialises the changes (booking/book.py).
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import datetime, timedelta

import pytest

from tests.booking.test_booking_race import ENGINES, NoRedirect
from tests.gunicorn_server import Server

ROUNDS = 20

SETUP = """
from datetime import UTC, datetime, time, timedelta
from accounts.models import User
from booking.book import Booker, book_slot
from booking.models import EventType, Schedule
host = User.objects.create_user("racehost", "host@example.com", "x-password-123", timezone="UTC")
schedule = Schedule.objects.create(owner=host, name="All week", timezone="UTC", is_default=True)
for day in range(7):
    schedule.weekly_hours.create(weekday=day, start=time(0), end=time(23, 30))
link = EventType.objects.create(owner=host, title="Solo", slug="solo", schedule=schedule, duration=30,
                                minimum_notice=0, location_kind="phone", location_detail="+1 555 0100")
first = datetime.combine(datetime.now(UTC).date() + timedelta(days=2), time(1), tzinfo=UTC)
for index in range({rounds}):
    book_slot(event_type=link, start=first + timedelta(hours=index),
              booker=Booker(name=f"Booker {{index}}", email=f"b{{index}}@example.org", timezone="UTC"))
"""

STATE = """
import json
from booking.models import Booking
print(json.dumps([[b.token, b.is_cancelled, b.event.start.isoformat()] for b in Booking.objects.order_by("pk")]))
"""


def _opener():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)


def _form(opener, url: str) -> dict[str, str]:
    page = opener.open(url, timeout=30).read().decode()
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|seen)" value="([^"]+)"', page))
    assert set(fields) == {"csrfmiddlewaretoken", "seen"}, url
    return fields


def _round(server: Server, token: str, start: str) -> list[tuple[str, int]]:
    """Two cancels and two reschedules (to two other free times) at once: (what, status) each."""
    base = f"{server.url}/booking/{token}"
    at = datetime.fromisoformat(start)
    targets = [(at + timedelta(days=1, minutes=30 * index)).isoformat() for index in (1, 2)]
    contenders = [("cancel", None), ("cancel", None), ("reschedule", targets[0]), ("reschedule", targets[1])]
    prepared = []
    for what, target in contenders:
        opener = _opener()
        if what == "cancel":
            url = f"{base}/cancel/"
            fields = _form(opener, url)
            data = {**fields, "reason": "Racing"}
        else:
            url = f"{base}/reschedule/"
            # The slot buttons of the reschedule page carry the form; any one gives the tokens.
            page_url = f"{url}?" + urllib.parse.urlencode({"tz": "UTC", "date": target[:10]})
            fields = _form(opener, page_url)
            data = {**fields, "start": target}
        prepared.append((what, opener, url, urllib.parse.urlencode(data).encode()))
    barrier = threading.Barrier(len(prepared))
    results: list[tuple[str, int]] = []

    def send(what, opener, url, data):
        request = urllib.request.Request(url, data=data, headers={"Referer": url})
        barrier.wait()
        try:
            results.append((what, opener.open(request, timeout=60).status))
        except urllib.error.HTTPError as error:
            results.append((what, error.code))

    threads = [threading.Thread(target=send, args=item) for item in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.race
@pytest.mark.parametrize("engine", ENGINES)
def test_cancel_and_reschedule_racing_each_round_one_wins_the_rest_get_409(engine, tmp_path):
    with Server(engine, tmp_path, setup=SETUP.format(rounds=ROUNDS)) as server:
        before = json.loads(server.manage("shell", "-v", "0", "-c", STATE))
        rounds = [_round(server, token, start) for token, _, start in before]
        after = json.loads(server.manage("shell", "-v", "0", "-c", STATE))
    statuses = Counter(status for results in rounds for _, status in results)
    print(f"{engine}: {ROUNDS} rounds, statuses {dict(statuses)}, "
          f"winners {dict(Counter(what for results in rounds for what, s in results if s == 302))}")  # fmt: skip
    assert not [status for status in statuses if status >= 500]
    for results, (_, cancelled, start), (_, now_cancelled, now_start) in zip(rounds, before, after, strict=True):
        assert not cancelled
        winners = [what for what, status in results if status == 302]
        assert len(winners) == 1, results
        assert sorted(status for _, status in results) == [302, 409, 409, 409], results
        if winners[0] == "cancel":
            assert (now_cancelled, now_start) == (True, start)  # cancelled where it was, never moved
        else:
            assert not now_cancelled  # moved once, and not cancelled after
            assert now_start != start
