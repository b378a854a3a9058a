"""What a team link's public pages cost next to a single host's: a round-robin link over 10 hosts
and a collective link over 5, beside one host's personal link and a bare Django view, measured in
one run. Run on demand (``make bench``; about three minutes):

    .venv/bin/python -m pytest tests/benchmarks/bench_team_pages.py -s -q

The team: 10 hosts in Berlin, London, Kolkata, New York and Los Angeles, each working Monday to
Friday, 09:00–17:00 on their own clock (their default schedule), no calendar connected. Each host
has 1,000 confirmed booked meetings spread over the past and the next 60 days, mostly on working
days, about 60% inside their hours and the rest around them (07:00–09:00, 17:00–21:00), 30 to 90
minutes long: 10% booked through the round-robin link, 5% collective meetings owned by the first
host with the other four collective hosts as co-hosts (Attendee rows with ``host``), the rest
through their own link. Every link has a 60-day rolling window. The collective hosts (Berlin,
London, Kolkata) share 09:00–11:30 UTC in winter; the round-robin pool covers most of the day.
The single-host case is the personal link of the first host (Berlin), with the same meetings.

Pages: the booking page ``?tz=UTC&month=YYYY-MM`` and its day-slots partial (the same URL with
``&date=``, asked as htmx does: ``HX-Request: true``, ``HX-Target: day-slots``), of the month
two weeks ahead, a weekday at least three days ahead picked.

- Throughput, through gunicorn (2 workers, DEBUG off, SQLite; needs wrk): repeated identical
  requests, so the cached page (booking/page.py), what repeat visitors get. Each case three times,
  interleaved; medians of req/s, p50 and p99.
- In-process median ms through the full middleware stack: the cached page, and a cold
  computation (both caches, "local" and "default", cleared before each request: the link, its
  hosts, their versions and the free times are all read and computed again).
- SQL queries of each page, cold and cached, asserted unchanged when every host's meetings double
  (1,000 -> 2,000): they grow with neither the hosts' meetings nor their bookings.

Target (the team links issue): a 10-host round-robin page costs at most 3x a single host's page,
compared on the in-process cold medians of the full booking page (cached pages cost about the
same whatever the link).
"""

from __future__ import annotations

import random
import shutil
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import caches
from django.core.handlers.base import BaseHandler
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, Team, User
from booking import availability, links
from booking.models import EventType, Schedule, TeamHost, WeeklyHours
from scheduling.models import Attendee, Event
from tests.benchmarks.bench_booking_http import wrk
from tests.booking.pages import offered_times
from tests.factories import bulk_booked
from tests.gunicorn_server import Server

TEAM = "bench-team"
# The first five host the collective link: Berlin, London and Kolkata overlap 09:00–11:30 UTC in winter.
ZONES = (
    "Europe/Berlin", "Europe/London", "Asia/Kolkata", "Europe/Berlin", "Europe/London",
    "America/New_York", "Asia/Kolkata", "America/New_York", "Europe/Berlin", "America/Los_Angeles",
)  # fmt: skip
COLLECTIVE_HOSTS = 5
MEETINGS = 1_000  # per host
HORIZON = 60  # days, before and after now
REPEATS = 3  # wrk runs per case, interleaved
ROUNDS = 3  # in-process rounds, interleaved
CACHED_RUNS = 30  # per case and round
COLD_RUNS = 10  # per case and round
MAX_RATIO = 3.0
PARTIAL = ("HX-Request: true", "HX-Target: day-slots")

SETUP = "from tests.benchmarks.bench_team_pages import build\nbuild()\n"


# --- The data -------------------------------------------------------------------------------------


def build(meetings: int = MEETINGS) -> None:
    """The team, its hosts with their hours and personal links, both team links, and ``meetings``
    booked meetings per host (run in-process, and in ``manage.py shell`` for the server)."""
    team = Team.objects.create(name="Bench team", slug=TEAM)
    hosts = []
    for number, zone in enumerate(ZONES):
        user = User.objects.create_user(
            f"host{number}", f"host{number}@example.com", name=f"Host {number}", timezone=zone
        )
        role = Membership.Role.OWNER if number == 0 else Membership.Role.MEMBER
        Membership.objects.create(team=team, user=user, role=role)
        schedule = Schedule.objects.create(owner=user, name="Working hours", timezone=zone, is_default=True)
        WeeklyHours.objects.bulk_create(
            WeeklyHours(schedule=schedule, weekday=day, start=clock(9), end=clock(17)) for day in range(5)
        )
        EventType.objects.create(
            owner=user, title="Call", slug="call", schedule=schedule, rolling_days=HORIZON,
            location_detail="https://meet.example.com/room",
        )  # fmt: skip
        hosts.append(user)
    schedule = Schedule.objects.get(owner=hosts[0], is_default=True)
    for slug, hosting, members in (
        ("demo", EventType.Hosting.ROUND_ROBIN, hosts),
        ("panel", EventType.Hosting.COLLECTIVE, hosts[:COLLECTIVE_HOSTS]),
    ):
        event_type = EventType.objects.create(
            owner=hosts[0], team=team, hosting=hosting, title=slug.title(), slug=slug, schedule=schedule,
            rolling_days=HORIZON, location_detail="https://meet.example.com/team",
        )  # fmt: skip
        TeamHost.objects.bulk_create(TeamHost(event_type=event_type, user=user) for user in members)
    add_meetings(meetings, seed=1)


def _meeting(host: User, rng: random.Random, today: date, title: str = "Booked call") -> Event:
    zone = ZoneInfo(host.timezone)
    day = today + timedelta(days=rng.randrange(-HORIZON, HORIZON))
    while day.weekday() >= 5 and rng.random() < 0.9:  # mostly on working days
        day = today + timedelta(days=rng.randrange(-HORIZON, HORIZON))
    if rng.random() < 0.6:  # inside their hours, 09:00–16:15
        quarter = rng.randrange(9 * 4, 16 * 4 + 2)
    else:  # around them, 07:00–08:45 and 17:00–20:45
        quarter = rng.choice([*range(7 * 4, 9 * 4), *range(17 * 4, 21 * 4)])
    start = datetime.combine(day, clock(quarter // 4, 15 * (quarter % 4)), tzinfo=zone).astimezone(UTC)
    minutes = rng.choice((30, 30, 30, 45, 60, 60, 90))
    return Event(
        owner=host, title=title, origin=Event.Origin.BOOKING, status=Event.Status.CONFIRMED, start=start,
        end=start + timedelta(minutes=minutes), timezone=host.timezone,
    )  # fmt: skip


def add_meetings(per_host: int, *, seed: int) -> None:
    """``per_host`` more booked meetings for every host of the team (see the module docstring)."""
    team = Team.objects.get(slug=TEAM)
    hosts = list(User.objects.filter(memberships__team=team).order_by("pk"))
    round_robin = EventType.objects.get(team=team, slug="demo")
    collective = EventType.objects.get(team=team, slug="panel")
    rng = random.Random(seed)
    today = datetime.now(UTC).date()
    shared = per_host // 20  # collective meetings: owned by the first host, co-hosted by the next four
    panel = Event.objects.bulk_create(_meeting(hosts[0], rng, today, "Panel") for _ in range(shared))
    Attendee.objects.bulk_create(
        Attendee(event=event, name=host.name, email=host.email, status=Attendee.Status.ACCEPTED, host=host)
        for event in panel
        for host in hosts[1:COLLECTIVE_HOSTS]
    )
    bulk_booked(collective, panel)
    for number, host in enumerate(hosts):
        own = per_host - (shared if number < COLLECTIVE_HOSTS else 0)
        events = Event.objects.bulk_create(_meeting(host, rng, today) for _ in range(own))
        via_team = len(events) // 10
        bulk_booked(round_robin, events[:via_team])
        bulk_booked(EventType.objects.get(owner=host, team__isnull=True, slug="call"), events[via_team:])


def shown(now: datetime) -> tuple[date, date]:
    """The month shown (two weeks ahead: most of it inside the window) and the day picked."""
    today = now.date()
    month = (today + timedelta(days=14)).replace(day=1)
    day = max(today + timedelta(days=3), month)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return month, day


# --- In-process timing ----------------------------------------------------------------------------


def clear_caches() -> None:
    caches["local"].clear()
    caches["default"].clear()
    caches["versions"].clear()


def server():
    """Serve anonymous GETs through Django's full middleware stack, as the WSGI handler does
    (without the test client's per-template bookkeeping)."""
    handler = BaseHandler()
    handler.load_middleware()
    factory = RequestFactory()

    def serve(path: str, headers: tuple[str, ...] = ()):
        request = factory.get(path, headers=dict(header.split(": ", 1) for header in headers))
        response = handler.get_response(request)
        assert response.status_code == 200, (path, response.status_code)
        return response

    return serve


def timings(function, runs: int, *, cold: bool) -> list[float]:
    found = []
    for _ in range(runs):
        if cold:
            clear_caches()
        started = time.perf_counter()
        function()
        found.append((time.perf_counter() - started) * 1000)
    return found


def queries(serve, path: str, headers: tuple[str, ...], *, cold: bool) -> int:
    if cold:
        clear_caches()
    else:
        serve(path, headers)
    with CaptureQueriesContext(connection) as captured:
        serve(path, headers)
    return len(captured)


def free_times(event_type: EventType, month: date, now: datetime) -> int:
    """How many start times the link offers in the month shown (UTC months; for the printout)."""
    link = links.from_event_type(links.fresh(event_type.pk))
    start = datetime.combine(month, clock(), tzinfo=UTC)
    end = datetime.combine((month + timedelta(days=32)).replace(day=1), clock(), tzinfo=UTC)
    return len(availability.free_slots(link, start=start, end=end, now=now))


# --- The benchmark --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_team_pages_against_a_single_host_and_a_bare_view(settings, tmp_path):
    settings.ROOT_URLCONF = "tests.benchmarks.urls"
    began = time.perf_counter()
    now = datetime.now(UTC)
    month, day = shown(now)
    page = f"?tz=UTC&month={month:%Y-%m}"
    partial = f"{page}&date={day.isoformat()}"
    cases = {  # name: (path, headers)
        "bare Django view": ("/__bare__/", ()),
        "single host: page": (f"/host0/call/{page}", ()),
        "single host: partial": (f"/host0/call/{partial}", PARTIAL),
        "round-robin 10: page": (f"/team/{TEAM}/demo/{page}", ()),
        "round-robin 10: partial": (f"/team/{TEAM}/demo/{partial}", PARTIAL),
        "collective 5: page": (f"/team/{TEAM}/panel/{page}", ()),
        "collective 5: partial": (f"/team/{TEAM}/panel/{partial}", PARTIAL),
    }

    # Throughput through gunicorn: the cached pages, as repeated visitors get them.
    throughput: dict[str, tuple[float, float, float] | None] = dict.fromkeys(cases)
    if shutil.which("wrk") is not None:
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in cases}
        with Server("sqlite", tmp_path, setup=SETUP, workers=2, threads=1, settings="tests.benchmarks.settings",
                    production=True) as running:  # fmt: skip
            for path, headers in cases.values():  # warm up both workers and their caches
                wrk(running.url + path, headers)
            for _ in range(REPEATS):
                for name, (path, headers) in cases.items():
                    runs[name].append(wrk(running.url + path, headers))
        throughput = {
            name: tuple(statistics.median(run[i] for run in found) for i in range(3)) for name, found in runs.items()
        }
    built = time.perf_counter()

    # In-process: the same data in the test database.
    build()
    serve = server()
    for name, (path, headers) in cases.items():  # the pages answer; a partial is the part alone
        html = serve(path, headers).content.decode()
        assert name == "bare Django view" or ("<html" in html) != name.endswith("partial"), name
    cached: dict[str, list[float]] = {name: [] for name in cases}
    cold: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(ROUNDS):
        for name, (path, headers) in cases.items():
            cached[name] += timings(lambda p=path, h=headers: serve(p, h), CACHED_RUNS, cold=False)
            cold[name] += timings(lambda p=path, h=headers: serve(p, h), COLD_RUNS, cold=True)
    counts = {name: (queries(serve, path, headers, cold=False), queries(serve, path, headers, cold=True))
              for name, (path, headers) in cases.items()}  # fmt: skip
    team = Team.objects.get(slug=TEAM)
    link_of = {
        "single host": EventType.objects.get(owner__username="host0", slug="call", team__isnull=True),
        "round-robin 10": EventType.objects.get(team=team, slug="demo"),
        "collective 5": EventType.objects.get(team=team, slug="panel"),
    }
    offered = {label: free_times(event_type, month, now) for label, event_type in link_of.items()}
    on_day = {
        label: len(offered_times(serve(f"{event_type.get_absolute_url()}{partial}", PARTIAL)))
        for label, event_type in link_of.items()
    }

    # Every host's meetings doubled: the same queries, and what the cold pages cost then.
    add_meetings(MEETINGS, seed=2)
    clear_caches()
    doubled_counts = {name: (queries(serve, path, headers, cold=False), queries(serve, path, headers, cold=True))
                      for name, (path, headers) in cases.items()}  # fmt: skip
    cold_doubled: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(ROUNDS):
        for name, (path, headers) in cases.items():
            cold_doubled[name] += timings(lambda p=path, h=headers: serve(p, h), COLD_RUNS, cold=True)
    events = Event.objects.filter(owner__memberships__team=team).count()

    # The table.
    median = {name: statistics.median(found) for name, found in cached.items()}
    median_cold = {name: statistics.median(found) for name, found in cold.items()}
    median_doubled = {name: statistics.median(found) for name, found in cold_doubled.items()}
    bare = throughput["bare Django view"]
    print(
        f"\nteam of {len(ZONES)} hosts ({', '.join(sorted(set(ZONES)))}), {MEETINGS:,} booked meetings each "
        f"(then {2 * MEETINGS:,}; {events:,} events owned in all), 60-day rolling window; "
        f"month {month:%Y-%m}, day {day.isoformat()}"
    )
    print("free start times in the month (UTC) / on the day: " + ", ".join(
        f"{label} {offered[label]} / {on_day[label]}" for label in link_of
    ))  # fmt: skip
    print(
        f"\n{'':<25}{'gunicorn + wrk, cached page':^36}  {'in-process median ms':^26}  {'SQL queries':^22}\n"
        f"{'case':<25}{'req/s':>9}{'of bare':>9}{'p50 ms':>9}{'p99 ms':>9}  "
        f"{'cached':>8}{'cold':>9}{'cold 2k':>9}  {'cached':>8}{'cold':>6}{'cold 2k':>8}"
    )
    for name in cases:
        found = throughput[name]
        if found is None:
            http = f"{'n/a (no wrk)':>36}"
        else:
            rate, p50, p99 = found
            http = f"{rate:>9.0f}{rate / bare[0]:>9.1%}{p50:>9.2f}{p99:>9.2f}"
        (cached_queries, cold_queries), (_, doubled_queries) = counts[name], doubled_counts[name]
        print(
            f"{name:<25}{http}  {median[name]:>8.2f}{median_cold[name]:>9.2f}{median_doubled[name]:>9.2f}  "
            f"{cached_queries:>8}{cold_queries:>6}{doubled_queries:>8}"
        )
    ratios = {
        kind: {
            state: found[f"round-robin 10: {kind}"] / found[f"single host: {kind}"]
            for state, found in (("cold", median_cold), ("cold 2k", median_doubled), ("cached", median))
        }
        for kind in ("page", "partial")
    }
    for kind, found in ratios.items():
        print(
            f"10-host round-robin {kind} / single-host {kind}: "
            + ", ".join(f"{ratio:.2f}x {state}" for state, ratio in found.items())
            + (f"   (target <= {MAX_RATIO:.0f}x, cold)" if kind == "page" else "")
        )
    print(f"runtime: {time.perf_counter() - began:.0f} s (gunicorn part {built - began:.0f} s)")

    changed = {name: (counts[name], doubled_counts[name]) for name in cases if counts[name] != doubled_counts[name]}
    assert not changed, f"SQL queries (cached, cold) grew with the hosts' meetings, 1,000 -> 2,000: {changed}"
    ratio = ratios["page"]["cold"]
    assert ratio <= MAX_RATIO, (
        f"A 10-host round-robin booking page costs {ratio:.2f}x a single host's (cold, in-process medians: "
        f"{median_cold['round-robin 10: page']:.1f} ms vs {median_cold['single host: page']:.1f} ms); "
        f"the target is at most {MAX_RATIO:.0f}x."
    )
