"""Benchmark of the slot engine; run on demand, not part of the suite:

    .venv/bin/python -m pytest tests/benchmarks/bench_slots.py -s -q

Sixty days of Mon-Fri 09:00-17:00 hours with 30-minute slots, against 250, 500 and 1000 busy
intervals spread over the range. Targets: median at most 2 ms with 500 busy intervals, and at most
2.2x the time each time the busy intervals double.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from booking.slots import Availability, Interval, SlotRules, free_slots

RUNS = 200
ATTEMPTS = 3  # a benchmark on a shared machine: retry before calling a miss a regression
BUSY_COUNTS = (250, 500, 1000)
MAX_MEDIAN_SECONDS = 0.002
MAX_RATIO = 2.2

AVAILABILITY = Availability(timezone="America/New_York", weekly=dict.fromkeys(range(5), (Interval(9 * 60, 17 * 60),)))
RULES = SlotRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30))
START = datetime(2026, 2, 16, 5, tzinfo=UTC)  # spans the spring-forward of 2026-03-08
END = START + timedelta(days=60)
NOW = START - timedelta(days=1)


def busy_intervals(count: int, seed: int = 2026) -> list[tuple[datetime, datetime]]:
    """Meetings of 15 minutes to 2 hours at random quarter hours over the range, in random order."""
    rng = random.Random(seed)
    quarters = int((END - START) / timedelta(minutes=15))
    busy = []
    for _ in range(count):
        start = START + timedelta(minutes=15 * rng.randrange(quarters))
        busy.append((start, start + timedelta(minutes=15 * rng.randint(1, 8))))
    return busy


def timings(busy: list[tuple[datetime, datetime]]) -> list[float]:
    free_slots(AVAILABILITY, RULES, start=START, end=END, now=NOW, busy=busy)  # warm up
    samples = []
    for _ in range(RUNS):
        began = time.perf_counter()
        free_slots(AVAILABILITY, RULES, start=START, end=END, now=NOW, busy=busy)
        samples.append(time.perf_counter() - began)
    return samples


def measure() -> dict[int, tuple[float, float]]:
    """Median and 95th percentile in seconds, per number of busy intervals."""
    figures = {}
    for count in BUSY_COUNTS:
        samples = timings(busy_intervals(count))
        figures[count] = (statistics.median(samples), statistics.quantiles(samples, n=20)[-1])
    return figures


def report(figures: dict[int, tuple[float, float]]) -> list[float]:
    ratios = []
    previous = None
    for count, (median, p95) in figures.items():
        slots = len(free_slots(AVAILABILITY, RULES, start=START, end=END, now=NOW, busy=busy_intervals(count)))
        ratio = f"{median / previous:.2f}x" if previous else "-"
        print(f"busy={count:5}  slots={slots:4}  median={median * 1e3:.3f} ms  p95={p95 * 1e3:.3f} ms  ratio={ratio}")
        if previous:
            ratios.append(median / previous)
        previous = median
    return ratios


def test_free_slots_stays_fast_as_busy_intervals_grow():
    for attempt in range(1, ATTEMPTS + 1):
        print(f"\nfree_slots over 60 days, {RUNS} runs each (attempt {attempt})")
        figures = measure()
        ratios = report(figures)
        fast_enough = figures[500][0] <= MAX_MEDIAN_SECONDS
        scales = all(ratio <= MAX_RATIO for ratio in ratios)
        if fast_enough and scales:
            break
    assert fast_enough, f"median with 500 busy intervals {figures[500][0] * 1e3:.3f} ms > {MAX_MEDIAN_SECONDS * 1e3} ms"
    assert scales, f"doubling the busy intervals cost {', '.join(f'{ratio:.2f}x' for ratio in ratios)}"
