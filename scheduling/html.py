"""The scheduling app's HTML written in Python rather than in a template: the cells of the poll
grids. A two-week poll has hundreds of cells on each of its grids, rebuilt on every stroke's
partial; the template language spent about 40 µs a cell on them, this about 3 µs. Every value
goes through ``format_html``, so names and labels are escaped as a template would escape them.
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

BUSY_LABEL = "Busy in your calendar"
GAP = mark_safe('<td aria-hidden="true"></td>')


def heat_cell(*, key: str, label: str, count: int, intensity: int, who_url: str) -> SafeString:
    """A cell of the owner's heat map: how many can come, and who on hover or focus (htmx)."""
    return format_html(
        '<td role="gridcell" tabindex="-1" data-cell="{}" data-heat="{}" aria-label="{}, {} available" '
        'hx-get="{}?cell={}" hx-trigger="mouseenter delay:120ms, focus" hx-target="#heat-detail" '
        'hx-swap="innerHTML"></td>',
        key, intensity, label, count, who_url, key,
    )  # fmt: skip


def paint_cell(*, key: str, label: str, level: int, background: int = 0, busy: bool = False) -> SafeString:
    """A cell someone paints: their level, the owner's faintly behind an invitee's, and (on the
    owner's own grid) whether their calendar is busy then. grid.js reads the label from
    data-label to build each cell's aria-label."""
    if busy:
        label = f"{label}, busy in your calendar"
    return format_html(
        '<td role="gridcell" tabindex="-1" data-cell="{}" data-level="{}"{}{} data-label="{}"></td>',
        key, level,
        format_html(' data-bg="{}"', background) if background else "",
        format_html(' data-busy title="{}"', BUSY_LABEL) if busy else "",
        label,
    )  # fmt: skip


def row(cells: list[SafeString]) -> SafeString:
    return mark_safe("".join(cells))
