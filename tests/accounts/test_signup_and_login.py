from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def signup(client, **data):
    payload = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "username": "ada",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "timezone": "America/Los_Angeles",
        **data,
    }
    return client.post(reverse("account_signup"), payload)


# --- Sign-up --------------------------------------------------------------------------------


def test_signup_creates_the_user_with_timezone_and_name_and_lands_on_the_dashboard(client):
    response = signup(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    user = User.objects.get(username="ada")
    assert (user.email, user.name, user.timezone) == ("ada@example.com", "Ada Lovelace", "America/Los_Angeles")


def test_signup_page_preselects_the_browser_timezone(client):
    response = client.get(reverse("account_signup"))
    assert b"data-detect-timezone" in response.content


def test_signup_lowercases_the_username(client):
    signup(client, username="AdaL")
    assert User.objects.filter(username="adal").exists()


@pytest.mark.parametrize(
    "username",
    ["admin", "accounts", "api", "static", "media", "polls", "calendar", "book", "contacts", "Admin", "healthz",
     "dashboard", "profile"],
)  # fmt: skip
def test_reserved_usernames_are_refused(client, username):
    response = signup(client, username=username)
    assert response.status_code == 200
    assert "is reserved because it is part of the site" in response.context["form"].errors["username"][0]
    assert not User.objects.exists()


def test_every_top_level_url_prefix_is_reserved(client):
    from accounts.usernames import url_prefixes

    assert {"accounts", "contacts", "dashboard", "profile", "admin", "healthz"} <= url_prefixes()


@pytest.mark.parametrize("username", ["ada lovelace", "ada/home", "-ada", "ada.", "ad", "a" * 31, "ada+1", "ädä"])
def test_usernames_that_cannot_be_a_booking_url_are_refused(client, username):
    response = signup(client, username=username)
    assert response.context["form"].errors["username"]
    assert not User.objects.exists()


def test_username_taken_in_another_case_is_refused(client):
    UserFactory(username="ada")
    response = signup(client, username="ADA", email="other@example.com")
    assert response.context["form"].errors["username"]


def test_email_taken_in_another_case_is_refused(client):
    UserFactory(username="someone", email="ada@example.com")
    response = signup(client, email="ADA@EXAMPLE.COM")
    assert response.context["form"].errors["email"]
    assert User.objects.count() == 1


def test_unknown_timezone_is_refused(client):
    response = signup(client, timezone="Mars/Olympus_Mons")
    assert response.context["form"].errors["timezone"]


def test_mismatched_passwords_are_refused(client):
    response = signup(client, password2="something-else-entirely")
    assert response.context["form"].errors["password2"] == ["You must type the same password each time."]


def test_signup_form_keeps_what_was_typed_after_an_error(client):
    response = signup(client, username="admin")
    assert b'value="ada@example.com"' in response.content
    assert re.search(rb'<option value="America/Los_Angeles"\s+selected', response.content)
    assert b"data-detect-timezone" not in response.content


def test_signup_sends_a_verification_email(client, committed):
    with committed():
        signup(client)
    assert len(mail.outbox) == 1
    assert "ada@example.com" in mail.outbox[0].to
    assert "/accounts/confirm-email/" in mail.outbox[0].body


@override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory")
def test_mandatory_verification_blocks_login_until_the_email_is_confirmed(client, committed):
    with committed():
        response = signup(client)
    assert response["Location"] == reverse("account_email_verification_sent")
    client.logout()
    response = client.post(reverse("account_login"), {"login": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    client.post(link)
    assert EmailAddress.objects.get(email="ada@example.com").verified
    response = client.post(reverse("account_login"), {"login": "ada", "password": PASSWORD})
    assert response["Location"] == reverse("dashboard")


# --- Login, logout, password reset ----------------------------------------------------------


@pytest.mark.parametrize("login", ["owner", "owner@example.com", "OWNER@example.com"])
def test_login_by_username_or_email(client, user, login):
    response = client.post(reverse("account_login"), {"login": login, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert int(client.session["_auth_user_id"]) == user.pk


def test_wrong_password_is_refused_with_a_clear_message(client, user):
    response = client.post(reverse("account_login"), {"login": "owner", "password": "wrong"})
    assert response.status_code == 200
    assert "The username and/or password you specified are not correct." in response.content.decode()


def test_repeated_login_failures_are_rate_limited(client, user):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "owner", "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": "owner", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


def test_password_reset_requests_are_rate_limited(client, user):
    statuses = [client.post(reverse("account_reset_password"), {"email": "owner@example.com"}).status_code
                for _ in range(6)]  # fmt: skip
    assert statuses[:5] == [302] * 5
    assert statuses[5] == 429


def test_logout_ends_the_session(owner_client):
    response = owner_client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in owner_client.session


def test_password_reset_through_the_email_link(client, user, committed):
    with committed():
        client.post(reverse("account_reset_password"), {"email": "owner@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", mail.outbox[0].body).group(0)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    new_password = "a-brand-new-passphrase-42"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_password_reset_for_an_unknown_email_does_not_reveal_it(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert response.status_code == 302


# --- Google sign-in button ------------------------------------------------------------------


def test_google_button_is_hidden_without_configuration(client):
    response = client.get(reverse("account_login"))
    assert b"Continue with Google" not in response.content


def test_google_button_shows_when_configured(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {**settings.SOCIALACCOUNT_PROVIDERS["google"], "APPS": [{"client_id": "id", "secret": "s"}]}
    }
    response = client.get(reverse("account_login"))
    assert b"Continue with Google" in response.content


def test_google_signup_generates_a_url_safe_username():
    from accounts.adapters import AccountAdapter

    username = AccountAdapter().generate_unique_username(["ada+work@example.com"])
    assert username == "adawork"
