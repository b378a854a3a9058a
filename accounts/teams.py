"""Team workflows: making a team, inviting people, joining by the emailed link, roles, removing,
leaving, deleting.

Who may do what:

- every member sees the team and its members, and may leave;
- owners and admins ("managers") invite, revoke invitations, change roles and remove members;
- only owners make someone an owner, or change or remove another owner;
- only owners delete the team;
- a team always keeps an owner (``_keep_an_owner``, the one place of that rule).

Views and the API call these; each write is one transaction that locks the team's row, so two
owners stepping down at once cannot leave a team without one. Emails leave after commit.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.emails import compose
from accounts.models import Membership, Team, TeamInvitation, User

Role = Membership.Role

LAST_OWNER = "You are the team's only owner. Make someone else an owner first, or delete the team."
SLUG_TAKEN = "That address is taken by another team. Please choose another."
ALREADY_INVITED = "This address already has an invitation to the team. Revoke it first to send a new one."
ROLE_WITH_ARTICLE = {Role.OWNER: "an owner", Role.ADMIN: "an admin", Role.MEMBER: "a member"}
# Words that are pages of their own under /teams/.
RESERVED_SLUGS = frozenset({"new", "join"})


class TeamRefused(Exception):
    """What someone asked for is not allowed; the message says why and what to do instead.
    ``field`` names the form field it is about, when there is one."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvitationGone(Exception):
    """The invitation link was used already, was revoked, or never existed."""


# --- Looking things up ----------------------------------------------------------------------------


def team_for(user: User, slug: str, *, manage: bool = False, own: bool = False) -> tuple[Team, Membership]:
    """The one way to fetch a team for a request: the team with ``slug`` that ``user`` belongs to,
    and their membership. Someone outside the team gets a 404, never a 403, so a team's existence
    is not revealed; a member asking for what only managers (``manage``) or owners (``own``) may
    do gets a 404 too, for the same answer everywhere."""
    membership = Membership.objects.select_related("team").filter(user=user, team__slug=slug).first()
    if membership is None or (manage and not membership.can_manage) or (own and membership.role != Role.OWNER):
        raise Http404("No such team.")
    return membership.team, membership


def open_invitation(token: str) -> TeamInvitation:
    invitation = (
        TeamInvitation.objects.select_related("team", "invited_by")
        .filter(token=token, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:
        raise InvitationGone
    return invitation


def pending_invitations(team: Team) -> QuerySet[TeamInvitation]:
    return team.invitations.filter(accepted_at__isnull=True).select_related("invited_by")


def assignable_roles(actor: Membership) -> list[tuple[str, str]]:
    """The roles ``actor`` may give someone (by invitation or by a change of role)."""
    if actor.role == Role.OWNER:
        return list(Role.choices)
    if actor.role == Role.ADMIN:
        return [(value, label) for value, label in Role.choices if value != Role.OWNER]
    return []


def may_manage(actor: Membership, target: Membership) -> bool:
    """Whether ``actor`` may change ``target``'s role or remove them (the last-owner rule aside)."""
    return actor.can_manage and (target.role != Role.OWNER or actor.role == Role.OWNER)


# --- Rules ----------------------------------------------------------------------------------------


def _check_manager(actor: Membership) -> None:
    if not actor.can_manage:
        raise TeamRefused("Only the team's owners and admins can do that.")


def _check_may_give(actor: Membership, role: str) -> None:
    if role not in Role.values:
        raise TeamRefused("Choose Owner, Admin or Member.", field="role")
    if role == Role.OWNER and actor.role != Role.OWNER:
        raise TeamRefused("Only owners can make someone an owner. Choose Admin or Member.", field="role")


def _check_may_manage(actor: Membership, target: Membership, what: str) -> None:
    _check_manager(actor)
    if not may_manage(actor, target):
        raise TeamRefused(f"Only owners can {what} an owner.")


def _keep_an_owner(team: Team, leaving: Membership) -> None:
    """A team always has an owner: its last one can neither leave, be removed, nor step down."""
    if leaving.role != Role.OWNER:
        return
    if not team.memberships.filter(role=Role.OWNER).exclude(pk=leaving.pk).exists():
        raise TeamRefused(LAST_OWNER)


def _lock_team(team_id: int) -> bool:
    return bool(list(Team.objects.select_for_update().filter(pk=team_id).values_list("pk", flat=True)))


def _locked(team: Team, *memberships: Membership) -> list[Membership]:
    """Lock the team's row (serialising every change to its members) and read ``memberships``
    again inside the lock: a role changed or a member removed since the page was loaded counts."""
    if not _lock_team(team.pk):
        raise TeamRefused("That team was deleted.")
    fresh = team.memberships.select_related("user").in_bulk([membership.pk for membership in memberships])
    if len(fresh) != len({membership.pk for membership in memberships}):
        raise TeamRefused("That person is no longer in the team.")
    return [fresh[membership.pk] for membership in memberships]


# --- Workflows ------------------------------------------------------------------------------------


def create_team(*, user: User, name: str, slug: str) -> Team:
    """A new team with ``user`` as its owner. Raises ``TeamRefused`` when the slug is taken (the
    form checks it first; this catches two people taking it at once)."""
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name, slug=slug)
            Membership.objects.create(team=team, user=user, role=Role.OWNER)
    except IntegrityError:
        raise TeamRefused(SLUG_TAKEN, field="slug") from None
    return team


def invite(*, team: Team, by: Membership, email: str, role: str) -> TeamInvitation:
    """Invite ``email`` to join as ``role`` and email them the link (after commit). Raises
    ``TeamRefused`` for someone already in the team or already invited, or a role ``by`` may not
    give."""
    email = email.strip()
    with transaction.atomic():
        (by,) = _locked(team, by)
        _check_manager(by)
        _check_may_give(by, role)
        if team.memberships.filter(user__email__iexact=email).exists():
            raise TeamRefused("Someone with this address is already in the team.", field="email")
        if pending_invitations(team).filter(email__iexact=email).exists():
            raise TeamRefused(ALREADY_INVITED, field="email")
        try:
            with transaction.atomic():
                invitation = TeamInvitation.objects.create(team=team, email=email, role=role, invited_by=by.user)
        except IntegrityError:
            raise TeamRefused(ALREADY_INVITED, field="email") from None
        transaction.on_commit(lambda: invitation_email(invitation).send())  # queued, sent by the worker
    return invitation


def accept(*, invitation: TeamInvitation, user: User) -> tuple[Membership, bool]:
    """Join the team by an invitation: ``(membership, True)``, and the link stops working. Someone
    already in the team keeps their role and gets ``(membership, False)``; the invitation stays
    open for the person it was sent to. Raises ``InvitationGone`` when it was used or revoked
    meanwhile."""
    with transaction.atomic():
        _lock_team(invitation.team_id)
        current = TeamInvitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).first()
        if current is None:
            raise InvitationGone
        existing = Membership.objects.filter(team_id=invitation.team_id, user=user).first()
        if existing is not None:
            return existing, False
        membership = Membership.objects.create(team_id=invitation.team_id, user=user, role=current.role)
        current.accepted_at = timezone.now()
        current.save(update_fields=["accepted_at"])
    return membership, True


def revoke_invitation(*, team: Team, by: Membership, invitation: TeamInvitation) -> None:
    """Withdraw an open invitation: its link stops working."""
    _check_manager(by)
    if invitation.team_id != team.pk or invitation.accepted_at is not None:
        raise TeamRefused("That invitation was already accepted or withdrawn.")
    invitation.delete()


def change_role(*, team: Team, by: Membership, membership: Membership, role: str) -> Membership:
    with transaction.atomic():
        by, membership = _locked(team, by, membership)
        _check_may_manage(by, membership, "change the role of")
        _check_may_give(by, role)
        if role != Role.OWNER:
            _keep_an_owner(team, membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def remove_member(*, team: Team, by: Membership, membership: Membership) -> None:
    with transaction.atomic():
        by, membership = _locked(team, by, membership)
        _check_may_manage(by, membership, "remove")
        _keep_an_owner(team, membership)
        membership.delete()


def leave(*, membership: Membership) -> None:
    team = membership.team
    with transaction.atomic():
        (membership,) = _locked(team, membership)
        _keep_an_owner(team, membership)
        membership.delete()


def delete_team(*, team: Team, by: Membership) -> None:
    """Delete the team with its memberships, invitations and booking links."""
    with transaction.atomic():
        (by,) = _locked(team, by)
        if by.role != Role.OWNER:
            raise TeamRefused("Only the team's owners can delete it.")
        team.delete()


def hand_over_teams(*, user: User) -> None:
    """Before ``user``'s account is deleted (in its transaction): a team they are the last owner of
    passes to its longest-standing admin, else member; a team with nobody else goes with them."""
    for membership in Membership.objects.filter(user=user, role=Role.OWNER).select_related("team"):
        others = list(membership.team.memberships.exclude(user=user))
        if any(other.role == Role.OWNER for other in others):
            continue
        heir = min(others, key=lambda other: (other.role != Role.ADMIN, other.joined_at, other.pk), default=None)
        if heir is None:
            membership.team.delete()
            continue
        heir.role = Role.OWNER
        heir.save(update_fields=["role"])


# --- Email ----------------------------------------------------------------------------------------


def invitation_email(invitation: TeamInvitation) -> EmailMultiAlternatives:
    team, inviter = invitation.team, invitation.invited_by
    who = inviter.display_name if inviter else "Someone"
    return compose(
        subject=f"{who} invited you to join “{team.name}” on Convene",
        template="teams/email/invitation",
        context={
            "invitation": invitation,
            "team": team,
            "inviter": inviter,
            "as_role": ROLE_WITH_ARTICLE[invitation.role],
            "link": settings.SITE_URL + invitation.get_absolute_url(),
        },
        to=[invitation.email],
        reply_to=[inviter.email] if inviter and inviter.email else None,
        owner_id=inviter.pk if inviter else None,
    )
