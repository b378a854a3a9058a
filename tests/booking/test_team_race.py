"""Many people book the same time on a team link at the same moment, against a real gunicorn
server with several worker processes and a real database (SQLite file, and PostgreSQL when one
answers on 127.0.0.1), as tests/booking/test_booking_race.py does for personal links.

A round-robin link takes one booking per free host; a collective one takes one booking, with
every host in it; a host is never in two meetings at once, even when their personal link is
booked for the same time in the same moment. Everyone else gets the friendly 409 page, nobody a
server error, and the locks on several hosts never deadlock.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import pytest

from tests.gunicorn_server import Server, postgres_available

BOOKERS = 24
TAKEN = "That time was just taken. Please pick another time."

# Every host in UTC, free all week 00:00-23:30 but "dan", who starts at noon. Every scenario's
# links in one team ("crew"), each with hosts of its own:
#   both:       round-robin, ana and ben (both free at 10:00)
#   one:        round-robin, cal and dan (only cal free at 10:00)
#   collective: collective, eve, fay and gus; and fay's personal link /fay/solo/.
SETUP = """
from datetime import time
from accounts.models import Membership, Team, User
from booking.models import EventType, Schedule, TeamHost

def host(username, start=time(0)):
    user = User.objects.create_user(username, f"{username}@example.com", "x-password-123", timezone="UTC",
                                    name=username.title())
    schedule = Schedule.objects.create(owner=user, name="All week", timezone="UTC", is_default=True)
    for day in range(7):
        schedule.weekly_hours.create(weekday=day, start=start, end=time(23, 30))
    return user, schedule

team = Team.objects.create(name="Crew", slug="crew")
people = {name: host(name, start=time(12) if name == "dan" else time(0))
          for name in ("ana", "ben", "cal", "dan", "eve", "fay", "gus")}
for index, (user, _) in enumerate(people.values()):
    Membership.objects.create(team=team, user=user, role="owner" if index == 0 else "member")

def team_link(slug, hosting, names):
    first, schedule = people[names[0]]
    event_type = EventType.objects.create(
        owner=first, team=team, hosting=hosting, title=slug.title(), slug=slug, schedule=schedule, duration=30,
        minimum_notice=0, location_kind="phone", location_detail="+1 555 0100")
    for name in names:
        TeamHost.objects.create(event_type=event_type, user=people[name][0])

team_link("both", "round_robin", ["ana", "ben"])
team_link("one", "round_robin", ["cal", "dan"])
team_link("collective", "collective", ["eve", "fay", "gus"])
fay, fay_schedule = people["fay"]
EventType.objects.create(owner=fay, title="Solo", slug="solo", schedule=fay_schedule, duration=30, minimum_notice=0,
                         location_kind="phone", location_detail="+1 555 0100")
"""

# What the race left: every link's confirmed bookings with who hosts each meeting, and for each
# host how many confirmed meetings they are in (owned or co-hosted) at each time; one JSON line.
REPORT = """
import json
from datetime import datetime
from django.db.models import Q
from accounts.models import User
from booking.models import Booking
from scheduling.models import Event
bookings = {{}}
found = Booking.objects.filter(event__status="confirmed").select_related("event__owner", "event_type")
for booking in found.order_by("id"):
    bookings.setdefault(booking.event_type.slug, []).append({{
        "start": booking.event.start.isoformat(), "owner": booking.event.owner.username,
        "cohosts": sorted(a.host.username for a in booking.event.attendees.all() if a.host_id is not None),
    }})
meetings = {{
    start: {{
        user.username: Event.objects.filter(Q(owner=user) | Q(attendees__host=user),
                                            start=datetime.fromisoformat(start), status="confirmed")
        .distinct().count()
        for user in User.objects.filter(username__in={names!r})
    }}
    for start in {starts!r}
}}
print(json.dumps({{"bookings": bookings, "meetings": meetings}}))
"""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _slot(hour: int = 10) -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=2)
    return datetime.combine(day, datetime.min.time().replace(hour=hour), tzinfo=UTC)


class Answer(NamedTuple):
    path: str  # the link booked
    status: int  # 0: no answer came (a worker hung or died)
    page: str
    seconds: float  # from the submit to the answer


def _race(server: Server, paths: list[str], start: datetime, delays: list[float] | None = None) -> list[Answer]:
    """Booker ``i`` loads the form at ``paths[i]`` for ``start``, then all submit at once (booker
    ``i`` ``delays[i]`` seconds after the others if given). Returns each one's answer, in the
    order of ``paths``."""
    barrier = threading.Barrier(len(paths))
    answers: list[Answer | None] = [None] * len(paths)

    def book(index: int) -> None:
        query = urllib.parse.urlencode({"start": start.isoformat(), "tz": "UTC"})
        url = f"{server.url}{paths[index]}book/?{query}"
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        try:
            page = opener.open(url, timeout=30).read().decode()
        except urllib.error.HTTPError as error:
            answers[index] = Answer(paths[index], -error.code, "", 0)  # the form did not load: a failed setup
            barrier.abort()
            return
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "name": f"Booker {index}", "email": f"booker{index}@example.org"}
        ).encode()
        request = urllib.request.Request(url, data=data, headers={"Referer": url})
        barrier.wait()
        if delays:
            time.sleep(delays[index])
        began = time.monotonic()
        try:
            response = opener.open(request, timeout=60)
            status, page = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, page = error.code, error.read().decode()
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            status, page = 0, repr(error)
        answers[index] = Answer(paths[index], status, page, time.monotonic() - began)

    threads = [threading.Thread(target=book, args=(index,)) for index in range(len(paths))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a booker never got an answer: a deadlock?"
    assert None not in answers
    return answers


def _statuses(answers: list[Answer]) -> Counter:
    return Counter(answer.status for answer in answers)


def _summary(label: str, engine: str, answers: list[Answer], booked) -> None:
    counted = ", ".join(f"{status}: {count}" for status, count in sorted(_statuses(answers).items()))
    slowest = max(answer.seconds for answer in answers)
    print(f"\n[team race] {label} on {engine}: {counted}; slowest answer {slowest:.2f}s; booked {booked}")


def _check_answers(answers: list[Answer], winners: int) -> None:
    """``winners`` booked, everyone else was told the time was just taken; no server error."""
    statuses = _statuses(answers)
    assert len(answers) == BOOKERS
    assert not [status for status in statuses if status >= 500 or status <= 0], statuses
    assert statuses[302] == winners, statuses
    assert statuses[409] == BOOKERS - winners, statuses
    for answer in answers:
        if answer.status == 409:
            assert TAKEN in answer.page, answer.page


def _report(server: Server, starts: list[datetime], names: list[str]) -> dict:
    script = REPORT.format(starts=[start.isoformat() for start in starts], names=names)
    return json.loads(server.manage("shell", "-c", script).strip().splitlines()[-1])


ENGINES = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not postgres_available(), reason="no PostgreSQL on 127.0.0.1")),
]


@pytest.mark.race
@pytest.mark.parametrize("engine", ENGINES)
def test_a_round_robin_slot_takes_one_booking_per_free_host(engine, tmp_path):
    start = _slot()
    with Server(engine, tmp_path, setup=SETUP) as server:
        answers = _race(server, ["/team/crew/both/"] * BOOKERS, start)
        report = _report(server, [start], ["ana", "ben"])
    booked = report["bookings"].get("both", [])
    _summary("round-robin, 2 hosts free", engine, answers, [b["owner"] for b in booked])
    _check_answers(answers, winners=2)
    assert len(booked) == 2, booked
    assert {b["owner"] for b in booked} == {"ana", "ben"}, booked  # one meeting each
    assert all(b["start"] == start.isoformat() and b["cohosts"] == [] for b in booked), booked
    assert report["meetings"][start.isoformat()] == {"ana": 1, "ben": 1}


@pytest.mark.race
@pytest.mark.parametrize("engine", ENGINES)
def test_a_round_robin_slot_with_one_free_host_takes_one_booking(engine, tmp_path):
    start = _slot()
    with Server(engine, tmp_path, setup=SETUP) as server:
        answers = _race(server, ["/team/crew/one/"] * BOOKERS, start)
        report = _report(server, [start], ["cal", "dan"])
    booked = report["bookings"].get("one", [])
    _summary("round-robin, 1 of 2 hosts free", engine, answers, [b["owner"] for b in booked])
    _check_answers(answers, winners=1)
    assert [(b["owner"], b["start"]) for b in booked] == [("cal", start.isoformat())], booked
    assert report["meetings"][start.isoformat()] == {"cal": 1, "dan": 0}


@pytest.mark.race
@pytest.mark.parametrize("engine", ENGINES)
def test_a_collective_slot_takes_one_booking_and_never_double_books_a_host(engine, tmp_path):
    """Three races on one server: everyone on the collective link at 10:00; then, at 11:00 and
    at noon, two bookers in three on the collective link and one in three on fay's personal
    link, fay being in both (a co-host of the collective meeting, not its organiser: the host
    locks taken in id order serialize the two, and on PostgreSQL scheduling_host_time's exclusion
    constraint stands behind them). Whichever link wins, fay is in exactly one meeting."""
    ten, eleven, noon = _slot(10), _slot(11), _slot(12)
    collective, solo = "/team/crew/collective/", "/fay/solo/"
    with Server(engine, tmp_path, setup=SETUP) as server:
        first = _race(server, [collective] * BOOKERS, ten)
        mixed_paths = [solo if index % 3 == 2 else collective for index in range(BOOKERS)]
        mixed = _race(server, mixed_paths, eleven)
        # The personal link's requests are quicker and win the race above; here they come in
        # staggered over the first 0.3s, while the collective booking is under way.
        stagger = [0.04 * (index // 3) if path == solo else 0 for index, path in enumerate(mixed_paths)]
        late = _race(server, mixed_paths, noon, delays=stagger)
        report = _report(server, [ten, eleven, noon], ["eve", "fay", "gus"])
    team_booked = report["bookings"].get("collective", [])
    solo_booked = report["bookings"].get("solo", [])

    at_ten = [b for b in team_booked if b["start"] == ten.isoformat()]
    _summary("collective, 3 hosts", engine, first, [(b["owner"], b["cohosts"]) for b in at_ten])
    _check_answers(first, winners=1)
    assert at_ten == [{"start": ten.isoformat(), "owner": "eve", "cohosts": ["fay", "gus"]}], team_booked
    assert report["meetings"][ten.isoformat()] == {"eve": 1, "fay": 1, "gus": 1}

    for when, answers in ((eleven, mixed), (noon, late)):
        team_then = [b for b in team_booked if b["start"] == when.isoformat()]
        solo_then = [b for b in solo_booked if b["start"] == when.isoformat()]
        won_on = [answer.path for answer in answers if answer.status == 302]
        label = (
            f"collective ({mixed_paths.count(collective)}) vs fay's solo ({mixed_paths.count(solo)}) at {when:%H:%M}"
        )
        _summary(label, engine, answers, {"collective": len(team_then), "solo": len(solo_then)})
        _check_answers(answers, winners=1)
        assert len(team_then) + len(solo_then) == 1, (team_booked, solo_booked)
        meetings = report["meetings"][when.isoformat()]
        assert meetings["fay"] == 1, meetings  # fay is in exactly one meeting
        if won_on == [collective]:
            assert team_then == [{"start": when.isoformat(), "owner": "eve", "cohosts": ["fay", "gus"]}]
            assert meetings == {"eve": 1, "fay": 1, "gus": 1}
        else:
            assert won_on == [solo]
            assert [b["owner"] for b in solo_then] == ["fay"], solo_booked
            assert meetings == {"eve": 0, "fay": 1, "gus": 0}
