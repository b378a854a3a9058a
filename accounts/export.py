""" "Export my data": a JSON document of everything a user owns.

Apps that depend on accounts add their own sections with ``@export_section("polls")`` in their
``AppConfig.ready``; accounts never imports them (dependencies point booking -> scheduling ->
accounts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.utils import timezone

from accounts.models import GoogleCalendarConnection, User

ExportFunction = Callable[[User], Any]
_sections: dict[str, ExportFunction] = {}


def export_section(name: str) -> Callable[[ExportFunction], ExportFunction]:
    def register(function: ExportFunction) -> ExportFunction:
        _sections[name] = function
        return function

    return register


# Fields that are keys to someone's personal link or account: never exported.
SECRET_FIELDS = frozenset({"password", "token", "share_token", "digest", "secret"})


def fields(instance, *, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every field of ``instance`` that holds a value of its own (relations are exported by the
    sections, as names or nested lists), secrets left out: a field added to a model is in the
    export without anyone remembering to add it (tests/accounts/test_export.py checks)."""
    return {
        field.name: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if not field.is_relation and not field.primary_key and field.name not in SECRET_FIELDS
        and field.name not in leave_out
    }  # fmt: skip


def export_user_data(user: User) -> dict[str, Any]:
    data: dict[str, Any] = {"format": "convene-export/1", "exported_at": timezone.now().isoformat()}
    for name, function in _sections.items():
        data[name] = function(user)
    return data


@export_section("profile")
def _profile(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "timezone": user.timezone,
        "date_joined": user.date_joined.isoformat(),
        "last_login": user.last_login.isoformat() if user.last_login else None,
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in user.emailaddress_set.order_by("email")
        ],
        "linked_accounts": [
            {"provider": account.provider, "uid": account.uid, "linked_at": account.date_joined.isoformat()}
            for account in user.socialaccount_set.order_by("provider")
        ],
    }


@export_section("google_calendar")
def _google_calendar(user: User) -> dict[str, Any] | None:
    """The connection's choices; the OAuth tokens are secrets and stay out of the export."""
    connection = GoogleCalendarConnection.objects.filter(user=user).first()
    if connection is None:
        return None
    return {
        "connected_at": connection.connected_at.isoformat(),
        "busy_calendars": connection.busy_calendars,
        "meetings_calendar": connection.target_calendar,
        "calendars": connection.calendars,
    }


@export_section("caldav_accounts")
def _caldav_accounts(user: User) -> list[dict[str, Any]]:
    """The accounts and their choices; the passwords are secrets and stay out of the export."""
    return [
        {
            "name": account.name,
            "server": account.server_url,
            "username": account.username,
            "connected_at": account.connected_at.isoformat(),
            "calendars": account.calendars,
            "busy_calendars": account.busy_calendars,
            "meetings_calendar": account.target_calendar,
        }
        for account in user.caldav_accounts.all()
    ]


@export_section("calendar_links")
def _calendar_links(user: User) -> list[dict[str, Any]]:
    """Subscribed ICS links by name and host: the link itself is a secret (anyone with it reads the calendar)."""
    return [
        {
            "name": subscription.name,
            "host": urlsplit(subscription.url).hostname,
            "counts_as_busy": subscription.busy,
            "created_at": subscription.created_at.isoformat(),
        }
        for subscription in user.ics_subscriptions.all()
    ]


@export_section("contacts")
def _contacts(user: User) -> list[dict[str, Any]]:
    return [fields(contact) for contact in user.contacts.all()]


@export_section("api_tokens")
def _api_tokens(user: User) -> list[dict[str, Any]]:
    """Which tokens there are and when they were used; never the secrets (not even their digests)."""
    return [fields(token) for token in user.api_tokens.all()]


@export_section("webhooks")
def _webhooks(user: User) -> list[dict[str, Any]]:
    """The endpoints (not their signing secrets) and their delivery log."""
    return [
        {**fields(endpoint), "deliveries": [fields(delivery) for delivery in endpoint.deliveries.all()]}
        for endpoint in user.webhooks.prefetch_related("deliveries")
    ]
