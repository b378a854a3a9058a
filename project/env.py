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


def env_fernet_keys(name: str) -> list[str]:
    """Comma-separated Fernet keys (32 bytes, url-safe base64), the first one current."""
    import base64
    import binascii

    keys = env_list(name, [])
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise ImproperlyConfigured(
                f"{name} must be comma-separated Fernet keys (44 characters of url-safe base64, e.g. from "
                f"`manage.py rotate_credentials --new-key`); key {position} is not one."
            )
    return keys


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


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def env_log_level(name: str, default: str = "INFO") -> str:
    """A logging level name, in any case (``info``, ``WARNING``)."""
    raw = os.environ.get(name) or default
    value = raw.strip().upper()
    if value not in LOG_LEVELS:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(LOG_LEVELS)}; got {raw!r}.")
    return value


def env_url(name: str, default: str) -> str:
    """An absolute http(s) base URL without query or fragment, returned without a trailing slash."""
    from urllib.parse import urlsplit

    raw = os.environ.get(name) or default
    value = raw.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"{name} must be an absolute address starting with https:// or http://, like "
            f"https://convene.example.com; got {raw!r}."
        )
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        raise ImproperlyConfigured(f"{name} has a port that is not a number: {raw!r}.") from None
    return value.rstrip("/")


def served_at(addr: str) -> str:
    """The address a development server started on ``addr`` (runserver's argument: ``8000``,
    ``127.0.0.1:8000``, ``0.0.0.0:8000``, ``[::1]:8000``) is reached at from this machine."""
    host, _, port = addr.strip().rpartition(":")
    if not port.isdigit():
        raise ImproperlyConfigured(f"ADDR must be a port or host:port, like 127.0.0.1:8000; got {addr!r}.")
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "[::]": "[::1]", "0": "127.0.0.1"}.get(host, host)
    return f"http://{host}:{port}"


def env_dotted_path(name: str, default: str, *, what: str) -> str:
    """A dotted path to a class that can be imported now, so a typo stops start-up, not the worker."""
    from django.utils.module_loading import import_string

    value = (os.environ.get(name) or default).strip()
    try:
        import_string(value)
    except ImportError as error:
        raise ImproperlyConfigured(
            f"{name} must be the dotted path of {what}; {value!r} cannot be imported ({error})."
        ) from None
    return value
