"""Side-by-side layout of the timed entries in one day column (week and day views).

Entries that overlap in time would cover each other if each took the column's whole width. As
calendar apps do, each entry gets a lane: entries are taken by start (longer first on a tie) and
put in the first lane whose last entry has ended. A *cluster* is a run of entries that overlap
one another transitively; every entry in it is as wide as its cluster has lanes, so entries that
overlap nothing keep the whole width. An entry then widens to the right over lanes that stay free
for all of its time, so a short meeting beside a long one does not leave a hole.

Plain numbers in (any unit: minutes, rem), plain data out; no ORM, no dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Lane:
    """Where an entry sits across its day column: lanes ``column`` to ``column + span - 1`` of
    ``columns`` equal lanes."""

    column: int
    span: int
    columns: int

    @property
    def left(self) -> float:
        """Offset from the column's left edge, as a fraction of the column's width."""
        return self.column / self.columns

    @property
    def width(self) -> float:
        """Width as a fraction of the column's width."""
        return self.span / self.columns


def lanes(spans: Sequence[tuple[float, float]]) -> list[Lane]:
    """The lane of each ``(start, end)`` span, in the order given. Spans are half-open: one that
    ends as another starts does not overlap it. Every span must have ``end > start``."""
    if any(end <= start for start, end in spans):
        raise ValueError("Every span must end after it starts.")
    order = sorted(range(len(spans)), key=lambda index: (spans[index][0], -spans[index][1], index))
    column_of: list[int] = [0] * len(spans)
    clusters: list[list[int]] = []
    lane_ends: list[float] = []  # the end of the last entry put in each lane of the open cluster
    cluster_end = float("-inf")
    for index in order:
        start, end = spans[index]
        if start >= cluster_end:  # overlaps nothing in the open cluster: a new one begins
            clusters.append([])
            lane_ends = []
        column = next((lane for lane, lane_end in enumerate(lane_ends) if lane_end <= start), len(lane_ends))
        if column == len(lane_ends):
            lane_ends.append(end)
        else:
            lane_ends[column] = end
        column_of[index] = column
        clusters[-1].append(index)
        cluster_end = max(cluster_end, end)

    placed: dict[int, Lane] = {}
    for members in clusters:
        columns = 1 + max(column_of[index] for index in members)
        for index in members:
            span = 1
            while column_of[index] + span < columns and not any(
                column_of[other] == column_of[index] + span and _overlap(spans[index], spans[other])
                for other in members
            ):
                span += 1
            placed[index] = Lane(column_of[index], span, columns)
    return [placed[index] for index in range(len(spans))]


def _overlap(one: tuple[float, float], other: tuple[float, float]) -> bool:
    return one[0] < other[1] and other[0] < one[1]
