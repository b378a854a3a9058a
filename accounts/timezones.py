"""The IANA timezones a person can pick, and validation for them."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from functools import cache, lru_cache

from django import forms
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.dateparse import parse_datetime
from django.utils.safestring import SafeString

from accounts.inputs import EARLIEST, LATEST


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


# A timezone picker lists about 430 zones: rendering that through the template language costs more
# than the rest of a page, so each picker is rendered once per process (and per selection) and
# reused. The zone list only changes with tzdata, i.e. with a restart.


@lru_cache(maxsize=128)
def timezone_options(selected: str) -> SafeString:
    """The ``<option>`` list of a timezone ``<select>``, ``selected`` chosen."""
    return render_to_string("_fragments/_timezone_options.html", {"choices": timezone_choices(), "selected": selected})


@cache
def timezone_datalist() -> SafeString:
    """The ``<datalist id="timezone-list">`` of a free-text timezone field."""
    return render_to_string("_fragments/_timezone_datalist.html", {"names": timezone_names()})


def on_the_clock(local: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """The moment a wall-clock time names in ``zone``. A time the clocks pass twice (autumn) is its
    first occurrence, as calendar apps take it; a time they skip (spring) is refused with a
    message for the form, where zoneinfo would quietly make up a moment that never happens."""
    if local.tzinfo is not None:  # given with its offset: an exact moment already
        return local.astimezone(zone)
    moment = local.replace(tzinfo=zone)
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValidationError(
            f"{local:%H:%M} on {local:%A} {local.day} {local:%B %Y} does not exist in {zone.key}: "
            "the clocks go forward then. Pick another time.",
            code="nonexistent",
        )
    return moment


class WallClockField(forms.DateTimeField):
    """A date and time as typed, without a timezone: the form places it in the zone it shows times
    in (:func:`on_the_clock`), not in whatever zone the request happens to have active."""

    def prepare_value(self, value):
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        try:
            result = parse_datetime(value.strip())
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        result = result or forms.fields.BaseTemporalField.to_python(self, value)
        if not EARLIEST <= result.date() <= LATEST:  # the pages could not compute with it
            raise ValidationError(f"Give a date between {EARLIEST.year} and {LATEST.year}.", code="out_of_range")
        return result
