"""The poll's shareable link (joining by name), what participants see of each other, and comments."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import get_usage

from accounts.shortcuts import get_owned_or_404
from accounts.text import PlainTextForm
from scheduling import participants
from scheduling.models import Invitation, Poll, PollComment


class JoinForm(PlainTextForm, forms.Form):
    name = forms.CharField(label="Your name", max_length=100, help_text="Others in this poll may see it.")
    email = forms.EmailField(
        label="Email (optional)", required=False,
        help_text="We email you your personal link to change your answer, and the final time.",
    )  # fmt: skip


class ShareForm(forms.ModelForm):
    class Meta:
        model = Poll
        fields = ["share_enabled", "visibility"]
        widgets = {"visibility": forms.RadioSelect}


class CommentForm(PlainTextForm, forms.Form):
    text = forms.CharField(label="Comment", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


def _cookie_name(poll: Poll) -> str:
    return f"poll-{poll.pk}"


def remembered(request: HttpRequest, poll: Poll) -> Invitation | None:
    """The participant this browser joined the poll as, if it did."""
    try:
        token = request.get_signed_cookie(_cookie_name(poll), salt=participants.COOKIE_SALT)
    except (KeyError, signing.BadSignature):
        return None
    return poll.invitations.filter(token=token).first()


def _remember(response: HttpResponse, poll: Poll, invitation: Invitation) -> HttpResponse:
    response.set_signed_cookie(
        _cookie_name(poll), invitation.token, salt=participants.COOKIE_SALT, max_age=60 * 60 * 24 * 400,
        httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
    )  # fmt: skip
    return response


def _shared_poll(share_token: str) -> Poll:
    return get_object_or_404(Poll.objects.select_related("owner"), share_token=share_token)


def join(request: HttpRequest, share_token: str) -> HttpResponse:
    """The poll's shareable link: a name (and an address, if they like), then their own page."""
    poll = _shared_poll(share_token)
    closed = participants.joinable(poll)
    form = JoinForm(request.POST or None)
    context = {"poll": poll, "form": form, "closed": closed, "returning": remembered(request, poll)}
    if request.method != "POST":
        return render(request, "scheduling/join.html", context)
    if closed:
        return render(request, "scheduling/join.html", context, status=410)
    rate = f"{settings.POLL_JOINS_PER_HOUR}/h"
    usage = get_usage(request, group=f"poll-join:{poll.pk}", key="ip", rate=rate, increment=True)
    if usage is not None and usage["should_limit"]:
        form.is_valid()
        form.add_error(None, "Too many people joined from your network in the last hour. Please try again later.")
        response = render(request, "scheduling/join.html", context, status=429)
        response["Retry-After"] = str(max(1, usage["time_left"]))
        return response
    if not form.is_valid():
        return render(request, "scheduling/join.html", context, status=400)
    try:
        invitation = participants.join(poll=poll, name=form.cleaned_data["name"], email=form.cleaned_data["email"])
    except participants.JoinRefused as refused:
        form.add_error(refused.field, refused.message)
        return render(request, "scheduling/join.html", context, status=409)
    return _remember(redirect(f"{invitation.get_absolute_url()}?joined=1"), poll, invitation)


# --- The owner's settings ----------------------------------------------------------------------


@login_required
@require_POST
def share_settings(request: HttpRequest, pk: int) -> HttpResponse:
    poll = get_owned_or_404(Poll, request.user, pk=pk)
    form = ShareForm(request.POST, instance=poll)
    if form.is_valid():
        participants.share(poll, enabled=form.cleaned_data["share_enabled"])
        poll.visibility = form.cleaned_data["visibility"]
        poll.save(update_fields=["visibility", "updated_at"])
        messages.success(request, "Saved who can join and who sees the answers.")
    else:
        messages.error(request, "Pick who sees the answers.")
    return redirect(poll)


@login_required
@require_POST
def share_regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    poll = get_owned_or_404(Poll, request.user, pk=pk)
    participants.regenerate(poll)
    messages.success(
        request, "A new link is ready; the old one no longer works. People who joined keep their own links."
    )
    return redirect(poll)


# --- Comments ----------------------------------------------------------------------------------


def _participant(token: str) -> Invitation:
    return get_object_or_404(Invitation.objects.select_related("poll__owner"), token=token)


@require_POST
def participant_comment(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _participant(token)
    poll = invitation.poll
    if not participants.sees_answers(poll, invitation):
        raise Http404("Comments are not shown on this poll.")
    form = CommentForm(request.POST)
    if form.is_valid():
        participants.comment(poll=poll, invitation=invitation, text=form.cleaned_data["text"])
        messages.success(request, "Your comment is posted.")
    else:
        messages.error(request, " ".join(form.errors["text"]))
    return redirect(f"{invitation.get_absolute_url()}#comments")


@require_POST
def participant_comment_delete(request: HttpRequest, token: str, comment_pk: int) -> HttpResponse:
    invitation = _participant(token)
    comment = get_object_or_404(PollComment, pk=comment_pk, poll=invitation.poll, invitation=invitation)
    comment.delete()
    messages.success(request, "Your comment is deleted.")
    return redirect(f"{invitation.get_absolute_url()}#comments")


@login_required
@require_POST
def owner_comment(request: HttpRequest, pk: int) -> HttpResponse:
    poll = get_owned_or_404(Poll, request.user, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        participants.comment(poll=poll, invitation=None, text=form.cleaned_data["text"])
        messages.success(request, "Your comment is posted.")
    else:
        messages.error(request, " ".join(form.errors["text"]))
    return redirect(f"{poll.get_absolute_url()}#comments")


@login_required
@require_POST
def owner_comment_delete(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    poll = get_owned_or_404(Poll, request.user, pk=pk)
    get_object_or_404(PollComment, pk=comment_pk, poll=poll).delete()
    messages.success(request, "The comment is deleted.")
    return redirect(f"{poll.get_absolute_url()}#comments")


@require_GET
def participant_who(request: HttpRequest, token: str) -> HttpResponse:
    """Who can make one cell of the heat map, for a participant allowed to see the answers."""
    from scheduling.poll_pages import PollData, who_at
    from scheduling.views import viewer_zone

    invitation = _participant(token)
    poll = invitation.poll
    if not participants.sees_answers(poll, invitation):
        raise Http404("The answers are not shown on this poll.")
    found = who_at(PollData.load(poll), request.GET.get("cell", ""), viewer_zone(request, poll.timezone), invitation)
    if found is None:
        raise Http404("No such cell in this poll.")
    return render(request, "scheduling/_heat_map.html#who", {"poll": poll, **found})
