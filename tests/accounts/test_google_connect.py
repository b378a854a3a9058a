"""Connecting Google Calendar through allauth, the settings page, disconnecting."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.urls import reverse

from accounts.models import GoogleCalendarConnection
from tests.factories import PASSWORD, UserFactory, connect_google
from tests.google_fake import PRIMARY, TEAM

pytestmark = pytest.mark.django_db

CONNECT = reverse("accounts:google_connect")
SETTINGS = reverse("accounts:google")
CALLBACK = "/accounts/google/login/callback/"
CALENDAR_SCOPES = {
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.events",
}


def authorize_query(response) -> dict[str, str]:
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert (url.scheme, url.netloc, url.path) == ("https", "accounts.google.com", "/o/oauth2/v2/auth")
    return {key: values[0] for key, values in parse_qs(url.query).items()}


class TokenEndpoint:
    """Google's token endpoint as allauth's ``requests`` session sees it, answering the code exchange."""

    def __init__(
        self, *, google_id: str = "109876543210", email: str = PRIMARY, refresh_token: str | None = "1//0gNew"
    ):
        self.google_id, self.email, self.refresh_token = google_id, email, refresh_token
        self.calls: list[dict] = []

    def __call__(self, method, url, **kwargs):
        assert url == "https://oauth2.googleapis.com/token", f"unexpected request to {url}"
        self.calls.append(kwargs.get("data") or {})
        now = int(time.time())
        claims = {
            "iss": "https://accounts.google.com",
            "aud": "convene-test.apps.googleusercontent.com",
            "sub": self.google_id,
            "email": self.email,
            "email_verified": True,
            "name": "Olivia Owner",
            "iat": now,
            "exp": now + 3600,
        }
        body = {
            "access_token": "ya29.connected",
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": " ".join(["openid", *sorted(CALENDAR_SCOPES)]),
            # Signature checks are skipped for a token fetched straight from Google over TLS.
            "id_token": jwt.encode(claims, "a signature nobody checks, 32+ bytes long", algorithm="HS256"),
        }
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        response = requests.Response()
        response.status_code = 200
        response.headers["content-type"] = "application/json"
        response._content = json.dumps(body).encode()
        return response


def install(monkeypatch, endpoint: TokenEndpoint) -> None:
    monkeypatch.setattr(
        requests.Session, "request", lambda session, method, url, **kwargs: endpoint(method, url, **kwargs)
    )


def connect_round_trip(client, monkeypatch, endpoint: TokenEndpoint):
    state = authorize_query(client.post(CONNECT))["state"]
    install(monkeypatch, endpoint)
    return client.get(CALLBACK, {"code": "4/0AcodeFromGoogle", "state": state})


# The redirect to Google


def test_connect_asks_google_for_the_calendar_scopes_with_offline_access(owner_client, fake_google):
    query = authorize_query(owner_client.post(CONNECT))

    assert set(query["scope"].split()) >= CALENDAR_SCOPES
    assert query["access_type"] == "offline"
    assert "consent" in query["prompt"].split()  # Google only issues a refresh token on consent
    assert query["include_granted_scopes"] == "true"
    assert query["client_id"] == "convene-test.apps.googleusercontent.com"
    assert query["redirect_uri"] == "http://testserver" + CALLBACK


def test_plain_google_sign_in_asks_for_no_calendar_access(client, fake_google):
    query = authorize_query(client.post("/accounts/google/login/"))

    assert set(query["scope"].split()).isdisjoint(CALENDAR_SCOPES)
    assert query.get("access_type", "online") == "online"


def test_connect_needs_a_signed_in_user(client, fake_google):
    response = client.post(CONNECT)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_connect_is_a_post(owner_client, fake_google):
    assert owner_client.get(CONNECT).status_code == 405


def test_connect_without_a_google_client_explains_instead_of_failing(owner_client):
    response = owner_client.post(CONNECT, follow=True)

    assert response.redirect_chain[-1][0] == SETTINGS
    assert "Google sign-in is not set up on this server" in response.content.decode()


# The callback


def test_callback_stores_the_refresh_token_and_connects_the_primary_calendar(
    owner_client, user, fake_google, monkeypatch
):
    endpoint = TokenEndpoint()

    response = connect_round_trip(owner_client, monkeypatch, endpoint)

    assert response.status_code == 302
    assert response["Location"] == SETTINGS
    assert endpoint.calls[0]["code"] == "4/0AcodeFromGoogle"
    token = SocialToken.objects.get(account__user=user)
    assert (token.token, token.token_secret) == ("ya29.connected", "1//0gNew")
    connection = GoogleCalendarConnection.objects.get(user=user)
    assert (connection.busy_calendars, connection.target_calendar) == (["primary"], "primary")


def test_first_visit_after_connecting_reads_the_calendar_list(owner_client, user, fake_google, monkeypatch):
    connect_round_trip(owner_client, monkeypatch, TokenEndpoint())

    page = owner_client.get(SETTINGS).content.decode()

    connection = GoogleCalendarConnection.objects.get(user=user)
    assert [calendar["summary"] for calendar in connection.calendars] == [
        PRIMARY,
        "Holidays in United States",
        "Team",
    ]
    assert (connection.busy_calendars, connection.target_calendar) == ([PRIMARY], PRIMARY)
    assert "Holidays in United States" in page


def test_connecting_the_google_account_already_used_to_sign_in_keeps_one_account(
    owner_client, user, fake_google, monkeypatch
):
    account = SocialAccount.objects.create(user=user, provider="google", uid="109876543210", extra_data={})
    SocialToken.objects.create(account=account, token="ya29.sign-in-only", token_secret="")

    connect_round_trip(owner_client, monkeypatch, TokenEndpoint())

    assert SocialAccount.objects.filter(user=user).count() == 1
    assert SocialToken.objects.get(account=account).token_secret == "1//0gNew"
    assert GoogleCalendarConnection.objects.get(user=user).account == account


def test_reconnecting_keeps_the_choices_and_clears_the_notice(owner_client, user, fake_google, monkeypatch):
    connection = connect_google(user, busy_calendars=[TEAM], problem=GoogleCalendarConnection.Problem.RECONNECT)
    connection.account.uid = "109876543210"
    connection.account.save()

    connect_round_trip(owner_client, monkeypatch, TokenEndpoint())

    connection.refresh_from_db()
    assert connection.busy_calendars == [TEAM]
    assert connection.problem == ""


def test_no_refresh_token_means_not_connected_and_says_why(owner_client, user, fake_google, monkeypatch):
    response = connect_round_trip(owner_client, monkeypatch, TokenEndpoint(refresh_token=None))

    assert not GoogleCalendarConnection.objects.filter(user=user).exists()
    page = owner_client.get(response["Location"]).content.decode()
    assert "Google did not allow offline access" in page


def test_a_google_account_linked_to_someone_else_is_not_connected(owner_client, user, fake_google, monkeypatch):
    someone = UserFactory()
    SocialAccount.objects.create(user=someone, provider="google", uid="109876543210", extra_data={})

    connect_round_trip(owner_client, monkeypatch, TokenEndpoint())

    assert not GoogleCalendarConnection.objects.exists()


def test_signing_in_with_google_does_not_connect_the_calendar(client, fake_google, monkeypatch):
    state = authorize_query(client.post("/accounts/google/login/"))["state"]
    install(monkeypatch, TokenEndpoint(refresh_token=None))

    client.get(CALLBACK, {"code": "4/0Acode", "state": state})

    assert SocialAccount.objects.count() == 1
    assert not GoogleCalendarConnection.objects.exists()


# The settings page


def test_settings_page_needs_a_signed_in_user(client):
    response = client.get(SETTINGS)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_settings_page_explains_what_connecting_reads_and_writes(owner_client, fake_google):
    page = owner_client.get(SETTINGS).content.decode()

    assert "Read when you are busy" in page
    assert "Add your meetings" in page
    assert 'action="/profile/google-calendar/connect/"' in page


def test_settings_page_shows_only_your_own_connection(owner_client, other_user, fake_google):
    connect_google(other_user)

    page = owner_client.get(SETTINGS).content.decode()

    assert "Connect your Google Calendar" in page
    assert PRIMARY not in page


def test_choosing_busy_calendars_and_the_meeting_calendar(owner_client, user, fake_google):
    connection = connect_google(user)

    response = owner_client.post(SETTINGS, {"busy_calendars": [PRIMARY, TEAM], "target_calendar": TEAM})

    assert response.status_code == 302
    connection.refresh_from_db()
    assert (connection.busy_calendars, connection.target_calendar) == ([PRIMARY, TEAM], TEAM)


def test_a_read_only_calendar_cannot_receive_meetings(owner_client, user, fake_google):
    connect_google(user)

    response = owner_client.post(SETTINGS, {"target_calendar": "en.usa#holiday@group.v.calendar.google.com"})

    assert response.status_code == 200
    assert "Convene can only add meetings to a calendar you can edit" in response.content.decode()


def test_meetings_can_stay_out_of_google(owner_client, user, fake_google):
    connection = connect_google(user)

    owner_client.post(SETTINGS, {"busy_calendars": [PRIMARY], "target_calendar": ""})

    connection.refresh_from_db()
    assert connection.target_calendar == ""


def test_refreshing_the_calendar_list_when_google_fails_keeps_the_settings(owner_client, user, fake_google):
    connection = connect_google(user)
    fake_google.failure = (503, "backendError")

    response = owner_client.post(reverse("accounts:google_refresh"), follow=True)

    assert "Google Calendar did not answer" in response.content.decode()
    connection.refresh_from_db()
    assert connection.busy_calendars == [PRIMARY]


def test_disconnect_revokes_at_google_and_forgets_the_tokens(owner_client, user, fake_google):
    connection = connect_google(user)

    owner_client.post(reverse("accounts:google_disconnect"))

    [revoke] = fake_google.calls("POST", "/revoke")
    assert revoke.body == "token=1%2F%2Fstored-refresh-token"
    assert not GoogleCalendarConnection.objects.exists()
    assert not SocialToken.objects.exists()
    assert SocialAccount.objects.filter(pk=connection.account_id).exists()  # Google sign-in still works


def test_reconnect_notice_on_the_dashboard_and_profile(owner_client, user, fake_google):
    connect_google(user, problem=GoogleCalendarConnection.Problem.RECONNECT)

    for url in (reverse("dashboard"), SETTINGS):
        assert "Reconnect Google Calendar" in owner_client.get(url).content.decode()
    assert "Needs attention" in owner_client.get(reverse("accounts:profile")).content.decode()


def test_export_has_the_calendar_choices_but_never_the_tokens(owner_client, user, fake_google):
    connect_google(user, busy_calendars=[PRIMARY, TEAM])

    response = owner_client.get(reverse("accounts:export"))

    exported = json.loads(response.content)["google_calendar"]
    assert exported["busy_calendars"] == [PRIMARY, TEAM]
    assert "stored-refresh-token" not in response.content.decode()
    assert "ya29" not in response.content.decode()


def test_deleting_the_account_revokes_the_google_grant(owner_client, user, fake_google):
    connect_google(user)

    owner_client.post(reverse("accounts:delete"), {"confirmation": PASSWORD})

    assert len(fake_google.calls("POST", "/revoke")) == 1
    assert not GoogleCalendarConnection.objects.exists()


def test_reconnecting_with_another_google_account_starts_from_its_main_calendar(
    owner_client, user, fake_google, monkeypatch
):
    connect_google(user, busy_calendars=[TEAM], target_calendar=TEAM)

    connect_round_trip(owner_client, monkeypatch, TokenEndpoint(google_id="555000111"))

    connection = GoogleCalendarConnection.objects.get(user=user)
    assert connection.account.uid == "555000111"
    assert (connection.busy_calendars, connection.target_calendar, connection.calendars) == (["primary"], "primary", [])


def test_a_stale_copy_of_the_connection_cannot_hide_that_the_grant_is_gone(user, fake_google):
    from accounts import google

    connection = connect_google(user)
    stale = GoogleCalendarConnection.objects.get(pk=connection.pk)
    google._record(connection, GoogleCalendarConnection.Problem.RECONNECT)

    google._record(stale, GoogleCalendarConnection.Problem.UNAVAILABLE)

    connection.refresh_from_db()
    assert connection.needs_reconnect


def test_saving_keeps_a_meeting_calendar_that_became_read_only(owner_client, user, fake_google):
    connection = connect_google(user, target_calendar=TEAM)
    connection.calendars = [{**calendar, "writable": False} if calendar["id"] == TEAM else calendar
                            for calendar in connection.calendars]  # fmt: skip
    connection.save()

    response = owner_client.post(SETTINGS, {"busy_calendars": [PRIMARY, TEAM], "target_calendar": TEAM})

    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.target_calendar == TEAM


@pytest.mark.parametrize(
    "path", ["/accounts/google/login/", "/accounts/google/login/callback/", "/accounts/google/login/token/"]
)
def test_googles_urls_are_a_404_when_google_is_not_set_up(client, settings, path):
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": []}}
    assert client.get(path).status_code == 404
