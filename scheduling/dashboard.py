from __future__ import annotations

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower

from accounts.dashboard import dashboard_panel, profile_panel
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


@dashboard_panel(order=10)
def meetings_panel(request):
    from datetime import timedelta

    from django.utils import timezone

    from scheduling.occurrences import between

    now = timezone.now()
    local_today = now.astimezone(request.user.tzinfo).date()
    upcoming = between(request.user, now, now + timedelta(days=7))
    today = [o for o in upcoming if o.start.astimezone(request.user.tzinfo).date() == local_today]
    later = [o for o in upcoming if o not in today][:8]
    return "scheduling/_meetings_panel.html", {"today": today, "later": later}


@profile_panel(order=10)
def feed_panel(request):
    from scheduling.calendar_views import feed_urls

    return "scheduling/_feed_panel.html", {"feed": feed_urls(request.user)}
