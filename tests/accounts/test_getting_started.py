"""A new owner's dashboard: one banner after signing up, their booking page to share, and the
first steps left (confirm the email, set the hours, make a link) until each is done."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from booking.models import Schedule
from tests.accounts.test_signup_and_login import signup
from tests.factories import EventTypeFactory

pytestmark = pytest.mark.django_db


def steps(page: str) -> list[str]:
    if 'data-testid="setup-steps"' not in page:
        return []
    section = page.split('data-testid="setup-steps"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<p class="font-medium text-slate-900">([^<]+)</p>', section)


def test_signing_up_leaves_one_banner_and_the_first_steps(client, committed):
    with committed():
        response = signup(client)
    dashboard = client.get(response["Location"])
    page = dashboard.content.decode()
    assert page.count('role="status"') + page.count('role="alert"') <= 1
    assert "Confirmation email sent to ada@example.com." in page
    assert "Successfully signed in" not in page
    assert steps(page) == ["Confirm your email address", "Set your weekly hours", "Make your first booking link"]
    assert 'value="http://testserver/ada/"' in page  # the booking page, with a copy button
    assert 'data-copy="#booking-page-url"' in page


def test_each_step_goes_once_it_is_done(client, committed):
    with committed():
        signup(client)
    link = next(re.search(r"http://testserver(/accounts/confirm-email/[^/\s]+/)", m.body) for m in mail.outbox)
    client.post(link.group(1))
    assert steps(client.get(reverse("dashboard")).content.decode()) == [
        "Set your weekly hours", "Make your first booking link",
    ]  # fmt: skip

    schedule = Schedule.objects.get(owner__username="ada")
    data = {"name": schedule.name, "timezone": schedule.timezone, "monday": "10:00-16:00"}
    client.post(reverse("booking:schedule_edit", args=[schedule.pk]), data)
    assert steps(client.get(reverse("dashboard")).content.decode()) == ["Make your first booking link"]

    EventTypeFactory(owner=schedule.owner, schedule=schedule)
    page = client.get(reverse("dashboard")).content.decode()
    assert steps(page) == []
    assert 'data-testid="setup-steps"' not in page


def test_signing_in_says_nothing_the_dashboard_does_not(client, user):
    from tests.factories import PASSWORD

    response = client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD}, follow=True)
    assert "Successfully signed in" not in response.content.decode()
