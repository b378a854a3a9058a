"""Team pages: the list of my teams, a new team, a team's members and invitations, joining by an
invitation link.

Every team is fetched through ``teams.team_for``: someone outside the team, or a member asking
for what only managers or owners may do, gets a 404 (never a 403), so a team's existence is not
revealed. The rules themselves live in the workflows (accounts/teams.py); these views read the
request, call them, and turn a refusal into a message.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import teams
from accounts.models import Membership, Team, TeamInvitation
from accounts.team_forms import InviteForm, RoleForm, TeamForm


def _reverse_or_none(name: str, slug: str) -> str | None:
    """Pages of booking's team links, which may not be installed (yet)."""
    try:
        return reverse(name, args=[slug])
    except NoReverseMatch:
        return None


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """After a POST: a redirect, or for HTMX (buttons that ask for confirmation) a client redirect."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _refused(request: HttpRequest, team: Team, error: teams.TeamRefused) -> HttpResponse:
    messages.error(request, error.message)
    return _go(request, team.get_absolute_url())


@login_required
@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("team")
        .annotate(member_count=Count("team__memberships"))
        .order_by("team__name", "team_id")
    )
    return render(request, "teams/team_list.html", {"memberships": memberships})


@login_required
def team_create(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = teams.create_team(user=request.user, **form.cleaned_data)
        except teams.TeamRefused as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, f"Created the team “{team.name}”. Invite people to it below.")
            return redirect(team)
    return render(request, "teams/team_form.html", {"form": form})


def _detail_page(
    request: HttpRequest, team: Team, me: Membership, invite_form: InviteForm | None = None
) -> HttpResponse:
    members = list(team.memberships.select_related("user"))
    for member in members:
        member.manageable = teams.may_manage(me, member)
    public_path = _reverse_or_none("booking:team_page", team.slug)
    context = {
        "team": team,
        "me": me,
        "members": members,
        "roles": teams.assignable_roles(me),
        "invitations": list(teams.pending_invitations(team)) if me.can_manage else [],
        "invite_form": invite_form or (InviteForm(actor=me) if me.can_manage else None),
        "public_url": settings.SITE_URL + public_path if public_path else None,
        "links_url": _reverse_or_none("booking:team_links", team.slug),
    }
    return render(request, "teams/team_detail.html", context)


@login_required
@require_GET
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team, me = teams.team_for(request.user, slug)
    return _detail_page(request, team, me)


@login_required
@require_POST
def team_invite(request: HttpRequest, slug: str) -> HttpResponse:
    team, me = teams.team_for(request.user, slug, manage=True)
    form = InviteForm(request.POST, actor=me)
    if form.is_valid():
        try:
            invitation = teams.invite(team=team, by=me, **form.cleaned_data)
        except teams.TeamRefused as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, f"Invited {invitation.email} to join as {invitation.get_role_display()}.")
            return redirect(team)
    return _detail_page(request, team, me, invite_form=form)


@login_required
def team_accept(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation link works once, for whoever is signed in (the address it was sent to is
    shown, not required: people often sign in with another one)."""
    try:
        invitation = teams.open_invitation(token)
    except teams.InvitationGone:
        return render(request, "teams/invitation_gone.html", status=404)
    team = invitation.team
    if request.method == "POST":
        try:
            membership, joined = teams.accept(invitation=invitation, user=request.user)
        except teams.InvitationGone:
            return render(request, "teams/invitation_gone.html", status=404)
        if joined:
            messages.success(request, f"You joined “{team.name}” as {membership.get_role_display()}.")
        else:
            messages.info(request, f"You are already in “{team.name}”.")
        return redirect(team)
    already = Membership.objects.filter(team=team, user=request.user).first()
    return render(request, "teams/invitation_accept.html", {"invitation": invitation, "team": team, "already": already})


@login_required
@require_POST
def member_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team, me = teams.team_for(request.user, slug, manage=True)
    member = get_object_or_404(team.memberships.select_related("user"), pk=pk)
    form = RoleForm(request.POST, actor=me)
    if not form.is_valid():
        messages.error(request, form.errors["role"][0])
        return redirect(team)
    try:
        member = teams.change_role(team=team, by=me, membership=member, role=form.cleaned_data["role"])
    except teams.TeamRefused as error:
        return _refused(request, team, error)
    messages.success(request, f"{member.user.display_name} is now {member.get_role_display()}.")
    return redirect(team)


@login_required
@require_POST
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team, me = teams.team_for(request.user, slug, manage=True)
    member = get_object_or_404(team.memberships.select_related("user"), pk=pk)
    try:
        teams.remove_member(team=team, by=me, membership=member)
    except teams.TeamRefused as error:
        return _refused(request, team, error)
    if member.pk == me.pk:
        messages.success(request, f"You left “{team.name}”.")
        return _go(request, reverse("teams:list"))
    messages.success(request, f"Removed {member.user.display_name} from the team.")
    return _go(request, team.get_absolute_url())


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team, me = teams.team_for(request.user, slug, manage=True)
    invitation = get_object_or_404(TeamInvitation, team=team, accepted_at__isnull=True, pk=pk)
    teams.revoke_invitation(team=team, by=me, invitation=invitation)
    messages.success(request, f"Withdrew the invitation to {invitation.email}. Its link no longer works.")
    return _go(request, team.get_absolute_url())


@login_required
@require_POST
def team_leave(request: HttpRequest, slug: str) -> HttpResponse:
    team, me = teams.team_for(request.user, slug)
    try:
        teams.leave(membership=me)
    except teams.TeamRefused as error:
        return _refused(request, team, error)
    messages.success(request, f"You left “{team.name}”.")
    return _go(request, reverse("teams:list"))


@login_required
def team_delete(request: HttpRequest, slug: str) -> HttpResponse:
    """Owners only: anyone else is answered 404, as for a team they are not in."""
    team, me = teams.team_for(request.user, slug, own=True)
    if request.method == "POST":
        try:
            teams.delete_team(team=team, by=me)
        except teams.TeamRefused as error:
            return _refused(request, team, error)
        messages.success(request, f"Deleted the team “{team.name}”.")
        return redirect("teams:list")
    context = {"team": team, "member_count": team.memberships.count()}
    return render(request, "teams/team_confirm_delete.html", context)
