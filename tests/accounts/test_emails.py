from __future__ import annotations

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

pytestmark = pytest.mark.django_db


def make_message() -> EmailMultiAlternatives:
    message = EmailMultiAlternatives("Hello", "Plain body", "from@example.com", ["to@example.com"])
    message.attach_alternative("<p>HTML body</p>", "text/html")
    message.attach("invite.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    return message


def test_email_is_delivered_by_the_worker_only_after_commit(committed):
    with committed():
        make_message().send()
        assert mail.outbox == []
    sent = mail.outbox[0]
    assert (sent.subject, sent.body, sent.to) == ("Hello", "Plain body", ["to@example.com"])
    assert sent.alternatives[0][0] == "<p>HTML body</p>"
    assert sent.attachments[0][0] == "invite.ics"


def test_email_is_not_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_message().send()
    assert len(callbacks) == 1
    assert mail.outbox == []
