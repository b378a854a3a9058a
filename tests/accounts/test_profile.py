from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.models import Contact, User
from tests.factories import PASSWORD, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["dashboard", "accounts:profile", "accounts:delete", "accounts:export"])
def test_anonymous_visitor_is_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@time_machine.travel("2026-03-29T00:30:00Z", tick=False)
def test_dashboard_greets_the_user_in_their_timezone(owner_client):
    response = owner_client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert b"Hello, Olivia Owner" in response.content
    # 00:30 UTC on the night Berlin springs forward is still 01:30 CET.
    assert b"It is Sunday 29 March, 01:30 in Europe/Berlin." in response.content


@time_machine.travel("2026-03-29T01:30:00Z", tick=False)
def test_pages_render_times_in_the_users_timezone_after_a_dst_change(owner_client):
    response = owner_client.get(reverse("dashboard"))
    assert b"It is Sunday 29 March, 03:30 in Europe/Berlin." in response.content


# --- Profile --------------------------------------------------------------------------------


def save_profile(client, **data):
    return client.post(
        reverse("accounts:profile"),
        {
            "name": "Olivia O.",
            "username": "owner",
            "timezone": "Asia/Tokyo",
            "hour12": "False",
            "week_start": "0",
            "answer_notices": "digest",
            **data,
        },
    )


def test_owner_edits_name_username_and_timezone(owner_client, user):
    response = save_profile(owner_client, username="olivia")
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.name, user.username, user.timezone) == ("Olivia O.", "olivia", "Asia/Tokyo")


def test_profile_offers_the_browsers_timezone(owner_client):
    response = owner_client.get(reverse("accounts:profile"))
    assert b"data-suggest-timezone" in response.content


def test_profile_refuses_a_reserved_username(owner_client, user):
    response = save_profile(owner_client, username="calendar")
    assert "reserved" in response.context["form"].errors["username"][0]
    user.refresh_from_db()
    assert user.username == "owner"


def test_profile_refuses_a_username_taken_in_another_case(owner_client, other_user):
    response = save_profile(owner_client, username="INTRUDER")
    assert response.context["form"].errors["username"] == ["That username is taken. Please choose another."]


def test_profile_refuses_an_unknown_timezone(owner_client):
    response = save_profile(owner_client, timezone="Europe/Atlantis")
    assert response.context["form"].errors["timezone"]


def test_failed_profile_save_does_not_leak_into_the_page_header(owner_client):
    response = save_profile(owner_client, username="calendar", name="Changed")
    assert response.context["user"].username == "owner"


def test_profile_links_to_email_and_password_management(owner_client):
    content = owner_client.get(reverse("accounts:profile")).content.decode()
    assert reverse("account_email") in content
    assert reverse("account_change_password") in content


def test_password_change(owner_client, user):
    new = "another-long-passphrase-7"
    response = owner_client.post(
        reverse("account_change_password"), {"oldpassword": PASSWORD, "password1": new, "password2": new}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


# --- Delete account -------------------------------------------------------------------------


def test_delete_account_with_the_wrong_password_keeps_everything(owner_client, user, contact):
    response = owner_client.post(reverse("accounts:delete"), {"confirmation": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors["confirmation"] == [
        "That password is not correct. Your account was not deleted."
    ]
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_account_removes_the_user_and_their_data_and_logs_out(owner_client, user, contact, other_user):
    kept = ContactFactory(owner=other_user)
    response = owner_client.post(reverse("accounts:delete"), {"confirmation": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("landing")
    assert not User.objects.filter(pk=user.pk).exists()
    assert not EmailAddress.objects.filter(email="owner@example.com").exists()
    assert list(Contact.objects.all()) == [kept]
    assert "_auth_user_id" not in owner_client.session


def test_an_owner_with_booking_links_and_bookings_can_delete_their_account(owner_client, user, other_user):
    """It answered 500 (the links' schedule was PROTECTed) after logging the visitor out."""
    from booking import availability, links
    from booking.book import Booker, book_slot
    from booking.models import Booking, EventType, Schedule
    from scheduling.models import Event
    from tests.factories import EventTypeFactory

    link = EventTypeFactory(owner=user, minimum_notice=0)
    theirs = EventTypeFactory(owner=other_user)
    now = datetime.now(UTC)
    found = links.from_event_type(links.fresh(link.pk))
    start = availability.free_slots(found, start=now, end=now + timedelta(days=8), now=now)[0].start
    book_slot(event_type=link, start=start, booker=Booker(name="Bea", email="bea@example.org", timezone="UTC"))
    response = owner_client.post(reverse("accounts:delete"), {"confirmation": PASSWORD})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert list(EventType.objects.all()) == [theirs]
    assert list(Schedule.objects.all()) == [theirs.schedule]
    assert not Event.objects.filter(owner_id=user.pk).exists()
    assert not Booking.objects.exists()
    assert "_auth_user_id" not in owner_client.session


def test_everyone_invited_to_an_upcoming_meeting_hears_it_is_cancelled(owner_client, user, committed):
    """Bookers and their guests, calendar attendees, a series' attendees and an edited occurrence's:
    each gets a cancellation with the meeting's UID, and nobody hears of meetings already over."""
    from django.core import mail

    from booking.book import Booker, book_slot
    from booking.models import Booking
    from scheduling.events import detach_occurrence, save_event
    from scheduling.models import Event
    from tests.calendars import calendar_part
    from tests.factories import EventTypeFactory

    now = datetime.now(UTC).replace(microsecond=0)
    soon = (now + timedelta(days=3)).replace(hour=9, minute=0, second=0)
    with committed():
        link = EventTypeFactory(owner=user, title="Intro call", minimum_notice=0, duration=60)
        bea = Booker(name="Bea", email="bea@example.org", timezone="UTC", guests=["gus@example.org"])
        book_slot(event_type=link, start=soon, booker=bea)

        def meeting(title, start, **fields):
            end = start + timedelta(hours=1)
            event = Event(owner=user, title=title, start=start, end=end, timezone="UTC", **fields)
            return save_event(event=event, attendees=[("", f"{title.lower()}@example.org")])

        meeting("Review", soon + timedelta(days=1))
        meeting("Retro", now - timedelta(days=2))  # over: nobody to tell
        series = meeting("Standup", now - timedelta(days=30), rrule="FREQ=WEEKLY")
        detached = detach_occurrence(series=series, original=series.start + timedelta(weeks=6))
        detached.attendees.create(email="dee@example.org")
    mail.outbox.clear()

    with committed():
        response = owner_client.post(reverse("accounts:delete"), {"confirmation": PASSWORD})
    assert response.status_code == 302
    told = {message.to[0]: message for message in mail.outbox}
    assert set(told) == {"bea@example.org", "gus@example.org", "review@example.org", "standup@example.org",
                         "dee@example.org"}  # fmt: skip
    assert told["bea@example.org"].subject.startswith("Cancelled: Intro call with Olivia Owner")
    assert "Olivia Owner closed their Convene account." in told["bea@example.org"].body
    for message in told.values():
        assert calendar_part(message)[0] == "CANCEL"
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Event.objects.exists()
    assert not Booking.objects.exists()


def test_a_schedule_used_by_a_link_still_cannot_be_deleted_alone(owner_client, user):
    from booking.models import Schedule
    from tests.factories import EventTypeFactory

    link = EventTypeFactory(owner=user)
    response = owner_client.post(reverse("booking:schedule_delete", args=[link.schedule_id]), follow=True)
    assert "is used by booking links" in response.content.decode()
    assert Schedule.objects.filter(pk=link.schedule_id).exists()


def test_account_without_a_password_confirms_deletion_with_the_username(client):
    user = UserFactory(username="googler")
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    assert client.post(reverse("accounts:delete"), {"confirmation": "someone"}).status_code == 200
    response = client.post(reverse("accounts:delete"), {"confirmation": "googler"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()


# --- Export ---------------------------------------------------------------------------------


def test_export_is_a_json_download_of_the_users_own_records(owner_client, user, contact, other_user):
    ContactFactory(owner=other_user, email="not-mine@example.org")
    response = owner_client.get(reverse("accounts:export"))
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="convene-owner-')
    data = json.loads(response.content)
    assert data["profile"]["username"] == "owner"
    assert data["profile"]["email_addresses"] == [{"email": "owner@example.com", "verified": True, "primary": True}]
    assert [c["email"] for c in data["contacts"]] == ["ada@example.org"]
    assert "not-mine@example.org" not in response.content.decode()
    assert "password" not in response.content.decode()
