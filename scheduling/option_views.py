"""Polls of options: the owner changes the options and answers them; a participant answers by
their personal link. The pages themselves are the poll's (scheduling/views.py), which ask
scheduling/options.py for what to show."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.shortcuts import get_owned_or_404
from scheduling import options, recipients
from scheduling.forms import AnswersForm, OptionsForm
from scheduling.models import Invitation, Poll


def _owner_poll(request: HttpRequest, pk: int) -> Poll:
    poll = get_owned_or_404(Poll.objects.select_related("owner"), request.user, pk=pk)
    if poll.mode != Poll.Mode.OPTIONS:
        raise Http404("This poll is answered on a grid.")
    return poll


def _with_view(url: str, request: HttpRequest) -> str:
    """``url`` shown as the page was: in the viewer's timezone and on their clock."""
    query = {name: request.GET[name] for name in ("tz", "clock") if name in request.GET}
    return f"{url}?{urlencode(query)}" if query else url


@login_required
def poll_options(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the options: answers to the options kept stay; removing options someone answered
    asks first."""
    poll = _owner_poll(request, pk)
    if poll.status == Poll.Status.FINALIZED:
        messages.error(request, "This poll is finalized, so its options can no longer change. Un-finalize it first.")
        return redirect(poll)
    form = OptionsForm(request.POST or None, poll=poll)
    context = {"poll": poll, "form": form}
    if request.method == "POST" and form.is_valid():
        choices = form.cleaned_data["option_list"]
        answered = [option for option in options.removed_by(poll, choices) if option.answered]
        if answered and request.POST.get("confirm_remove") != "yes":
            for option in answered:
                option.label = options.label(option, poll, poll.tzinfo)
            return render(request, "scheduling/poll_options.html", {**context, "removing": answered})
        added, removed = options.replace_options(poll=poll, choices=choices)
        messages.success(request, _changed(added, removed))
        return redirect(poll)
    return render(request, "scheduling/poll_options.html", context)


def _changed(added: int, removed: int) -> str:
    if not added and not removed:
        return "Nothing changed: the poll offers the same options."
    parts = []
    if added:
        parts.append(f"added {added} option{'s' if added != 1 else ''} (your answer: yes)")
    if removed:
        parts.append(f"removed {removed} with their answers")
    return f"Options saved: {' and '.join(parts)}. Answers to the options you kept are unchanged."


@login_required
@require_POST
def owner_answers(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _owner_poll(request, pk)
    form = AnswersForm(request.POST, option_ids=list(poll.options.values_list("pk", flat=True)))
    if not poll.is_open:
        messages.error(request, "This poll is closed; your answers can no longer change.")
    elif not form.is_valid():
        messages.error(request, "Answer yes, if need be or no to each option.")
    else:
        options.save_answers(poll=poll, invitation=None, levels=form.levels)
        messages.success(request, "Your answers are saved.")
    return redirect(_with_view(poll.get_absolute_url(), request))


@require_POST
def participant_answers(request: HttpRequest, token: str) -> HttpResponse:
    """Save someone's answers: a normal form post (then back to their page), or htmx as they
    choose (then only the line saying it is saved changes)."""
    invitation = get_object_or_404(Invitation.objects.select_related("poll__owner"), token=token)
    poll = invitation.poll
    if poll.mode != Poll.Mode.OPTIONS:
        raise Http404("This poll is answered on a grid.")
    recipients.remember(invitation, recipients.seen_in(request.GET))  # the zone their page showed
    form = AnswersForm(request.POST, option_ids=list(poll.options.values_list("pk", flat=True)))
    saved, text = False, ""
    if not poll.accepts_answers():
        text = "This poll no longer takes answers."
    elif invitation.status == Invitation.Status.DECLINED:
        text = "You declined this poll. Undo the decline to answer after all."
    elif not form.is_valid():
        text = "Answer yes, if need be or no to each option."
    else:
        saved = True
        if options.save_answers(poll=poll, invitation=invitation, levels=form.levels):
            text = f"Saved. {poll.owner.display_name} can see your answers; you can change them until the deadline."
        else:
            text = "Saved, with no to every option. If none of these times works, decline below so the organiser knows."
    if request.htmx:
        context = {"status_text": text, "saved": saved}
        return render(request, "scheduling/_options_respond.html#answer-status", context)
    (messages.success if saved else messages.error)(request, text)
    return redirect(_with_view(invitation.get_absolute_url(), request))
