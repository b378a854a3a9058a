"""Poll pages: the owner's (login) and the invitee's (token link)."""

from __future__ import annotations

import json
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, F, Value, When
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts import calendars, clock, google
from accounts.clock import Clock
from accounts.models import CalDAVAccount, GoogleCalendarConnection
from accounts.shortcuts import get_owned_or_404
from accounts.timezones import timezone_options, zone_from_query
from scheduling import finalize, grid, html, lifecycle, occurrences, options, participants, polls, recipients
from scheduling.forms import DeclineForm, InviteForm, PollForm, invitation_summary
from scheduling.models import Invitation, Poll
from scheduling.poll_pages import (
    BRUSHES,
    PollData,
    deadline_text,
    grid_rows,
    heat_map,
    who_at,
)

# htmx stops polling when a response has this status.
STOP_POLLING = 286


def _viewer_tz(request: HttpRequest, fallback: str) -> str:
    return zone_from_query(request.GET.get("tz"), fallback)


def viewer_zone(request: HttpRequest, fallback: str) -> ZoneInfo:
    """The zone a poll page is shown in: ?tz= when it is a known one, else ``fallback``."""
    return ZoneInfo(_viewer_tz(request, fallback))


# --- The owner's pages ---------------------------------------------------------------------------


@login_required
@require_GET
def poll_list(request: HttpRequest) -> HttpResponse:
    """The owner's polls, open ones first (soonest deadline first), then the rest, newest first;
    filtered by status and a search on the title, a page at a time. Filters live in the URL."""
    status = request.GET.get("status", "")
    status = status if status in Poll.Status.values else ""
    query = request.GET.get("q", "")[:200].strip()
    polls = Poll.objects.for_owner(request.user).with_counts()
    if status:
        polls = polls.filter(status=status)
    for word in query.split()[:5]:
        polls = polls.filter(title__icontains=word)
    is_open = Case(When(status=Poll.Status.OPEN, then=Value(0)), default=Value(1))
    deadline_if_open = Case(When(status=Poll.Status.OPEN, then=F("deadline")))
    polls = polls.order_by(is_open, deadline_if_open, "-created_at", "-pk")
    page = Paginator(polls, POLLS_PER_PAGE).get_page(request.GET.get("page"))
    detail = reverse("scheduling:poll_detail", args=[0]).replace("/0/", "/{}/")
    zone, on_clock = request.user.tzinfo, clock.active()
    for poll in page.object_list:  # strings and links built once, not by template filters per row
        deadline = poll.deadline.astimezone(zone)
        poll.url = detail.format(poll.pk)
        poll.deadline_label = f"{deadline:%a} {deadline.day} {deadline:%b}, {on_clock.time(deadline)}"
        poll.day_count = len(poll.dates)
    keep = {key: value for key, value in (("status", status), ("q", query)) if value}
    context = {
        "page": page, "status": status, "query": query, "statuses": Poll.Status.choices,
        "filtered": bool(keep), "page_query": urlencode(keep),
    }  # fmt: skip
    return render(request, "scheduling/poll_list.html", context)


POLLS_PER_PAGE = 24


@login_required
def poll_create(request: HttpRequest) -> HttpResponse:
    form = PollForm(request.POST or None, owner=request.user)
    if request.method == "POST" and form.is_valid():
        poll = form.save()
        messages.success(request, "Poll created. Paint when you are free, then invite people.")
        return redirect(poll)
    return render(request, "scheduling/poll_form.html", {"form": form})


def _owner_poll(request: HttpRequest, pk: int) -> Poll:
    return get_owned_or_404(Poll.objects.select_related("owner"), request.user, pk=pk)


def _with_action_urls(poll: Poll, invitations: list[Invitation]) -> list[Invitation]:
    """Attach each invitee's remind/remove URLs, reversing each route once rather than once per
    invitee (reversing dominated the status board's rendering with 50 invitees)."""
    remind = reverse("scheduling:remind_one", args=[poll.pk, 0]).replace("/0/", "/{}/")
    remove = reverse("scheduling:remove_invitee", args=[poll.pk, 0]).replace("/0/", "/{}/")
    for invitation in invitations:
        invitation.remind_url = remind.format(invitation.pk)
        invitation.remove_url = remove.format(invitation.pk)
    return invitations


def _status_context(request: HttpRequest, poll: Poll, invitations: list[Invitation]) -> dict:
    """The owner's status board: everyone in the poll, each row written once (scheduling/html.py)."""
    token, labels, now = get_token(request), dict(Invitation.Status.choices), timezone.now()
    rows = [
        html.invitee_row(
            invitation,
            status_label=labels[invitation.status],
            actions=poll.is_open,
            csrf_token=token,
            reminded=timesince(invitation.last_reminded_at, now) if invitation.last_reminded_at else "",
        )
        for invitation in _with_action_urls(poll, invitations)
    ]
    return {
        "poll": poll,
        "invitations": invitations,
        "invitee_rows": mark_safe("".join(rows)),  # each row is built with format_html
        "summary": invitation_summary(invitations),
    }


def _mine_context(data: PollData, viewer_tz: str) -> dict:
    """The owner's own grid, with the times they are busy: every occurrence of their meetings in
    Convene, and the busy times of their connected calendars (only ever shown to the owner:
    invitees never see the owner's calendar)."""
    poll = data.poll
    owner = calendars.with_connections(poll.owner_id)
    sources, connection = calendars.sources_of(owner), calendars.google_connection(owner)
    span = grid.grid_range(data.cells, poll.cell_minutes)
    busy = set()
    if span is not None and poll.status != Poll.Status.FINALIZED:
        # Google's answer updates ``connection.problem``, shown with the grid.
        external = calendars.busy(sources, *span, google_connection=connection)
        busy = grid.busy_positions(data.cells, poll.cell_minutes, occurrences.busy(poll.owner_id, *span, external))
    return {
        "poll": poll,
        "viewer_tz": viewer_tz,
        "grid": grid_rows(data, viewer_tz, mine=data.of(None), busy=busy),
        "busy_shown": bool(busy),
        "painted": bool(data.of(None)),
        "brushes": BRUSHES,
        "google_connection": connection,
        "google_configured": google.configured(),
        "calendar_sources": sources,
        "calendar_problems": [account for account in owner.caldav_accounts.all() if account.problem],
        "calendars_connected": bool(connection or owner.caldav_accounts.all() or owner.ics_subscriptions.all()),
    }


def _people_context(request: HttpRequest, poll: Poll, invitations: list[Invitation], viewer_tz: str) -> dict:
    """The share panel and the comments of the owner's page (``invitations``: the poll's, loaded)."""
    return {
        "share_url": request.build_absolute_uri(reverse("scheduling:poll_join", args=[poll.share_token]))
        if poll.share_token
        else "",
        "link_participants": sum(1 for invitation in invitations if invitation.joined_by_link),
        "max_participants": settings.POLL_MAX_PARTICIPANTS,
        "visibility_choices": Poll.Visibility.choices,
        **_comments_context(request, participants.shown_comments(poll, ZoneInfo(viewer_tz), owner=True)),
    }


def _comments_context(request: HttpRequest, comments: list) -> dict:
    return {"comments": comments, "comment_items": html.comment_items(comments, csrf_token=get_token(request))}


def _heat_context(request: HttpRequest, data: PollData, viewer_tz: str) -> dict:
    """The owner's heat map, of everyone who painted or (?people=…) only the people ticked, to
    see when a few of them overlap."""
    painted = [(None, f"{data.poll.owner.display_name} (you)")] if data.of(None) else []
    painted += [(invitation.pk, invitation.name) for invitation in data.invitations if data.of(invitation)]
    asked = set(request.GET.getlist("people"))
    chosen = {person for person, _ in painted if _person_value(person) in asked}
    return {
        "heat_grid": grid_rows(
            data, viewer_tz, mine={}, heat=heat_map(data, chosen if chosen else None),
            who_url=reverse("scheduling:poll_who", args=[data.poll.pk]),
            people=len(chosen) if chosen else None,
        ),
        "heat_people": format_html_join(
            "",
            '<label class="flex items-center gap-1.5"><input type="checkbox" name="people" value="{}"{}> {}</label>',
            ((_person_value(person), " checked" if person in chosen else "", name) for person, name in painted),
        ),
        "heat_people_count": len(painted),
        "heat_query": urlencode([("tz", viewer_tz), *(("people", _person_value(p)) for p in sorted(chosen, key=str))]),
        "heat_filtered": bool(chosen),
    }  # fmt: skip


def _person_value(person: int | None) -> str:
    return "owner" if person is None else str(person)


def _meetings(poll: Poll) -> list:
    return lifecycle.meetings_of(poll) if poll.status == Poll.Status.FINALIZED else []


def _detail_context(request: HttpRequest, poll: Poll, *, heat_only: bool = False, **extra) -> dict:
    viewer_tz = _viewer_tz(request, request.user.timezone)
    if poll.mode == Poll.Mode.OPTIONS:
        invitations = list(poll.invitations.all())
        return {
            "poll": poll,
            "viewer_tz": viewer_tz,
            "timezone_options": timezone_options(viewer_tz),
            **_status_context(request, poll, invitations),
            "deadline_text": deadline_text(poll),
            "deadline_passed": poll.deadline <= timezone.now(),
            "invite_form": extra.pop("invite_form", None) or InviteForm(poll=poll),
            "meetings": _meetings(poll),
            **options.owner_context(poll, viewer_tz),  # the table of answers and the ranked options
            **_people_context(request, poll, invitations, viewer_tz),
            **extra,
        }
    data = PollData.load(poll)
    return {
        # The heat map's refresh after every stroke needs no Google answer.
        **({} if heat_only else _mine_context(data, viewer_tz)),
        "poll": poll,
        "viewer_tz": viewer_tz,
        "timezone_options": timezone_options(viewer_tz),
        **_heat_context(request, data, viewer_tz),
        **_status_context(request, poll, data.invitations),
        "deadline_text": deadline_text(poll),
        "deadline_passed": poll.deadline <= timezone.now(),
        "invite_form": extra.pop("invite_form", None) or InviteForm(poll=poll),
        "meetings": _meetings(poll),
        "suggestions": finalize.suggestions(data, limit=5) if poll.status != Poll.Status.FINALIZED else None,
        **_people_context(request, poll, data.invitations, viewer_tz),
        **extra,
    }


@login_required
@require_GET
def poll_detail(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _owner_poll(request, pk)
    template = "scheduling/poll_detail.html"
    heat_only = bool(request.htmx and request.htmx.target == "heat-map")
    if heat_only:
        template += "#heat"  # refreshed after the owner paints
    with timezone.override(_viewer_tz(request, request.user.timezone)):
        return render(request, template, _detail_context(request, poll, heat_only=heat_only))


@login_required
@require_GET
def poll_status(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _owner_poll(request, pk)
    context = _status_context(request, poll, list(poll.invitations.all()))
    status = 200 if poll.is_open else STOP_POLLING
    return render(request, "scheduling/poll_detail.html#status", context, status=status)


@login_required
@require_GET
def poll_who(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _owner_poll(request, pk)
    found = who_at(PollData.load(poll), request.GET.get("cell", ""), request.user.tzinfo)
    if found is None:
        raise Http404("No such cell in this poll.")
    return render(request, "scheduling/_heat_map.html#who", {"poll": poll, **found})


def _save_grid(request: HttpRequest, poll: Poll, invitation: Invitation | None) -> HttpResponse:
    """One painted stroke: the person's whole grid as JSON. 400 with a message on bad input, and
    then nothing is saved (what was saved before stays)."""
    if invitation is not None and not poll.accepts_answers():
        return JsonResponse({"error": "This poll no longer takes answers."}, status=409)
    if invitation is None and not poll.is_open:
        return JsonResponse({"error": "This poll is closed."}, status=409)
    try:
        # The page sends a form field; an API-style client may send the JSON itself.
        raw = request.body if request.content_type == "application/json" else request.POST.get("payload")
        payload = json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return JsonResponse({"error": "Malformed availability: not valid JSON."}, status=400)
    cells = poll.cells()
    try:
        levels = grid.parse_painted(payload, cells)
    except grid.GridError as error:
        return JsonResponse({"error": str(error)}, status=400)
    polls.save_availability(poll=poll, invitation=invitation, levels=levels, cells=cells)
    return JsonResponse({"saved": len(levels), "at": timezone.now().isoformat()})


@login_required
@require_POST
def save_owner_grid(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_grid(request, _owner_poll(request, pk), None)


FILL_FAILED = {
    GoogleCalendarConnection.Problem.UNAVAILABLE: "Google Calendar did not answer, so nothing was filled. "
    "Try again in a minute.",
    GoogleCalendarConnection.Problem.PERMISSION: "Google refused access to one of your calendars, so nothing was "
    "filled. Check your Google Calendar settings, then try again.",
    GoogleCalendarConnection.Problem.RECONNECT: "Google no longer accepts Convene's access, so nothing was filled. "
    "Reconnect Google Calendar, then try again.",
}


@login_required
@require_POST
def fill_from_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    """Paint the owner's free, unpainted times on the poll as "fine" (their painting stays), free
    in Convene and in every connected calendar that counts as busy."""
    poll = _owner_poll(request, pk)
    owner = calendars.with_connections(request.user.pk)
    sources = calendars.sources_of(owner)
    connection = calendars.google_connection(owner)
    if not poll.is_open:
        messages.error(request, "This poll is closed; your availability can no longer change.")
    elif not sources and connection is not None and connection.needs_reconnect:
        messages.error(request, FILL_FAILED[connection.problem])
    elif not sources:
        messages.error(request, "Connect a calendar first (Profile → Calendars), then fill your availability from it.")
    else:
        _fill_from_calendar(request, poll, sources)
    return _mine_or_redirect(request, poll)


def _fill_from_calendar(request: HttpRequest, poll: Poll, sources) -> None:
    span = grid.grid_range(poll.cells(), poll.cell_minutes)
    if span is None:
        messages.info(request, "This poll has no times to fill.")
        return
    # Asked fresh: painting from a stale answer could offer a time that just became busy.
    external = calendars.busy(sources, *span, fresh=True)
    failed = _calendar_failures(request.user, sources)
    if failed:  # set by the call above when a provider failed, cleared when it answered
        messages.error(request, failed)
        return
    filled = polls.fill_free_cells(poll=poll, busy=occurrences.busy(poll.owner_id, *span, external))
    if filled:
        cells = f"{filled} free time{'s' if filled != 1 else ''}"
        messages.success(request, f"Filled {cells} ({_duration_text(filled * poll.cell_minutes)}) as “fine”.")
    else:
        messages.info(request, "Nothing to fill: every time on this poll is busy in your calendar or already painted.")


def _calendar_failures(user, sources) -> str:
    """Why the busy times just asked for are incomplete, in words ("" when every calendar answered)."""
    kinds = {source.kind for source in sources}
    if "google" in kinds:
        connection = google.connection_for(user)
        if connection is not None and connection.problem:
            return FILL_FAILED[connection.problem]
    if "caldav" in kinds:
        broken = CalDAVAccount.objects.filter(user=user, pk__in=[s.id for s in sources if s.kind == "caldav"])
        for account in broken.exclude(problem=""):
            return (
                f"{account.name}: {account.last_error or account.get_problem_display()} Nothing was filled; try again."
            )
    return ""


def _duration_text(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} minutes"
    hours = f"{minutes / 60:g}"
    return f"{hours} hour{'s' if hours != '1' else ''}"


def _mine_or_redirect(request: HttpRequest, poll: Poll) -> HttpResponse:
    viewer_tz = _viewer_tz(request, request.user.timezone)
    if not request.htmx:
        query = f"?{urlencode({'tz': viewer_tz})}" if "tz" in request.GET else ""
        return redirect(poll.get_absolute_url() + query)
    with timezone.override(viewer_tz):
        response = render(request, "scheduling/poll_detail.html#mine", _mine_context(PollData.load(poll), viewer_tz))
    return trigger_client_event(response, "grid:saved")  # the heat map refreshes itself


@login_required
@require_POST
def poll_invite(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _owner_poll(request, pk)
    form = InviteForm(request.POST, poll=poll)
    if not poll.is_open:
        messages.error(request, "This poll is closed; invitations can no longer be sent.")
    elif form.is_valid():
        invited = polls.invite(
            poll=poll, people=[polls.Invitee(name, email, contact) for name, email, contact in form.people]
        )
        names = ", ".join(invitation.name for invitation in invited)
        messages.success(request, f"Invitation sent to {names}.")
    else:
        for error in form.non_field_errors():
            messages.error(request, error)
        for field, errors in form.errors.items():
            if field != "__all__":
                messages.error(request, f"{form.fields[field].label}: {' '.join(errors)}")
    return redirect(poll)


def _owner_invitation(request: HttpRequest, pk: int, invitation_pk: int) -> Invitation:
    return get_owned_or_404(
        Invitation.objects.select_related("poll"), request.user, owner_field="poll__owner", pk=invitation_pk, poll=pk
    )


@login_required
@require_POST
def remind_one(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    invitation = _owner_invitation(request, pk, invitation_pk)
    reminded, too_soon = polls.remind(invitations=[invitation])
    if reminded:
        messages.success(request, f"Reminder email successfully sent to {invitation.name}.")
    elif too_soon:
        messages.warning(request, f"{invitation.name} was reminded less than an hour ago. Try again later.")
    elif not invitation.email:
        messages.info(request, f"{invitation.name} joined by link without an email address: there is no one to remind.")
    else:
        messages.info(request, f"{invitation.name} has already answered.")
    return _status_or_redirect(request, invitation.poll)


@login_required
@require_POST
def remind_all(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _owner_poll(request, pk)
    pending = list(poll.invitations.pending())
    reminded, too_soon = polls.remind(invitations=pending)
    if reminded:
        messages.success(request, f"Reminded {len(reminded)} pending invitee{'s' if len(reminded) != 1 else ''}.")
    if too_soon:
        names = ", ".join(invitation.name for invitation in too_soon)
        messages.warning(request, f"Not reminded again within the hour: {names}.")
    if not reminded and not too_soon:
        if pending:
            messages.info(request, "Everyone pending joined by link without an email address: nobody to remind.")
        else:
            messages.info(request, "Nobody is pending: everyone has answered.")
    return _status_or_redirect(request, poll)


@login_required
@require_POST
def remove_invitee(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    invitation = _owner_invitation(request, pk, invitation_pk)
    invitation.delete()
    messages.success(request, f"Removed {invitation.name}; their link no longer works.")
    return _status_or_redirect(request, invitation.poll)


def _status_or_redirect(request: HttpRequest, poll: Poll) -> HttpResponse:
    if request.htmx:
        return render(
            request, "scheduling/poll_detail.html#status", _status_context(request, poll, list(poll.invitations.all()))
        )
    return redirect(poll)


@login_required
def poll_edit(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _owner_poll(request, pk)
    if poll.status == Poll.Status.FINALIZED:
        # Its meetings were made from these dates and answers: change them by picking another time.
        messages.info(request, "This poll is finalized. To change it, first pick another time (cancels its meetings).")
        return redirect(poll)
    form = PollForm(request.POST or None, instance=poll, owner=request.user)
    if request.method == "POST" and form.is_valid():
        dropped = form.dropped_dates()
        if dropped and request.POST.get("confirm_drop") != "yes":
            return render(request, "scheduling/poll_form.html", {"form": form, "poll": poll, "dropped": dropped})
        polls.apply_edit(poll=form.save(commit=False), dropped=dropped)
        messages.success(request, "Poll updated." + (" Availability on removed dates was deleted." if dropped else ""))
        return redirect(poll)
    return render(request, "scheduling/poll_form.html", {"form": form, "poll": poll})


@login_required
@require_POST
def poll_close(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _owner_poll(request, pk)
    if poll.is_open:
        polls.close(poll=poll)
        messages.success(request, "Poll closed. Invitees now see a read-only page.")
    return redirect(poll)


@login_required
def poll_delete(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _owner_poll(request, pk)
    if request.method == "POST":
        poll.delete()
        messages.success(request, f"Deleted the poll “{poll.title}”.")
        return redirect("scheduling:poll_list")
    return render(request, "scheduling/poll_confirm_delete.html", {"poll": poll})


# --- The invitee's page (token link) -------------------------------------------------------------


def _invitation(token: str) -> Invitation:
    return get_object_or_404(Invitation.objects.select_related("poll__owner", "meeting"), token=token)


@require_GET
def respond(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation(token)
    # Their browser's clock (static/js/invitee-timezone.js asks for it), the organiser's until then.
    viewer_clock = Clock.from_query(request.GET, clock.of_user(invitation.poll.owner))
    with clock.override(viewer_clock):
        return _respond(request, invitation)


def _respond(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    poll = invitation.poll
    viewer_tz = _viewer_tz(request, request.user.timezone if request.user.is_authenticated else poll.timezone)
    sees_answers = participants.sees_answers(poll, invitation)
    shown = participants.shown_comments(poll, ZoneInfo(viewer_tz), invitation=invitation) if sees_answers else []
    context = {
        "invitation": invitation,
        "poll": poll,
        "viewer_tz": viewer_tz,
        "tz_from_url": "tz" in request.GET,
        "clock_from_url": "clock" in request.GET,
        "viewer_clock": clock.active(),
        # Their answers carry the zone they chose or their browser has, to write their emails in.
        "answer_query": f"?{urlencode({'tz': viewer_tz, **clock.active().query()})}" if "tz" in request.GET else "",
        "timezone_options": timezone_options(viewer_tz),
        "open": poll.accepts_answers(),
        "deadline_text": deadline_text(poll),
        "decline_form": DeclineForm(),
        "meeting": _their_meeting(poll, invitation),
        "joined": "joined" in request.GET,
        "personal_url": request.build_absolute_uri(invitation.get_absolute_url()),
        "sees_answers": sees_answers,
        **_comments_context(request, shown),
    }
    template = "scheduling/respond.html"
    if poll.mode == Poll.Mode.OPTIONS:
        context.update(options.participant_context(invitation, viewer_tz))  # their answers, everyone's if shown
        if sees_answers:
            context["roster"] = participants.roster(list(poll.invitations.all()), invitation)
    else:
        data = PollData.load(poll)
        if sees_answers:
            context["roster"] = participants.roster(data.invitations, invitation)
        mine = data.of(invitation)
        context.update(
            grid=grid_rows(data, viewer_tz, mine=mine, background=data.of(None)),
            painted=bool(mine),
            brushes=BRUSHES,
        )
        if sees_answers:
            who_url = reverse("scheduling:participant_who", args=[invitation.token])
            context["heat_grid"] = grid_rows(data, viewer_tz, mine={}, heat=heat_map(data), who_url=who_url)
            context["heat_refresh"] = f"{request.path}?{urlencode({'tz': viewer_tz})}"
            if request.htmx and request.htmx.target == "heat-map":
                template += "#heat"  # refreshed after each of their strokes
    with timezone.override(viewer_tz):
        return render(request, template, context)


def _their_meeting(poll: Poll, invitation: Invitation):
    """The meeting finalizing scheduled this participant into, if any."""
    if poll.status != Poll.Status.FINALIZED:
        return None
    if invitation.meeting_id:
        return invitation.meeting
    # Polls finalized before invitations remembered their meeting: found by address.
    return poll.meetings.filter(attendees__email__iexact=invitation.email).first() if invitation.email else None


@require_POST
def save_invitee_grid(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation(token)
    recipients.remember(invitation, recipients.seen_in(request.GET))
    return _save_grid(request, invitation.poll, invitation)


@require_POST
def decline(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation(token)
    recipients.remember(invitation, recipients.seen_in(request.GET))
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            polls.decline(invitation=invitation, note=form.cleaned_data["note"])
        except polls.PollClosed:
            messages.error(request, "This poll no longer takes answers.")
        else:
            messages.success(request, f"You declined. {invitation.poll.owner.display_name} will see your note.")
    return redirect(invitation)


@require_POST
def undo_decline(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation(token)
    recipients.remember(invitation, recipients.seen_in(request.GET))
    try:
        polls.undo_decline(invitation=invitation)
    except polls.PollClosed:
        messages.error(request, "This poll no longer takes answers.")
    else:
        messages.success(request, "Your decline is undone. Mark when you can meet.")
    return redirect(invitation)
