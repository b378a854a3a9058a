"""What the poll pages show: grids laid out in the viewer's timezone, the heat map, the status
board. Reads the database in a fixed number of queries whatever the number of invitees or cells."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from accounts import clock
from scheduling import grid, html
from scheduling.models import AvailabilitySpan, Invitation, Poll


@dataclass
class PollData:
    """Everything painted on a poll, loaded in two queries."""

    poll: Poll
    cells: list[datetime]
    invitations: list[Invitation]
    levels: dict[int | None, dict[int, int]] = field(default_factory=dict)  # invitation id (None = owner)

    @classmethod
    def load(cls, poll: Poll) -> PollData:
        cells = poll.cells()
        invitations = list(poll.invitations.all())
        spans_by_person: dict[int | None, list[grid.Span]] = defaultdict(list)
        for invitation_id, start, end, level in poll_spans(poll.pk):
            spans_by_person[invitation_id].append(grid.Span(start, end, level))
        levels = {
            person: grid.levels_from_spans(cells, poll.cell_minutes, spans) for person, spans in spans_by_person.items()
        }
        return cls(poll=poll, cells=cells, invitations=invitations, levels=levels)

    def of(self, invitation: Invitation | None) -> dict[int, int]:
        return self.levels.get(invitation.pk if invitation else None, {})

    def labels(self, viewer_tz: str) -> tuple[list[str], list[str], grid.Layout]:
        """Cell keys, accessible labels in the viewer's timezone and on their clock, and the layout
        (shared by the page's grids)."""
        on_clock = clock.active()
        cached = self._labels.get((viewer_tz, on_clock)) if hasattr(self, "_labels") else None
        if cached is None:
            zone = ZoneInfo(viewer_tz)
            keys = [grid.cell_key(moment) for moment in self.cells]
            days: dict = {}
            labels = []
            for moment in self.cells:
                local = moment.astimezone(zone)
                day = local.date()
                if day not in days:
                    days[day] = f"{local:%A} {local.day} {local:%B}"
                labels.append(f"{days[day]}, {on_clock.time(local)}")
            cached = (keys, labels, grid.layout(self.cells, viewer_tz))
            self._labels = {**getattr(self, "_labels", {}), (viewer_tz, on_clock): cached}
        return cached


def poll_spans(poll_id: int) -> list[tuple[int | None, datetime, datetime, int]]:
    """Every painted interval of a poll: (invitation id or None for the owner, start, end, level).

    A busy poll has a thousand or more; one plain statement skips the ORM's per-value conversions,
    which cost as much as the rest of the page.
    """
    quote = connection.ops.quote_name
    meta = AvailabilitySpan._meta
    columns = ", ".join(quote(meta.get_field(name).column) for name in ("invitation", "start", "end", "level"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(meta.get_field('poll').column)} = %s",
            [poll_id],
        )
        rows = cursor.fetchall()
    return [(person, _utc(start), _utc(end), level) for person, start, end, level in rows]


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive UTC datetimes, PostgreSQL aware ones.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def grid_rows(data: PollData, viewer_tz: str, *, mine: dict[int, int], background: dict[int, int] | None = None,
              heat: dict[int, tuple[int, int]] | None = None, who_url: str = "",
              busy: set[int] | frozenset[int] = frozenset(), people: int | None = None) -> dict:  # fmt: skip
    """Rows of cells for the template, in the viewer's timezone.

    ``mine``: the viewer's levels; ``background``: the owner's levels, shown faintly to invitees;
    ``heat``: cell -> (people available, sum of levels) for the owner's heat map; ``busy``: cells
    busy in the owner's calendar (Convene's or Google's), marked on the owner's own grid;
    ``people``: how many the heat map counts, when the owner filtered it. Each row's cells are
    written by scheduling/html.py, in one go.
    """
    keys, labels, layout = data.labels(viewer_tz)
    responders = max(1, people if people is not None else sum(1 for i in data.invitations if data.of(i)) + 1)
    rows = []
    for row_time, row in zip(layout.rows, layout.matrix, strict=True):
        cells = []
        for position in row:
            if position is None:
                cells.append(html.GAP)
            elif heat is not None:
                count, total = heat.get(position, (0, 0))
                intensity = min(5, round(5 * total / (3 * responders))) if count else 0
                cells.append(html.heat_cell(key=keys[position], label=labels[position], count=count,
                                            intensity=intensity, who_url=who_url))  # fmt: skip
            else:
                cells.append(html.paint_cell(
                    key=keys[position], label=labels[position], level=mine.get(position, 0),
                    background=background.get(position, 0) if background else 0, busy=position in busy,
                ))  # fmt: skip
        rows.append({"time": row_time, "cells_html": html.row(cells)})
    return {"columns": layout.columns, "rows": rows}


def heat_map(data: PollData, people: set[int | None] | None = None) -> dict[int, tuple[int, int]]:
    """cell -> (number of people available, sum of their levels), owner included; only the
    ``people`` given (invitation ids, None for the owner) when the owner filters the map."""
    heat: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for person, levels in data.levels.items():
        if people is not None and person not in people:
            continue
        for position, level in levels.items():
            heat[position][0] += 1
            heat[position][1] += level
    return {position: (count, total) for position, (count, total) in heat.items()}


def who_at(data: PollData, cell: str, zone: ZoneInfo, viewer: Invitation | None = None) -> dict | None:
    """Who can make the cell with key ``cell`` (None: no such cell), its time in ``zone``, and
    which of them is the ``viewer`` (the owner when None)."""
    keys = {grid.cell_key(moment): position for position, moment in enumerate(data.cells)}
    position = keys.get(cell)
    if position is None:
        return None
    return {"moment": data.cells[position].astimezone(zone), **who_is_available(data, position, viewer=viewer)}


def who_is_available(data: PollData, position: int, *, viewer: Invitation | None = None) -> dict:
    owner_level = data.of(None).get(position)
    people = (
        [{"name": data.poll.owner.display_name, "level": owner_level, "organiser": True, "you": viewer is None}]
        if owner_level
        else []
    )
    unavailable = []
    for invitation in data.invitations:
        level = data.of(invitation).get(position)
        if level:
            you = viewer is not None and invitation.pk == viewer.pk
            people.append({"name": invitation.name, "level": level, "you": you})
        elif invitation.status != Invitation.Status.DECLINED:
            unavailable.append(invitation.name)
    people.sort(key=lambda person: -person["level"])
    for person in people:
        person["level_name"] = grid.LEVELS[person["level"]]
    return {"available": people, "unavailable": unavailable}


def deadline_text(poll: Poll, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if poll.deadline <= now:
        return "deadline passed"
    remaining = poll.deadline - now
    if remaining.days >= 2:
        return f"deadline in {remaining.days} days"
    hours = int(remaining.total_seconds() // 3600)
    if hours >= 2:
        return f"deadline in {hours} hours"
    return "deadline within the hour" if hours < 1 else "deadline in 1 hour"


BRUSHES = [
    (3, "Preferred", "bg-emerald-600"),
    (2, "Fine", "bg-emerald-300"),
    (1, "If need be", "bg-amber-300"),
    (0, "Erase", "bg-slate-100 border border-slate-300"),
]
