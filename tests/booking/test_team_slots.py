"""The pure parts of team links: slots across hosts (booking/slots.py ``team_slots``) and the fair
round-robin rule (booking/hosts.py), property-tested with hypothesis."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from booking import hosts, slots
from booking.slots import Availability, Interval, Slot, SlotRules, team_slots

BASE = datetime(2026, 3, 2, tzinfo=UTC)
HOSTS = [1, 2, 3, 4]

starts = st.sets(st.integers(min_value=0, max_value=47), max_size=20)


def slots_at(indices) -> list[Slot]:
    return [
        Slot(start=BASE + timedelta(minutes=30 * i), end=BASE + timedelta(minutes=30 * i + 30), seats_left=1)
        for i in sorted(indices)
    ]


@given(free=st.fixed_dictionaries(dict.fromkeys(HOSTS, starts)), data=st.data())
def test_team_slots_are_exactly_the_set_formula(free, data):
    required = data.draw(st.sets(st.sampled_from(HOSTS)))
    rest = [h for h in HOSTS if h not in required]
    pool = data.draw(st.sets(st.sampled_from(rest))) if rest else set()
    found = team_slots({host: slots_at(i) for host, i in free.items()}, required=required, pool=pool)
    expected: set[int] = set()
    if required or pool:
        candidates = set().union(*free.values())
        expected = {
            i
            for i in candidates
            if all(i in free[h] for h in required) and (not pool or any(i in free[h] for h in pool))
        }
    assert [slot.start for slot in found] == [BASE + timedelta(minutes=30 * i) for i in sorted(expected)]
    assert all(slot.seats_left == 1 for slot in found)


@given(free=st.fixed_dictionaries(dict.fromkeys(HOSTS, starts)))
def test_collective_is_never_more_than_any_host_and_round_robin_never_less(free):
    per_host = {host: slots_at(i) for host, i in free.items()}
    collective = {s.start for s in team_slots(per_host, required=set(HOSTS), pool=set())}
    round_robin = {s.start for s in team_slots(per_host, required=set(), pool=set(HOSTS))}
    for host in HOSTS:
        mine = {s.start for s in per_host[host]}
        assert collective <= mine <= round_robin


ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "America/Sao_Paulo"]


@settings(max_examples=60, deadline=None)
@given(
    zones=st.lists(st.sampled_from(ZONES), min_size=2, max_size=3, unique=True),
    day=st.sampled_from([date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 10, 25), date(2026, 11, 1)]),
)
def test_collective_slots_across_zones_and_clock_changes_are_times_every_host_works(zones, day):
    """Each host works 08:00-20:00 in their own zone; a collective slot's whole meeting lies in
    every host's hours, on their wall clock, also on the days the clocks change."""
    from zoneinfo import ZoneInfo

    rules = SlotRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30))
    start = datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    end = start + timedelta(days=3)
    per_host = {}
    for index, zone in enumerate(zones):
        availability = Availability(timezone=zone, weekly={d: [Interval(8 * 60, 20 * 60)] for d in range(7)})
        per_host[index] = slots.free_slots(availability, rules, start=start, end=end, now=start - timedelta(days=1))
    found = team_slots(per_host, required=set(per_host), pool=set())
    for slot in found:
        for zone in zones:
            local_start, local_end = slot.start.astimezone(ZoneInfo(zone)), slot.end.astimezone(ZoneInfo(zone))
            assert local_start.hour * 60 + local_start.minute >= 8 * 60
            assert local_end.hour * 60 + local_end.minute <= 20 * 60 or local_end.time() == datetime.min.time()
    # And nothing is missed: every half hour when all of them are inside their hours is offered.
    offered = {slot.start for slot in found}
    moment = start
    while moment < end:
        inside = all(
            (local := moment.astimezone(ZoneInfo(zone))).hour * 60 + local.minute >= 8 * 60
            and (finish := (moment + timedelta(minutes=30)).astimezone(ZoneInfo(zone))).hour * 60 + finish.minute
            <= 20 * 60
            and finish.date() == local.date()
            for zone in zones
        )
        aligned = all(moment.astimezone(ZoneInfo(zone)).minute % 30 == 0 for zone in zones)
        if inside and aligned:
            assert moment in offered, (moment, zones)
        moment += timedelta(minutes=30)


# --- The fair rule ---------------------------------------------------------------------------------


def simulate(weights: list[int], bookings: int, seed: int, free_share: float = 1.0) -> list[int]:
    """Book ``bookings`` meetings one after another; each time the hosts free are a random subset
    (everyone when ``free_share`` is 1). Returns each host's count."""
    rng = random.Random(seed)
    counts = [0] * len(weights)
    last: list[datetime | None] = [None] * len(weights)
    moment = BASE
    for _ in range(bookings):
        free = [h for h in range(len(weights)) if rng.random() < free_share] or [rng.randrange(len(weights))]
        chosen = hosts.pick(
            hosts.Standing(host=h, meetings=counts[h], weight=weights[h], last_booked=last[h]) for h in free
        ).host
        counts[chosen] += 1
        moment += timedelta(minutes=1)
        last[chosen] = moment
    return counts


@given(size=st.integers(min_value=2, max_value=10), seed=st.integers(min_value=0, max_value=10_000))
def test_with_equal_weights_and_availability_counts_differ_by_at_most_one(size, seed):
    counts = simulate([100] * size, 1000, seed)
    assert sum(counts) == 1000
    assert max(counts) - min(counts) <= 1


def test_over_a_thousand_bookings_shares_follow_the_weights():
    counts = simulate([100, 200, 100], 1000, seed=1)
    assert counts == [250, 500, 250]


def test_with_uneven_availability_the_rule_still_evens_out():
    counts = simulate([100] * 4, 1000, seed=3, free_share=0.7)
    assert max(counts) - min(counts) <= 3, counts


def test_priority_breaks_ties_then_the_least_recently_booked():
    earlier, later = BASE, BASE + timedelta(hours=1)
    standing = [
        hosts.Standing(host=1, meetings=2, priority=1, last_booked=earlier),
        hosts.Standing(host=2, meetings=2, priority=2, last_booked=later),
        hosts.Standing(host=3, meetings=3, priority=2, last_booked=None),
    ]
    assert hosts.pick(standing).host == 2  # equal share: higher priority first
    standing[1] = hosts.Standing(host=2, meetings=2, priority=1, last_booked=later)
    assert hosts.pick(standing).host == 1  # equal share and priority: booked least recently
    assert hosts.pick([hosts.Standing(host=9, meetings=0), hosts.Standing(host=4, meetings=0)]).host == 4
