"""The worker's side of email (accounts/emails.py) and of calendar links.

A delivery claims its :class:`~accounts.models.OutgoingEmail` row for a lease by a conditional
update, hands the message to the provider, and deletes the row only once the provider accepted
it. So a worker that is stopped or killed mid-delivery loses nothing: the lease runs out and
:func:`deliver_due_emails` (every minute) delivers the message again; and two workers never
deliver one message at once. A failure is tried again with backoff (1, 2, 4 … 64 minutes);
after the last try the message becomes an ``EmailProblem`` its owner sees.

Stopping the worker with SIGTERM (systemd, Docker, Kubernetes) is graceful: it finishes the
deliveries under way and exits (``HUEY_CONSUMER`` in settings, README).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import BadHeaderError, get_connection
from django.db.models import F, Q
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from accounts.emails import deserialize_message, without_inline_calendar

logger = logging.getLogger(__name__)

DELIVERY_ATTEMPTS = 8
# Left to the task enqueued at commit before the minutely sweep steps in.
FIRST_DELIVERY_GRACE = timedelta(minutes=2)
DUE_BATCH = 500

# Failures that another try cannot mend: the message itself is wrong.
PERMANENT = (BadHeaderError, ValueError, TypeError, UnicodeError)


def _sends_raw_mime(connection) -> bool:
    """Django's own backends send our MIME message as it is; anymail's HTTP APIs take parts
    (Amazon SES excepted: anymail hands it the raw message)."""
    module = type(connection).__module__
    return not module.startswith("anymail.") or module.startswith("anymail.backends.amazon_ses")


def queue_for_delivery(payload: dict[str, Any]):
    from accounts.models import OutgoingEmail

    return OutgoingEmail.objects.create(payload=payload, due_at=timezone.now() + FIRST_DELIVERY_GRACE)


def _lease() -> timedelta:
    return timedelta(seconds=settings.EMAIL_DELIVERY_LEASE)


def _claim(email_id: int):
    """The row, if this worker may deliver it now: not yet tried, or due (its lease or its wait
    after a failure is over). Claimed by one conditional update, so only one worker wins."""
    from accounts.models import OutgoingEmail

    now = timezone.now()
    claimed = (
        OutgoingEmail.objects.filter(pk=email_id)
        .filter(Q(attempts=0) | Q(due_at__lte=now))
        .update(attempts=F("attempts") + 1, due_at=now + _lease())
    )
    return OutgoingEmail.objects.filter(pk=email_id).first() if claimed else None


@db_task()
def deliver_email(ref: int | dict[str, Any]) -> bool:
    """Deliver one queued message (``ref`` is its row; a payload is given a row first). True once
    the provider accepted it."""
    if isinstance(ref, dict):
        ref = queue_for_delivery(_current_format(ref)).pk
    outgoing = _claim(ref)
    if outgoing is None:
        return False  # delivered already, or another worker has it
    try:
        message = deserialize_message(outgoing.payload)
    except Exception as error:  # a stored message that cannot be rebuilt never will be
        _give_up(outgoing, error)
        return False
    try:
        connection = get_connection(settings.EMAIL_DELIVERY_BACKEND)
        if not _sends_raw_mime(connection):
            message = without_inline_calendar(message)
        connection.send_messages([message])
    except PERMANENT as error:
        _give_up(outgoing, error)  # trying again would fail the same way
        return False
    except Exception as error:
        if outgoing.attempts >= DELIVERY_ATTEMPTS:
            _give_up(outgoing, error)
        else:
            wait = timedelta(minutes=2 ** (outgoing.attempts - 1))
            type(outgoing).objects.filter(pk=outgoing.pk).update(
                due_at=timezone.now() + wait, last_error=f"{type(error).__name__}: {error}"[:5000]
            )
            logger.warning("Email %s not delivered (try %s), again in %s: %s", ref, outgoing.attempts, wait, error)
        return False
    outgoing.delete()
    return True


def _current_format(payload: dict[str, Any]) -> dict[str, Any]:
    """A payload queued by an older version carried attachments as (name, content, mimetype)
    tuples, content as bytes: stored as JSON the way serialize_message writes them now."""
    from accounts.emails import _attachment

    attachments = [_attachment(item) if isinstance(item, list | tuple) else item for item in payload["attachments"]]
    return {**payload, "attachments": attachments, "alternatives": [list(item) for item in payload["alternatives"]]}


@db_periodic_task(crontab(minute="*"))
def deliver_due_emails() -> int:
    """Every minute: deliver what is due, a failure's next try or a delivery whose worker
    stopped before the provider accepted it. Each is claimed again, so none goes twice at once."""
    from accounts.models import OutgoingEmail

    due = list(OutgoingEmail.objects.filter(due_at__lte=timezone.now()).values_list("pk", flat=True)[:DUE_BATCH])
    for email_id in due:
        deliver_email(email_id)
    return len(due)


def _give_up(outgoing, error: Exception) -> None:
    record_failure(outgoing.payload, error)
    outgoing.delete()


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


# --- Webhooks (accounts/webhooks.py) -------------------------------------------------------------


@db_task()
def deliver_webhook(delivery_id: int) -> bool:
    """Make the next attempt of one webhook delivery, if it is due and no other worker has it
    (claimed by a conditional update). True once the receiver answered 2xx."""
    from accounts import webhooks

    return webhooks.deliver(delivery_id)


@db_periodic_task(crontab(minute="*"))
def deliver_due_webhooks() -> int:
    """Every minute: the retries whose time has come, and the deliveries whose worker stopped
    mid-send (lease over). Each is claimed again, so none is sent twice at once."""
    from accounts import webhooks

    due = webhooks.due()
    for delivery_id in due:
        deliver_webhook(delivery_id)
    return len(due)


@db_periodic_task(crontab(minute="47"))
def forget_old_api_usage() -> int:
    """Hourly: the API rate limit's counts of windows long over, and Idempotency-Keys past their
    day. Idempotent."""
    import time

    from accounts.api_base import forget_old_idempotency_keys, forget_old_usage

    return forget_old_usage(time.time()) + forget_old_idempotency_keys(timezone.now())


@db_periodic_task(crontab(minute="23", hour="4"))
def prune_webhook_deliveries() -> int:
    """Daily: the delivery log forgets finished deliveries after a month. Idempotent."""
    from accounts import webhooks

    return webhooks.prune()
