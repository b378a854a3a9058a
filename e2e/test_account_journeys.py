from __future__ import annotations

import re

from django.core import mail
from playwright.sync_api import expect

from accounts.models import User
from e2e.conftest import field
from tests.factories import PASSWORD, UserFactory


def test_sign_up_lands_on_the_dashboard_with_the_browsers_timezone(page):
    page.goto("/")
    page.get_by_role("link", name="Create your free account").click()
    expect(field(page, "Timezone")).to_have_value("America/Chicago")
    field(page, "Your name").fill("Ada Lovelace")
    field(page, "Email").fill("ada@example.com")
    field(page, "Username").fill("ada")
    field(page, "Password").fill(PASSWORD)
    field(page, "Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()

    page.wait_for_url("**/dashboard/")
    expect(page.get_by_role("heading", name="Hello, Ada Lovelace")).to_be_visible()
    expect(page.get_by_test_id("user-timezone")).to_have_text("America/Chicago")
    assert User.objects.get(username="ada").timezone == "America/Chicago"


def test_reserved_username_is_explained_and_nothing_typed_is_lost(page):
    page.goto("/accounts/signup/")
    field(page, "Email").fill("ada@example.com")
    field(page, "Username").fill("calendar")
    field(page, "Password").fill(PASSWORD)
    field(page, "Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()

    expect(page.get_by_text("“calendar” is reserved")).to_be_visible()
    expect(field(page, "Email")).to_have_value("ada@example.com")
    assert not User.objects.exists()


def test_log_out_and_back_in_by_email(page, login):
    user = UserFactory(username="olivia", email="olivia@example.com")
    login(user)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()

    page.goto("/accounts/login/")
    field(page, "Username or email").fill("olivia@example.com")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/dashboard/")
    expect(page.get_by_test_id("current-user")).to_have_text(user.display_name)


def test_password_reset_through_the_email_link(page):
    user = UserFactory(username="forgetful", email="forgetful@example.com")
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    field(page, "Email").fill("forgetful@example.com")
    page.get_by_role("button", name="Reset My Password").click()
    expect(page.get_by_role("heading", name="Password Reset")).to_be_visible()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    new_password = "a-completely-new-passphrase-9"
    field(page, "New Password").fill(new_password)
    field(page, "New Password (again)").fill(new_password)
    page.get_by_role("button", name="Change Password").click()

    page.wait_for_url("**/dashboard/")
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_delete_account(page, login):
    from datetime import UTC, datetime, timedelta

    from django.core import mail

    from booking.book import Booker, book_slot
    from booking.models import EventType
    from tests.factories import EventTypeFactory

    user = UserFactory(username="leaving", email="leaving@example.com", name="Lee Leaving")
    link = EventTypeFactory(owner=user, title="Intro call", minimum_notice=0)  # a link made it a 500 (issue 21)
    start = (datetime.now(UTC) + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
    start += timedelta(days=max(0, 7 - start.weekday()) if start.weekday() >= 5 else 0)  # a weekday, in hours
    book_slot(event_type=link, start=start, booker=Booker(name="Bea", email="bea@example.org", timezone="UTC"))
    mail.outbox.clear()
    login(user)
    page.get_by_role("link", name="Profile").first.click()
    page.get_by_role("link", name="Delete my account…").click()

    field(page, "Your password").fill("not my password")
    page.get_by_role("button", name="Delete my account permanently").click()
    expect(page.get_by_text("That password is not correct.")).to_be_visible()

    field(page, "Your password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account permanently").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_text("Your account and all of its data were deleted.")).to_be_visible()
    assert not User.objects.filter(username="leaving").exists()
    assert not EventType.objects.exists()
    # The booker of the meeting still to come is told it is off, and why.
    [to_booker] = [message for message in mail.outbox if message.to == ["bea@example.org"]]
    assert to_booker.subject.startswith("Cancelled: Intro call with Lee Leaving")
    assert "Lee Leaving closed their Convene account." in to_booker.body
