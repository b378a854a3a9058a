"""People in a poll beyond the emailed invitations: the shareable link anyone can join by (a name,
an optional email), who sees whose answers, and comments.

A participant who joins by link is an ``Invitation`` like any other (``joined_by_link``), with
its own token link to change their answer until the deadline; the link also lives in a signed
cookie, so opening the poll's link again in the same browser leads back to it. Names are unique
per poll; joining is rate-limited per address and a poll takes at most ``MAX_PARTICIPANTS``
people by link, so a link posted somewhere public cannot be used to flood it (Rallly #70).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.urls import reverse

from accounts import clock
from accounts.emails import compose
from scheduling import recipients
from scheduling.models import Invitation, Poll, PollComment, new_token

COOKIE_SALT = "convene.poll-participant"


class JoinRefused(Exception):
    """Joining is not possible; ``message`` says why, in words."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


# --- The shareable link ------------------------------------------------------------------------


def share(poll: Poll, *, enabled: bool) -> None:
    """Turn the link on (made the first time) or off (it stops working; on again, it works again)."""
    if enabled and not poll.share_token:
        poll.share_token = new_token()
    poll.share_enabled = enabled
    poll.save(update_fields=["share_token", "share_enabled", "updated_at"])


def regenerate(poll: Poll) -> None:
    """A new link: the old one stops working at once; people who joined keep their own links."""
    poll.share_token, poll.share_enabled = new_token(), True
    poll.save(update_fields=["share_token", "share_enabled", "updated_at"])


def joinable(poll: Poll) -> str:
    """Why the poll's link cannot be joined now ("" when it can)."""
    if not poll.share_enabled:
        return f"{poll.owner.display_name} has turned this link off. Ask them for a new one."
    if not poll.accepts_answers():
        return "This poll no longer takes answers."
    return ""


def join(*, poll: Poll, name: str, email: str = "") -> Invitation:
    """Add someone who came by the link. Raises ``JoinRefused`` (a taken name, a full poll, an
    email already invited). Their edit link is emailed to them when they gave an address."""
    if why := joinable(poll):
        raise JoinRefused(why)
    with transaction.atomic():
        locked = Poll.objects.select_for_update().get(pk=poll.pk)  # serialise joins: the cap and names hold
        joined = locked.invitations.filter(joined_by_link=True).count()
        if joined >= settings.POLL_MAX_PARTICIPANTS:
            raise JoinRefused(
                f"This poll already has {joined} participants by link, as many as it takes. "
                f"Ask {poll.owner.display_name} to invite you."
            )
        if locked.invitations.annotate(lowered=Lower("name")).filter(lowered=name.lower()).exists():
            raise JoinRefused(
                "Someone in this poll already goes by that name. Add an initial or a surname, e.g. “Sam K.”",
                field="name",
            )
        if email and locked.invitations.filter(email__iexact=email).exists():
            raise JoinRefused(
                "That address is already in this poll. Use the personal link emailed to it, or leave the address out.",
                field="email",
            )
        try:
            invitation = Invitation.objects.create(poll=locked, name=name, email=email, joined_by_link=True)
        except IntegrityError:
            raise JoinRefused("Someone in this poll already goes by that name.", field="name") from None
        if email:
            transaction.on_commit(lambda: link_email(invitation).send())  # queued, sent by the worker
    _tell_owner(poll, invitation)
    return invitation


def link_email(invitation: Invitation) -> EmailMultiAlternatives:
    """Their personal link, so they can change their answer from any device (until the
    deadline, in their zone)."""
    poll = invitation.poll
    with (reader := recipients.of_invitation(invitation)).writing():
        return compose(
            subject=f"Your link to “{poll.title}”",
            template="scheduling/email/participant_link",
            context={
                "invitation": invitation,
                "poll": poll,
                "tz": reader.zone,
                "link": settings.SITE_URL + invitation.get_absolute_url(),
            },
            to=[invitation.email],
            reply_to=[poll.owner.email] if poll.owner.email else None,
            owner_id=poll.owner_id,
        )


def _tell_owner(poll: Poll, invitation: Invitation) -> None:
    from scheduling import activity
    from scheduling.models import Activity

    activity.record(owner_id=poll.owner_id, kind=Activity.Kind.JOINED, who=invitation.name, poll=poll)


# --- Who sees what -----------------------------------------------------------------------------


def sees_answers(poll: Poll, invitation: Invitation) -> bool:
    """Whether this participant is shown everyone's answers (and the comments)."""
    if poll.visibility == Poll.Visibility.ALWAYS:
        return True
    if poll.visibility == Poll.Visibility.AFTER_ANSWERING:
        return invitation.status != Invitation.Status.PENDING
    return False


@dataclass(frozen=True)
class RosterGroup:
    """People in the poll who stand in one place (answered, not yet, declined), by name only:
    never an address."""

    status: str
    label: str
    names: list[str]


ROSTER_ORDER = [
    (Invitation.Status.RESPONDED, "Answered"),
    (Invitation.Status.PENDING, "Not answered yet"),
    (Invitation.Status.DECLINED, "Can't make it"),
]


def roster(invitations: list[Invitation], viewer: Invitation) -> list[RosterGroup]:
    """Everyone in the poll as ``viewer`` may see them (``invitations``: the poll's, already loaded)."""
    names: dict[str, list[str]] = {status: [] for status, _ in ROSTER_ORDER}
    for invitation in invitations:
        names[invitation.status].append(f"{invitation.name} (you)" if invitation.pk == viewer.pk else invitation.name)
    return [RosterGroup(status, label, names[status]) for status, label in ROSTER_ORDER if names[status]]


# --- Comments ----------------------------------------------------------------------------------


def comment(*, poll: Poll, invitation: Invitation | None, text: str) -> PollComment:
    """A comment by a participant or (``invitation`` None) the owner; the owner hears of
    participants' comments."""
    from scheduling import activity
    from scheduling.models import Activity

    name = invitation.name if invitation is not None else poll.owner.display_name
    made = PollComment.objects.create(poll=poll, invitation=invitation, name=name, text=text)
    if invitation is not None:
        activity.record(owner_id=poll.owner_id, kind=Activity.Kind.COMMENTED, who=name, poll=poll, detail=text)
    return made


def may_delete(comment: PollComment, *, owner: bool = False, invitation: Invitation | None = None) -> bool:
    """The owner deletes any comment; a participant their own."""
    return owner or (invitation is not None and comment.invitation_id == invitation.pk)


@dataclass(frozen=True)
class ShownComment:
    """A comment as a page shows it: written once here, not per comment in the template."""

    name: str
    text: str
    when: str  # in the viewer's zone, on their clock
    by_owner: bool
    delete_url: str  # "" when the viewer may not delete it


def shown_comments(poll: Poll, zone: ZoneInfo, *, owner: bool = False, invitation: Invitation | None = None):
    """The poll's comments for the owner's page (``owner``) or a participant's (``invitation``)."""
    on_clock = clock.active()
    if owner:
        delete = reverse("scheduling:poll_comment_delete", args=[poll.pk, 0])
    else:
        delete = reverse("scheduling:participant_comment_delete", args=[invitation.token, 0])
    delete = delete.replace("/0/", "/{}/")
    shown = []
    for comment in poll.comments.all():
        local = comment.created_at.astimezone(zone)
        shown.append(
            ShownComment(
                name=comment.name,
                text=comment.text,
                when=f"{local.day} {local:%b}, {on_clock.time(local)}",
                by_owner=comment.invitation_id is None,
                delete_url=delete.format(comment.pk) if may_delete(comment, owner=owner, invitation=invitation) else "",
            )
        )
    return shown
