"""Benchmark of poll suggestions; run on demand, not part of the suite:

    .venv/bin/python -m pytest tests/benchmarks/bench_suggest.py -s -q

* Group ranking: 50 invitees, 14 days of 30-minute cells from 08:00 to 20:00 (24 a day), 60-minute
  meetings. Target: median at most 50 ms.
* 1-on-1 series: 200 invitees and 1,000 candidate slots (60-minute meetings tiling 30-minute cells,
  12 a day). Target: median at most 100 ms for the best schedule; three alternatives are timed too.
* Optimality: the best series is checked against an independent two-stage integer program
  (``scipy.optimize.milp``: first the most invitees placed, then the highest preference with that
  many placed) built from :func:`person_level` on the same instance.

Availability is random with a fixed seed: each person paints a few blocks of cells on some days.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from scheduling.suggest import Grid, Person, one_on_one_schedules, person_level, rank_group_times, series_slots

ATTEMPTS = 2  # a benchmark on a shared machine: retry once before calling a miss a regression
CELL = timedelta(minutes=30)
CELLS_PER_DAY = 24  # 08:00-20:00
MEETING_CELLS = 2
FIRST_DAY = datetime(2026, 3, 2, 8, tzinfo=UTC)

GROUP_INVITEES, GROUP_DAYS, GROUP_RUNS, GROUP_TARGET = 50, 14, 200, 0.050
SERIES_INVITEES, SERIES_SLOTS, SERIES_RUNS, SERIES_TARGET = 200, 1000, 50, 0.100
ALTERNATIVES, ALTERNATIVE_RUNS = 3, 10


def grid_of(cells: int) -> Grid:
    """``cells`` half-hour cells, 24 a day from 08:00, the last day possibly shorter."""
    return Grid(
        [FIRST_DAY + timedelta(days=n // CELLS_PER_DAY) + CELL * (n % CELLS_PER_DAY) for n in range(cells)], CELL
    )


def painting(rng: random.Random, grid: Grid, *, day_share: float, blocks: tuple[int, int]) -> dict[int, int]:
    """On a ``day_share`` of the days, a few blocks of 1 to 8 cells, mostly at one level each."""
    levels = {}
    for first, end in grid.runs:
        if rng.random() >= day_share:
            continue
        for _ in range(rng.randint(*blocks)):
            start = rng.randrange(first, end)
            level = rng.randint(1, 3)
            for index in range(start, min(end, start + rng.randint(1, 8))):
                levels[index] = level if rng.random() < 0.8 else rng.randint(1, 3)
    return levels


def group_instance(seed: int = 2026) -> tuple[Grid, Person, list[Person]]:
    rng = random.Random(seed)
    grid = grid_of(GROUP_DAYS * CELLS_PER_DAY)
    owner = Person("owner", "Owner", painting(rng, grid, day_share=0.9, blocks=(2, 4)))
    invitees = [
        Person(f"invitation:{n}", f"Invitee {n}", painting(rng, grid, day_share=0.6, blocks=(1, 3)))
        for n in range(GROUP_INVITEES)
    ]
    return grid, owner, invitees


def series_instance(seed: int = 2026) -> tuple[Grid, Person, list[Person]]:
    rng = random.Random(seed)
    grid = grid_of(SERIES_SLOTS * MEETING_CELLS)
    owner = Person("owner", "Owner", painting(rng, grid, day_share=0.8, blocks=(2, 4)))
    invitees = [
        Person(f"invitation:{n}", f"Invitee {n}", painting(rng, grid, day_share=0.15, blocks=(1, 2)))
        for n in range(SERIES_INVITEES)
    ]
    return grid, owner, invitees


def timings(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and 95th percentile in seconds, after one warm-up call."""
    call()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples), statistics.quantiles(samples, n=20)[-1]


def show(label: str, figures: tuple[float, float]) -> None:
    print(f"{label:58} median={figures[0] * 1e3:8.2f} ms  p95={figures[1] * 1e3:8.2f} ms")


def milp_optimum(grid: Grid, owner: Person, invitees: list[Person]) -> tuple[int, int]:
    """(placed, total preference) of the best series on the tiling, by a two-stage integer program."""
    variables = []  # (invitee, tile, preference) for every pair that can meet
    tiles = series_slots(grid, MEETING_CELLS)
    for tile_number, tile in enumerate(tiles):
        owner_level = person_level(grid, owner, tile.start_index, MEETING_CELLS)
        if owner_level is None:
            continue
        for invitee_number, invitee in enumerate(invitees):
            level = person_level(grid, invitee, tile.start_index, MEETING_CELLS)
            if level is not None:
                variables.append((invitee_number, tile_number, owner_level + level))
    count = len(variables)
    invitee_rows = [invitee for invitee, _, _ in variables]
    tile_rows = [len(invitees) + tile for _, tile, _ in variables]
    matrix = coo_array(
        (np.ones(2 * count), (invitee_rows + tile_rows, list(range(count)) * 2)),
        shape=(len(invitees) + len(tiles), count),
    ).tocsr()
    at_most_one = LinearConstraint(matrix, 0, 1)  # one meeting per invitee, one invitee per tile
    binary = {"integrality": np.ones(count), "bounds": Bounds(0, 1)}
    most_placed = milp(-np.ones(count), constraints=[at_most_one], **binary)
    placed = round(-most_placed.fun)
    exactly_placed = LinearConstraint(np.ones((1, count)), placed, placed)
    preferences = np.array([preference for _, _, preference in variables], dtype=float)
    best = milp(-preferences, constraints=[at_most_one, exactly_placed], **binary)
    assert most_placed.success
    assert best.success
    return placed, round(-best.fun)


def test_group_ranking_is_fast_enough():
    grid, owner, invitees = group_instance()
    for attempt in range(1, ATTEMPTS + 1):
        print(f"\nGroup ranking (attempt {attempt})")
        figures = timings(lambda: rank_group_times(grid, MEETING_CELLS, owner, invitees), GROUP_RUNS)
        show(f"{GROUP_INVITEES} invitees x {GROUP_DAYS} days x {CELLS_PER_DAY} cells, top 10", figures)
        if figures[0] <= GROUP_TARGET:
            break
    top = rank_group_times(grid, MEETING_CELLS, owner, invitees, limit=1)[0]
    print(f"best: {top.start:%a %d %b %H:%M} with {top.attendee_count} invitees, owner level {top.owner_level}")
    assert figures[0] <= GROUP_TARGET, f"median {figures[0] * 1e3:.2f} ms > {GROUP_TARGET * 1e3:.0f} ms"


def test_one_on_one_series_is_fast_enough_and_optimal():
    grid, owner, invitees = series_instance()
    assert len(series_slots(grid, MEETING_CELLS)) == SERIES_SLOTS
    for attempt in range(1, ATTEMPTS + 1):
        print(f"\n1-on-1 series (attempt {attempt})")
        best_only = timings(
            lambda: one_on_one_schedules(grid, MEETING_CELLS, owner, invitees, alternatives=0), SERIES_RUNS
        )
        show(f"best schedule, {SERIES_INVITEES} invitees x {SERIES_SLOTS} slots", best_only)
        if best_only[0] <= SERIES_TARGET:
            break
    with_alternatives = timings(
        lambda: one_on_one_schedules(grid, MEETING_CELLS, owner, invitees, alternatives=ALTERNATIVES), ALTERNATIVE_RUNS
    )
    show(f"best + {ALTERNATIVES} alternatives", with_alternatives)

    suggestions = one_on_one_schedules(grid, MEETING_CELLS, owner, invitees, alternatives=ALTERNATIVES)
    best = suggestions.best
    began = time.perf_counter()
    placed, total = milp_optimum(grid, owner, invitees)
    milp_seconds = time.perf_counter() - began
    print(f"assignment: placed={best.placed} total={best.total_preference}")
    print(f"milp:       placed={placed} total={total}  ({milp_seconds * 1e3:.0f} ms)")
    print(f"alternatives: {[(s.placed, s.total_preference) for s in suggestions.alternatives]}")
    print(f"unplaced: {sorted({u.reason.value for u in best.unplaced})} x {len(best.unplaced)}")
    assert (best.placed, best.total_preference) == (placed, total)
    assert len({meeting.slot for meeting in best.meetings}) == best.placed  # tiles never overlap
    assert best_only[0] <= SERIES_TARGET, f"median {best_only[0] * 1e3:.2f} ms > {SERIES_TARGET * 1e3:.0f} ms"
