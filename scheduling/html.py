"""The scheduling app's HTML written in Python rather than in a template: the cells of the poll
grids. A two-week poll has hundreds of cells on each of its grids, rebuilt on every stroke's
partial; the template language spent about 40 µs a cell on them, this about 3 µs. Every value
goes through ``format_html``, so names and labels are escaped as a template would escape them.
"""

from __future__ import annotations

from django.utils.html import escape, format_html
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


# --- The owner's list of people in a poll ------------------------------------------------------
# Up to 200 people join a shared poll; each row's markup in the template language cost ~0.1 ms.

_STATUS_CLASSES = {
    "responded": "bg-emerald-100 text-emerald-800",
    "declined": "bg-red-100 text-red-800",
    "pending": "bg-amber-100 text-amber-900",
}


JOINED_BY_LINK = ' <span class="text-xs font-normal text-slate-500">(joined by link)</span>'


def invitee_row(invitation, *, status_label: str, reminded: str, actions: bool, csrf_token: str) -> SafeString:
    """One person on the owner's status board: name, address (none if they joined by link without
    one), where they stand, and the remind/remove buttons while the poll is open. ``reminded``:
    how long ago they were last reminded ("" if never). Every value is escaped once, and the row
    is one string (nested ``format_html`` calls cost ~30 µs a row at 200 people)."""
    name, email = escape(invitation.name), escape(invitation.email)
    details = (
        f'<span data-testid="invitee-status" class="rounded-full px-2 py-0.5 font-medium '
        f'{_STATUS_CLASSES.get(invitation.status, "")}">{escape(status_label)}</span>'
        + (f" · reminded {escape(reminded)} ago" if reminded else "")
        + (f" · “{escape(invitation.decline_note)}”" if invitation.decline_note else "")
    )
    buttons = ""
    if actions:
        csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
        remind = ""
        if invitation.status == "pending" and invitation.email:
            url = escape(invitation.remind_url)
            remind = (
                f'<form method="post" action="{url}" hx-post="{url}" hx-target="#status-board" hx-swap="outerHTML">'
                f'{csrf}<button type="submit" class="btn btn-secondary btn-sm" aria-label="Remind {name}">Remind'
                "</button></form>"
            )
        url = escape(invitation.remove_url)
        remove = (
            f'<form method="post" action="{url}" hx-post="{url}" hx-target="#status-board" hx-swap="outerHTML" '
            f'hx-confirm="Remove {name}? Their link will stop working and their answer is deleted.">'
            f'{csrf}<button type="submit" class="btn btn-ghost btn-sm text-red-700" aria-label="Remove {name}">'
            "Remove</button></form>"
        )
        buttons = f'<div class="flex gap-1">{remind}{remove}</div>'
    joined = (
        ' <span class="text-xs font-normal text-slate-500">(joined by link)</span>' if invitation.joined_by_link else ""
    )
    return mark_safe(  # every value above is escaped
        f'<li class="flex flex-wrap items-center justify-between gap-2 py-2" data-invitee="{email or name}">'
        f'<div class="min-w-0"><p class="font-medium text-slate-900 wrap-anywhere">{name} '
        f'<span class="text-sm font-normal text-slate-500">{email}</span>{joined}</p>'
        f'<p class="text-xs text-slate-500">{details}</p></div>{buttons}</li>'
    )


# --- Comments on a poll ------------------------------------------------------------------------


def comment_items(comments, *, csrf_token: str) -> SafeString:
    """The ``<li>`` of each comment (participants.ShownComment), with a delete button where the
    viewer may delete it. A busy poll has dozens; each cost ~0.1 ms in the template language."""
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
    items = []
    for comment in comments:
        name = escape(comment.name)
        delete = ""
        if comment.delete_url:
            delete = (
                f'<form method="post" action="{escape(comment.delete_url)}">{csrf}'
                f'<button type="submit" class="btn btn-ghost btn-sm text-red-700" '
                f'aria-label="Delete the comment by {name}">Delete</button></form>'
            )
        organiser = ' <span class="text-slate-500">(organiser)</span>' if comment.by_owner else ""
        items.append(
            '<li class="rounded-lg bg-slate-50 p-3 text-sm">'
            '<div class="flex flex-wrap items-start justify-between gap-2">'
            f"<p><strong>{name}</strong>{organiser} "
            f'<span class="text-xs text-slate-500">· {escape(comment.when)}</span></p>'
            f"{delete}</div>"
            f'<p class="mt-1 whitespace-pre-line wrap-anywhere text-slate-800">{escape(comment.text)}</p></li>'
        )
    return mark_safe("".join(items))  # every value above is escaped
