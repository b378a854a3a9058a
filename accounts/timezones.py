"""The IANA timezones a person can pick, and validation for them."""

from __future__ import annotations

import zoneinfo
from functools import cache, lru_cache

from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


@cache
def known_timezones() -> frozenset[str]:
    """Every IANA name zoneinfo accepts. Cached: ``available_timezones()`` walks the tz database
    on disk at every call (tens of milliseconds)."""
    return frozenset(zoneinfo.available_timezones())


@cache
def timezone_names() -> tuple[str, ...]:
    # Legacy aliases such as "US/Eastern" or "EST5EDT" are valid but clutter a picker.
    regional = (name for name in known_timezones() if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/")))
    return (*sorted(regional), "UTC")


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in timezone_names()]


def validate_timezone(value: str) -> None:
    if value not in known_timezones():
        raise ValidationError(
            "“%(value)s” is not a known timezone. Pick one from the list, e.g. Europe/Berlin.",
            code="invalid_timezone",
            params={"value": value},
        )


@lru_cache(maxsize=128)
def timezone_options(selected: str) -> SafeString:
    """The ``<option>`` list of a timezone picker (about 430 entries), built once per selection:
    rendering it through the template language costs more than the rest of a page."""
    return mark_safe(
        "".join(
            f'<option value="{escape(value)}"{" selected" if value == selected else ""}>{escape(label)}</option>'
            for value, label in timezone_choices()
        )
    )
