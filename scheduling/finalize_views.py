"""Finalizing a poll: the plan (one group meeting, or a 1-on-1 per invitee), its preview with
errors and warnings, and sending the invitations. The same page for both kinds of poll: what
differs (suggestions, the times offered, the checks) comes from a planning object,
``finalize.GridPlanning`` or ``options.Planning``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.shortcuts import get_owned_or_404
from scheduling import finalize, options
from scheduling.forms import PlanForm
from scheduling.models import Poll


def _owner_poll(request: HttpRequest, pk: int) -> Poll:
    return get_owned_or_404(Poll.objects.select_related("owner"), request.user, pk=pk)


def _planning(poll: Poll) -> finalize.GridPlanning | options.Planning:
    return options.Planning(poll) if poll.mode == Poll.Mode.OPTIONS else finalize.GridPlanning(poll)


def _plan_context(poll: Poll, planning, form: PlanForm) -> dict:
    preview = None
    if form.is_bound and form.is_valid():
        preview = planning.check(form.meetings, list(form.plan_errors))
    for invitation in planning.invitations:
        invitation.chosen_slot = form.data.get(f"slot_{invitation.pk}", "") if form.is_bound else ""
        invitation.custom_time = form.data.get(f"custom_{invitation.pk}", "") if form.is_bound else ""
    return {"poll": poll, "form": form, "preview": preview, "invitations": planning.invitations}


@login_required
def poll_finalize(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _owner_poll(request, pk)
    if poll.status == Poll.Status.FINALIZED:
        messages.info(request, "This poll is already finalized; the invitations have been sent.")
        return redirect(poll)
    with timezone.override(poll.timezone):  # times are picked in the poll's timezone
        planning = _planning(poll)
        found = planning.suggestions()
        submitted = request.POST if request.method == "POST" else None
        if request.method == "GET" and (initial := planning.initial(request.GET, found)):
            # A picked suggestion is previewed straight away, as if submitted.
            submitted = QueryDict(mutable=True)
            for name, value in initial.items():
                submitted.setlist(name, value if isinstance(value, list) else [value])
        form = PlanForm(submitted, poll=poll, times=planning.times(), invitations=planning.invitations)
        context = _plan_context(poll, planning, form)
        if request.htmx and request.htmx.target == "preview":
            return render(request, "scheduling/poll_finalize.html#preview", context)
        if request.method == "POST" and request.POST.get("action") == "finalize":
            preview = context["preview"]
            if preview is None or not preview.ok:
                messages.error(request, "Fix the problems shown below before sending invitations.")
            elif preview.warnings and not form.cleaned_data.get("accept_warnings"):
                messages.warning(request, "Tick the box to confirm you want to send despite the warnings.")
            else:
                try:
                    events = finalize.finalize_poll(poll=poll, meetings=preview.meetings)
                except finalize.AlreadyFinalized:
                    messages.info(request, "This poll was already finalized; nothing was sent again.")
                    return redirect(poll)
                made = f"{len(events)} meeting{'s' if len(events) != 1 else ''}"
                messages.success(request, f"Finalized: {made} created and invitations sent.")
                return redirect(poll)
        context["suggestions"] = found
        return render(request, "scheduling/poll_finalize.html", context)
