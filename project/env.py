"""Strict readers for settings that come from the environment.

Every helper raises ImproperlyConfigured with the variable's name when the value cannot be parsed,
so a typo in production fails at start-up instead of silently falling back to a default.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_required(name: str, reason: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable: {reason}")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        allowed = ", ".join(sorted(choices))
        raise ImproperlyConfigured(f"{name} must be one of {allowed}; got {value!r}.")
    return value


def env_email(name: str, default: str = "") -> str:
    """An email address (``local@domain``), or empty."""
    value = (os.environ.get(name) or default).strip()
    local, at, domain = value.partition("@")
    if value and (not at or not local or "." not in domain or "@" in domain or any(c.isspace() for c in value)):
        raise ImproperlyConfigured(f"{name} must be an email address like rsvp@convene.example.com; got {value!r}.")
    return value


def env_prefixed(prefix: str) -> dict[str, str]:
    """Collect ``PREFIX_KEY=value`` variables into ``{"KEY": value}`` (used for ANYMAIL_*)."""
    return {key.removeprefix(prefix): value for key, value in os.environ.items() if key.startswith(prefix)}
