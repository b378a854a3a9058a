"""Profile → Calendars: every connected calendar in one place, who may see and change what, the one
calendar that receives meetings, and what happens to the stored passwords."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts import credentials
from accounts.models import CalDAVAccount, GoogleCalendarConnection, ICSSubscription
from tests.factories import UserFactory, connect_google
from tests.google_fake import PRIMARY

pytestmark = pytest.mark.django_db

WORK, HOME = "https://dav.example.org/anna/work/", "https://dav.example.org/anna/home/"


@pytest.fixture
def account(user):
    return CalDAVAccount.objects.create(
        user=user, name="Fastmail", server_url="https://caldav.fastmail.com/", username="anna@fastmail.com",
        principal_url="https://dav.example.org/anna/", home_url="https://dav.example.org/anna/",
        password=credentials.encrypt("app-pass"),
        calendars=[{"url": WORK, "name": "Work", "color": "#ff8800", "writable": True},
                   {"url": HOME, "name": "Home", "color": "", "writable": False}],
        busy_calendars=[WORK],
    )  # fmt: skip


@pytest.fixture
def subscription(user):
    return ICSSubscription.objects.create(user=user, name="Outlook", url="https://outlook.example.com/a.ics")


OWNED_URLS = [
    ("accounts:caldav_busy", "account"),
    ("accounts:caldav_refresh", "account"),
    ("accounts:caldav_reconnect", "account"),
    ("accounts:caldav_disconnect", "account"),
    ("accounts:ics_toggle", "subscription"),
    ("accounts:ics_refresh", "subscription"),
    ("accounts:ics_remove", "subscription"),
]


def test_the_page_lists_every_connection_with_its_state(owner_client, user, account, subscription, fake_google):
    connect_google(user)
    account.problem, account.last_error = CalDAVAccount.Problem.RECONNECT, "The server refused that password."
    account.save()
    page = owner_client.get(reverse("accounts:calendars")).content.decode()
    assert "Google Calendar" in page
    assert "Fastmail" in page
    assert "Connection lost: reconnect" in page
    assert "The server refused that password." in page
    assert "Outlook" in page
    assert "app-pass" not in page


@pytest.mark.parametrize(("name", "fixture"), OWNED_URLS)
def test_another_users_connection_is_a_404(client, other_user, account, subscription, name, fixture):
    client.force_login(other_user)
    target = {"account": account, "subscription": subscription}[fixture]
    assert client.post(reverse(name, args=[target.pk])).status_code == 404
    assert CalDAVAccount.objects.filter(pk=account.pk).exists()


@pytest.mark.parametrize(("name", "fixture"), OWNED_URLS)
def test_anonymous_visitors_are_sent_to_login(client, account, subscription, name, fixture):
    target = {"account": account, "subscription": subscription}[fixture]
    response = client.post(reverse(name, args=[target.pk]))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_anonymous_visitors_cannot_open_the_page(client):
    assert reverse("account_login") in client.get(reverse("accounts:calendars"))["Location"]


def test_one_calendar_across_all_connections_receives_meetings(owner_client, user, account, fake_google):
    google = connect_google(user, target_calendar="primary")
    owner_client.post(reverse("accounts:calendars"), {"meeting_calendar": f"caldav:{account.pk}:{WORK}"})
    google.refresh_from_db()
    account.refresh_from_db()
    assert (google.target_calendar, account.target_calendar) == ("", WORK)

    owner_client.post(reverse("accounts:calendars"), {"meeting_calendar": ""})
    account.refresh_from_db()
    assert account.target_calendar == ""


def test_a_read_only_calendar_cannot_receive_meetings(owner_client, account):
    response = owner_client.post(reverse("accounts:calendars"), {"meeting_calendar": f"caldav:{account.pk}:{HOME}"})
    assert response.status_code == 400
    assert "Convene can only add meetings to a calendar you can edit." in response.content.decode()


def test_choosing_a_google_calendar_there_takes_meetings_away_from_caldav(owner_client, user, account, fake_google):
    account.target_calendar = WORK
    account.save()
    connect_google(user)
    owner_client.post(reverse("accounts:google"), {"busy_calendars": [PRIMARY], "target_calendar": PRIMARY})
    account.refresh_from_db()
    assert account.target_calendar == ""
    assert GoogleCalendarConnection.objects.get().target_calendar == PRIMARY


def test_disconnecting_forgets_the_account_and_its_password(owner_client, account):
    owner_client.post(reverse("accounts:caldav_disconnect", args=[account.pk]))
    assert not CalDAVAccount.objects.exists()


def test_deleting_the_user_forgets_every_connection(user, account, subscription):
    user.delete()
    assert not CalDAVAccount.objects.exists()
    assert not ICSSubscription.objects.exists()


def test_the_export_has_the_choices_but_no_password_and_no_secret_link(owner_client, account, subscription):
    data = json.loads(owner_client.get(reverse("accounts:export")).content)
    assert data["caldav_accounts"][0]["busy_calendars"] == [WORK]
    assert data["calendar_links"] == [
        {
            "name": "Outlook",
            "host": "outlook.example.com",
            "counts_as_busy": True,
            "created_at": subscription.created_at.isoformat(),
        }
    ]
    exported = json.dumps(data)
    assert "app-pass" not in exported
    assert account.password not in exported
    assert "a.ics" not in exported


def test_a_calendar_colour_from_the_server_cannot_inject_styles(user):
    from accounts.calendars import _colour

    assert _colour("#FF8800") == "#FF8800"
    assert _colour("#ff8800cc") == "#ff8800"
    assert _colour("red; background-image: url(https://evil.example/)") == ""


def test_rotating_the_key_keeps_every_password_readable(account, settings, capsys):
    old = credentials.new_key()
    settings.CREDENTIALS_KEYS = [old]
    account.password = credentials.encrypt("app-pass")
    account.save()
    new = credentials.new_key()
    settings.CREDENTIALS_KEYS = [new, old]
    call_command("rotate_credentials")
    assert "Re-encrypted 1 password" in capsys.readouterr().out
    settings.CREDENTIALS_KEYS = [new]
    account.refresh_from_db()
    assert credentials.decrypt(account.password) == "app-pass"


def test_a_password_no_key_opens_asks_the_owner_to_reconnect(account, settings):
    from accounts import caldav_gateway, calendars

    settings.CREDENTIALS_KEYS = [credentials.new_key()]
    with pytest.raises(caldav_gateway.CalDAVAuthError, match="Connect again"):
        calendars.open_caldav(account)


def test_other_users_see_none_of_it(client, account):
    client.force_login(UserFactory(username="mallory", email="mallory@example.com"))
    assert "anna@fastmail.com" not in client.get(reverse("accounts:calendars")).content.decode()
