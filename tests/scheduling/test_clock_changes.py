"""When the clocks change: every poll cell is shown, once, in order, in any viewer's zone; a time
the clocks pass twice is offered both times and told apart; a time they skip is refused with a
message, never a 500. (Berlin goes back on 31 October 2027, New York on 7 November 2027; Berlin
goes forward on 28 March 2027.)"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.clock import Clock
from scheduling import grid
from scheduling.models import Event, Poll, TimeProposal
from tests.factories import InvitationFactory, PollFactory
from tests.scheduling.test_calendar import create, event_data
from tests.scheduling.test_polls import poll_data

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
AUTUMN = [date(2027, 10, 30) + timedelta(days=offset) for offset in range(10)]  # both zones' changes


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2027-10-01T08:00:00Z", tick=False):
        yield


def all_day_cells(zone: str = "Europe/Berlin", dates=AUTUMN, minutes: int = 30) -> list[datetime]:
    return grid.poll_cells(dates, time(0), time(0), minutes, zone)


@pytest.mark.parametrize("viewer", ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"])
def test_every_cell_of_an_all_day_poll_is_shown_once_and_in_order(viewer):
    cells = all_day_cells()
    layout = grid.layout(cells, viewer)
    shown = [position for row in layout.matrix for position in row if position is not None]
    assert sorted(shown) == list(range(len(cells)))  # before: 476 of 478 from New York
    for column in range(len(layout.columns)):
        down = [row[column] for row in layout.matrix if row[column] is not None]
        assert down == sorted(down)  # painting down a column goes forward in time


def test_the_day_the_clocks_go_back_has_25_hours_of_cells_and_rows_marked_again():
    cells = all_day_cells(dates=[date(2027, 10, 31)], minutes=60)
    assert len(cells) == 25
    assert all(later - earlier == timedelta(hours=1) for earlier, later in itertools.pairwise(cells))
    layout = grid.layout(cells, "Europe/Berlin")
    rows = [(row.strftime("%H:%M"), row.fold) for row in layout.rows]
    assert rows[:5] == [("00:00", 0), ("01:00", 0), ("02:00", 0), ("02:00", 1), ("03:00", 0)]


def test_the_poll_page_tells_the_two_passes_apart(client, user):
    poll = PollFactory(owner=user, dates=["2027-10-31"], day_start=time(1), day_end=time(4),
                       deadline=datetime(2027, 10, 30, tzinfo=UTC))  # fmt: skip
    invitation = InvitationFactory(poll=poll)
    page = client.get(invitation.get_absolute_url(), {"tz": "Europe/Berlin"}).content.decode()
    labels = re.findall(r'data-label="([^"]+)"', page)
    assert labels == [
        "Sunday 31 October, 01:00", "Sunday 31 October, 01:30",
        "Sunday 31 October, 02:00 CEST", "Sunday 31 October, 02:30 CEST",
        "Sunday 31 October, 02:00 CET", "Sunday 31 October, 02:30 CET",
        "Sunday 31 October, 03:00", "Sunday 31 October, 03:30",
    ]  # fmt: skip
    assert page.count(">again</abbr>") == 2


def test_answers_in_the_second_pass_are_kept_apart_from_the_first(client, user):
    poll = PollFactory(owner=user, dates=["2027-10-31"], day_start=time(2), day_end=time(3),
                       deadline=datetime(2027, 10, 30, tzinfo=UTC))  # fmt: skip
    invitation = InvitationFactory(poll=poll)
    second_pass = "20271031T0100"  # 02:00 CET
    response = client.post(reverse("scheduling:save_invitee_grid", args=[invitation.token]),
                           {"payload": f'{{"cells": {{"{second_pass}": 3}}}}'})  # fmt: skip
    assert response.status_code == 200
    page = client.get(invitation.get_absolute_url(), {"tz": "America/New_York"}).content.decode()
    assert f'data-cell="{second_pass}" data-level="3"' in page
    assert 'data-cell="20271031T0000" data-level="0"' in page  # 02:00 CEST, not painted


def test_a_clock_names_the_offset_only_of_a_time_shown_twice():
    clock = Clock()
    first, second = (datetime(2027, 10, 31, 2, 30, tzinfo=BERLIN, fold=fold) for fold in (0, 1))
    assert (clock.time(first), clock.time(second)) == ("02:30 CEST", "02:30 CET")
    assert Clock(hour12=True).time(second) == "2:30 AM CET"
    assert clock.time(datetime(2027, 10, 31, 3, 30, tzinfo=BERLIN)) == "03:30"
    assert clock.time(time(2, 30)) == "02:30"


# --- Times typed into forms ------------------------------------------------------------------------


@pytest.fixture
def meeting(owner_client, committed):
    with committed():
        create(owner_client, other_attendees="ana@example.org", start="2027-03-20T10:00", end="2027-03-20T11:00")
    return Event.objects.get()


def test_a_proposed_time_the_clocks_skip_is_refused_with_a_message(client, meeting):
    attendee = meeting.attendees.get()
    answer = {"response": "declined", "propose_start": "2027-03-28T02:30", "note": "Sunday?"}
    response = client.post(reverse("scheduling:rsvp", args=[attendee.token]), answer)
    assert response.status_code == 200
    assert "02:30 on Sunday 28 March 2027 does not exist in Europe/Berlin: the clocks go forward then." in (
        response.content.decode()
    )
    assert not TimeProposal.objects.exists()
    assert 'value="Sunday?"' in response.content.decode()  # nothing typed is lost


def test_a_proposed_time_the_clocks_show_twice_is_its_first_pass(client, meeting):
    attendee = meeting.attendees.get()
    client.post(reverse("scheduling:rsvp", args=[attendee.token]),
                {"response": "declined", "propose_start": "2027-10-31T02:30", "note": ""})  # fmt: skip
    assert TimeProposal.objects.get().start == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 CEST


def test_a_proposal_is_read_in_the_zone_the_page_shows_not_the_requests(client, owner_client, committed):
    """The RSVP page shows New York times for a New York meeting; a Berlin default zone must not
    refuse a New York time that Berlin skips (29 March 2026, 02:30 exists in New York)."""
    with committed():
        create(owner_client, other_attendees="ana@example.org", timezone="America/New_York",
               start="2027-03-20T10:00", end="2027-03-20T11:00")  # fmt: skip
    attendee = Event.objects.get().attendees.get()
    client.post(reverse("scheduling:rsvp", args=[attendee.token]),
                {"response": "declined", "propose_start": "2027-03-28T02:30", "note": ""})  # fmt: skip
    assert TimeProposal.objects.get().start == datetime(2027, 3, 28, 6, 30, tzinfo=UTC)


def test_an_event_starting_when_the_clocks_skip_is_refused_with_a_message(owner_client):
    response = owner_client.post(reverse("scheduling:event_create"),
                                 event_data(start="2027-03-28T02:30", end="2027-03-28T03:30"))  # fmt: skip
    assert response.status_code == 200
    assert "does not exist in Europe/Berlin: the clocks go forward then" in response.content.decode()
    assert not Event.objects.exists()


def test_an_all_day_event_on_the_day_the_clocks_skip_is_fine(owner_client):
    owner_client.post(reverse("scheduling:event_create"),
                      event_data(start="2027-03-28T02:30", end="2027-03-28T02:30", all_day="on"))  # fmt: skip
    event = Event.objects.get()
    assert (event.start, event.end) == (
        datetime(2027, 3, 27, 23, tzinfo=UTC), datetime(2027, 3, 28, 22, tzinfo=UTC),
    )  # fmt: skip


def test_a_poll_deadline_the_clocks_skip_is_refused_with_a_message(owner_client):
    response = owner_client.post(reverse("scheduling:poll_create"), poll_data(
        first_date="2027-04-05", last_date="2027-04-09", deadline="2027-03-28T02:30",
    ))  # fmt: skip
    assert "does not exist in Europe/Berlin: the clocks go forward then" in response.content.decode()
    assert not Poll.objects.exists()


@pytest.mark.parametrize("typed", ["9999-12-31T23:59", "0001-01-01T00:00", "2027-02-30T10:00"])
def test_a_proposed_time_out_of_range_is_refused_with_a_message(client, meeting, typed):
    attendee = meeting.attendees.get()
    answer = {"response": "declined", "propose_start": typed, "note": ""}
    response = client.post(reverse("scheduling:rsvp", args=[attendee.token]), answer)
    assert response.status_code == 200
    assert "propose_start" in response.context["form"].errors
    assert not TimeProposal.objects.exists()


def test_an_occurrence_out_of_range_in_a_url_shows_the_series(owner_client, user):
    start = datetime(2027, 3, 1, 8, tzinfo=UTC)
    series = Event.objects.create(owner=user, title="Standup", start=start, end=start + timedelta(hours=1),
                                  timezone="UTC", rrule="FREQ=WEEKLY")  # fmt: skip
    response = owner_client.get(
        reverse("scheduling:event_detail", args=[series.pk]), {"occurrence": "99991231T235959Z"}
    )
    assert response.status_code == 200
