"""A team's booking links and bookings, for its members: everyone sees them, owners and admins
edit them and move a round-robin meeting to another host (accounts/teams.py decides who may)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.teams import team_for
from booking import links
from booking.book import SlotUnavailable, reassign_booking
from booking.forms import TeamLinkForm
from booking.models import Booking, EventType
from booking.schedules import ensure_default_schedule
from scheduling.models import Event


def _members(team) -> list[User]:
    return [membership.user for membership in team.memberships.select_related("user").order_by("user__username")]


@login_required
@require_GET
def link_list(request: HttpRequest, team: str) -> HttpResponse:
    found, membership = team_for(request.user, team)
    event_types = (
        EventType.objects.for_team(found)
        .prefetch_related("hosts__user")
        .annotate(upcoming=Count("bookings", filter=Q(bookings__event__status=Event.Status.CONFIRMED,
                                                      bookings__attendee__isnull=False,
                                                      bookings__event__start__gte=timezone.now())))
    )  # fmt: skip
    return render(request, "booking/team_link_list.html", {
        "team": found,
        "membership": membership,
        "event_types": event_types,
        "team_url": settings.SITE_URL + found.public_path,
        "site_url": settings.SITE_URL,
    })  # fmt: skip


def _form_page(request: HttpRequest, team: str, pk: int | None) -> HttpResponse:
    found, _ = team_for(request.user, team, manage=True)
    event_type = get_object_or_404(EventType.objects.for_team(found), pk=pk) if pk is not None else None
    members = _members(found)
    for member in members:
        ensure_default_schedule(member)  # every host has hours to be free in
    initial = {} if event_type else {"hosting": EventType.Hosting.ROUND_ROBIN}
    form = TeamLinkForm(
        request.POST or None, instance=event_type, team=found, members=members, owner=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            links.forget_team(found.pk)
        messages.success(request, f"Saved “{saved.title}”. Share {settings.SITE_URL}{saved.get_absolute_url()}")
        return redirect("booking:team_links", team=found.slug)
    return render(request, "booking/team_link_form.html", {"form": form, "team": found, "event_type": event_type})


@login_required
def link_create(request: HttpRequest, team: str) -> HttpResponse:
    return _form_page(request, team, None)


@login_required
def link_edit(request: HttpRequest, team: str, pk: int) -> HttpResponse:
    return _form_page(request, team, pk)


@login_required
def link_delete(request: HttpRequest, team: str, pk: int) -> HttpResponse:
    found, _ = team_for(request.user, team, manage=True)
    event_type = get_object_or_404(EventType.objects.for_team(found), pk=pk)
    back = reverse("booking:team_links", args=[found.slug])
    if request.method == "POST":
        with transaction.atomic():
            event_type.delete()
            links.forget_team(found.pk)
        messages.success(request, f"Deleted “{event_type.title}”. Its meetings stay in the hosts' calendars.")
        return redirect(back)
    return render(request, "booking/confirm_delete.html", {"object": event_type, "kind": "team link", "back": back})


@login_required
@require_GET
def booking_list(request: HttpRequest, team: str) -> HttpResponse:
    """The team's upcoming meetings; managers may move a round-robin one to another host."""
    found, membership = team_for(request.user, team)
    now = timezone.now()
    bookings = list(
        Booking.objects.upcoming(now)
        .filter(event_type__team=found)
        .select_related("event__owner", "event_type")
        .prefetch_related("event__attendees__host", "event_type__hosts__user")
        .order_by("event__start")[:200]
    )
    rows = []
    for booking in bookings:
        event = booking.event
        hosts = [event.owner, *(a.host for a in event.attendees.all() if a.host_id is not None)]
        pool = [
            host.user for host in booking.event_type.hosts.all()
            if not host.is_fixed and host.user_id not in {h.pk for h in hosts}
        ] if booking.event_type.hosting == EventType.Hosting.ROUND_ROBIN else []  # fmt: skip
        rows.append({"booking": booking, "hosts": hosts, "others": pool})
    return render(request, "booking/team_bookings.html", {"team": found, "membership": membership, "rows": rows})


@login_required
@require_POST
def reassign(request: HttpRequest, team: str, pk: int) -> HttpResponse:
    found, _ = team_for(request.user, team, manage=True)
    booking = get_object_or_404(
        Booking.objects.select_related("event", "event_type").filter(event_type__team=found), pk=pk
    )
    try:
        to = int(request.POST.get("to", ""))
    except ValueError:
        raise Http404("No such host.") from None
    back = redirect("booking:team_bookings", team=found.slug)
    try:
        reassign_booking(booking=booking, to=to)
    except SlotUnavailable as problem:
        messages.error(request, problem.message)
        return back
    new_host = User.objects.get(pk=to)
    messages.success(request, f"{new_host.display_name} now hosts the meeting with {booking.name}. Everyone is told.")
    return back
