"""One-click unsubscribe (RFC 8058) by the signed link in an email, without signing in."""

from __future__ import annotations

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from accounts import unsubscribe
from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def url(user):
    return unsubscribe.url(user.pk, "answers")


@pytest.fixture
def mail_client():
    """What a mail client's one-click POST is: no session, no CSRF token."""
    return Client(enforce_csrf_checks=True)


def notices(user) -> str:
    user.refresh_from_db()
    return user.answer_notices


def test_the_link_is_on_the_site_and_names_the_kind(user, url):
    assert url.startswith("http://testserver/profile/unsubscribe/")
    assert unsubscribe.read(url.split("/")[-2]) == (user.pk, "answers")


def test_the_headers_offer_one_click(user, url):
    assert unsubscribe.headers(user.pk, "answers") == {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_one_click_post_without_csrf_turns_answer_emails_off(mail_client, user, url):
    response = mail_client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert notices(user) == User.Notices.OFF


def test_get_shows_a_button_and_changes_nothing(mail_client, user, url):
    response = mail_client.get(url)
    assert response.status_code == 200
    assert b'<form method="post">' in response.content
    assert notices(user) == User.Notices.DIGEST


def test_the_page_says_it_is_done(mail_client, url):
    response = mail_client.post(url)
    assert b"You are unsubscribed" in response.content


def test_a_tampered_token_is_refused(mail_client, user, url):
    token = url.split("/")[-2]
    forged = token[:-1] + ("B" if token.endswith("A") else "A")
    response = mail_client.post(reverse("accounts:unsubscribe", args=[forged]))
    assert response.status_code == 400
    assert notices(user) == User.Notices.DIGEST


def test_a_token_for_someone_else_cannot_be_made_from_mine(mail_client, user, other_user):
    token = signing.dumps({"user": other_user.pk, "kind": "answers"}, salt="another.salt")
    assert mail_client.post(reverse("accounts:unsubscribe", args=[token])).status_code == 400
    assert notices(other_user) == User.Notices.DIGEST


def test_an_unknown_kind_is_refused(mail_client, user):
    token = signing.dumps({"user": user.pk, "kind": "everything"}, salt=unsubscribe.SALT)
    assert mail_client.post(reverse("accounts:unsubscribe", args=[token])).status_code == 400


def test_the_link_of_a_deleted_account_is_refused(mail_client, user, url):
    user.delete()
    assert mail_client.post(url).status_code == 400


def test_it_only_takes_get_and_post(mail_client, user, url):
    assert mail_client.put(url).status_code == 405
    assert notices(user) == User.Notices.DIGEST


def test_the_profile_offers_the_three_choices(owner_client):
    content = owner_client.get(reverse("accounts:profile")).content.decode()
    for value in ("each", "digest", "off"):
        assert f'name="answer_notices" value="{value}"' in content
    assert 'value="digest" id="id_answer_notices_1" checked' in content


def test_the_owner_chooses_an_email_for_each_answer_on_the_profile(owner_client, user):
    data = {"name": user.name, "username": user.username, "timezone": user.timezone, "hour12": "False"}
    response = owner_client.post(reverse("accounts:profile"), {**data, "week_start": "0", "answer_notices": "each"})
    assert response.status_code == 302
    assert notices(user) == User.Notices.EACH
