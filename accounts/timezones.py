"""The IANA timezones a person can pick, and validation for them."""

from __future__ import annotations

import importlib.resources
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from accounts.inputs import EARLIEST, LATEST


@cache
def known_timezones() -> frozenset[str]:
    """Every IANA name zoneinfo accepts. Cached: ``available_timezones()`` walks the tz database
    on disk at every call (tens of milliseconds)."""
    return frozenset(zoneinfo.available_timezones())


# The IANA data itself, from the tzdata package (the zones zoneinfo reads are the same ones):
# ``tzdata.zi`` says which names are links ("L <target> <link>"), ``zone.tab`` which zone each
# country or region uses, ``iso3166.tab`` the countries' names.


def _tzdata_lines(name: str) -> list[str]:
    text = importlib.resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@cache
def _links() -> dict[str, str]:
    """Each link name (Asia/Calcutta) and the zone it points to (Asia/Kolkata)."""
    return {
        link: target for _, target, link in (line.split() for line in _tzdata_lines("tzdata.zi") if line[:2] == "L ")
    }


@dataclass(frozen=True)
class Region:
    country: str  # "United States"
    comment: str  # zone.tab's note where a country has several zones: "Eastern (most areas)"


@cache
def _regions() -> dict[str, Region]:
    """Each zone a country or region uses (zone.tab), with that country's name."""
    countries = dict(line.split("\t")[:2] for line in _tzdata_lines("iso3166.tab"))
    regions = {}
    for line in _tzdata_lines("zone.tab"):
        code, _, zone, *comment = line.split("\t")
        regions[zone] = Region(country=countries.get(code, code), comment=comment[0] if comment else "")
    return regions


UTC_NAMES = frozenset({"Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "UCT", "Universal", "Zulu"})


def canonical_timezone(name: str) -> str:
    """The name a zone is stored and shown under: its current IANA name. Browsers (ICU/CLDR) keep
    legacy names, Chromium says "Asia/Calcutta" for Asia/Kolkata. A name that is a country's zone
    (zone.tab) or is not a link is kept: Europe/Copenhagen is a link to Europe/Berlin, but people
    in Denmark want to see Copenhagen. Any other link (Asia/Calcutta, Europe/Kiev, US/Eastern,
    CET) becomes the zone it points to; every name of UTC is "UTC". Unknown names stay as they are,
    for validation to refuse."""
    if name in UTC_NAMES or _links().get(name) == "Etc/UTC":
        return "UTC"
    if name in _regions():
        return name
    return _links().get(name, name)


@cache
def _aliases() -> dict[str, tuple[str, ...]]:
    """Each zone's legacy names: what a browser may call it, and what a person may search for."""
    aliases: dict[str, list[str]] = {}
    for name in sorted(known_timezones()):
        if (zone := canonical_timezone(name)) != name:
            aliases.setdefault(zone, []).append(name)
    return {zone: tuple(names) for zone, names in aliases.items()}


@cache
def timezone_names() -> tuple[str, ...]:
    """The zones a person can pick: every country's and region's zone (zone.tab), and UTC. Legacy
    names and links ("US/Eastern", "Asia/Calcutta") are not listed: they are the same zones."""
    return (*sorted(_regions()), "UTC")


# The zones most people pick, first in every picker (and only there, so each zone is listed once).
COMMON_ZONES = (
    "UTC", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York", "America/Toronto",
    "America/Mexico_City", "America/Sao_Paulo", "Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
    "Europe/Moscow", "Africa/Lagos", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore",
    "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
)  # fmt: skip


def timezone_choices() -> list[tuple[str, str]]:
    """(name, label) for a form field's validation: every zone a picker lists."""
    return [(name, name.replace("_", " ")) for name in timezone_names()]


def validate_timezone(value: str) -> None:
    if value not in known_timezones():
        raise ValidationError(
            "“%(value)s” is not a known timezone. Pick one from the list, e.g. Europe/Berlin.",
            code="invalid_timezone",
            params={"value": value},
        )


def zone_from_query(value: str | None, fallback: str) -> str:
    """The zone a page's ``?tz=`` asks for, under its current name, or ``fallback`` if it names none."""
    zone = canonical_timezone(value or "")
    return zone if zone in known_timezones() else fallback


# --- The picker ------------------------------------------------------------------------------------


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta()).total_seconds()) // 60
    sign = "+" if minutes >= 0 else "\u2212"  # a real minus sign, as typeset
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _abbreviation(moment: datetime) -> str:
    """ "EST", "CET"; zones without one have "+0530"-like names, which say no more than the offset."""
    name = moment.tzname() or ""
    return name if name.isalpha() else ""


def _place(name: str) -> str:
    """ "New York" for America/New_York, "Indianapolis, Indiana" for America/Indiana/Indianapolis."""
    parts = [part.replace("_", " ") for part in name.split("/")[1:]]
    return ", ".join(reversed(parts)) if parts else name


@dataclass(frozen=True)
class ZoneOption:
    name: str  # the IANA name, the value posted
    label: str  # "New York — United States (UTC−05:00, EST)"
    search: str  # more words it is found by: its name, legacy names, other season's abbreviation, region


def zone_option(name: str, day: date) -> ZoneOption:
    """How the picker shows ``name`` on ``day`` (offsets and abbreviations change with the season)."""
    zone = zoneinfo.ZoneInfo(name)
    now = datetime.combine(day, time(12), tzinfo=UTC).astimezone(zone)
    abbreviation = _abbreviation(now)
    clock = _offset(now.utcoffset()) + (f", {abbreviation}" if abbreviation else "")
    region = _regions().get(name)
    if name == "UTC":
        label = f"UTC — Coordinated Universal Time ({_offset(now.utcoffset())})"
    elif region:
        label = f"{_place(name)} — {region.country} ({clock})"
    else:
        label = f"{name.replace('_', ' ')} ({clock})"
    seasons = {_abbreviation(datetime(day.year, month, 15, 12, tzinfo=UTC).astimezone(zone)) for month in (1, 7)}
    words = [name, *_aliases().get(name, ()), *sorted(seasons - {abbreviation, ""}), region.comment if region else ""]
    return ZoneOption(name=name, label=label, search=" ".join(word for word in words if word))


# A picker lists about 420 zones: rendering that per request costs more than the rest of a page,
# so the list is built once per process and day (its offsets and abbreviations follow the date)
# and the selection marked in the cached text. The zone list only changes with tzdata, i.e. with
# a restart.


@lru_cache(maxsize=4)
def _option_list(day: date) -> str:
    def option(name: str) -> str:
        zone = zone_option(name, day)
        return format_html('<option value="{}" data-search="{}">{}</option>', zone.name, zone.search, zone.label)

    common = [name for name in COMMON_ZONES if name in known_timezones()]
    groups = [("Common", common)]
    for name in timezone_names():
        if name not in common:
            region = name.split("/")[0]
            if groups[-1][0] != region:
                groups.append((region, []))
            groups[-1][1].append(name)
    for _, names in groups[1:]:
        names.sort(key=_place)
    return "".join(
        format_html('<optgroup label="{}">', title) + "".join(option(name) for name in names) + "</optgroup>"
        for title, names in groups
    )


def timezone_options(selected: str, day: date | None = None) -> SafeString:
    """The ``<option>`` list of a timezone ``<select>``, ``selected`` chosen (a zone not listed, such
    as Etc/GMT+5 from a link, is added on top so the select still shows it)."""
    day = day or datetime.now(UTC).date()
    options = _option_list(day)
    marker = format_html('<option value="{}" ', selected)
    if marker in options:
        return mark_safe(options.replace(marker, format_html('<option value="{}" selected ', selected), 1))
    if selected in known_timezones():
        extra = zone_option(selected, day)
        return format_html('<option value="{}" selected>{}</option>', extra.name, extra.label) + mark_safe(options)
    return mark_safe(options)


class TimezoneSelect(forms.Widget):
    """The one timezone picker of forms: a native ``<select>`` of :func:`timezone_options`
    (searchable with static/js/timezone.js, which finds every ``select[data-timezone-picker]``)."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name, "data-timezone-picker": ""})
        return format_html("<select{}>{}</select>", flatatt(attrs), timezone_options(value or ""))


class TimezoneField(forms.ChoiceField):
    """A zone picked in a form, stored under its current IANA name (a browser or an old bookmark
    may post "Asia/Calcutta": it is Asia/Kolkata)."""

    widget = TimezoneSelect
    default_error_messages = {
        "invalid_choice": "“%(value)s” is not a known timezone. Pick one from the list, e.g. Europe/Berlin."
    }

    def __init__(self, **kwargs):
        super().__init__(choices=timezone_choices, **kwargs)
        self.widget.attrs.setdefault("class", "input")

    def to_python(self, value):
        return canonical_timezone(super().to_python(value))


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
