"""Emails as calendar clients send them, and deliveries that fail are never lost quietly."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from accounts.emails import compose, serialize_message
from accounts.models import EmailProblem
from accounts.tasks import deliver_email
from booking.book import Booker, book_slot
from tests.factories import EventTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


def invitation(user, committed):
    event_type = EventTypeFactory(owner=user, title="Intro call")
    with committed():
        book_slot(event_type=event_type, start=datetime(2026, 12, 2, 9, tzinfo=UTC),
                  booker=Booker(name="Bea", email="bea@example.org", timezone="UTC"))  # fmt: skip
    return next(m for m in mail.outbox if m.to == ["bea@example.org"])


def test_the_calendar_is_inside_the_alternative_and_attached(user, committed):
    mime = invitation(user, committed).message()
    assert mime.get_content_type() == "multipart/mixed"
    alternative, attachment = mime.get_payload()
    assert [part.get_content_type() for part in alternative.get_payload()] == [
        "text/plain", "text/html", "text/calendar",
    ]  # fmt: skip
    calendar = alternative.get_payload()[2]
    assert calendar["Content-Type"].replace('"', "") == "text/calendar; method=REQUEST; charset=utf-8"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert b"METHOD:REQUEST" in attachment.get_payload(decode=True)


def test_invitations_are_marked_automatic_with_an_id_on_the_sites_domain(user, committed):
    message = invitation(user, committed).message()
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@testserver>")


def test_provider_apis_get_the_calendar_as_a_typed_attachment(user, committed, settings):
    settings.EMAIL_DELIVERY_BACKEND = "anymail.backends.test.EmailBackend"
    message = invitation(user, committed)
    assert [mimetype for _, mimetype in message.alternatives] == ["text/html"]
    [(name, _, mimetype)] = message.attachments
    assert (name, mimetype) == ("invite.ics", "text/calendar; method=REQUEST; charset=utf-8")


class BrokenBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server refused the connection")


def test_a_message_failing_its_last_try_is_logged_and_shown_to_its_owner(owner_client, user, settings, caplog):
    settings.EMAIL_DELIVERY_BACKEND = "tests.accounts.test_email_delivery.BrokenBackend"
    message = compose(subject="Confirmed: call", template="accounts/email/google_reconnect", context={"user": user},
                      to=["bea@example.org"], owner_id=user.pk)  # fmt: skip
    task = deliver_email.s(serialize_message(message))
    task.retries = 0  # the last of the worker's tries
    with caplog.at_level(logging.ERROR, logger="accounts.tasks"):
        HUEY.execute(task)
    [problem] = EmailProblem.objects.all()
    assert (problem.user, problem.recipient, problem.subject) == (user, "bea@example.org", "Confirmed: call")
    assert "SMTP server refused the connection" in problem.error
    assert any("bea@example.org" in record.getMessage() for record in caplog.records if record.levelno == logging.ERROR)
    page = owner_client.get(reverse("dashboard")).content.decode()
    assert "Some emails could not be delivered" in page
    assert "Confirmed: call" in page
    owner_client.post(reverse("accounts:dismiss_email_problems"))
    assert not EmailProblem.objects.exists()


def test_a_failure_with_tries_left_is_retried_not_reported(user, settings):
    settings.EMAIL_DELIVERY_BACKEND = "tests.accounts.test_email_delivery.BrokenBackend"
    message = compose(subject="x", template="accounts/email/google_reconnect", context={"user": user}, to=["b@x.org"])
    task = deliver_email.s(serialize_message(message))
    task.retries = 3
    HUEY.execute(task)
    assert not EmailProblem.objects.exists()


def test_other_users_do_not_see_the_problems(client, user, other_user, settings):
    EmailProblem.objects.create(user=user, recipient="bea@example.org", subject="Secret", error="x")
    client.force_login(other_user)
    assert "Secret" not in client.get(reverse("dashboard")).content.decode()
