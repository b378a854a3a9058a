"""Usernames double as public booking URLs (``/<username>/``), so they are URL-safe and may not
shadow a page of the site."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.urls import get_resolver

USERNAME_MAX_LENGTH = 30

# Words kept back for pages that exist now or may exist later, and names that would mislead.
RESERVED_USERNAMES = frozenset(
    {
        "about", "account", "accounts", "admin", "administrator", "api", "app", "assets", "auth",
        "billing", "blog", "book", "booking", "bookings", "calendar", "calendars", "contact",
        "contacts", "convene", "dashboard", "docs", "embed", "event", "events", "feed", "feeds",
        "help", "healthz", "home", "ics", "invite", "invites", "login", "logout", "mail", "media",
        "me", "new", "oauth", "p", "poll", "polls", "privacy", "profile", "register", "root",
        "rsvp", "schedule", "schedules", "security", "settings", "signin", "signup", "static",
        "status", "support", "system", "team", "terms", "u", "users", "webcal", "webhooks", "www",
    }
)  # fmt: skip

_LITERAL_PREFIX = re.compile(r"^\^?([A-Za-z0-9._-]+)")


def url_prefixes() -> set[str]:
    """First path segment of every top-level URL (``contacts/`` -> ``contacts``), including the
    patterns of apps included at the root."""
    prefixes = set()
    patterns = list(get_resolver().url_patterns)
    while patterns:
        pattern = patterns.pop()
        route = str(pattern.pattern)
        if route in {"", "^"} and hasattr(pattern, "url_patterns"):
            patterns.extend(pattern.url_patterns)
            continue
        match = _LITERAL_PREFIX.match(route)
        if match:
            prefixes.add(match.group(1).lower())
    return prefixes


def validate_username_not_reserved(value: str) -> None:
    if value.lower() in RESERVED_USERNAMES | url_prefixes():
        raise ValidationError(
            "“%(value)s” is reserved because it is part of the site's addresses. Please choose another username.",
            code="reserved_username",
            params={"value": value},
        )


validate_username_format = RegexValidator(
    regex=r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\Z",
    message=(
        "Use only letters, digits, dots, hyphens and underscores, starting and ending with a letter "
        "or digit: your username becomes your booking link."
    ),
    code="invalid_username",
)

USERNAME_VALIDATORS = [validate_username_format, validate_username_not_reserved]
