"""Suggested times for an availability poll: ranked group meetings and optimal series of 1-on-1s.

Pure: plain data in, plain data out; no ORM, no I/O, no settings.

The grid
    A poll is a sorted sequence of cells of one length (15, 30 or 60 minutes), each an aware UTC
    start. Two cells are contiguous when the second starts exactly one cell length after the first;
    a *run* is a maximal stretch of contiguous cells (usually one day's window). A meeting lasts
    ``duration_cells`` contiguous cells, so it never spans a gap between runs.

Levels
    Everyone paints a level per cell: 3 = preferred, 2 = fine, 1 = if need be; an unpainted cell
    means unavailable. A person can attend a meeting when they painted every one of its cells, and
    their level for it is the *minimum* over those cells: a meeting is only as good as its worst
    part. "Cannot attend" is ``None`` in :func:`person_level` and 0 in ``owner_level`` fields.

Group meetings (:func:`rank_group_times`)
    The owner counts as a participant like any invitee, but only once they have painted something:
    an owner who has not answered is not counted as able to come anywhere, nor in ``participants``
    (the "of N" in "3 of 4 can come").

    * Windows: consecutive starts in one run at which exactly the same people can come, each at the
      same level, are one suggestion, a *window* (09:00, 09:30, ... 10:00 with the same people:
      "any hour between 09:00 and 11:00"). Its ``slot`` is its earliest start, its ``last_slot``
      its latest; every start in it is equally good, so listing them one by one says nothing new.
    * Ranking: (1) how many participants can come, owner included, (2) the sum of their levels
      ("preferred" beats "fine" beats "if need be"), both descending, then (3) the earliest start.
    * Ties: windows equal on (1) and (2) share a ``tie_rank`` (competition ranking, "1, 2, 2, 4");
      the earliest start only decides the order in which tied windows are listed. Two adjacent
      windows are never tied on the same people: they would have been one window. ``limit`` cuts
      the list exactly, so the last tie group shown may be incomplete.
    * Times no invitee can attend are dropped as soon as any time has an invitee (a meeting needs a
      guest). When no time has one (no invitees, nobody answered yet, or nobody overlaps a possible
      meeting), the owner's own times are ranked by their level so the owner still sees a useful
      list; a time that neither the owner nor any invitee can attend is never suggested.

    Windows do not apply to 1-on-1 series: each meeting there is one tile for one invitee, and the
    tiles are a partition chosen so that meetings never overlap; stretching a meeting into a window
    would reopen the overlaps the tiling exists to rule out.

Series of 1-on-1s (:func:`one_on_one_schedules`)
    One meeting with each invitee, all with the owner, at times that never overlap. We maximise the
    number of invitees placed first, then the total preference, the sum over placed invitees of
    (owner's level + invitee's level).

    * Tiling (a choice): choosing among *overlapping* starts is the job interval selection problem,
      NP-hard in general. Candidate times are therefore a non-overlapping tiling: within each run,
      back-to-back blocks of ``duration_cells`` starting at the run's first cell (08:00, 09:00,
      10:00, ... for 60-minute meetings on a 30-minute grid starting at 08:00); cells left over at a
      run's end too short for a meeting are unused. Any two tiles are disjoint, so the problem
      becomes an assignment of invitees to tiles, solved exactly. The price: a person available
      08:30-09:30 only cannot be offered a 60-minute 1-on-1 on that grid. The tiles are returned in
      :attr:`SeriesSuggestions.tiling` so the UI can say which times were considered.
    * The assignment: weight ``BIG + owner level + invitee level`` for each pair that can meet,
      ``BIG`` larger than any achievable preference total so that one more person placed always
      wins; ``scipy.optimize.linear_sum_assignment`` (shortest augmenting paths) finds the maximum.
      Every invitee also has a private "unplaced" column of weight 0, so each schedule corresponds
      to exactly one assignment, which keeps alternatives distinct.
    * Alternatives: the next-best distinct schedules placing as many invitees as the best, in order
      of total preference (Murty's k-best assignments, exact). A schedule that leaves one more
      person out is not offered as an alternative. Subproblems are solved lazily: each one's bound
      is its parent's value, so with many equally good schedules (the common case with three
      levels) only a few are solved.
    * Unplaced invitees carry a reason: they painted nothing, they share no tile with the owner, or
      every tile they share with the owner is taken by someone else (true of every maximum-size
      schedule: a free shared tile would let us place one more person).
"""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property

import numpy as np
from scipy.optimize import linear_sum_assignment

from scheduling.grid import LEVELS as LEVEL_WORDS

LEVELS = (1, 2, 3)
_MAX_PAIR_PREFERENCE = 2 * max(LEVELS)  # owner's level + invitee's level
_ZERO = timedelta(0)


@dataclass(frozen=True)
class Grid:
    """The poll's cells: sorted, non-overlapping, aware UTC starts, all ``cell`` long.

    ``starts`` is stored as a tuple. UTC is required (not just "aware") because subtracting two
    datetimes that share a non-UTC tzinfo compares wall clocks, which would make cells around a DST
    change look contiguous or not by mistake.
    """

    starts: Sequence[datetime]
    cell: timedelta

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts", tuple(self.starts))
        if self.cell <= _ZERO:
            raise ValueError(f"A cell must last a positive time, got {self.cell}")
        previous = None
        for start in self.starts:
            if start.utcoffset() != _ZERO:
                raise ValueError(f"Cell starts must be aware UTC datetimes, got {start!r}")
            if previous is not None and start - previous < self.cell:
                raise ValueError(f"Cells must be sorted and not overlap, got {start} after {previous}")
            previous = start

    def __len__(self) -> int:
        return len(self.starts)

    @cached_property
    def runs(self) -> tuple[tuple[int, int], ...]:
        """Maximal stretches of contiguous cells as ``(first index, end index)``, end exclusive."""
        runs = []
        first = 0
        for index in range(1, len(self.starts)):
            if self.starts[index] - self.starts[index - 1] != self.cell:
                runs.append((first, index))
                first = index
        if self.starts:
            runs.append((first, len(self.starts)))
        return tuple(runs)

    def index_of(self, start: datetime) -> int | None:
        """The index of the cell starting at ``start``, or None when no cell starts then."""
        index = bisect_left(self.starts, start)
        return index if index < len(self.starts) and self.starts[index] == start else None


@dataclass(frozen=True)
class Person:
    """The owner or an invitee, with the levels they painted.

    ``levels`` maps a cell index to a level in :data:`LEVELS`; absent cells are unavailable. An
    empty mapping means the person has not answered (or declined). People are equal when their key
    and name are; ``levels`` is left out of comparisons so a Person can be a dict key. Levels are
    validated when suggestions are computed (vectorised), not here.
    """

    key: str
    name: str
    levels: Mapping[int, int] = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Slot:
    """A meeting time on the grid: ``duration_cells`` cells from ``start_index``, ``[start, end)``."""

    start_index: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Attendee:
    """An invitee who can attend a group option, at ``level`` (the minimum over its cells)."""

    person: Person
    level: int


@dataclass(frozen=True)
class GroupOption:
    """One suggested group meeting: a start, or a window of starts that are all equally good.

    ``slot`` is the earliest start's meeting and ``last_slot`` the latest start's (the same slot
    when there is one start). ``available`` and ``unavailable`` are invitees, in the order they were
    given in; the owner is ``owner_level`` (0 = cannot come). ``participants``: everyone counted,
    the invitees given plus the owner once they painted anything. ``rank`` is the 1-based position
    in the list; ``tie_rank`` is the rank of the first option equal to this one on people who can
    come and their level sum, so tied options share it.
    """

    slot: Slot
    last_slot: Slot
    available: tuple[Attendee, ...]
    unavailable: tuple[Person, ...]
    owner_level: int
    participants: int
    rank: int
    tie_rank: int

    @property
    def start(self) -> datetime:
        return self.slot.start

    @property
    def end(self) -> datetime:
        return self.slot.end

    @property
    def is_window(self) -> bool:
        return self.last_slot.start_index != self.slot.start_index

    @property
    def latest_start(self) -> datetime:
        return self.last_slot.start

    @property
    def window_end(self) -> datetime:
        """When a meeting at the latest start ends: the window is ``[start, window_end)``."""
        return self.last_slot.end

    @property
    def attendee_count(self) -> int:
        """Invitees who can come (the owner is not one)."""
        return len(self.available)

    @property
    def can_come(self) -> int:
        """Participants who can come, the owner included."""
        return len(self.available) + (1 if self.owner_level else 0)

    @property
    def level_total(self) -> int:
        """The sum of the levels of everyone who can come, the owner included."""
        return self.owner_level + sum(attendee.level for attendee in self.available)

    @property
    def owner_level_word(self) -> str:
        return LEVEL_WORDS[self.owner_level] if self.owner_level else ""

    @property
    def tied_with_previous(self) -> bool:
        return self.tie_rank < self.rank

    @property
    def available_text(self) -> str:
        """Which invitees can come and how gladly, as one line ("Ann (preferred), Ben (fine)"): a
        poll shared by link lists hundreds of names, one string instead of a template loop."""
        return ", ".join(f"{attendee.person.name} ({LEVEL_WORDS[attendee.level]})" for attendee in self.available)

    @property
    def unavailable_text(self) -> str:
        return ", ".join(person.name for person in self.unavailable)


class UnplacedReason(StrEnum):
    """Why an invitee has no meeting in a schedule; the values are phrased for the owner."""

    NO_AVAILABILITY = "no availability painted"
    NO_SHARED_TIME = "no time shared with the owner"
    SHARED_TIMES_TAKEN = "every shared time is taken by someone else"


@dataclass(frozen=True, slots=True)
class Meeting:
    """A 1-on-1 of the owner with ``invitee`` in ``slot``, with both people's levels for it."""

    invitee: Person
    slot: Slot
    owner_level: int
    invitee_level: int

    @property
    def preference(self) -> int:
        return self.owner_level + self.invitee_level


@dataclass(frozen=True, slots=True)
class Unplaced:
    """An invitee left out of a schedule, and why."""

    invitee: Person
    reason: UnplacedReason


@dataclass(frozen=True)
class Schedule:
    """A series of non-overlapping 1-on-1s: ``meetings`` by start, ``unplaced`` in invitee order."""

    meetings: tuple[Meeting, ...]
    unplaced: tuple[Unplaced, ...]

    @property
    def placed(self) -> int:
        return len(self.meetings)

    @property
    def total_preference(self) -> int:
        return sum(meeting.preference for meeting in self.meetings)

    @property
    def assignments(self) -> dict[str, Meeting]:
        """Invitee key -> their meeting, for the placed invitees."""
        return {meeting.invitee.key: meeting for meeting in self.meetings}


@dataclass(frozen=True)
class SeriesSuggestions:
    """The best 1-on-1 series, distinct alternatives as good in people placed, and the tiling used."""

    tiling: tuple[Slot, ...]
    best: Schedule
    alternatives: tuple[Schedule, ...]

    @property
    def unplaced(self) -> tuple[Unplaced, ...]:
        return self.best.unplaced


def person_level(grid: Grid, person: Person, start_index: int, duration_cells: int) -> int | None:
    """The person's level for a meeting of ``duration_cells`` from cell ``start_index``.

    None when they cannot attend: the meeting does not fit in the grid, crosses a gap between runs,
    or covers a cell they did not paint.
    """
    _check_duration(duration_cells)
    end_index = start_index + duration_cells
    if start_index < 0 or end_index > len(grid):
        return None
    starts = grid.starts
    if starts[end_index - 1] - starts[start_index] != grid.cell * (duration_cells - 1):
        return None  # gaps are at least a cell, so the span is (k - 1) cells only when all are contiguous
    levels = [person.levels.get(index) for index in range(start_index, end_index)]
    return None if None in levels else min(levels)


def series_slots(grid: Grid, duration_cells: int) -> tuple[Slot, ...]:
    """The tiling used for 1-on-1 series: back-to-back meetings from each run's first cell."""
    _check_duration(duration_cells)
    starts = _starts(grid, duration_cells, step=duration_cells).tolist()
    return tuple(_slot(grid, index, duration_cells) for index in starts)


def rank_group_times(
    grid: Grid, duration_cells: int, owner: Person, invitees: Sequence[Person], *, limit: int | None = 10
) -> list[GroupOption]:
    """The best ``limit`` group meeting times or windows (all of them when ``limit`` is None), best
    first. Windows, ranking, ties and the no-attendee rule are described in the module docstring.
    """
    _check_duration(duration_cells)
    _check_unique_keys(owner, invitees)
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more, got {limit}")
    starts = _starts(grid, duration_cells, step=1)
    owner_levels = _window_levels(_level_matrix(grid, [owner]), starts, duration_cells)[0]
    invitee_levels = _window_levels(_level_matrix(grid, invitees), starts, duration_cells)
    firsts, lasts = _windows(grid, starts, np.vstack([owner_levels, invitee_levels]))
    owner_levels, invitee_levels = owner_levels[firsts], invitee_levels[:, firsts]
    invitee_counts = np.count_nonzero(invitee_levels, axis=0)
    counts = invitee_counts + (owner_levels > 0)
    totals = invitee_levels.sum(axis=0, dtype=np.int64) + owner_levels
    candidates = np.flatnonzero(invitee_counts > 0) if invitee_counts.any() else np.flatnonzero(owner_levels > 0)
    order = candidates[np.lexsort((firsts[candidates], -totals[candidates], -counts[candidates]))]
    participants = len(invitees) + (1 if owner.levels else 0)
    options = []
    tie_rank = 0
    previous_key = None
    for rank, column in enumerate(order[:limit].tolist(), start=1):
        key = (counts[column], totals[column])
        if key != previous_key:
            tie_rank, previous_key = rank, key
        levels = invitee_levels[:, column].tolist()
        options.append(
            GroupOption(
                slot=_slot(grid, int(starts[firsts[column]]), duration_cells),
                last_slot=_slot(grid, int(starts[lasts[column]]), duration_cells),
                available=tuple(
                    Attendee(person, level) for person, level in zip(invitees, levels, strict=True) if level
                ),
                unavailable=tuple(person for person, level in zip(invitees, levels, strict=True) if not level),
                owner_level=int(owner_levels[column]),
                participants=participants,
                rank=rank,
                tie_rank=tie_rank,
            )
        )
    return options


def one_on_one_schedules(
    grid: Grid, duration_cells: int, owner: Person, invitees: Sequence[Person], *, alternatives: int = 3
) -> SeriesSuggestions:
    """The optimal series of 1-on-1s on the tiling, plus up to ``alternatives`` distinct runners-up.

    Objective, tiling, alternatives and unplaced reasons are described in the module docstring.
    """
    _check_duration(duration_cells)
    _check_unique_keys(owner, invitees)
    if alternatives < 0:
        raise ValueError(f"alternatives must be 0 or more, got {alternatives}")
    tiling = series_slots(grid, duration_cells)
    starts = np.fromiter((slot.start_index for slot in tiling), dtype=np.intp, count=len(tiling))
    owner_levels = _window_levels(_level_matrix(grid, [owner]), starts, duration_cells)[0]
    invitee_levels = _window_levels(_level_matrix(grid, invitees), starts, duration_cells)
    feasible = (invitee_levels > 0) & (owner_levels > 0)
    rows = np.flatnonzero(feasible.any(axis=1))  # invitees who share at least one tile with the owner
    columns = np.flatnonzero(feasible[rows].any(axis=0))  # tiles at least one of them can take
    problem = _AssignmentProblem(feasible, owner_levels, invitee_levels, rows, columns)
    best, *runners_up = problem.k_best(1 + alternatives)
    invitee_of_row, tile_of_column = rows.tolist(), columns.tolist()

    def schedule(solution: _Solution) -> Schedule:
        placed = {}
        for row, column in solution.pairs:
            if column < problem.tile_count:
                invitee, tile = invitee_of_row[row], tile_of_column[column]
                placed[invitee] = Meeting(
                    invitees[invitee], tiling[tile], int(owner_levels[tile]), int(invitee_levels[invitee, tile])
                )
        unplaced = _unplaced(invitees, placed, feasible)
        meetings = sorted(placed.values(), key=lambda meeting: meeting.slot.start_index)
        return Schedule(meetings=tuple(meetings), unplaced=tuple(unplaced))

    return SeriesSuggestions(
        tiling=tiling, best=schedule(best), alternatives=tuple(schedule(solution) for solution in runners_up)
    )


# --- internals ---------------------------------------------------------------------------------


def _check_duration(duration_cells: int) -> None:
    if duration_cells < 1:
        raise ValueError(f"A meeting lasts at least one cell, got {duration_cells}")


def _check_unique_keys(owner: Person, invitees: Sequence[Person]) -> None:
    keys = [owner.key, *(invitee.key for invitee in invitees)]
    if len(set(keys)) != len(keys):
        raise ValueError("The owner and every invitee need distinct keys")


def _slot(grid: Grid, start_index: int, duration_cells: int) -> Slot:
    start = grid.starts[start_index]
    return Slot(start_index, start, start + grid.cell * duration_cells)


def _starts(grid: Grid, duration_cells: int, *, step: int) -> np.ndarray:
    """Start indices of meetings that fit in a run: every cell (step 1) or the tiling (step k)."""
    ranges = [np.arange(first, end - duration_cells + 1, step) for first, end in grid.runs]
    return np.concatenate(ranges) if ranges else np.empty(0, dtype=np.intp)


def _level_matrix(grid: Grid, people: Sequence[Person]) -> np.ndarray:
    """People x cells levels, 0 where unpainted; validates indices and levels in bulk."""
    matrix = np.zeros((len(people), len(grid)), dtype=np.int8)
    for row, person in enumerate(people):
        if not person.levels:
            continue
        count = len(person.levels)
        indices = np.fromiter(person.levels.keys(), dtype=np.int64, count=count)
        levels = np.fromiter(person.levels.values(), dtype=np.int64, count=count)
        if indices.min() < 0 or indices.max() >= len(grid):
            raise ValueError(f"{person.key} painted a cell outside the grid of {len(grid)} cells")
        if levels.min() < min(LEVELS) or levels.max() > max(LEVELS):
            raise ValueError(f"{person.key} painted a level outside {LEVELS}")
        matrix[row, indices] = levels
    return matrix


def _windows(grid: Grid, starts: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``starts`` of each window's first and last start: a window is a maximal stretch
    of consecutive starts in one run whose column of ``levels`` (people x starts) is the same."""
    if not len(starts):
        return starts, starts
    run_firsts = np.array([first for first, _ in grid.runs])
    runs = np.searchsorted(run_firsts, starts, side="right")
    same = (np.diff(starts) == 1) & (np.diff(runs) == 0) & np.all(levels[:, 1:] == levels[:, :-1], axis=0)
    firsts = np.flatnonzero(np.concatenate(([True], ~same)))
    lasts = np.concatenate((firsts[1:] - 1, [len(starts) - 1]))
    return firsts, lasts


def _window_levels(matrix: np.ndarray, starts: np.ndarray, duration_cells: int) -> np.ndarray:
    """People x meetings: the minimum level over each meeting's cells (0 = cannot attend).

    ``starts`` only holds meetings that fit inside a run, so no contiguity mask is needed here.
    """
    levels = matrix[:, starts]
    for offset in range(1, duration_cells):
        np.minimum(levels, matrix[:, starts + offset], out=levels)
    return levels


@dataclass(frozen=True, slots=True)
class _Solution:
    value: int
    pairs: tuple[tuple[int, int], ...]  # (row, column) for every row, forced or not, dummy columns included


@dataclass(frozen=True, slots=True)
class _Subproblem:
    forced_in: tuple[tuple[int, int], ...]
    forced_out: frozenset[tuple[int, int]]


class _AssignmentProblem:
    """Invitees (rows) x tiles, plus one private "unplaced" column per row, maximising weight."""

    def __init__(
        self,
        feasible: np.ndarray,
        owner_levels: np.ndarray,
        invitee_levels: np.ndarray,
        rows: np.ndarray,
        columns: np.ndarray,
    ) -> None:
        """``rows`` and ``columns`` pick the invitees and tiles that can meet at all."""
        big = _MAX_PAIR_PREFERENCE * len(rows) + 1  # more than any preference total: placing comes first
        pairs = feasible[np.ix_(rows, columns)]
        preferences = owner_levels[columns][np.newaxis, :] + invitee_levels[np.ix_(rows, columns)]
        unplaced = np.full((len(rows), len(rows)), -np.inf)
        np.fill_diagonal(unplaced, 0.0)
        self.weights = np.hstack([np.where(pairs, big + preferences.astype(np.float64), -np.inf), unplaced])
        self.big = big
        self.tile_count = len(columns)

    def solve(self, subproblem: _Subproblem) -> _Solution | None:
        """The best assignment honouring the forced pairs, or None when there is none."""
        taken_rows = {row for row, _ in subproblem.forced_in}
        taken_columns = {column for _, column in subproblem.forced_in}
        rows = np.array([row for row in range(self.weights.shape[0]) if row not in taken_rows], dtype=np.intp)
        columns = np.array([c for c in range(self.weights.shape[1]) if c not in taken_columns], dtype=np.intp)
        weights = self.weights[np.ix_(rows, columns)]
        row_at = {row: position for position, row in enumerate(rows.tolist())}
        column_at = {column: position for position, column in enumerate(columns.tolist())}
        for row, column in subproblem.forced_out:
            if row in row_at and column in column_at:
                weights[row_at[row], column_at[column]] = -np.inf
        try:
            chosen_rows, chosen_columns = linear_sum_assignment(weights, maximize=True)
        except ValueError:  # every completion uses a forbidden pair
            return None
        value = weights[chosen_rows, chosen_columns].sum() + sum(self.weights[pair] for pair in subproblem.forced_in)
        pairs = zip(rows[chosen_rows].tolist(), columns[chosen_columns].tolist(), strict=True)
        return _Solution(value=round(value), pairs=subproblem.forced_in + tuple(pairs))

    def k_best(self, count: int) -> list[_Solution]:
        """The best solution, then up to ``count - 1`` next-best distinct ones placing as many rows.

        Murty's partition: the children of a solution force in its first i - 1 free pairs and
        forbid its i-th, which splits the remaining schedules into disjoint sets. Children wait in
        the queue unsolved under their parent's value (an upper bound) and are solved when popped;
        at equal keys solved entries come first, so a popped solved entry is the true next best.
        """
        best = self.solve(_Subproblem(forced_in=(), forced_out=frozenset()))
        assert best is not None  # every row can stay unplaced
        found = [best]
        least_value = self.big * (best.value // self.big)  # as many rows placed as the best
        ticket = itertools.count()
        queue: list[tuple[int, int, int, _Subproblem, _Solution | None]] = []

        def push_children(subproblem: _Subproblem, solution: _Solution) -> None:
            free = [pair for pair in solution.pairs if pair not in subproblem.forced_in]
            for position, pair in enumerate(free):
                child = _Subproblem(subproblem.forced_in + tuple(free[:position]), subproblem.forced_out | {pair})
                heapq.heappush(queue, (-solution.value, 1, next(ticket), child, None))

        if count > 1:
            push_children(_Subproblem(forced_in=(), forced_out=frozenset()), best)
        while queue and len(found) < count:
            _, unsolved, _, subproblem, solution = heapq.heappop(queue)
            if unsolved:
                solution = self.solve(subproblem)
                if solution is not None and solution.value >= least_value:
                    heapq.heappush(queue, (-solution.value, 0, next(ticket), subproblem, solution))
                continue
            found.append(solution)
            if len(found) < count:
                push_children(subproblem, solution)
        return found

    def ranked(self) -> Iterator[_Solution]:
        """Every assignment, best first, without the "as many placed" cut of ``k_best``.

        The same Murty partition, made lazier: a solution's children are not built up front (a
        hundred invitees make a hundred children of a hundred pairs each) but one at a time, as
        the queue reaches their parent's bound; an entry stands for "the children of this
        solution from the i-th on". At equal keys solved entries come first, as in ``k_best``.
        """
        root = _Subproblem(forced_in=(), forced_out=frozenset())
        best = self.solve(root)
        assert best is not None  # every row can stay unplaced
        ticket = itertools.count()
        queue: list[tuple] = [(-best.value, 0, next(ticket), root, best)]
        while queue:
            key, kind, _, subproblem, found = heapq.heappop(queue)
            if kind == 0:  # a solution: the next best
                yield found
                forced = set(subproblem.forced_in)
                free = [pair for pair in found.pairs if pair not in forced]
                if free:
                    heapq.heappush(queue, (key, 1, next(ticket), subproblem, (free, 0)))
                continue
            free, position = found  # the children of a solution, from ``position`` on
            child = _Subproblem(subproblem.forced_in + tuple(free[:position]), subproblem.forced_out | {free[position]})
            solution = self.solve(child)
            if solution is not None:
                heapq.heappush(queue, (-solution.value, 0, next(ticket), child, solution))
            if position + 1 < len(free):
                heapq.heappush(queue, (key, 1, next(ticket), subproblem, (free, position + 1)))


# --- Polls of options ----------------------------------------------------------------------------
#
# A poll can also ask "which of these times?": each person answers every option yes (2) or if need
# be (1); no answer is no. Here an option is a Slot whose ``start_index`` is its position in the
# poll's list, and a Person's ``levels`` map option positions to 1 or 2.
#
# Ranking (:func:`rank_options`): most people who can come (yes or if need be), then most yes, then
# the option's position (the poll lists options in time order). Options equal on the first two
# share a ``tie_rank``, as group times do. Every option is ranked, even one nobody can make: the
# owner chose them all.
#
# 1-on-1s (:func:`one_on_ones_from_options`): the same objective and assignment as the grid's
# series (people placed first, then owner's level + invitee's level), each invitee in a distinct
# option. Unlike grid tiles, options may overlap (10:00 and 10:30 for an hour, or a whole day and a
# time on it), and no schedule may use two that do. Assignments are therefore enumerated best
# first (Murty's partition, as for alternatives) and the first whose options are pairwise disjoint
# is the optimum among valid schedules; when options do not overlap, that is the first one. The
# search stops after ``max_examined`` assignments; then the best assignment loses its overlapping
# meetings, latest first (rare: it needs many people competing for overlapping options).

OPTION_LEVELS = (1, 2)


@dataclass(frozen=True)
class RankedOption:
    """One option of a poll with who can come: ``yes`` and ``if_need_be`` keep the people's order."""

    index: int
    yes: tuple[Person, ...]
    if_need_be: tuple[Person, ...]
    rank: int
    tie_rank: int

    @property
    def available_count(self) -> int:
        return len(self.yes) + len(self.if_need_be)

    @property
    def yes_count(self) -> int:
        return len(self.yes)

    @property
    def tied_with_previous(self) -> bool:
        return self.tie_rank < self.rank


def rank_options(option_count: int, people: Sequence[Person], *, limit: int | None = None) -> list[RankedOption]:
    """Every option (the first ``limit`` when given), best first; see the section comment."""
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more, got {limit}")
    _check_option_levels(option_count, people)
    yes: list[list[Person]] = [[] for _ in range(option_count)]
    maybe: list[list[Person]] = [[] for _ in range(option_count)]
    for person in people:
        for index, level in person.levels.items():
            (yes if level == 2 else maybe)[index].append(person)
    order = sorted(range(option_count), key=lambda i: (-(len(yes[i]) + len(maybe[i])), -len(yes[i]), i))
    ranked = []
    tie_rank, previous_key = 0, None
    for rank, index in enumerate(order[:limit], start=1):
        key = (len(yes[index]) + len(maybe[index]), len(yes[index]))
        if key != previous_key:
            tie_rank, previous_key = rank, key
        ranked.append(RankedOption(index, tuple(yes[index]), tuple(maybe[index]), rank=rank, tie_rank=tie_rank))
    return ranked


def one_on_ones_from_options(
    slots: Sequence[Slot],
    owner: Person,
    invitees: Sequence[Person],
    *,
    alternatives: int = 3,
    max_examined: int = 200,
) -> SeriesSuggestions:
    """The best series of 1-on-1s on a poll's options, and up to ``alternatives`` distinct runners-up
    placing as many people. ``slots[i].start_index`` must be ``i``. See the section comment."""
    _check_unique_keys(owner, invitees)
    if alternatives < 0:
        raise ValueError(f"alternatives must be 0 or more, got {alternatives}")
    if any(slot.start_index != position for position, slot in enumerate(slots)):
        raise ValueError("Each option's start_index must be its position")
    _check_option_levels(len(slots), [owner, *invitees])
    owner_levels = _option_matrix(len(slots), [owner])[0]
    invitee_levels = _option_matrix(len(slots), invitees)
    feasible = (invitee_levels > 0) & (owner_levels > 0)
    rows = np.flatnonzero(feasible.any(axis=1))
    columns = np.flatnonzero(feasible[rows].any(axis=0))
    problem = _AssignmentProblem(feasible, owner_levels, invitee_levels, rows, columns)
    invitee_of_row, option_of_column = rows.tolist(), columns.tolist()

    def placements(solution: _Solution) -> dict[int, int]:
        """Invitee position -> option position."""
        return {
            invitee_of_row[row]: option_of_column[column]
            for row, column in solution.pairs
            if column < problem.tile_count
        }

    def disjoint(placed: dict[int, int]) -> bool:
        used = sorted((slots[option] for option in placed.values()), key=lambda slot: slot.start)
        return all(later.start >= earlier.end for earlier, later in itertools.pairwise(used))

    found: list[dict[int, int]] = []
    least_value = None
    first = None
    for examined, solution in enumerate(problem.ranked(), start=1):
        first = first or solution
        if least_value is not None and solution.value < least_value:
            break
        placed = placements(solution)
        if disjoint(placed):
            found.append(placed)
            if least_value is None:
                least_value = problem.big * (solution.value // problem.big)
            if len(found) > alternatives:
                break
        if examined >= max_examined:
            break
    if not found:
        found = [_without_overlaps(placements(first), slots, owner_levels, invitee_levels)]

    def schedule(placed: dict[int, int]) -> Schedule:
        meetings = sorted(
            (
                Meeting(invitees[i], slots[o], int(owner_levels[o]), int(invitee_levels[i, o]))
                for i, o in placed.items()
            ),
            key=lambda meeting: (meeting.slot.start, meeting.slot.start_index),
        )
        unplaced = _unplaced(invitees, placed, feasible)
        return Schedule(meetings=tuple(meetings), unplaced=tuple(unplaced))

    best, *runners_up = found
    return SeriesSuggestions(
        tiling=tuple(slots), best=schedule(best), alternatives=tuple(schedule(placed) for placed in runners_up)
    )


def _check_option_levels(option_count: int, people: Sequence[Person]) -> None:
    for person in people:
        for index, level in person.levels.items():
            if not 0 <= index < option_count:
                raise ValueError(f"{person.key} answered an option outside the {option_count} options")
            if level not in OPTION_LEVELS:
                raise ValueError(f"{person.key} answered a level outside {OPTION_LEVELS}")


def _option_matrix(option_count: int, people: Sequence[Person]) -> np.ndarray:
    matrix = np.zeros((len(people), option_count), dtype=np.int8)
    for row, person in enumerate(people):
        for index, level in person.levels.items():
            matrix[row, index] = level
    return matrix


def _without_overlaps(
    placed: dict[int, int], slots: Sequence[Slot], owner_levels: np.ndarray, invitee_levels: np.ndarray
) -> dict[int, int]:
    """The fallback: keep the best-liked meetings that do not overlap one already kept."""
    kept: dict[int, int] = {}
    by_preference = sorted(
        placed.items(), key=lambda pair: (-(owner_levels[pair[1]] + invitee_levels[pair]), slots[pair[1]].start)
    )
    for invitee, option in by_preference:
        slot = slots[option]
        if all(slot.end <= slots[o].start or slots[o].end <= slot.start for o in kept.values()):
            kept[invitee] = option
    return kept


def _unplaced(invitees, placed, feasible) -> list[Unplaced]:
    """Everyone a schedule leaves out, with why: nothing painted, no time shared with the owner,
    or every shared time taken by someone else (``feasible``: invitee x time, can they meet)."""
    unplaced = []
    for index, invitee in enumerate(invitees):
        if index in placed:
            continue
        if not invitee.levels:
            reason = UnplacedReason.NO_AVAILABILITY
        elif feasible[index].any():
            reason = UnplacedReason.SHARED_TIMES_TAKEN
        else:
            reason = UnplacedReason.NO_SHARED_TIME
        unplaced.append(Unplaced(invitee, reason))
    return unplaced
