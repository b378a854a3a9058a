"""The owner's tools for a poll's later life: reopen, un-finalize, duplicate, export answers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from accounts.shortcuts import get_owned_or_404
from scheduling import lifecycle
from scheduling.models import Poll


def _owner_poll(request: HttpRequest, pk: int) -> Poll:
    return get_owned_or_404(Poll.objects.select_related("owner"), request.user, pk=pk)


@login_required
@require_POST
def poll_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _owner_poll(request, pk)
    if poll.status == Poll.Status.FINALIZED:
        messages.info(request, "This poll is finalized: un-finalize it to pick another time.")
    elif poll.accepts_answers():
        messages.info(request, "This poll is already open.")
    else:
        poll = lifecycle.reopen(poll=poll)
        deadline = timezone.localtime(poll.deadline, request.user.tzinfo)
        messages.success(request, f"Reopened: people can answer until {dateformat.format(deadline, 'l j F')}.")
    return redirect(poll)


@login_required
def poll_unfinalize(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation listing the meetings that will be cancelled, then the cancellation."""
    poll = _owner_poll(request, pk)
    if poll.status != Poll.Status.FINALIZED:
        messages.info(request, "This poll is not finalized.")
        return redirect(poll)
    if request.method == "POST":
        cancelled = lifecycle.unfinalize(poll=poll)
        messages.success(
            request,
            f"Un-finalized: {cancelled} meeting{'s' if cancelled != 1 else ''} cancelled and everyone invited "
            "told; the poll is open again.",
        )
        return redirect(poll)
    return render(request, "scheduling/poll_unfinalize.html", {"poll": poll, "meetings": lifecycle.meetings_of(poll)})


@login_required
@require_POST
def poll_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _owner_poll(request, pk)
    copy = lifecycle.duplicate(poll=poll)
    messages.success(request, "A copy of the poll, without people or answers. Check its dates, then save.")
    return redirect("scheduling:poll_edit", copy.pk)


@login_required
@require_GET
def poll_export(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _owner_poll(request, pk)
    response = HttpResponse(lifecycle.export_csv(poll), content_type="text/csv; charset=utf-8")
    name = slugify(poll.title) or "poll"
    response["Content-Disposition"] = f'attachment; filename="{name}-answers.csv"'
    return response
