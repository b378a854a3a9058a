"""Calling the REST API as a client would: JSON in, a bearer token in the header."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.api_base import issue_token
from tests.factories import ContactFactory, EventTypeFactory, InvitationFactory, PollFactory, booked


class ApiClient:
    """Django's test client with a token: ``api.get("/contacts", q="ada")``, ``api.post(path, {...})``."""

    def __init__(self, client, secret: str | None):
        self.client = client
        self.secret = secret

    def _headers(self, headers: dict | None) -> dict:
        found = {"HTTP_AUTHORIZATION": f"Bearer {self.secret}"} if self.secret else {}
        for name, value in (headers or {}).items():
            found["HTTP_" + name.upper().replace("-", "_")] = value
        return found

    def get(self, path: str, headers: dict | None = None, **params):
        return self.client.get("/api/v1" + path, params, **self._headers(headers))

    def _send(self, method: str, path: str, body, headers):
        data = json.dumps(body, default=str) if body is not None else ""
        return getattr(self.client, method)(
            "/api/v1" + path, data, content_type="application/json", **self._headers(headers)
        )

    def post(self, path: str, body=None, headers: dict | None = None):
        return self._send("post", path, body if body is not None else {}, headers)

    def patch(self, path: str, body=None, headers: dict | None = None):
        return self._send("patch", path, body if body is not None else {}, headers)

    def put(self, path: str, body=None, headers: dict | None = None):
        return self._send("put", path, body if body is not None else {}, headers)

    def delete(self, path: str, headers: dict | None = None):
        return self._send("delete", path, None, headers)


def token_for(user, *, can_write: bool = True, expires_at: datetime | None = None) -> str:
    return issue_token(user=user, name="test", can_write=can_write, expires_at=expires_at)[1]


@pytest.fixture
def api(client, user) -> ApiClient:
    """The owner's read-and-write token."""
    return ApiClient(client, token_for(user))


@pytest.fixture
def reader(client, user) -> ApiClient:
    """The owner's read-only token."""
    return ApiClient(client, token_for(user, can_write=False))


@pytest.fixture
def intruder(client, other_user) -> ApiClient:
    """Another user's read-and-write token."""
    return ApiClient(client, token_for(other_user))


@pytest.fixture
def anonymous(client) -> ApiClient:
    return ApiClient(client, None)


# The ids of ``world``'s objects, by the name of the path parameter that takes them.
REAL_IDS: dict[str, int] = {}


@pytest.fixture
def world(user):
    """One of everything the API serves, owned by ``user``."""
    event_type = EventTypeFactory(owner=user)
    booking = booked(event_type, timezone.now().replace(microsecond=0) + timedelta(days=3))
    poll = PollFactory(owner=user)
    invitation = InvitationFactory(poll=poll)
    REAL_IDS.clear()
    REAL_IDS.update(
        contact_id=ContactFactory(owner=user).pk,
        event_type_id=event_type.pk,
        schedule_id=event_type.schedule_id,
        booking_id=booking.pk,
        event_id=booking.event_id,
        poll_id=poll.pk,
        invitation_id=invitation.pk,
        attendee_id=booking.attendee_id,
    )
    return REAL_IDS
