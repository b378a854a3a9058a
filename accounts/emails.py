"""Outgoing email goes through the task queue, and is acknowledged only once delivered.

``EMAIL_BACKEND`` is always :class:`QueuedEmailBackend`: ``message.send()`` anywhere (allauth,
our own emails, Django's error mails) writes the message as an :class:`~accounts.models.OutgoingEmail`
row in the current transaction and, once it commits, asks the worker to deliver it through the
real backend, ``EMAIL_DELIVERY_BACKEND`` (the ``EMAIL_BACKEND`` environment variable). A slow or
failing mail provider never holds up a request or a transaction, a rolled-back transaction sends
nothing, and the row goes only when the provider has accepted the message: a worker stopped or
killed mid-delivery, or a failure, leaves it to be delivered again (``accounts/tasks.py``). A
message that cannot be delivered even then is logged at ERROR and kept as an
:class:`~accounts.models.EmailProblem` the owner it was sent for sees on their dashboard.

Messages with a meeting are laid out as calendar clients send them (RFC 6047): the iCalendar
document is the last part of the ``multipart/alternative`` as ``text/calendar; method=...``,
which is what Gmail, Outlook and Apple Mail read to offer "Yes / No / Maybe", and it is attached
as ``invite.ics`` for people who save it by hand.
"""

from __future__ import annotations

import base64
import email
import logging
from email.mime.base import MIMEBase
from email.utils import make_msgid
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError, transaction

from accounts.text import one_line

logger = logging.getLogger(__name__)

CALENDAR_TYPE = "text/calendar"


class QueuedEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        from accounts.tasks import deliver_email, queue_for_delivery

        for message in email_messages:
            payload = serialize_message(message)
            try:
                with transaction.atomic():
                    ref = queue_for_delivery(payload).pk
            except DatabaseError:
                # E.g. an error mail about a broken transaction, which will roll back (and take any
                # on-commit step with it): hand it to the worker now, which writes the row itself.
                logger.warning("Email %r queued without a row: the database refused it", payload["subject"])
                deliver_email(payload)
                continue
            transaction.on_commit(partial(deliver_email, ref))
        return len(email_messages)


def _attachment(attachment) -> dict[str, Any]:
    if isinstance(attachment, MIMEBase):
        return {"mime": attachment.as_string()}
    name, content, mimetype = attachment
    if isinstance(content, bytes):
        return {"name": name, "base64": base64.b64encode(content).decode(), "mimetype": mimetype}
    return {"name": name, "text": content, "mimetype": mimetype}


def _restore_attachment(data: dict[str, Any] | list | tuple):
    if isinstance(data, list | tuple):  # queued by an older version: (name, content, mimetype)
        return tuple(data)
    if "mime" in data:
        parsed = email.message_from_string(data["mime"])
        part = MIMEBase(parsed.get_content_maintype(), parsed.get_content_subtype())
        del part["Content-Type"], part["MIME-Version"]
        for header, value in parsed.items():
            part[header] = value
        part.set_payload(parsed.get_payload())
        return part
    content = base64.b64decode(data["base64"]) if "base64" in data else data["text"]
    return (data["name"], content, data["mimetype"])


def serialize_message(message: EmailMessage) -> dict[str, Any]:
    """The message as JSON (it is kept in the database until delivered)."""
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [list(alternative) for alternative in getattr(message, "alternatives", [])],
        "attachments": [_attachment(attachment) for attachment in message.attachments],
        "content_subtype": message.content_subtype,
        # Whose email this is (not sent): a delivery problem is shown to them.
        "owner_id": getattr(message, "owner_id", None),
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
        attachments=[_restore_attachment(attachment) for attachment in data["attachments"]],
    )
    message.content_subtype = data["content_subtype"]
    message.owner_id = data.get("owner_id")
    return message


def without_inline_calendar(message: EmailMultiAlternatives) -> EmailMultiAlternatives:
    """For providers' HTTP APIs (anymail), which take one HTML alternative and attachments: the
    calendar travels as the attachment only, typed so that mail clients still offer to answer."""
    calendar = [alt for alt in message.alternatives if alt[1].startswith(CALENDAR_TYPE)]
    if not calendar:
        return message
    message.alternatives = [alt for alt in message.alternatives if not alt[1].startswith(CALENDAR_TYPE)]
    content_type = f"{calendar[0][1]}; charset=utf-8"
    message.attachments = [
        (name, content, content_type) if name == "invite.ics" else (name, content, mimetype)
        for name, content, mimetype in message.attachments
    ]
    return message


def site_domain() -> str:
    from django.conf import settings

    return urlsplit(settings.SITE_URL).hostname or "localhost"


def compose(
    *,
    subject: str,
    template: str,
    context: dict[str, Any],
    to: list[str],
    reply_to: list[str] | None = None,
    calendar: bytes | None = None,
    method: str = "REQUEST",
    owner_id: int | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """A text + HTML message from ``<template>.txt`` and ``<template>.html``, optionally with an
    iCalendar document (``method`` REQUEST, CANCEL or PUBLISH) and extra ``headers`` (e.g.
    ``List-Unsubscribe``, accounts/unsubscribe.py). The subject is one line whatever the names
    and titles in it."""
    from django.conf import settings
    from django.template.loader import render_to_string

    context = {"site_url": settings.SITE_URL, **context}
    message = EmailMultiAlternatives(
        subject=one_line(subject),
        body=render_to_string(f"{template}.txt", context).strip() + "\n",
        to=to,
        reply_to=reply_to or [],
        headers={
            # Mail systems must not answer this with out-of-office replies or bounce loops.
            "Auto-Submitted": "auto-generated",
            "Message-ID": make_msgid(domain=site_domain()),
            **(headers or {}),
        },
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    if calendar is not None:
        text = calendar.decode()
        # Django adds the charset parameter to text parts itself; giving it here would repeat it.
        message.attach_alternative(text, f"{CALENDAR_TYPE}; method={method}")
        message.attach("invite.ics", calendar, "application/ics")
    message.owner_id = owner_id
    return message
