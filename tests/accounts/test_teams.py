"""Teams: making one, inviting people by email, joining by the link, roles, removing, leaving and
deleting; who may open which page."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import NoReverseMatch, reverse

from accounts import teams
from accounts.models import Membership, Team, TeamInvitation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Role = Membership.Role


@pytest.fixture
def team(user):
    return teams.create_team(user=user, name="Sales", slug="sales")


@pytest.fixture
def admin(team):
    person = UserFactory(username="adam", email="adam@example.com", name="Adam Admin")
    Membership.objects.create(team=team, user=person, role=Role.ADMIN)
    return person


@pytest.fixture
def member(team):
    person = UserFactory(username="mia", email="mia@example.com", name="Mia Member")
    Membership.objects.create(team=team, user=person, role=Role.MEMBER)
    return person


@pytest.fixture
def invitation(team, user):
    return TeamInvitation.objects.create(team=team, email="newcomer@example.org", role=Role.ADMIN, invited_by=user)


@pytest.fixture
def people(user, admin, member, other_user):
    return {"owner": user, "admin": admin, "member": member, "outsider": other_user}


def membership(team, person) -> Membership:
    return Membership.objects.get(team=team, user=person)


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def signed_in(client, person):
    client.force_login(person)
    return client


# --- Who may open what ----------------------------------------------------------------------------

# (url name, method, what the URL acts on, POST data) -> status for owner, admin, member, outsider.
MATRIX = [
    ("teams:list", "get", None, {}, (200, 200, 200, 200)),
    ("teams:create", "get", None, {}, (200, 200, 200, 200)),
    ("teams:detail", "get", "team", {}, (200, 200, 200, 404)),
    ("teams:invite", "post", "team", {"email": "new@example.org", "role": "member"}, (302, 302, 404, 404)),
    ("teams:member_role", "post", "member", {"role": "admin"}, (302, 302, 404, 404)),
    ("teams:member_remove", "post", "member", {}, (302, 302, 404, 404)),
    ("teams:invitation_revoke", "post", "invitation", {}, (302, 302, 404, 404)),
    ("teams:leave", "post", "team", {}, (302, 302, 302, 404)),
    ("teams:delete", "get", "team", {}, (200, 404, 404, 404)),
    ("teams:delete", "post", "team", {}, (302, 404, 404, 404)),
]


def url_for(name, target, team, member, invitation):
    if target is None:
        return reverse(name)
    if target == "team":
        return reverse(name, args=[team.slug])
    if target == "member":
        return reverse(name, args=[team.slug, membership(team, member).pk])
    return reverse(name, args=[team.slug, invitation.pk])


@pytest.mark.parametrize(("name", "method", "target", "data", "statuses"), MATRIX)
@pytest.mark.parametrize("role", ["owner", "admin", "member", "outsider"])
def test_team_urls_answer_each_role(client, people, team, member, invitation, role, name, method, target, data,
                                    statuses):  # fmt: skip
    url = url_for(name, target, team, member, invitation)
    response = getattr(signed_in(client, people[role]), method)(url, data)
    expected = dict(zip(["owner", "admin", "member", "outsider"], statuses, strict=True))[role]
    assert response.status_code == expected


@pytest.mark.parametrize(("name", "method", "target", "data", "statuses"), MATRIX)
def test_anonymous_visitor_is_sent_to_login(client, team, member, invitation, name, method, target, data, statuses):
    url = url_for(name, target, team, member, invitation)
    response = getattr(client, method)(url, data)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_a_refused_member_action_changes_nothing(client, team, member, admin):
    signed_in(client, member).post(reverse("teams:member_remove", args=[team.slug, membership(team, admin).pk]))
    assert membership(team, admin).role == Role.ADMIN


def test_people_and_invitations_of_another_team_are_a_404(owner_client, team, other_user):
    elsewhere = teams.create_team(user=other_user, name="Elsewhere", slug="elsewhere")
    stranger = membership(elsewhere, other_user)
    letter = TeamInvitation.objects.create(team=elsewhere, email="x@example.org", invited_by=other_user)
    role_url = reverse("teams:member_role", args=[team.slug, stranger.pk])
    assert owner_client.post(role_url, {"role": "member"}).status_code == 404
    assert owner_client.post(reverse("teams:member_remove", args=[team.slug, stranger.pk])).status_code == 404
    assert owner_client.post(reverse("teams:invitation_revoke", args=[team.slug, letter.pk])).status_code == 404
    assert TeamInvitation.objects.filter(pk=letter.pk).exists()


def test_list_shows_my_teams_with_my_role_and_not_others(client, team, member, other_user):
    teams.create_team(user=other_user, name="Secret club", slug="secret-club")
    response = signed_in(client, member).get(reverse("teams:list"))
    content = response.content.decode()
    assert [m.team for m in response.context["memberships"]] == [team]
    assert "Member" in content
    assert "Secret club" not in content


def test_navigation_links_to_teams(owner_client):
    labels = [item["label"] for item in owner_client.get(reverse("dashboard")).context["navigation"]]
    assert "Teams" in labels


# --- Making a team --------------------------------------------------------------------------------


def test_the_creator_becomes_the_owner(owner_client, user):
    response = owner_client.post(reverse("teams:create"), {"name": "Support", "slug": "support"})
    team = Team.objects.get(slug="support")
    assert response["Location"] == team.get_absolute_url()
    assert membership(team, user).role == Role.OWNER


def test_an_empty_slug_is_made_from_the_name(owner_client):
    owner_client.post(reverse("teams:create"), {"name": "Sales & Support_Team", "slug": ""})
    assert Team.objects.filter(slug="sales-support-team").exists()


def test_a_taken_slug_is_refused_and_the_typing_kept(owner_client, team):
    response = owner_client.post(reverse("teams:create"), {"name": "Other sales", "slug": "sales"})
    assert response.context["form"].errors["slug"] == ["That address is taken by another team. Please choose another."]
    assert 'value="Other sales"' in response.content.decode()


def test_a_slug_made_from_a_taken_name_is_refused_too(owner_client, team):
    response = owner_client.post(reverse("teams:create"), {"name": "Sales", "slug": ""})
    assert "taken" in response.context["form"].errors["slug"][0]
    assert Team.objects.count() == 1


@pytest.mark.parametrize("slug", ["Sales Team", "sales--team", "-sales", "sälj"])
def test_a_bad_slug_is_refused_with_what_to_type(owner_client, slug):
    response = owner_client.post(reverse("teams:create"), {"name": "Sales", "slug": slug})
    assert response.context["form"].errors["slug"] == [
        "Use lowercase letters, digits and single hyphens, e.g. “sales-team”."
    ]
    assert not Team.objects.exists()


def test_a_team_name_is_one_line(owner_client):
    response = owner_client.post(reverse("teams:create"), {"name": "Sales\r\nBcc: all@example.org", "slug": "sales"})
    assert response.context["form"].errors["name"] == ["Use a single line, without line breaks or control characters."]
    assert not Team.objects.exists()


def test_a_typed_slug_is_lowercased(owner_client):
    owner_client.post(reverse("teams:create"), {"name": "Sales", "slug": "Sales-Team"})
    assert Team.objects.filter(slug="sales-team").exists()


def test_a_slug_of_a_teams_page_is_reserved(owner_client):
    response = owner_client.post(reverse("teams:create"), {"name": "New", "slug": ""})
    assert response.context["form"].errors["slug"] == ["That address is reserved. Please choose another."]


def test_a_name_with_nothing_to_make_a_slug_from_asks_for_one(owner_client):
    response = owner_client.post(reverse("teams:create"), {"name": "日本", "slug": ""})
    assert response.context["form"].errors["slug"] == ["Type an address for the team, e.g. “sales-team”."]


# --- Inviting -------------------------------------------------------------------------------------


def invite(client, team, email="grace@example.org", role="member"):
    return client.post(reverse("teams:invite", args=[team.slug]), {"email": email, "role": role})


def test_an_invitation_emails_its_link_after_commit(owner_client, team, committed):
    with committed():
        response = invite(owner_client, team, role="admin")
    invitation = TeamInvitation.objects.get(team=team)
    assert (invitation.email, invitation.role) == ("grace@example.org", Role.ADMIN)
    assert response["Location"] == team.get_absolute_url()
    (message,) = mail.outbox
    link = f"http://testserver{reverse('teams:accept', args=[invitation.token])}"
    assert message.to == ["grace@example.org"]
    assert "Sales" in message.subject
    assert link in message.body
    assert "as an admin" in message.body
    assert link in message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"


def test_a_refused_invitation_sends_nothing(owner_client, team, member, committed):
    with committed():
        invite(owner_client, team, email="mia@example.com")
    assert not mail.outbox


def test_an_address_already_in_the_team_is_refused(owner_client, team, member):
    response = invite(owner_client, team, email="MIA@example.com")
    assert response.status_code == 200
    assert response.context["invite_form"].errors["email"] == ["Someone with this address is already in the team."]
    assert 'value="MIA@example.com"' in response.content.decode()


def test_an_address_already_invited_is_refused(owner_client, team, invitation):
    response = invite(owner_client, team, email="Newcomer@example.org")
    assert response.context["invite_form"].errors["email"] == [teams.ALREADY_INVITED]
    assert TeamInvitation.objects.count() == 1


def test_an_admin_cannot_invite_an_owner(client, team, admin):
    response = invite(signed_in(client, admin), team, role="owner")
    assert response.context["invite_form"].errors["role"] == [
        "Only owners can make someone an owner. Choose Admin or Member."
    ]
    assert not TeamInvitation.objects.exists()


def test_an_admin_is_not_offered_the_owner_role(client, team, admin):
    content = signed_in(client, admin).get(reverse("teams:detail", args=[team.slug])).content.decode()
    assert '<option value="owner"' not in content


def test_an_owner_can_invite_an_owner(owner_client, team):
    invite(owner_client, team, role="owner")
    assert TeamInvitation.objects.get().role == Role.OWNER


def test_a_bad_address_is_refused_and_kept(owner_client, team):
    response = invite(owner_client, team, email="grace@")
    assert "email" in response.context["invite_form"].errors
    assert 'value="grace@"' in response.content.decode()


def test_pending_invitations_show_to_managers_only(client, team, admin, member, invitation):
    url = reverse("teams:detail", args=[team.slug])
    assert "newcomer@example.org" in signed_in(client, admin).get(url).content.decode()
    assert "newcomer@example.org" not in signed_in(client, member).get(url).content.decode()


def test_a_withdrawn_invitation_link_stops_working(owner_client, client, team, invitation, other_user):
    owner_client.post(reverse("teams:invitation_revoke", args=[team.slug, invitation.pk]))
    response = signed_in(client, other_user).get(invitation.get_absolute_url())
    assert response.status_code == 404


# --- Joining --------------------------------------------------------------------------------------


def test_the_invitation_page_names_the_team_role_and_address(client, invitation, other_user):
    content = signed_in(client, other_user).get(invitation.get_absolute_url()).content.decode()
    assert "Join “Sales” as admin?" in content
    assert "newcomer@example.org" in content
    assert "intruder@example.com" in content


def test_joining_makes_a_membership_with_the_invited_role(client, team, invitation, other_user):
    response = signed_in(client, other_user).post(invitation.get_absolute_url())
    assert response["Location"] == team.get_absolute_url()
    assert membership(team, other_user).role == Role.ADMIN
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_an_invitation_works_once(client, invitation, other_user):
    signed_in(client, other_user).post(invitation.get_absolute_url())
    client.force_login(UserFactory())
    response = client.post(invitation.get_absolute_url())
    assert response.status_code == 404
    assert b"This invitation no longer works" in response.content
    assert Membership.objects.filter(team=invitation.team).count() == 2


def test_an_unknown_token_is_a_404_that_says_so(client, other_user):
    response = signed_in(client, other_user).get(reverse("teams:accept", args=["no-such-token"]))
    assert response.status_code == 404
    assert b"Ask the person who invited you to send a new invitation" in response.content


def test_an_anonymous_invitee_signs_in_first(client, invitation):
    url = invitation.get_absolute_url()
    response = client.get(url)
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_someone_already_in_the_team_is_told_so(client, team, member, invitation):
    signed_in(client, member)
    assert "You are already in" in client.get(invitation.get_absolute_url()).content.decode()
    response = client.post(invitation.get_absolute_url())
    assert message_texts(response) == ["You are already in “Sales”."]
    assert membership(team, member).role == Role.MEMBER
    invitation.refresh_from_db()
    assert invitation.accepted_at is None  # still there for the person it was sent to


# --- Roles ----------------------------------------------------------------------------------------


def set_role(client, team, person, role):
    return client.post(reverse("teams:member_role", args=[team.slug, membership(team, person).pk]), {"role": role})


def test_an_admin_makes_a_member_an_admin(client, team, admin, member):
    set_role(signed_in(client, admin), team, member, "admin")
    assert membership(team, member).role == Role.ADMIN


def test_an_admin_cannot_make_someone_an_owner(client, team, admin, member):
    response = set_role(signed_in(client, admin), team, member, "owner")
    assert message_texts(response) == ["Only owners can make someone an owner. Choose Admin or Member."]
    assert membership(team, member).role == Role.MEMBER


def test_an_admin_cannot_demote_an_owner(client, team, user, admin):
    response = set_role(signed_in(client, admin), team, user, "member")
    assert message_texts(response) == ["Only owners can change the role of an owner."]
    assert membership(team, user).role == Role.OWNER


def test_an_admin_cannot_remove_an_owner(client, team, user, admin):
    url = reverse("teams:member_remove", args=[team.slug, membership(team, user).pk])
    response = signed_in(client, admin).post(url)
    assert message_texts(response) == ["Only owners can remove an owner."]
    assert Membership.objects.filter(team=team, user=user).exists()


def test_an_unknown_role_is_refused(owner_client, team, member):
    response = set_role(owner_client, team, member, "boss")
    assert message_texts(response) == ["Choose a role: Member, Admin or Owner."]


def test_the_last_owner_cannot_step_down(owner_client, team, user):
    response = set_role(owner_client, team, user, "admin")
    assert message_texts(response) == [teams.LAST_OWNER]
    assert membership(team, user).role == Role.OWNER


def test_an_owner_steps_down_once_there_is_another(owner_client, team, user, admin):
    set_role(owner_client, team, admin, "owner")
    set_role(owner_client, team, user, "member")
    assert membership(team, admin).role == Role.OWNER
    assert membership(team, user).role == Role.MEMBER


# --- Removing, leaving ----------------------------------------------------------------------------


def test_a_manager_removes_a_member(client, team, admin, member):
    url = reverse("teams:member_remove", args=[team.slug, membership(team, member).pk])
    response = signed_in(client, admin).post(url)
    assert message_texts(response) == ["Removed Mia Member from the team."]
    assert not Membership.objects.filter(team=team, user=member).exists()


def test_the_last_owner_cannot_be_removed(owner_client, team, user):
    url = reverse("teams:member_remove", args=[team.slug, membership(team, user).pk])
    response = owner_client.post(url)
    assert message_texts(response) == [teams.LAST_OWNER]
    assert Membership.objects.filter(team=team, user=user).exists()


def test_the_last_owner_cannot_leave(owner_client, team, user):
    response = owner_client.post(reverse("teams:leave", args=[team.slug]))
    assert response["Location"] == team.get_absolute_url()
    assert message_texts(response) == [
        "You are the team's only owner. Make someone else an owner first, or delete the team."
    ]
    assert Membership.objects.filter(team=team, user=user).exists()


def test_a_member_leaves(client, team, member):
    response = signed_in(client, member).post(reverse("teams:leave", args=[team.slug]))
    assert response["Location"] == reverse("teams:list")
    assert not Membership.objects.filter(team=team, user=member).exists()
    assert client.get(team.get_absolute_url()).status_code == 404


def test_leaving_by_htmx_answers_with_a_client_redirect(client, team, member, htmx_headers):
    response = signed_in(client, member).post(reverse("teams:leave", args=[team.slug]), headers=htmx_headers())
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("teams:list")


def test_of_two_owners_only_one_can_leave(team, user, admin):
    admins = membership(team, admin)
    teams.change_role(team=team, by=membership(team, user), membership=admins, role=Role.OWNER)
    teams.leave(membership=membership(team, user))
    with pytest.raises(teams.TeamRefused):
        teams.leave(membership=membership(team, admin))


def test_a_stale_membership_is_read_again_before_acting(team, user, admin, member):
    stale_admin = membership(team, admin)
    Membership.objects.filter(pk=stale_admin.pk).update(role=Role.MEMBER)
    with pytest.raises(teams.TeamRefused):
        teams.remove_member(team=team, by=stale_admin, membership=membership(team, member))


# --- Deleting -------------------------------------------------------------------------------------


def test_the_delete_page_asks_first(owner_client, team):
    response = owner_client.get(reverse("teams:delete", args=[team.slug]))
    assert "Delete the team “Sales”?" in response.content.decode()
    assert Team.objects.exists()


def test_deleting_a_team_deletes_its_memberships_and_invitations(owner_client, team, member, invitation):
    response = owner_client.post(reverse("teams:delete", args=[team.slug]))
    assert response["Location"] == reverse("teams:list")
    assert not Team.objects.exists()
    assert not Membership.objects.exists()
    assert not TeamInvitation.objects.exists()


# --- The team's page ------------------------------------------------------------------------------


def test_the_page_links_to_the_teams_booking_links_when_that_page_exists(owner_client, team):
    try:
        expected = reverse("booking:team_links", args=[team.slug])
    except NoReverseMatch:
        expected = None
    assert owner_client.get(team.get_absolute_url()).context["links_url"] == expected


def test_the_page_queries_do_not_grow_with_members(owner_client, team, invitation, django_assert_max_num_queries):
    for number in range(5):
        Membership.objects.create(team=team, user=UserFactory())
        TeamInvitation.objects.create(team=team, email=f"{number}@example.org", invited_by=invitation.invited_by)
    with django_assert_max_num_queries(5):
        owner_client.get(team.get_absolute_url())


def test_a_team_alone_with_its_deleted_owner_goes_and_one_with_others_keeps_an_owner(client):
    from accounts.models import Membership, Team
    from tests.factories import PASSWORD, UserFactory

    owner, admin, member = UserFactory(), UserFactory(), UserFactory()
    shared = Team.objects.create(name="Shared", slug="shared")
    Membership.objects.create(team=shared, user=owner, role=Membership.Role.OWNER)
    Membership.objects.create(team=shared, user=member, role=Membership.Role.MEMBER)
    Membership.objects.create(team=shared, user=admin, role=Membership.Role.ADMIN)
    alone = Team.objects.create(name="Alone", slug="alone")
    Membership.objects.create(team=alone, user=owner, role=Membership.Role.OWNER)
    client.force_login(owner)
    assert client.post(reverse("accounts:delete"), {"confirmation": PASSWORD}).status_code == 302
    assert not Team.objects.filter(slug="alone").exists()
    assert Membership.objects.get(team=shared, user=admin).role == Membership.Role.OWNER
    assert Membership.objects.get(team=shared, user=member).role == Membership.Role.MEMBER
