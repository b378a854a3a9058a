from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from accounts.emails import compose
from scheduling.models import Invitation


def invitation_email(invitation: Invitation, *, reminder: bool) -> EmailMultiAlternatives:
    poll = invitation.poll
    owner = poll.owner
    subject = (
        f"Reminder: when can you meet? “{poll.title}” from {owner.display_name}"
        if reminder
        else f"{owner.display_name} asks when you can meet: “{poll.title}”"
    )
    return compose(
        subject=subject,
        template="scheduling/email/invitation",
        context={
            "invitation": invitation,
            "poll": poll,
            "owner": owner,
            "reminder": reminder,
            "link": settings.SITE_URL + invitation.get_absolute_url(),
        },
        to=[invitation.email],
        reply_to=[owner.email],
    )
