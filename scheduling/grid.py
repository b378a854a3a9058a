"""Poll grids: cells, stored intervals, and the layout a viewer sees in their own timezone.

Pure: plain data in, plain data out. A poll's cells are the wall-clock times of its daily window
on each of its dates, in the poll's timezone, converted to UTC. Availability is stored as merged
half-open UTC intervals ``[start, end)`` with a level; the grid converts between the two.

Clock changes: a cell whose wall-clock start does not exist (spring-forward gap) is left out; a
wall-clock time the clocks pass twice (fall back) gives two cells, one each time, so an all-day
poll has 25 hours that day. A viewer sees the second pass as rows of their own, right after the
first, marked "again"; the cells' labels name the offset (``02:00 CEST``, ``02:00 CET``).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LEVELS = {1: "if need be", 2: "fine", 3: "preferred"}


@dataclass(frozen=True)
class Span:
    """A stored availability interval: ``[start, end)`` in UTC at one preference level."""

    start: datetime
    end: datetime
    level: int


def _exists(local: datetime, zone: ZoneInfo) -> bool:
    return local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None)


def poll_cells(
    dates: Iterable[date], day_start: time, day_end: time, cell_minutes: int, tz_name: str
) -> list[datetime]:
    """UTC starts of every cell of the poll, sorted. ``day_end`` may be ``time(0)`` for midnight."""
    zone = ZoneInfo(tz_name)
    step = timedelta(minutes=cell_minutes)
    cells = []
    for day in sorted(set(dates)):
        moment = datetime.combine(day, day_start)
        finish = (
            datetime.combine(day + timedelta(days=1), time(0)) if day_end == time(0) else datetime.combine(day, day_end)
        )
        while moment + step <= finish:
            local = moment.replace(tzinfo=zone)
            if _exists(local, zone):
                cells.append(local.astimezone(UTC))
                again = local.replace(fold=1)
                if again.utcoffset() != local.utcoffset():  # the clocks pass it twice
                    cells.append(again.astimezone(UTC))
            moment += step
    return sorted(set(cells))


def cell_key(moment: datetime) -> str:
    """The compact id of a cell in forms and data attributes: its UTC start, ``20260312T1330``."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M")


def levels_from_spans(cells: Sequence[datetime], cell_minutes: int, spans: Iterable[Span]) -> dict[int, int]:
    """Cell index -> level for the cells that the spans cover completely. ``cells`` are sorted, so
    the cells inside a span are one slice of them, found by bisection (a poll page converts every
    participant's spans)."""
    step = timedelta(minutes=cell_minutes)
    levels: dict[int, int] = {}
    for span in spans:
        for position in range(bisect_left(cells, span.start), bisect_right(cells, span.end - step)):
            levels[position] = span.level
    return levels


def spans_from_levels(cells: Sequence[datetime], cell_minutes: int, levels: Mapping[int, int]) -> list[Span]:
    """Merge painted cells into intervals: adjacent cells of the same level become one span."""
    step = timedelta(minutes=cell_minutes)
    spans: list[Span] = []
    for position in sorted(levels):
        start, level = cells[position], levels[position]
        if spans and spans[-1].end == start and spans[-1].level == level:
            spans[-1] = Span(spans[-1].start, start + step, level)
        else:
            spans.append(Span(start, start + step, level))
    return spans


@dataclass(frozen=True)
class Layout:
    """Columns are the viewer's local dates, rows the viewer's local times; ``matrix[row][column]``
    is a cell index, or None where the poll has no cell at that local date and time. A row's time
    has ``fold=1`` for the second pass of a repeated hour."""

    columns: list[date]
    rows: list[time]
    matrix: list[list[int | None]]


def _second_pass_ends(moment: datetime) -> time:
    """For a wall-clock time on the clocks' second pass (``fold=1``), the wall-clock time at which
    the first pass ended (``03:00`` in Berlin): its row goes after every row before that."""
    first_pass = moment.replace(fold=0)
    low, high = first_pass.astimezone(UTC), moment.astimezone(UTC)
    while high - low > timedelta(minutes=1):  # the instant the offset changed, to the minute
        middle = low + (high - low) // 2
        if middle.astimezone(moment.tzinfo).utcoffset() == moment.utcoffset():
            high = middle
        else:
            low = middle
    ends = (high + first_pass.utcoffset()).time()
    return ends if ends > moment.time() else time.max  # clocks going back at midnight


def layout(cells: Sequence[datetime], viewer_tz: str) -> Layout:
    """Arrange the cells in the viewer's timezone. Offsets that differ from the poll's by a
    fraction of a cell, or DST changes on different dates, simply add rows with gaps; the second
    pass of a repeated hour gets rows of its own, right after the first pass."""
    zone = ZoneInfo(viewer_tz)
    local = [moment.astimezone(zone) for moment in cells]
    columns = sorted({moment.date() for moment in local})
    order: dict[tuple[time, int], tuple] = {}
    for moment in local:
        key = (moment.time().replace(fold=0), moment.fold)
        if key not in order:
            order[key] = (_second_pass_ends(moment), -1, key[0]) if moment.fold else (key[0], 0, key[0])
    keys = sorted(order, key=order.__getitem__)
    row_index = {key: position for position, key in enumerate(keys)}
    column_index = {day: position for position, day in enumerate(columns)}
    matrix: list[list[int | None]] = [[None] * len(columns) for _ in keys]
    for position, moment in enumerate(local):
        matrix[row_index[(moment.time().replace(fold=0), moment.fold)]][column_index[moment.date()]] = position
    return Layout(columns=columns, rows=[moment.replace(fold=fold) for moment, fold in keys], matrix=matrix)


class GridError(ValueError):
    """A painted grid that cannot be saved; the message says why, for a 400 response."""


def parse_painted(payload: object, cells: Sequence[datetime]) -> dict[int, int]:
    """Validate a submitted grid: ``{"cells": {"20260312T1330": 3, ...}}`` -> cell index -> level.

    The client sends the person's whole painted state with every stroke, so a lost or repeated
    request never leaves a half-applied stroke behind.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("cells"), dict):
        raise GridError('Malformed availability: expected {"cells": {cell: level}}.')
    painted = payload["cells"]
    if len(painted) > len(cells):
        raise GridError(f"Too many cells: this poll has {len(cells)}, {len(painted)} were sent.")
    index = {cell_key(moment): position for position, moment in enumerate(cells)}
    levels = {}
    for key, level in painted.items():
        if key not in index:
            raise GridError(f"Cell {key} is outside this poll's dates and hours. Reload the page and try again.")
        if type(level) is not int or level not in LEVELS:
            raise GridError(f"Preference level must be either 1, 2, or 3 (3 being highest preference), not {level!r}.")
        levels[index[key]] = level
    return levels


def busy_positions(cells: Sequence[datetime], cell_minutes: int, busy: Iterable[tuple[datetime, datetime]]) -> set[int]:
    """Positions of the (sorted) cells that share any time with a busy interval: a meeting from
    10:15 blocks the 10:00 cell, since nobody can meet there for the whole cell."""
    step = timedelta(minutes=cell_minutes)
    positions: set[int] = set()
    for start, end in busy:
        # Cells starting in (start - step, end) overlap [start, end).
        positions.update(range(bisect_right(cells, start - step), bisect_left(cells, end)))
    return positions


def grid_range(cells: Sequence[datetime], cell_minutes: int) -> tuple[datetime, datetime] | None:
    """[start, end) of a poll's whole grid in UTC; None for a grid without cells."""
    if not cells:
        return None
    return cells[0], cells[-1] + timedelta(minutes=cell_minutes)
