"""What the poll pages show: grids laid out in the viewer's timezone, the heat map, the status
board. Reads the database in a fixed number of queries whatever the number of invitees or cells."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from scheduling import grid
from scheduling.models import AvailabilitySpan, Invitation, Poll

LEVEL_NAMES = grid.LEVELS


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
        for invitation_id, start, end, level in AvailabilitySpan.objects.filter(poll=poll).values_list(
            "invitation_id", "start", "end", "level"
        ):
            spans_by_person[invitation_id].append(grid.Span(start, end, level))
        levels = {
            person: grid.levels_from_spans(cells, poll.cell_minutes, spans) for person, spans in spans_by_person.items()
        }
        return cls(poll=poll, cells=cells, invitations=invitations, levels=levels)

    def of(self, invitation: Invitation | None) -> dict[int, int]:
        return self.levels.get(invitation.pk if invitation else None, {})


def cell_label(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B}, {moment:%H:%M}"


def grid_rows(data: PollData, viewer_tz: str, *, mine: dict[int, int], background: dict[int, int] | None = None,
              heat: dict[int, tuple[int, int]] | None = None) -> dict:  # fmt: skip
    """Rows of cells for the template, in the viewer's timezone.

    ``mine``: the viewer's levels; ``background``: the owner's levels, shown faintly to invitees;
    ``heat``: cell -> (people available, sum of levels) for the owner's heat map.
    """
    zone = ZoneInfo(viewer_tz)
    layout = grid.layout(data.cells, viewer_tz)
    responders = max(1, sum(1 for invitation in data.invitations if data.of(invitation)) + 1)
    rows = []
    for row_time, row in zip(layout.rows, layout.matrix, strict=True):
        cells = []
        for position in row:
            if position is None:
                cells.append(None)
                continue
            moment = data.cells[position].astimezone(zone)
            cell = {
                "key": grid.cell_key(data.cells[position]),
                "label": cell_label(moment),
                "level": mine.get(position, 0),
            }
            if background is not None:
                cell["background"] = background.get(position, 0)
            if heat is not None:
                count, total = heat.get(position, (0, 0))
                cell["count"] = count
                # 0-5 intensity from the share of people and how much they like it.
                cell["intensity"] = min(5, round(5 * total / (3 * responders))) if count else 0
            cells.append(cell)
        rows.append({"time": row_time, "cells": cells})
    return {"columns": layout.columns, "rows": rows}


def heat_map(data: PollData) -> dict[int, tuple[int, int]]:
    """cell -> (number of people available, sum of their levels), owner included."""
    heat: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for levels in data.levels.values():
        for position, level in levels.items():
            heat[position][0] += 1
            heat[position][1] += level
    return {position: (count, total) for position, (count, total) in heat.items()}


def who_is_available(data: PollData, position: int) -> dict:
    owner_level = data.of(None).get(position)
    people = [{"name": data.poll.owner.display_name, "level": owner_level, "owner": True}] if owner_level else []
    unavailable = []
    for invitation in data.invitations:
        level = data.of(invitation).get(position)
        if level:
            people.append({"name": invitation.name, "level": level})
        elif invitation.status != Invitation.Status.DECLINED:
            unavailable.append(invitation.name)
    people.sort(key=lambda person: -person["level"])
    for person in people:
        person["level_name"] = LEVEL_NAMES[person["level"]]
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
