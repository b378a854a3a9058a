"""Emails as calendar clients send them, delivered once each, and never lost: not when the provider
fails, not when the worker is stopped mid-delivery."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.mime.text import MIMEText

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.emails import compose, serialize_message
from accounts.models import EmailProblem, OutgoingEmail
from accounts.tasks import deliver_due_emails, deliver_email
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


def a_message(user, subject="Confirmed: call"):
    return compose(subject=subject, template="accounts/email/google_reconnect", context={"user": user},
                   to=["bea@example.org"], owner_id=user.pk)  # fmt: skip


def test_a_delivered_message_leaves_no_row_and_is_never_sent_twice(user, committed):
    with committed():
        a_message(user).send()
    assert [m.subject for m in mail.outbox] == ["Confirmed: call"]
    assert not OutgoingEmail.objects.exists()
    with time_machine.travel("2026-12-01T09:00:00Z"):
        assert deliver_due_emails.call_local() == 0
    assert len(mail.outbox) == 1


def send_and_fail(user):
    with transaction.atomic():
        a_message(user).send()
        raise RuntimeError("the workflow failed")


def test_a_rolled_back_transaction_sends_nothing(user, committed):
    with committed(), pytest.raises(RuntimeError, match="workflow failed"):
        send_and_fail(user)
    assert mail.outbox == []
    assert not OutgoingEmail.objects.exists()


def test_a_failure_is_tried_again_with_backoff_then_logged_and_shown_to_its_owner(
    owner_client, user, settings, committed, caplog
):
    settings.EMAIL_DELIVERY_BACKEND = "tests.accounts.test_email_delivery.BrokenBackend"
    with committed():
        a_message(user).send()
    [queued] = OutgoingEmail.objects.all()
    assert (queued.attempts, queued.due_at) == (1, timezone.now() + timedelta(minutes=1))
    assert "SMTP server refused the connection" in queued.last_error
    assert not EmailProblem.objects.exists()
    waits = []
    with time_machine.travel(timezone.now(), tick=False) as clock, caplog.at_level(logging.ERROR, "accounts.tasks"):
        assert deliver_due_emails.call_local() == 0  # not due yet
        while OutgoingEmail.objects.exists():
            wait = OutgoingEmail.objects.get().due_at - timezone.now()
            waits.append(int(wait.total_seconds() // 60))
            clock.shift(wait)
            assert deliver_due_emails.call_local() == 1
    assert waits == [1, 2, 4, 8, 16, 32, 64]  # 8 tries in about two hours
    [problem] = EmailProblem.objects.all()
    assert (problem.user, problem.recipient, problem.subject) == (user, "bea@example.org", "Confirmed: call")
    assert "SMTP server refused the connection" in problem.error
    assert any("bea@example.org" in record.getMessage() for record in caplog.records if record.levelno == logging.ERROR)
    page = owner_client.get(reverse("dashboard")).content.decode()
    assert "Some emails could not be delivered" in page
    assert "Confirmed: call" in page
    owner_client.post(reverse("accounts:dismiss_email_problems"))
    assert not EmailProblem.objects.exists()


def test_a_message_its_worker_stopped_delivering_is_delivered_once_its_lease_runs_out(user, settings):
    """The worker claimed the message (its try counted) and was killed before the provider
    answered: nobody else may send it while the lease lasts; afterwards exactly one delivery."""
    settings.EMAIL_DELIVERY_LEASE = 300
    a_message(user).send()  # in the request's transaction, which has not committed yet
    [queued] = OutgoingEmail.objects.all()
    OutgoingEmail.objects.filter(pk=queued.pk).update(attempts=1, due_at=timezone.now() + timedelta(seconds=300))
    assert deliver_email.call_local(queued.pk) is False  # a second task for it: leased
    with time_machine.travel(timezone.now() + timedelta(seconds=299)):
        assert deliver_due_emails.call_local() == 0
    with time_machine.travel(timezone.now() + timedelta(seconds=301)):
        assert deliver_due_emails.call_local() == 1
        assert deliver_email.call_local(queued.pk) is False
    assert [m.subject for m in mail.outbox] == ["Confirmed: call"]
    assert not OutgoingEmail.objects.exists()


def test_a_message_whose_first_task_was_lost_is_delivered_by_the_sweep(user):
    a_message(user).send()  # the on-commit task never runs (a worker lost its queue)
    assert deliver_due_emails.call_local() == 0  # the task at commit has its head start
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert deliver_due_emails.call_local() == 1
    assert len(mail.outbox) == 1


def test_the_stored_message_keeps_its_attachments_byte_for_byte(user, committed):
    message = a_message(user)
    message.attach("invite.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "application/ics")
    message.attach("notes.txt", "caf\u00e9", "text/plain")
    note = MIMEText("raw part")
    message.attach(note)
    with committed():
        message.send()
    [sent] = mail.outbox
    assert sent.attachments[0] == ("invite.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "application/ics")
    assert sent.attachments[1] == ("notes.txt", "caf\u00e9", "text/plain")
    assert sent.attachments[2].get_payload() == "raw part"


def test_a_payload_queued_before_the_upgrade_is_still_delivered(user):
    """The old worker's tasks carried the message with its attachments as tuples of bytes."""
    message = a_message(user)
    message.attach("invite.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "application/ics")
    old_format = {**serialize_message(message), "attachments": [tuple(item) for item in message.attachments],
                  "alternatives": [tuple(item) for item in message.alternatives]}  # fmt: skip
    assert deliver_email.call_local(old_format) is True
    [sent] = mail.outbox
    assert sent.attachments[0] == ("invite.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "application/ics")
    assert not OutgoingEmail.objects.exists()


def test_a_stored_message_that_cannot_be_rebuilt_is_reported_not_retried_forever(user, caplog):
    payload = {**serialize_message(a_message(user)), "attachments": [{"unknown": "shape"}]}
    broken = OutgoingEmail.objects.create(payload=payload, due_at=timezone.now())
    with caplog.at_level(logging.ERROR, "accounts.tasks"):
        assert deliver_email.call_local(broken.pk) is False
    assert not OutgoingEmail.objects.exists()
    assert EmailProblem.objects.get().user == user


def test_other_users_do_not_see_the_problems(client, user, other_user, settings):
    EmailProblem.objects.create(user=user, recipient="bea@example.org", subject="Secret", error="x")
    client.force_login(other_user)
    assert "Secret" not in client.get(reverse("dashboard")).content.decode()
