"""Profile → Webhooks: adding, editing, turning on and off, deleting, the test event, the delivery
log and redelivering; only ever the owner's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import webhooks
from accounts.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/convene"


@pytest.fixture
def endpoint(user):
    return WebhookEndpoint.objects.create(owner=user, url=URL, events=["booking.created", "event.rsvp"])


@pytest.fixture
def delivery(endpoint):
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event_type="booking.created", message_id="msg_first", state=WebhookDelivery.State.FAILED,
        attempts=8, response_status=500, error="Answered 500 Internal Server Error", duration_ms=42,
        payload={"id": "msg_first", "type": "booking.created", "created_at": "2026-06-10T08:00:00+00:00", "data": {}},
    )  # fmt: skip


OWNED = [
    ("get", "accounts:webhook_detail", False),
    ("post", "accounts:webhook_detail", False),
    ("post", "accounts:webhook_active", False),
    ("post", "accounts:webhook_delete", False),
    ("post", "accounts:webhook_test", False),
    ("get", "accounts:webhook_delivery", True),
    ("post", "accounts:webhook_redeliver", True),
]


def _url(name: str, endpoint, delivery, with_delivery: bool) -> str:
    return reverse(name, args=[endpoint.pk, delivery.pk] if with_delivery else [endpoint.pk])


@pytest.mark.parametrize(("method", "name", "with_delivery"), OWNED)
def test_another_user_gets_404(client, other_user, endpoint, delivery, method, name, with_delivery):
    client.force_login(other_user)
    response = getattr(client, method)(_url(name, endpoint, delivery, with_delivery))
    assert response.status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True).exists()


@pytest.mark.parametrize(("method", "name", "with_delivery"), [*OWNED, ("get", "accounts:webhooks", False)])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, endpoint, delivery, method, name, with_delivery):
    url = reverse(name) if name == "accounts:webhooks" else _url(name, endpoint, delivery, with_delivery)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_list_shows_only_the_owners_endpoints(owner_client, endpoint, other_user):
    WebhookEndpoint.objects.create(owner=other_user, url="https://theirs.example.com/", events=["event.rsvp"])
    page = owner_client.get(reverse("accounts:webhooks")).content.decode()
    assert URL in page
    assert "theirs.example.com" not in page


def test_adding_an_endpoint_keeps_the_ticked_events_and_opens_its_page(owner_client, user):
    response = owner_client.post(
        reverse("accounts:webhooks"),
        {"url": URL, "description": "CRM", "events": ["poll.finalized", "booking.created"]},
    )
    endpoint = WebhookEndpoint.objects.get(owner=user)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:webhook_detail", args=[endpoint.pk])
    assert (endpoint.url, endpoint.description, endpoint.events) == (URL, "CRM", ["booking.created", "poll.finalized"])
    assert endpoint.secret.startswith("whsec_")


def test_an_address_that_is_not_https_is_refused_and_kept_in_the_form(owner_client, user, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    response = owner_client.post(
        reverse("accounts:webhooks"), {"url": "http://hooks.example.com/x", "events": ["event.rsvp"]}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Use an https:// address" in page
    assert 'value="http://hooks.example.com/x"' in page
    assert not WebhookEndpoint.objects.exists()


def test_a_private_address_is_refused_with_the_guards_words(owner_client, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    response = owner_client.post(
        reverse("accounts:webhooks"), {"url": "https://10.0.0.7/hook", "events": ["event.rsvp"]}
    )
    assert response.status_code == 400
    assert "a private or local address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_localhost_is_refused_by_name(owner_client, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    response = owner_client.post(
        reverse("accounts:webhooks"), {"url": "https://localhost/hook", "events": ["event.rsvp"]}
    )
    assert response.status_code == 400
    assert "leads to this server itself" in response.content.decode()


def test_plain_http_is_allowed_where_private_addresses_are(owner_client, user):
    response = owner_client.post(
        reverse("accounts:webhooks"), {"url": "http://127.0.0.1:8080/hook", "events": ["event.rsvp"]}
    )
    assert response.status_code == 302
    assert WebhookEndpoint.objects.get(owner=user).url == "http://127.0.0.1:8080/hook"


def test_an_endpoint_needs_at_least_one_event(owner_client):
    response = owner_client.post(reverse("accounts:webhooks"), {"url": URL})
    assert "Tick at least one event to send." in response.content.decode()


def test_the_page_shows_the_secret_with_a_copy_button_and_the_log(owner_client, endpoint, delivery):
    page = owner_client.get(reverse("accounts:webhook_detail", args=[endpoint.pk])).content.decode()
    assert f'value="{endpoint.secret}"' in page
    assert 'data-copy="#webhook-secret"' in page
    assert "Answered 500 Internal Server Error" in page
    assert reverse("accounts:webhook_redeliver", args=[endpoint.pk, delivery.pk]) in page


def test_the_log_is_paginated(owner_client, endpoint):
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event_type="event.rsvp", message_id=f"msg_{number}", payload={})
        for number in range(30)
    )
    first = owner_client.get(reverse("accounts:webhook_detail", args=[endpoint.pk])).content.decode()
    second = owner_client.get(reverse("accounts:webhook_detail", args=[endpoint.pk]) + "?page=2").content.decode()
    assert first.count('data-testid="delivery"') == 25
    assert second.count('data-testid="delivery"') == 5


def test_editing_changes_the_events(owner_client, endpoint):
    owner_client.post(
        reverse("accounts:webhook_detail", args=[endpoint.pk]), {"url": URL, "events": ["meeting.reminder"]}
    )
    endpoint.refresh_from_db()
    assert endpoint.events == ["meeting.reminder"]


def test_a_disabled_endpoint_says_why_and_can_be_turned_on_again(owner_client, endpoint, delivery):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False, disabled_at="2026-06-10T08:00Z",
                                                          failures_in_a_row=5)  # fmt: skip
    page = owner_client.get(reverse("accounts:webhook_detail", args=[endpoint.pk])).content.decode()
    assert "Turned off after repeated failures" in page
    assert "Answered 500 Internal Server Error" in page
    owner_client.post(reverse("accounts:webhook_active", args=[endpoint.pk]), {"active": "1"})
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.disabled_at, endpoint.failures_in_a_row) == (True, None, 0)


def test_deleting_removes_the_endpoint_and_its_log(owner_client, endpoint, delivery):
    response = owner_client.post(reverse("accounts:webhook_delete", args=[endpoint.pk]))
    assert response["Location"] == reverse("accounts:webhooks")
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_send_test_event_queues_a_ping(owner_client, endpoint):
    owner_client.post(reverse("accounts:webhook_test", args=[endpoint.pk]))
    ping = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (ping.event_type, ping.state, ping.payload["type"]) == (webhooks.PING, "pending", "ping")


def test_redeliver_sends_the_same_message_again(owner_client, endpoint, delivery, committed, monkeypatch):
    sent = []
    monkeypatch.setattr(webhooks, "post", lambda endpoint, payload: sent.append(payload) or webhooks.Attempt(200))
    with committed():
        response = owner_client.post(reverse("accounts:webhook_redeliver", args=[endpoint.pk, delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert [payload["id"] for payload in sent] == ["msg_first"]
    assert (delivery.state, delivery.attempts, delivery.message_id) == ("delivered", 1, "msg_first")


def test_a_delivery_page_shows_the_body_sent(owner_client, endpoint, delivery):
    page = owner_client.get(reverse("accounts:webhook_delivery", args=[endpoint.pk, delivery.pk])).content.decode()
    assert "msg_first" in page
    assert "&quot;type&quot;: &quot;booking.created&quot;" in page


def test_a_delivery_of_another_endpoint_is_not_found_under_this_one(owner_client, user, endpoint, delivery):
    mine_too = WebhookEndpoint.objects.create(owner=user, url="https://other.example.com/", events=["event.rsvp"])
    response = owner_client.get(reverse("accounts:webhook_delivery", args=[mine_too.pk, delivery.pk]))
    assert response.status_code == 404


def test_the_profile_links_to_the_webhooks(owner_client):
    assert reverse("accounts:webhooks") in owner_client.get(reverse("accounts:profile")).content.decode()
