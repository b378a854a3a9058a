from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import BadHeaderError, get_connection
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, task

from accounts.emails import deserialize_message, without_inline_calendar

logger = logging.getLogger(__name__)

DELIVERY_RETRIES = 5

# Failures that another try cannot mend: the message itself is wrong.
PERMANENT = (BadHeaderError, ValueError, TypeError, UnicodeError)


def _sends_raw_mime(connection) -> bool:
    """Django's own backends send our MIME message as it is; anymail's HTTP APIs take parts
    (Amazon SES excepted: anymail hands it the raw message)."""
    module = type(connection).__module__
    return not module.startswith("anymail.") or module.startswith("anymail.backends.amazon_ses")


@task(retries=DELIVERY_RETRIES, retry_delay=60, context=True)
def deliver_email(payload: dict[str, Any], task=None) -> None:
    message = deserialize_message(payload)
    try:
        connection = get_connection(settings.EMAIL_DELIVERY_BACKEND)
        if not _sends_raw_mime(connection):
            message = without_inline_calendar(message)
        connection.send_messages([message])
    except PERMANENT as error:
        record_failure(payload, error)
        return  # retrying would fail the same way
    except Exception as error:
        if task is None or task.retries <= 0:
            record_failure(payload, error)
        raise


def record_failure(payload: dict[str, Any], error: Exception) -> None:
    from accounts.models import EmailProblem, User

    recipients = ", ".join(payload["to"] + payload["cc"] + payload["bcc"])
    reason = f"{type(error).__name__}: {error}"
    logger.error(
        "Email to %s not delivered (%s), owner %s: %s", recipients, payload["subject"], payload.get("owner_id"), reason
    )
    owner_id = payload.get("owner_id")
    EmailProblem.objects.create(
        user_id=owner_id if owner_id and User.objects.filter(pk=owner_id).exists() else None,
        recipient=recipients[:1000],
        subject=payload["subject"][:300],
        error=reason[:5000],
    )


ICS_REFRESH_BATCH = 500


@db_periodic_task(crontab(minute="*/10"))
def refresh_ics_subscriptions() -> int:
    """Read every calendar link not read for half an hour (conditionally: unchanged links answer
    304), keeping their busy times or the problem in words. Idempotent."""
    from accounts import calendars

    due = list(calendars.due_for_refresh(timezone.now())[:ICS_REFRESH_BATCH])
    for subscription in due:
        calendars.refresh(subscription)
    return len(due)
