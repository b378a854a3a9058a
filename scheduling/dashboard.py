from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from accounts import versions
from accounts.dashboard import dashboard_panel, profile_panel
from scheduling import occurrences, outbox
from scheduling.models import Invitation, Poll
from scheduling.poll_pages import deadline_text


def _count(invitations) -> Coalesce:
    """How many of a poll's invitations, per row (a dozen polls: cheaper than grouping a join)."""
    per_poll = invitations.filter(poll=OuterRef("pk")).order_by().values("poll").annotate(count=Count("pk"))
    return Coalesce(Subquery(per_poll.values("count")), 0)


@dashboard_panel(order=20)
def polls_panel(request):
    """The owner's six open polls due soonest, and six open polls of others they are invited to,
    in one statement: each list's ids are a limited subquery, and the viewer's own invitation
    (their link and answer) is read alongside each poll of someone else."""
    user = request.user
    own_ids = Poll.objects.for_owner(user).open().order_by("deadline", "pk").values("pk")[:6]
    chosen = Q(pk__in=Subquery(own_ids))
    mine = Invitation.objects.none()
    if user.email:
        mine = Invitation.objects.alias(email_lower=Lower("email")).filter(email_lower=user.email.lower())
        invited_ids = (
            mine.filter(poll__status=Poll.Status.OPEN).exclude(poll__owner=user)
            .order_by("poll__deadline", "pk").values("poll_id")[:6]
        )  # fmt: skip
        chosen |= Q(pk__in=Subquery(invited_ids))
    mine = mine.filter(poll=OuterRef("pk")).order_by("pk")
    polls = list(
        Poll.objects.filter(chosen)
        .annotate(
            invited=_count(Invitation.objects.all()),
            responded=_count(Invitation.objects.filter(status=Invitation.Status.RESPONDED)),
            my_token=Subquery(mine.values("token")[:1]),
            my_status=Subquery(mine.values("status")[:1]),
        )
        .select_related("owner")
        .order_by("deadline", "pk")
    )
    open_polls = [poll for poll in polls if poll.owner_id == user.pk]
    for poll in open_polls:
        poll.deadline_text = deadline_text(poll)
    invited = [
        Invitation(poll=poll, token=poll.my_token, status=poll.my_status)
        for poll in polls
        if poll.owner_id != user.pk and poll.my_token
    ]
    return "scheduling/_dashboard_panel.html", {"open_polls": open_polls, "invited": invited}


# How long this process may keep a panel's rows; they are checked against the owner's calendar
# version at every read, and the time at which they would change by themselves.
PANEL_SECONDS = 900


@dataclass(frozen=True)
class Meeting:
    """A line of the "Today and next" panel, built once when the panel's rows are computed."""

    start: datetime
    all_day: bool
    title: str
    url: str
    origin: str


@dashboard_panel(order=10)
def meetings_panel(request):
    """What is left of today on the owner's calendar, then the next eight meetings this week. The
    rows are kept in this process until the owner's calendar changes (its version), the day ends,
    a meeting shown ends, or a quarter of an hour passes (a meeting coming into the week)."""
    user = request.user
    now = timezone.now()
    stamp = (versions.current(outbox.CALENDAR, user.pk),)
    key = f"dashboard-meetings:{user.pk}:{user.timezone}"
    rows = versions.reuse(key, stamp, now, partial(_meetings, user, now), timeout=PANEL_SECONDS)
    return "scheduling/_meetings_panel.html", rows


def _meetings(user, now: datetime) -> tuple[dict[str, list[Meeting]], datetime]:
    zone = user.tzinfo
    tomorrow = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(), zone)
    found = occurrences.coming(user, now, now + timedelta(days=7), all_before=tomorrow, then=8)
    rows = [
        Meeting(
            start=occurrence.start,
            all_day=occurrence.event.all_day,
            title=occurrence.event.title,
            url=f"{occurrence.event.get_absolute_url()}?occurrence={occurrence.original}",
            origin=occurrence.event.get_origin_display(),
        )
        for occurrence in found
    ]
    today = [row for row in rows if row.start < tomorrow]
    valid_until = min([tomorrow, now + timedelta(seconds=PANEL_SECONDS), *(occurrence.end for occurrence in found)])
    return {"today": today, "later": rows[len(today) :]}, valid_until


@profile_panel(order=10)
def feed_panel(request):
    from scheduling.calendar_views import feed_urls

    return "scheduling/_feed_panel.html", {"feed": feed_urls(request.user)}
