"""Outgoing webhooks (accounts/webhooks.py): received by a local HTTP server started by the test,
their signatures checked with an implementation of the Standard Webhooks scheme written here;
retries, giving up, disabling, the guard against private addresses, exactly once with several
workers, and each event emitted by its workflow, inside its transaction."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import standardwebhooks
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import webhooks
from accounts.models import WebhookDelivery, WebhookEndpoint
from accounts.tasks import deliver_due_webhooks, deliver_webhook, prune_webhook_deliveries
from booking.book import Booker, book_slot, cancel_booking, reschedule_booking
from booking.models import Booking
from booking.schemas import booking_data
from scheduling import events, finalize, polls
from scheduling.models import Attendee, Event
from scheduling.reminders import send_due
from scheduling.schemas import attendee_data, event_data, invitation_data, poll_data
from tests.factories import EventTypeFactory, InvitationFactory, PollFactory
from tests.gunicorn_server import ROOT, Project, postgres_available
from tests.local_http import Receiver, running

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)
WEDNESDAY_10 = datetime(2026, 12, 2, 9, tzinfo=UTC)  # 10:00 in Berlin


# --- The receiver --------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running(Receiver())


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def endpoint(user, receiver):
    return WebhookEndpoint.objects.create(owner=user, url=receiver.url(), events=list(WebhookEndpoint.Events.values))


def verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks check, written from the spec: HMAC-SHA256 over "id.timestamp.body",
    keyed with the base64-decoded secret after "whsec_", any of the space-separated "v1,…"."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, candidate.removeprefix("v1,"))
        for candidate in headers["webhook-signature"].split()
        if candidate.startswith("v1,")
    )


def emit_one(user, committed, event_type: str = "booking.created", data=None) -> WebhookDelivery:
    with committed():
        [delivery] = webhooks.emit(owner_id=user.pk, event_type=event_type, data=data or {"id": 7})
    delivery.refresh_from_db()
    return delivery


def due_delivery(endpoint, **fields) -> WebhookDelivery:
    message_id = webhooks.new_message_id()
    payload = {"id": message_id, "type": "booking.created", "created_at": NOW.isoformat(), "data": {}}
    fields = {"next_attempt_at": timezone.now(), **fields}
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event_type="booking.created", message_id=message_id, payload=payload, **fields
    )


# --- Delivering and signing ----------------------------------------------------------------------


def test_a_delivery_reaches_the_receiver_signed(user, endpoint, receiver, committed, clock):
    delivery = emit_one(user, committed, data={"id": 7, "name": "Bea"})
    [(_, headers, body)] = receiver.received
    assert verifies(endpoint.secret, headers, body)
    assert standardwebhooks.Webhook(endpoint.secret).verify(body, headers) == json.loads(body)
    assert headers["webhook-id"] == delivery.message_id
    assert headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("Convene-Webhooks/")
    assert json.loads(body) == {
        "id": delivery.message_id, "type": "booking.created", "created_at": "2026-12-01T08:00:00+00:00",
        "data": {"id": 7, "name": "Bea"},
    }  # fmt: skip
    assert (delivery.state, delivery.attempts, delivery.response_status, delivery.response_excerpt) == (
        "delivered", 1, 200, "thanks",
    )  # fmt: skip
    assert delivery.delivered_at == NOW


def test_a_signature_made_with_another_secret_does_not_verify(user, endpoint, receiver, committed):
    emit_one(user, committed)
    [(_, headers, body)] = receiver.received
    assert not verifies("whsec_" + base64.b64encode(b"another key of thirty-two bytes!").decode(), headers, body)
    assert not verifies(endpoint.secret, headers, body + b" ")


def test_message_ids_are_unique_and_prefixed():
    made = {webhooks.new_message_id() for _ in range(100)}
    assert len(made) == 100
    assert all(found.startswith("msg_") and len(found) <= 40 for found in made)


def test_only_active_endpoints_subscribed_to_the_event_get_it(user, other_user, receiver, committed):
    WebhookEndpoint.objects.create(owner=user, url=receiver.url("/rsvp-only"), events=["event.rsvp"])
    WebhookEndpoint.objects.create(owner=user, url=receiver.url("/off"), events=["booking.created"], active=False)
    WebhookEndpoint.objects.create(owner=other_user, url=receiver.url("/theirs"), events=["booking.created"])
    WebhookEndpoint.objects.create(owner=user, url=receiver.url("/mine"), events=["booking.created"])
    emit_one(user, committed)
    assert [path for path, _, _ in receiver.received] == ["/mine"]


def test_emitting_for_an_owner_without_endpoints_is_one_query_and_builds_nothing(user, django_assert_num_queries):
    with django_assert_num_queries(1):
        made = webhooks.emit(owner_id=user.pk, event_type="booking.created", data=lambda: pytest.fail("built"))
    assert made == []


def test_a_rolled_back_transaction_sends_nothing(user, endpoint, receiver, committed):
    with committed(), pytest.raises(ZeroDivisionError), transaction.atomic():  # noqa: PT012
        webhooks.emit(owner_id=user.pk, event_type="booking.created", data={"id": 7})
        1 / 0  # noqa: B018
    assert not WebhookDelivery.objects.exists()
    assert receiver.received == []


def test_nothing_is_sent_before_the_transaction_commits(user, endpoint, receiver):
    webhooks.emit(owner_id=user.pk, event_type="booking.created", data={"id": 7})
    assert receiver.received == []
    assert WebhookDelivery.objects.get().state == "pending"


# --- Retries, giving up, disabling ----------------------------------------------------------------


def test_failed_attempts_are_retried_with_backoff_until_one_succeeds(user, endpoint, receiver, committed, clock):
    receiver.answers = [500, 503]
    delivery = emit_one(user, committed)
    assert (delivery.state, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
    assert delivery.error == "Answered 500 Internal Server Error; only a 2xx answer counts as received."
    assert delivery.next_attempt_at == NOW + timedelta(seconds=30)
    assert delivery.duration_ms is not None

    clock.shift(timedelta(seconds=29))
    assert deliver_due_webhooks.call_local() == 0  # not yet
    clock.shift(timedelta(seconds=1))
    assert deliver_due_webhooks.call_local() == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.response_status) == ("pending", 2, 503)
    assert delivery.next_attempt_at == timezone.now() + timedelta(minutes=2)

    clock.shift(timedelta(minutes=2))
    deliver_due_webhooks.call_local()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.response_status, delivery.error) == ("delivered", 3, 200, "")
    assert {headers["webhook-id"] for _, headers, _ in receiver.received} == {delivery.message_id}
    assert all(verifies(endpoint.secret, headers, body) for _, headers, body in receiver.received)


def test_a_delivery_is_given_up_after_about_a_day_of_attempts(user, endpoint, receiver, committed, clock):
    receiver.answers = [500] * webhooks.MAX_ATTEMPTS
    delivery = emit_one(user, committed)
    for wait in webhooks.RETRY_DELAYS:
        clock.shift(wait)
        deliver_due_webhooks.call_local()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("failed", 8, None)
    assert len(receiver.received) == 8
    assert timedelta(hours=20) < timezone.now() - NOW < timedelta(hours=26)
    clock.shift(timedelta(days=1))
    assert deliver_due_webhooks.call_local() == 0
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.failures_in_a_row) == (True, 1)


def test_an_endpoint_failing_delivery_after_delivery_is_turned_off_and_its_owner_told(
    user, endpoint, receiver, committed
):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failures_in_a_row=webhooks.DISABLE_AFTER - 1)
    delivery = due_delivery(endpoint, attempts=webhooks.MAX_ATTEMPTS - 1)
    receiver.answers = [500]
    with committed():
        deliver_webhook(delivery.pk)
    endpoint.refresh_from_db()
    assert endpoint.active is False
    assert endpoint.disabled_at is not None
    [email] = mail.outbox
    assert email.to == [user.email]
    assert endpoint.url in email.body
    assert "Answered 500 Internal Server Error" in email.body
    assert "http://testserver" + reverse("accounts:webhook_detail", args=[endpoint.pk]) in email.body


def test_an_endpoint_is_not_turned_off_before_enough_deliveries_failed(user, endpoint, receiver, committed):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failures_in_a_row=webhooks.DISABLE_AFTER - 2)
    receiver.answers = [500]
    with committed():
        deliver_webhook(due_delivery(endpoint, attempts=webhooks.MAX_ATTEMPTS - 1).pk)
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.failures_in_a_row) == (True, webhooks.DISABLE_AFTER - 1)
    assert mail.outbox == []


def test_a_success_resets_the_count_of_failures(user, endpoint, receiver, committed):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failures_in_a_row=webhooks.DISABLE_AFTER - 1)
    emit_one(user, committed)
    endpoint.refresh_from_db()
    assert endpoint.failures_in_a_row == 0


def test_a_disabled_endpoints_deliveries_wait_until_it_is_turned_on(user, endpoint, receiver, committed):
    delivery = due_delivery(endpoint)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    assert deliver_due_webhooks.call_local() == 0
    deliver_webhook(delivery.pk)
    assert receiver.received == []
    webhooks.enable(endpoint)
    assert deliver_due_webhooks.call_local() == 1
    assert len(receiver.received) == 1


# --- What an attempt can run into ----------------------------------------------------------------


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(user, endpoint, receiver, committed, monkeypatch):
    monkeypatch.setattr(webhooks, "TIMEOUT", (2, 0.3))
    receiver.delay = 1.5
    delivery = emit_one(user, committed)
    assert (delivery.state, delivery.attempts, delivery.response_status) == ("pending", 1, None)
    assert delivery.error == "No answer within 0.3 seconds."
    assert 250 <= delivery.duration_ms < 1500


def test_a_private_address_is_refused_without_a_request(user, endpoint, receiver, committed, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    delivery = emit_one(user, committed)
    assert receiver.received == []
    assert (delivery.state, delivery.response_status) == ("pending", None)
    assert "127.0.0.1, a private or local address" in delivery.error


def test_a_host_name_that_leads_to_this_machine_is_refused_on_connecting(user, endpoint, receiver, committed, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url(host="localhost"))
    delivery = emit_one(user, committed)
    assert receiver.received == []
    assert "a private or local address" in delivery.error


def test_a_closed_port_is_a_failed_attempt(user, endpoint, committed):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=f"http://127.0.0.1:{port}/hook")
    delivery = emit_one(user, committed)
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.error.startswith("Could not connect")


def test_a_redirect_is_not_followed(user, endpoint, receiver, committed):
    receiver.answers = [302]
    delivery = emit_one(user, committed)
    assert len(receiver.received) == 1
    assert (delivery.state, delivery.response_status) == ("pending", 302)
    assert "redirects are not followed" in delivery.error


def test_only_the_start_of_a_long_answer_is_kept(user, endpoint, receiver, committed):
    receiver.body = b"x" * 100_000
    delivery = emit_one(user, committed)
    assert delivery.state == "delivered"
    assert delivery.response_excerpt == "x" * webhooks.EXCERPT_BYTES


# --- Claiming: one attempt, one worker -----------------------------------------------------------


def test_a_claimed_delivery_cannot_be_claimed_again_while_its_lease_lasts(endpoint, clock):
    delivery = due_delivery(endpoint)
    assert webhooks.claim(delivery.pk) is not None
    assert webhooks.claim(delivery.pk) is None
    clock.shift(webhooks.LEASE - timedelta(seconds=1))
    assert webhooks.claim(delivery.pk) is None
    clock.shift(timedelta(seconds=1))  # the worker that had it stopped mid-send
    again = webhooks.claim(delivery.pk)
    assert (again.state, again.attempts) == ("sending", 2)


def test_a_delivery_whose_worker_stopped_is_picked_up_by_the_sweep(endpoint, receiver, clock):
    delivery = due_delivery(endpoint)
    webhooks.claim(delivery.pk)
    assert deliver_due_webhooks.call_local() == 0
    clock.shift(webhooks.LEASE)
    assert deliver_due_webhooks.call_local() == 1
    delivery.refresh_from_db()
    assert (delivery.state, len(receiver.received)) == ("delivered", 1)


def test_a_delivered_or_waiting_delivery_is_not_claimed(endpoint, clock):
    assert webhooks.claim(due_delivery(endpoint, state="delivered").pk) is None
    assert webhooks.claim(due_delivery(endpoint, next_attempt_at=NOW + timedelta(seconds=1)).pk) is None


def test_a_late_result_does_not_overwrite_a_newer_attempt(endpoint, clock):
    delivery = due_delivery(endpoint)
    first = webhooks.claim(delivery.pk)
    clock.shift(webhooks.LEASE)
    second = webhooks.claim(delivery.pk)
    webhooks.record(second, webhooks.Attempt(status=200))
    webhooks.record(first, webhooks.Attempt(status=500, error="late"))
    delivery.refresh_from_db()
    assert (delivery.state, delivery.response_status) == ("delivered", 200)


def test_redelivering_sends_the_same_message_with_a_new_round_of_attempts(user, endpoint, receiver, committed):
    receiver.answers = [500]
    delivery = emit_one(user, committed)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state="failed")
    with committed():
        assert webhooks.redeliver(delivery)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 1)
    assert [headers["webhook-id"] for _, headers, _ in receiver.received] == [delivery.message_id] * 2


def test_a_delivery_being_sent_is_not_redelivered(endpoint):
    delivery = due_delivery(endpoint, state="sending")
    assert not webhooks.redeliver(delivery)


def test_a_ping_goes_to_the_endpoint_whatever_it_subscribes_to(user, receiver, committed):
    endpoint = WebhookEndpoint.objects.create(owner=user, url=receiver.url(), events=["event.rsvp"])
    with committed():
        webhooks.send_test(endpoint)
    [payload] = receiver.payloads()
    assert payload["type"] == "ping"


# --- Each event from its workflow ---------------------------------------------------------------


@pytest.fixture
def event_type(user):
    return EventTypeFactory(owner=user, slug="intro", title="Intro call", duration=60)


def book(event_type, start=WEDNESDAY_10, email="bea@example.org") -> Booking:
    booker = Booker(name="Bea Booker", email=email, timezone="America/New_York")
    [booking] = book_slot(event_type=event_type, start=start, booker=booker)
    return booking


def emitted(event_type: str | None = None) -> list[dict]:
    """The payloads written, oldest first."""
    rows = WebhookDelivery.objects.order_by("created_at", "pk")
    return [row.payload for row in rows if event_type is None or row.event_type == event_type]


def fresh(booking: Booking) -> dict:
    return booking_data(Booking.objects.select_related("event", "event_type").get(pk=booking.pk))


def test_booking_a_slot_emits_booking_created_with_the_booking(clock, endpoint, event_type):
    booking = book(event_type)
    [payload] = emitted()
    assert payload["type"] == "booking.created"
    assert payload["data"] == fresh(booking)
    assert payload["data"]["status"] == "confirmed"


def test_a_booking_made_reaches_the_receiver_after_commit(clock, endpoint, event_type, receiver, committed):
    with committed():
        booking = book(event_type)
    [(_, headers, body)] = receiver.received
    assert verifies(endpoint.secret, headers, body)
    assert json.loads(body)["data"]["id"] == booking.pk


def test_rescheduling_emits_one_booking_rescheduled(clock, endpoint, event_type):
    booking = book(event_type)
    reschedule_booking(booking=booking, start=WEDNESDAY_10 + timedelta(hours=2))
    [payload] = emitted("booking.rescheduled")
    assert payload["data"] == fresh(booking)
    assert payload["data"]["start"] == "2026-12-02T11:00:00Z"


def test_moving_out_of_a_group_slot_is_one_booking_rescheduled(clock, endpoint, user):
    group = EventTypeFactory(owner=user, slug="class", kind="group", seats=3, duration=60)
    book(group, email="ann@example.org")
    booking = book(group)
    reschedule_booking(booking=booking, start=WEDNESDAY_10 + timedelta(hours=2))
    [payload] = emitted("booking.rescheduled")
    assert payload["data"]["id"] == booking.pk
    assert len(emitted()) == 3  # two created, one rescheduled


def test_cancelling_emits_booking_cancelled_with_the_reason(clock, endpoint, event_type):
    booking = book(event_type)
    cancel_booking(booking=booking, reason="Ill", by=Event.By.ATTENDEE)
    [payload] = emitted("booking.cancelled")
    assert payload["data"] == fresh(booking)
    assert (payload["data"]["status"], payload["data"]["cancellation"]["reason"]) == ("cancelled", "Ill")


def test_taking_the_booker_off_the_meeting_in_the_calendar_emits_booking_cancelled(clock, endpoint, event_type):
    booking = book(event_type)
    others = [(a.name, a.email) for a in booking.event.attendees.all() if a.email != booking.email]
    events.save_event(event=booking.event, attendees=others)
    [payload] = emitted("booking.cancelled")
    assert payload["data"]["id"] == booking.pk
    assert payload["data"]["status"] == "cancelled"


def test_cancelling_a_booked_meeting_in_the_calendar_emits_booking_cancelled(clock, endpoint, event_type):
    booking = book(event_type)
    events.cancel_event(event=booking.event, reason="Away")
    [payload] = emitted("booking.cancelled")
    assert payload["data"]["id"] == booking.pk
    assert payload["data"]["status"] == "cancelled"


def test_a_booking_rolled_back_emits_nothing(clock, endpoint, event_type, receiver, committed):
    with committed(), pytest.raises(ZeroDivisionError), transaction.atomic():  # noqa: PT012
        book(event_type)
        1 / 0  # noqa: B018
    assert not WebhookDelivery.objects.exists()
    assert receiver.received == []


def test_a_booking_for_an_owner_without_webhooks_emits_nothing(clock, event_type, other_user, receiver):
    WebhookEndpoint.objects.create(owner=other_user, url=receiver.url(), events=["booking.created"])
    book(event_type)
    assert not WebhookDelivery.objects.exists()


def test_an_rsvp_emits_event_rsvp_with_the_event_and_the_attendee(clock, endpoint, user):
    event = Event.objects.create(owner=user, title="Review", start=WEDNESDAY_10, end=WEDNESDAY_10 + timedelta(hours=1),
                                 timezone="Europe/Berlin")  # fmt: skip
    attendee = Attendee.objects.create(event=event, name="Ann", email="ann@example.org")
    events.respond(attendee=attendee, status=Attendee.Status.ACCEPTED)
    [payload] = emitted()
    attendee.refresh_from_db()
    assert payload["type"] == "event.rsvp"
    assert payload["data"] == {"event": event_data(event), "attendee": attendee_data(attendee)}
    assert payload["data"]["attendee"]["status"] == "accepted"


@pytest.fixture
def poll(user):
    return PollFactory(owner=user)


def test_painting_availability_emits_poll_responded(clock, endpoint, poll):
    invitation = InvitationFactory(poll=poll)
    polls.save_availability(poll=poll, invitation=invitation, levels={0: 2, 1: 3}, cells=poll.cells())
    [payload] = emitted()
    invitation.refresh_from_db()
    assert payload["type"] == "poll.responded"
    assert payload["data"] == {"poll": poll_data(poll), "invitation": invitation_data(invitation)}
    assert payload["data"]["invitation"]["status"] == "responded"


def test_strokes_of_one_answer_reach_the_receiver_once_it_settles(clock, endpoint, poll, receiver, committed):
    invitation = InvitationFactory(poll=poll)
    for stroke in range(3):
        with committed():
            polls.save_availability(poll=poll, invitation=invitation, levels={stroke: 2}, cells=poll.cells())
        clock.shift(timedelta(seconds=20))
    deliver_due_webhooks()
    assert receiver.received == []  # the last stroke was 20 s ago: still settling
    clock.shift(timedelta(seconds=45))
    deliver_due_webhooks()
    [(_, _, body)] = receiver.received
    assert json.loads(body)["data"]["invitation"]["id"] == invitation.pk
    assert WebhookDelivery.objects.count() == 1


def test_answers_of_two_people_settle_apart(clock, endpoint, poll):
    ann, bob = InvitationFactory(poll=poll), InvitationFactory(poll=poll)
    for invitation in (ann, bob, ann):
        polls.save_availability(poll=poll, invitation=invitation, levels={0: 2}, cells=poll.cells())
    assert sorted(payload["data"]["invitation"]["id"] for payload in emitted()) == sorted([ann.pk, bob.pk])


def test_declining_emits_poll_responded_with_the_note(clock, endpoint, poll):
    invitation = InvitationFactory(poll=poll)
    polls.decline(invitation=invitation, note="Away that week")
    [payload] = emitted("poll.responded")
    assert (payload["data"]["invitation"]["status"], payload["data"]["invitation"]["decline_note"]) == (
        "declined", "Away that week",
    )  # fmt: skip


def test_the_owner_painting_their_own_grid_emits_nothing(clock, endpoint, poll):
    polls.save_availability(poll=poll, invitation=None, levels={0: 2}, cells=poll.cells())
    assert emitted() == []


def test_finalizing_emits_one_poll_finalized_with_every_meeting(clock, endpoint, poll):
    ann, bob = InvitationFactory(poll=poll, name="Ann"), InvitationFactory(poll=poll, name="Bob")
    start = datetime(2026, 12, 9, 8, tzinfo=UTC)
    meetings = [
        finalize.PlannedMeeting(start, start + timedelta(hours=1), (ann,)),
        finalize.PlannedMeeting(start + timedelta(hours=1), start + timedelta(hours=2), (bob,)),
    ]
    made = finalize.finalize_poll(poll=poll, meetings=meetings)
    [payload] = emitted()
    poll.refresh_from_db()
    assert payload["type"] == "poll.finalized"
    assert payload["data"] == {"poll": poll_data(poll), "meetings": [event_data(event) for event in made]}
    assert payload["data"]["poll"]["status"] == "finalized"


def test_a_reminder_sent_emits_meeting_reminder(endpoint, user):
    start = datetime(2026, 12, 2, 9, tzinfo=UTC)
    event = Event.objects.create(owner=user, title="Review", start=start, end=start + timedelta(hours=1),
                                 timezone="Europe/Berlin", reminders=[10])  # fmt: skip
    with time_machine.travel(start - timedelta(minutes=9), tick=False):
        assert send_due(timezone.now()) == 1
        assert send_due(timezone.now()) == 0  # sent once: one event
    [payload] = emitted()
    assert payload["type"] == "meeting.reminder"
    assert payload["data"] == {
        "event": event_data(event), "occurrence_start": "2026-12-02T09:00:00+00:00", "minutes_before": 10,
    }  # fmt: skip


# --- Exactly once with several workers (real processes) -------------------------------------------

DELIVERIES = 12
SETUP = """
from django.db import transaction
from accounts import webhooks
from accounts.models import User, WebhookEndpoint
owner = User.objects.create_user("owner", "owner@example.com", "x")
WebhookEndpoint.objects.create(owner=owner, url="{url}", events=["booking.created"])
with transaction.atomic():
    for number in range({count}):
        webhooks.emit(owner_id=owner.pk, event_type="booking.created", data={{"number": number}})
"""
SWEEP = "from accounts import webhooks\nfor pk in webhooks.due(): webhooks.deliver(pk)"
DELIVERED = "from accounts.models import WebhookDelivery as D; print(D.objects.filter(state='delivered').count())"


ENGINES = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not postgres_available(), reason="no PostgreSQL on 127.0.0.1")),
]


@pytest.mark.race
@pytest.mark.parametrize("engine", ENGINES)
def test_two_workers_and_two_sweeps_send_each_delivery_exactly_once(receiver, tmp_path, engine):
    """The deliveries are queued for the worker at commit; two workers (two threads each) take
    them while two other processes sweep the same due deliveries and send them themselves."""
    receiver.delay = 0.2  # long enough for the processes to meet on the same delivery
    project = Project(engine, tmp_path, env={"OUTBOUND_ALLOW_PRIVATE": "1", "HUEY_WORKERS": "2"})
    workers = []
    try:
        project.manage("migrate", "--noinput", "-v", "0")
        project.manage("shell", "-v", "0", "-c", SETUP.format(url=receiver.url(), count=DELIVERIES))
        command = [sys.executable, "manage.py"]
        sweeps = [
            subprocess.Popen([*command, "shell", "-v", "0", "-c", SWEEP], cwd=ROOT, env=project.env) for _ in range(2)
        ]
        quiet = {"cwd": ROOT, "env": project.env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        workers = [subprocess.Popen([*command, "run_huey", "--no-periodic"], **quiet) for _ in range(2)]
        for sweep in sweeps:
            assert sweep.wait(timeout=120) == 0
        deadline = time.monotonic() + 60
        while project.manage("shell", "-v", "0", "-c", DELIVERED).strip() != str(DELIVERIES):
            assert time.monotonic() < deadline, "not every delivery was delivered"
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
        project.close()
    ids = Counter(headers["webhook-id"] for _, headers, _ in receiver.received)
    assert len(ids) == DELIVERIES
    assert set(ids.values()) == {1}
    assert sorted(payload["data"]["number"] for payload in receiver.payloads()) == list(range(DELIVERIES))


def test_an_event_whose_data_cannot_be_built_is_lost_but_the_change_stands(user, endpoint, caplog):
    def broken() -> dict:
        raise ValueError("no")

    with transaction.atomic():
        assert webhooks.emit(owner_id=user.pk, event_type="booking.created", data=broken) == []
        user.name = "Still saved"
        user.save(update_fields=["name"])
    user.refresh_from_db()
    assert user.name == "Still saved"
    assert not WebhookDelivery.objects.exists()
    assert "Webhook event booking.created" in caplog.text


def test_the_log_forgets_finished_deliveries_after_a_month(endpoint, clock):
    old_done = due_delivery(endpoint, state="delivered")
    old_waiting = due_delivery(endpoint)
    clock.shift(webhooks.KEEP + timedelta(minutes=1))
    recent = due_delivery(endpoint, state="failed")
    assert prune_webhook_deliveries.call_local() == 1
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {old_waiting.pk, recent.pk}
    assert not WebhookDelivery.objects.filter(pk=old_done.pk).exists()


def test_the_readme_verification_snippet_accepts_our_signature(user, endpoint, receiver, committed, clock):
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    snippet = readme.split("**Webhooks.**", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(snippet, namespace)  # the code users copy, as it stands in the README
    emit_one(user, committed)
    [(_, headers, body)] = receiver.received
    assert namespace["verify"](endpoint.secret, headers, body)
    assert not namespace["verify"](endpoint.secret, headers, body.replace(b"7", b"8"))


def test_the_claim_updates_the_row_itself_not_a_subquery_of_it(endpoint):
    """PostgreSQL re-checks an UPDATE's conditions on the row it waited for, but not those inside
    ``WHERE id IN (SELECT ...)`` (which Django writes for a filter across a join): two workers
    could then both claim one delivery."""
    delivery = due_delivery(endpoint)
    with CaptureQueriesContext(connection) as captured:
        assert webhooks.claim(delivery.pk) is not None
    [update] = [query["sql"] for query in captured if query["sql"].startswith("UPDATE")]
    assert 'FROM "accounts_webhookdelivery"' not in update


def test_a_receiver_that_never_finishes_answering_is_given_up_on_at_the_deadline(user, endpoint, monkeypatch):
    monkeypatch.setattr(webhooks, "DEADLINE", timedelta(seconds=1))
    stalled = threading.Event()
    monkeypatch.setattr(webhooks, "_post", lambda endpoint, payload: stalled.wait(10))
    attempt = webhooks.post(endpoint, {"id": "msg_x"})
    stalled.set()
    assert attempt.status is None
    assert attempt.error == "No complete answer within 1 seconds."


def test_a_host_name_that_leads_to_a_private_address_is_never_connected_to(user, endpoint, settings, monkeypatch):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: [(2, 1, 6, "", ("10.0.0.7", 443))])
    connected = []
    monkeypatch.setattr(webhooks.outbound, "session", lambda: connected.append(True))
    endpoint.url = "https://hooks.example.com/in"
    attempt = webhooks.post(endpoint, {"id": "msg_x"})
    assert connected == []
    assert "10.0.0.7" in attempt.error
