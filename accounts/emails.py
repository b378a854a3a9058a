"""Outgoing email goes through the task queue: a slow or failing mail provider never holds up a
request or a database transaction, and the worker retries."""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction


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


def send_later(message: EmailMessage) -> None:
    """Send ``message`` from the worker once the current transaction commits."""
    from accounts.tasks import send_email

    payload = serialize_message(message)
    transaction.on_commit(lambda: send_email(payload))
