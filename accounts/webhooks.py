"""Outgoing webhooks: an owner's events POSTed, signed, to the URLs they subscribed.

Emitting
--------
:func:`emit` runs inside the transaction that made the change: it writes one
:class:`~accounts.models.WebhookDelivery` per active endpoint of the owner subscribed to the event
type (one query when there is none), and asks the worker to send each once the transaction
commits. A transaction that rolls back sends nothing; a request never waits for a receiver.

The body is JSON::

    {"id": "msg_…", "type": "booking.created", "created_at": "2026-06-10T08:00:00+00:00", "data": {…}}

``data`` is what the REST API returns for the object (``booking_data``, ``event_data``, …).

Signing (Standard Webhooks, https://www.standardwebhooks.com/)
--------------------------------------------------------------
Every request carries::

    webhook-id: msg_…                 (the message id; the same on every attempt and on a redelivery)
    webhook-timestamp: 1781078400     (Unix seconds when this attempt was sent)
    webhook-signature: v1,<base64 of HMAC-SHA256(key, f"{id}.{timestamp}.{body}")>

The key is **the base64-decoded text after the secret's ``whsec_`` prefix** (the secret is
``whsec_`` + the base64 of 32 random bytes), exactly as the Standard Webhooks libraries read it, so
a receiver may verify with them (``standardwebhooks.Webhook(secret).verify(body, headers)``; the
tests do) or with a few lines of ``hmac`` (README). ``body`` is the request body exactly as received.
Receivers should reject a timestamp more than five minutes away from their clock, and drop a
``webhook-id`` they have already handled.

Sending and retrying
--------------------
The worker claims a delivery with one conditional UPDATE (pending and due, or sending with a lease
that ran out → sending with a new lease, one more attempt), so two workers never send the same
attempt, and a worker killed mid-send leaves the delivery to the minutely sweep once its lease is
over (accounts/tasks.py). Requests go through ``accounts/outbound.py`` (no private or loopback
addresses unless ``OUTBOUND_ALLOW_PRIVATE``), never follow redirects, time out (5 s to connect,
10 s between bytes), and keep at most :data:`EXCERPT_BYTES` of the answer. A 2xx answer is
delivered; anything else (another status, a refused address, no connection, a timeout) is a failed
attempt, tried again after :data:`RETRY_DELAYS` (30 s, 2 min, 10 min, 1 h, 3 h, 6 h, 12 h: eight
attempts over about 22 hours) and then given up on.

Disabling (as Stripe and Svix do)
---------------------------------
``failures_in_a_row`` counts the deliveries given up on since the endpoint's last success (any
2xx resets it). At :data:`DISABLE_AFTER` (five deliveries, each tried for about a day) the endpoint
is turned off (``active=False``, ``disabled_at``) and its owner gets one email naming the URL,
why, and the page to turn it back on. Deliveries still waiting then wait for it to be re-enabled.

Redelivering
------------
:func:`redeliver` sends a delivery again **as the same message**: the row goes back to pending with
a fresh round of attempts and keeps its ``message_id``, so the receiver sees the same
``webhook-id`` (Svix's "resend") and can drop it if it did handle the first one. The log then
shows the latest round.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from http import HTTPStatus
from typing import Any

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts import outbound
from accounts.models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

Events = WebhookEndpoint.Events
State = WebhookDelivery.State

PING = "ping"  # the test event an owner sends from the page; not subscribable
SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
USER_AGENT = "Convene-Webhooks/1.0"
TIMEOUT = (5, 10)  # seconds to connect, seconds between bytes
EXCERPT_BYTES = 500
# Waits after the 1st, 2nd, … failed attempt; the attempt after the last wait is the last one.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
DISABLE_AFTER = 5  # deliveries given up on in a row
# Longer than an attempt can take (connect + answer + excerpt): only then may another worker retry.
LEASE = timedelta(minutes=5)
DEADLINE = timedelta(seconds=30)  # for a whole attempt, answer included (well inside the lease)
DUE_BATCH = 500
KEEP = timedelta(days=30)  # how long the delivery log keeps a finished delivery

Data = dict[str, Any] | Callable[[], dict[str, Any]]


# --- Emitting ------------------------------------------------------------------------------------


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(24)


def listening(owner_ids: Iterable[int]) -> bool:
    """Whether any of these owners has an active endpoint (one query): lets a workflow skip
    describing its changes when nobody is listening."""
    owner_ids = set(owner_ids)
    return bool(owner_ids) and WebhookEndpoint.objects.filter(owner_id__in=owner_ids, active=True).exists()


def emit(
    *, owner_id: int, event_type: str, data: Data, settle: timedelta | None = None, key: str = ""
) -> list[WebhookDelivery]:
    """One delivery of ``event_type`` per active endpoint of the owner subscribed to it, sent by
    the worker once the current transaction commits. ``data`` may be a function returning it:
    it is then only built when someone subscribes (the lookup is one query when nobody does).

    ``settle``: the event waits that long before it is sent, and another event with the same
    ``key`` in that time replaces it (its data, and the wait starts again): a poll answer painted
    in twenty strokes reaches the receiver once, as it stands at the end (the minutely sweep
    sends it).

    Building or writing the events never makes the change fail: an error is logged and the
    events are lost (the change itself commits)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("webhooks.emit() outside a transaction: call it in the one that made the change")
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(owner_id=owner_id, active=True).only("pk", "events")
        if event_type in endpoint.events
    ]
    if not endpoints:
        return []
    try:
        with transaction.atomic():  # a savepoint: a failure here costs the events, never the change
            return _queue(endpoints, event_type, data() if callable(data) else data, settle=settle, key=key)
    except Exception:
        logger.exception("Webhook event %s of owner %s not written", event_type, owner_id)
        return []


def send_test(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A ``ping`` to one endpoint, whatever it subscribes to (the page's "Send test event")."""
    with transaction.atomic():
        data = {"endpoint": endpoint.url, "message": "This is a test event from Convene."}
        return _queue([endpoint], PING, data)[0]


def _queue(
    endpoints: list[WebhookEndpoint],
    event_type: str,
    data: dict[str, Any],
    *,
    settle: timedelta | None = None,
    key: str = "",
) -> list[WebhookDelivery]:
    from accounts.tasks import deliver_webhook

    now = timezone.now()
    data = json.loads(json.dumps(data, cls=DjangoJSONEncoder))  # what the receiver will read
    made = []
    for endpoint in endpoints:
        if settle is not None:
            made.append(_settling(endpoint, event_type, data, now=now, settle=settle, key=key))
            continue
        message_id = new_message_id()
        payload = {"id": message_id, "type": event_type, "created_at": now.isoformat(), "data": data}
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event_type=event_type, message_id=message_id, payload=payload, next_attempt_at=now
        )
        transaction.on_commit(partial(deliver_webhook, delivery.pk))
        made.append(delivery)
    return made


def _settling(endpoint, event_type: str, data: dict[str, Any], *, now, settle: timedelta, key: str):
    """The waiting delivery with this key, given the newest data; else a new one that waits."""
    waiting = (
        WebhookDelivery.objects.select_for_update()
        .filter(endpoint=endpoint, event_type=event_type, settle_key=key, state=State.PENDING, attempts=0)
        .filter(next_attempt_at__gt=now)  # still settling: not one due or sent again by hand
        .first()
    )
    if waiting is not None:
        waiting.payload = {**waiting.payload, "created_at": now.isoformat(), "data": data}
        waiting.next_attempt_at = now + settle
        waiting.save(update_fields=["payload", "next_attempt_at"])
        return waiting
    message_id = new_message_id()
    payload = {"id": message_id, "type": event_type, "created_at": now.isoformat(), "data": data}
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type=event_type,
        settle_key=key,
        message_id=message_id,
        payload=payload,
        next_attempt_at=now + settle,
    )


def redeliver(delivery: WebhookDelivery) -> bool:
    """Send a finished (or waiting) delivery again, as the same message (same ``webhook-id``),
    with a fresh round of attempts. False if it is being sent right now."""
    from accounts.tasks import deliver_webhook

    with transaction.atomic():
        reset = (
            WebhookDelivery.objects.filter(pk=delivery.pk)
            .exclude(state=State.SENDING)
            .update(
                state=State.PENDING, attempts=0, next_attempt_at=timezone.now(), lease_until=None, delivered_at=None
            )
        )
        if reset:
            transaction.on_commit(partial(deliver_webhook, delivery.pk))
    return bool(reset)


# --- Signing -------------------------------------------------------------------------------------


def signing_key(secret: str) -> bytes:
    """The HMAC key: the base64 after ``whsec_`` (see the module's docstring)."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def headers_for(endpoint: WebhookEndpoint, payload: dict[str, Any], body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": f"{USER_AGENT} (+{settings.SITE_URL})",
        "webhook-id": payload["id"],
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(endpoint.secret, payload["id"], timestamp, body),
    }


# --- Sending -------------------------------------------------------------------------------------


def due(now: datetime | None = None) -> list[int]:
    """Deliveries whose time has come: waiting and due (of an active endpoint), or being sent by
    a worker whose lease ran out (stopped or killed mid-send)."""
    now = now or timezone.now()
    waiting = Q(state=State.PENDING, next_attempt_at__lte=now)
    stranded = Q(state=State.SENDING, lease_until__lte=now)
    return list(
        WebhookDelivery.objects.filter(waiting | stranded, endpoint__active=True)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:DUE_BATCH]
    )


def claim(delivery_id: int, now: datetime | None = None) -> WebhookDelivery | None:
    """The delivery, if this worker may make its next attempt now; one conditional update, so
    only one worker wins. None if it is delivered, given up, not due, or another worker has it."""
    now = now or timezone.now()
    # Only the delivery's own columns, and the endpoint through a subquery on its table: a filter
    # across the join makes Django write ``WHERE id IN (SELECT ...)``, which PostgreSQL does not
    # check again after waiting for the row lock, so two workers could both win.
    active = WebhookEndpoint.objects.filter(active=True).values("pk")
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, endpoint_id__in=active)
        .filter(Q(state=State.PENDING, next_attempt_at__lte=now) | Q(state=State.SENDING, lease_until__lte=now))
        .update(state=State.SENDING, lease_until=now + LEASE, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint__owner").get(pk=delivery_id)


@dataclass
class Attempt:
    status: int | None = None
    excerpt: str = ""
    error: str = ""
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(endpoint: WebhookEndpoint, payload: dict[str, Any]) -> Attempt:
    """One signed POST of ``payload`` to the endpoint, given at most :data:`DEADLINE` in all.

    The timeouts bound each wait for bytes, not the whole answer: a receiver trickling its header
    lines could hold a worker for many minutes (and outlast the lease, so another worker would
    send again). So the request runs in a thread of its own, and past the deadline the attempt is
    a timeout and the worker moves on; the abandoned request ends by itself within the timeouts.
    Never inside a transaction."""
    outcome: list[Attempt] = []
    sender = threading.Thread(target=lambda: outcome.append(_post(endpoint, payload)), daemon=True)
    sender.start()
    sender.join(DEADLINE.total_seconds())
    if outcome:
        return outcome[0]
    seconds = round(DEADLINE.total_seconds())
    return Attempt(error=f"No complete answer within {seconds} seconds.", duration_ms=seconds * 1000)


def _post(endpoint: WebhookEndpoint, payload: dict[str, Any]) -> Attempt:
    body = body_of(payload)
    headers = headers_for(endpoint, payload, body, int(time.time()))
    began = time.monotonic()
    attempt = Attempt()
    try:
        outbound.check_url(endpoint.url)
        outbound.check_host(endpoint.url)  # before any connection: no probing of private ports
        with (
            outbound.session() as http,
            http.post(
                endpoint.url, data=body, headers=headers, timeout=TIMEOUT, stream=True, allow_redirects=False
            ) as response,
        ):
            attempt.status = response.status_code
            attempt.excerpt = _excerpt(response)
    except outbound.Refused as refused:
        attempt.error = refused.message
    except requests.RequestException as error:
        cause = outbound.refusal_in(error)
        attempt.error = cause.message if cause is not None else _request_error(error)
    attempt.duration_ms = round((time.monotonic() - began) * 1000)
    if attempt.status is not None and not attempt.ok:
        attempt.error = _status_error(attempt.status)
    return attempt


def _excerpt(response: requests.Response) -> str:
    try:
        start = next(response.iter_content(EXCERPT_BYTES), b"")
    except (requests.RequestException, outbound.Refused):
        return ""  # the status is what counts; a body that stalls is not read
    return start[:EXCERPT_BYTES].decode("utf-8", errors="replace")[:EXCERPT_BYTES]


def _request_error(error: requests.RequestException) -> str:
    if isinstance(error, requests.ConnectTimeout):
        return f"Could not connect within {TIMEOUT[0]} seconds."
    if isinstance(error, requests.ReadTimeout) or "timed out" in str(error).lower():
        return f"No answer within {TIMEOUT[1]} seconds."
    if isinstance(error, requests.ConnectionError):
        return "Could not connect (connection refused or the host is unreachable)."
    return f"The request failed: {type(error).__name__}."


def _status_error(status: int) -> str:
    try:
        said = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        said = str(status)
    if 300 <= status < 400:
        return f"Answered {said}; redirects are not followed, so use the address it leads to."
    return f"Answered {said}; only a 2xx answer counts as received."


def deliver(delivery_id: int) -> bool:
    """Claim the delivery, make its next attempt, and record how it went. True if delivered."""
    delivery = claim(delivery_id)
    if delivery is None:
        return False
    attempt = post(delivery.endpoint, delivery.payload)
    record(delivery, attempt)
    return attempt.ok


def record(delivery: WebhookDelivery, attempt: Attempt) -> None:
    """Store an attempt's outcome: delivered, waiting for the next attempt, or given up on (which
    may disable the endpoint). Only the worker holding this attempt writes it."""
    now = timezone.now()
    outcome = {
        "response_status": attempt.status,
        "response_excerpt": attempt.excerpt,
        "error": attempt.error[:300],
        "duration_ms": attempt.duration_ms,
        "lease_until": None,
    }
    if attempt.ok:
        outcome.update(state=State.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif delivery.attempts < MAX_ATTEMPTS:
        outcome.update(state=State.PENDING, next_attempt_at=now + RETRY_DELAYS[delivery.attempts - 1])
    else:
        outcome.update(state=State.FAILED, next_attempt_at=None)
    with transaction.atomic():
        mine = WebhookDelivery.objects.filter(pk=delivery.pk, state=State.SENDING, attempts=delivery.attempts)
        if not mine.update(**outcome):
            return  # redelivered meanwhile: the new round's attempt is what counts
        endpoints = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
        if attempt.ok:
            endpoints.filter(failures_in_a_row__gt=0).update(failures_in_a_row=0)
        elif outcome["state"] == State.FAILED:
            endpoints.update(failures_in_a_row=F("failures_in_a_row") + 1)
            _disable_if_failing(delivery.endpoint, attempt, now)
    if not attempt.ok:
        logger.warning(
            "Webhook %s to endpoint %s not delivered (attempt %s): %s",
            delivery.message_id,
            delivery.endpoint_id,
            delivery.attempts,
            attempt.error,
        )


def _disable_if_failing(endpoint: WebhookEndpoint, attempt: Attempt, now: datetime) -> None:
    reason = (
        f"The last {DISABLE_AFTER} events sent to it were each tried {MAX_ATTEMPTS} times over about a day "
        f"without a 2xx answer. The last attempt: {attempt.error}"
    )
    disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True, failures_in_a_row__gte=DISABLE_AFTER).update(
        active=False, disabled_at=now
    )
    if not disabled:
        return
    # Its id, not its URL: receivers' URLs often hold a secret of their own (Zapier, Slack).
    logger.warning("Webhook endpoint %s disabled after repeated failures", endpoint.pk)
    owner = endpoint.owner
    if owner.email:
        from accounts.emails import compose

        compose(
            subject="A webhook endpoint was turned off",
            template="accounts/email/webhook_disabled",
            context={
                "user": owner,
                "endpoint": endpoint,
                "reason": reason,
                "page": reverse("accounts:webhook_detail", args=[endpoint.pk]),
            },
            to=[owner.email],
            owner_id=owner.pk,
        ).send()


def prune(now: datetime | None = None) -> int:
    """Forget finished deliveries older than :data:`KEEP` (the log shows the last month)."""
    now = now or timezone.now()
    finished = WebhookDelivery.objects.filter(state__in=[State.DELIVERED, State.FAILED], created_at__lt=now - KEEP)
    return finished.delete()[0]


def enable(endpoint: WebhookEndpoint) -> None:
    """Turn an endpoint (back) on; its failure count starts over."""
    endpoint.active, endpoint.disabled_at, endpoint.failures_in_a_row = True, None, 0
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=True, disabled_at=None, failures_in_a_row=0)
