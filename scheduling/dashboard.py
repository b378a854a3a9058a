from __future__ import annotations

from accounts.dashboard import dashboard_panel, profile_panel
from scheduling.models import Invitation, Poll
from scheduling.poll_pages import deadline_text


@dashboard_panel(order=20)
def polls_panel(request):
    open_polls = list(Poll.objects.for_owner(request.user).open().with_counts().order_by("deadline")[:6])
    for poll in open_polls:
        poll.deadline_text = deadline_text(poll)
    invited = list(
        Invitation.objects.filter(email__iexact=request.user.email, poll__status=Poll.Status.OPEN)
        .exclude(poll__owner=request.user)
        .select_related("poll__owner")
        .order_by("poll__deadline")[:6]
    ) if request.user.email else []  # fmt: skip
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
