from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.api_base import digest
from accounts.models import ApiToken
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def _make(owner_client, **fields):
    data = {"name": "CRM sync", "can_write": "false", "expires": "90", **fields}
    return owner_client.post(reverse("accounts:api_tokens"), data)


def test_new_token_is_shown_once_and_only_its_digest_is_kept(owner_client, user):
    response = _make(owner_client)
    secret = response.context["secret"]
    assert secret.startswith("cvn_")
    assert secret in response.content.decode()
    token = ApiToken.objects.get(user=user)
    assert token.digest == digest(secret)
    assert secret not in owner_client.get(reverse("accounts:api_tokens")).content.decode()


def test_token_without_a_name_keeps_the_choices_and_says_what_to_do(owner_client):
    response = _make(owner_client, name="", can_write="true", expires="")
    assert response.status_code == 400
    assert "Give the token a name, so you know what uses it." in response.content.decode()
    assert response.context["form"]["can_write"].value() == "true"
    assert not ApiToken.objects.exists()


def test_expiry_is_counted_from_today(owner_client, user):
    with time_machine.travel("2026-12-06 12:00Z", tick=False):
        _make(owner_client, expires="30")
    assert ApiToken.objects.get(user=user).expires_at.isoformat() == "2027-01-05T12:00:00+00:00"


def test_revoked_token_stops_working(owner_client, client, user):
    secret = _make(owner_client, can_write="true").context["secret"]
    token = ApiToken.objects.get(user=user)
    owner_client.post(reverse("accounts:api_token_revoke", args=[token.pk]))
    client.logout()
    response = ApiClient(client, secret).get("/me")
    assert response.status_code == 401
    assert response.json()["title"] == "Token revoked"


def test_use_is_recorded_at_most_once_a_minute(owner_client, client, user):
    secret = _make(owner_client).context["secret"]
    api = ApiClient(client, secret)
    with time_machine.travel("2026-12-06 12:00:00Z", tick=False):
        api.get("/me")
    with time_machine.travel("2026-12-06 12:00:30Z", tick=False):
        api.get("/me")
    assert ApiToken.objects.get().last_used_at.isoformat() == "2026-12-06T12:00:00+00:00"
    with time_machine.travel("2026-12-06 12:01:10Z", tick=False):
        api.get("/me")
    assert ApiToken.objects.get().last_used_at.isoformat() == "2026-12-06T12:01:10+00:00"


def test_another_user_cannot_revoke_my_token(client, other_user, owner_client, user):
    _make(owner_client)
    token = ApiToken.objects.get(user=user)
    client.force_login(other_user)
    assert client.post(reverse("accounts:api_token_revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.get().revoked_at is None


def test_token_pages_need_sign_in(client):
    response = client.get(reverse("accounts:api_tokens"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_expired_token_is_refused(client, user):
    from tests.api.conftest import token_for

    secret = token_for(user, expires_at=timezone.now() - timedelta(seconds=1))
    response = ApiClient(client, secret).get("/me")
    assert response.status_code == 401
    assert response.json()["title"] == "Token expired"


def test_the_page_showing_a_new_secret_is_never_cached(owner_client):
    response = _make(owner_client)
    assert "no-store" in response["Cache-Control"]
