"""Outgoing email goes through the task queue.

``EMAIL_BACKEND`` is always :class:`QueuedEmailBackend`: ``message.send()`` anywhere (allauth,
our own emails, Django's error mails) enqueues the message once the current transaction commits,
and the worker hands it to the real backend, ``EMAIL_DELIVERY_BACKEND`` (the ``EMAIL_BACKEND``
environment variable). A slow or failing mail provider never holds up a request or a
transaction, a rolled-back transaction sends nothing, and the worker retries.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction


class QueuedEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        from accounts.tasks import deliver_email

        for message in email_messages:
            transaction.on_commit(partial(deliver_email, serialize_message(message)))
        return len(email_messages)


def serialize_message(message: EmailMessage) -> dict[str, Any]:
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [tuple(alternative) for alternative in getattr(message, "alternatives", [])],
        "attachments": [tuple(attachment) for attachment in message.attachments],
        "content_subtype": message.content_subtype,
    }


def deserialize_message(data: dict[str, Any]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
        alternatives=[tuple(alternative) for alternative in data["alternatives"]],
        attachments=[tuple(attachment) for attachment in data["attachments"]],
    )
    message.content_subtype = data["content_subtype"]
    return message


def compose(
    *,
    subject: str,
    template: str,
    context: dict[str, Any],
    to: list[str],
    reply_to: list[str] | None = None,
    ics: bytes | None = None,
    ics_method: str = "REQUEST",
) -> EmailMultiAlternatives:
    """A text + HTML message from ``<template>.txt`` and ``<template>.html``, optionally with an
    iCalendar invitation that mail clients offer to add (``text/calendar; method=...``)."""
    from django.conf import settings
    from django.template.loader import render_to_string

    context = {"site_url": settings.SITE_URL, **context}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context).strip() + "\n",
        to=to,
        reply_to=reply_to or [],
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    if ics is not None:
        message.attach("invite.ics", ics.decode(), f"text/calendar; method={ics_method}; charset=utf-8")
    return message
