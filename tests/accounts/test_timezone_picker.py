"""One timezone picker everywhere, and zones stored and shown under their current IANA names
(browsers keep legacy ones: Chromium says "Asia/Calcutta")."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from accounts.forms import ProfileForm, SignupForm
from accounts.models import User
from accounts.timezones import COMMON_ZONES, canonical_timezone, timezone_names, timezone_options, zone_option
from booking.forms import ScheduleForm
from scheduling.forms import PollForm
from tests.factories import EventTypeFactory, InvitationFactory, PollFactory, UserFactory

WINTER, SUMMER = date(2026, 1, 15), date(2026, 7, 15)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("Europe/Kiev", "Europe/Kyiv"),
        ("Asia/Saigon", "Asia/Ho_Chi_Minh"),
        ("America/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        ("US/Eastern", "America/New_York"),
        ("CET", "Europe/Brussels"),
        ("Etc/UTC", "UTC"),
        ("UTC", "UTC"),
        ("Europe/Copenhagen", "Europe/Copenhagen"),  # a link to Europe/Berlin, but Denmark's zone
        ("Asia/Kolkata", "Asia/Kolkata"),
        ("Mars/Base", "Mars/Base"),  # unknown: left for validation to refuse
    ],
)
def test_zones_are_named_by_their_current_iana_name(name, canonical):
    assert canonical_timezone(name) == canonical


def test_every_zone_is_listed_once_under_its_current_name():
    names = re.findall(r'<option value="([^"]+)"', timezone_options("UTC", WINTER))
    assert len(names) == len(set(names)) == len(timezone_names())
    assert all(canonical_timezone(name) == name for name in names)
    assert "Asia/Calcutta" not in names
    assert "Europe/Copenhagen" in names


def test_common_zones_come_first():
    options = timezone_options("UTC", WINTER)
    common = re.search(r'<optgroup label="Common">(.*?)</optgroup>', options).group(1)
    assert re.findall(r'value="([^"]+)"', common) == list(COMMON_ZONES)
    assert options.startswith('<optgroup label="Common">')


def test_an_option_reads_as_place_country_offset_and_abbreviation():
    assert zone_option("America/New_York", WINTER).label == "New York — United States (UTC\u221205:00, EST)"
    assert zone_option("America/New_York", SUMMER).label == "New York — United States (UTC\u221204:00, EDT)"
    assert zone_option("Asia/Kolkata", WINTER).label == "Kolkata — India (UTC+05:30, IST)"


def test_an_option_is_found_by_its_legacy_names_and_other_seasons_abbreviation():
    search = zone_option("Asia/Kolkata", WINTER).search.split()
    assert "Asia/Calcutta" in search
    assert "Asia/Kolkata" in search
    assert "CEST" in zone_option("Europe/Berlin", WINTER).search.split()
    assert "CET" in zone_option("Europe/Berlin", SUMMER).search.split()


def test_the_selected_zone_is_marked_once():
    options = timezone_options("Asia/Kolkata", WINTER)
    assert options.count(" selected") == 1
    assert '<option value="Asia/Kolkata" selected ' in options


def test_a_zone_the_list_leaves_out_is_still_shown_when_selected():
    assert timezone_options("Etc/GMT+5", WINTER).startswith('<option value="Etc/GMT+5" selected>')


@pytest.mark.parametrize("form_class", [SignupForm, ProfileForm, ScheduleForm, PollForm])
def test_a_form_stores_the_current_name_of_a_legacy_zone(form_class):
    field = form_class.base_fields["timezone"]
    assert field.clean("Asia/Calcutta") == "Asia/Kolkata"
    assert field.clean("Europe/Copenhagen") == "Europe/Copenhagen"


def test_a_form_refuses_an_unknown_zone_with_a_clear_message():
    form = SignupForm(data={"timezone": "Mars/Base"})
    form.is_valid()
    assert form.errors["timezone"] == [
        "“Mars/Base” is not a known timezone. Pick one from the list, e.g. Europe/Berlin."
    ]


@pytest.mark.django_db
def test_signup_stores_the_current_name_of_the_browsers_zone(client):
    client.post(
        reverse("account_signup"),
        {"email": "ada@example.com", "username": "ada", "password1": "a-Long-pass-9", "password2": "a-Long-pass-9",
         "timezone": "Asia/Calcutta"},
    )  # fmt: skip
    assert User.objects.get(username="ada").timezone == "Asia/Kolkata"


def selected(page: str) -> str:
    return re.search(r'<option value="([^"]+)" selected', page).group(1)


@pytest.mark.django_db
def test_booking_page_shows_a_legacy_zone_under_its_current_name(client):
    link = EventTypeFactory(owner=UserFactory(username="hanna", timezone="Europe/Berlin"), slug="intro")
    page = client.get(link.get_absolute_url(), {"tz": "Asia/Calcutta"}).content.decode()
    assert selected(page) == "Asia/Kolkata"
    assert "data-timezone-picker" in page


@pytest.mark.django_db
def test_invitee_page_shows_a_legacy_zone_under_its_current_name(client):
    invitation = InvitationFactory(poll=PollFactory(owner=UserFactory()), email="ina@example.org")
    page = client.get(invitation.get_absolute_url(), {"tz": "Europe/Kiev"}).content.decode()
    assert selected(page) == "Europe/Kyiv"
    assert "Europe/Kiev" not in page.replace('data-search="Europe/Kyiv Europe/Kiev', "")
