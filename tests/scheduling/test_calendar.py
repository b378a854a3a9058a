"""The calendar: events, attendees and RSVP, recurrence, views, reminders, .ics and the feed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
import recurring_ical_events
import time_machine
from django.core import mail
from django.urls import reverse

from scheduling.models import Attendee, CalendarFeed, Event, TimeProposal
from scheduling.reminders import send_due

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


def event_data(**changes):
    data = {
        "title": "Design review", "kind": "meeting", "start": "2026-12-03T10:00", "end": "2026-12-03T11:00",
        "timezone": "Europe/Berlin", "location": "Room 4", "description": "", "other_attendees": "",
        "repeat": "", "interval": "1", "ends": "never", "until": "", "count": "",
    }  # fmt: skip
    data.update(changes)
    return data


def create(client, **changes):
    return client.post(reverse("scheduling:event_create"), event_data(**changes))


def ics(message) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(next(a for a in message.attachments if a.filename == "invite.ics").content)


@pytest.fixture
def event(owner_client, committed):
    with committed():
        create(owner_client, other_attendees="ana@example.org")
    return Event.objects.get()


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["scheduling:event_detail", "scheduling:event_edit", "scheduling:event_delete", "scheduling:event_ics"]
)
def test_another_users_event_is_a_404(client, event, other_user, name):
    client.force_login(other_user)
    assert client.get(reverse(name, args=[event.pk])).status_code == 404


@pytest.mark.parametrize("path", ["/calendar/", "/calendar/month/", "/calendar/events/new/"])
def test_anonymous_visitor_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- Creating and validating ---------------------------------------------------------------------


def test_creating_an_event_invites_attendees_with_an_ics_and_rsvp_links(event):
    assert (event.start, event.end) == (datetime(2026, 12, 3, 9, tzinfo=UTC), datetime(2026, 12, 3, 10, tzinfo=UTC))
    message = mail.outbox[0]
    assert message.to == ["ana@example.org"]
    assert message.subject == "Invitation: Design review — Thu 03 Dec 2026, 10:00 (Europe/Berlin)"
    attendee = event.attendees.get()
    assert f"/rsvp/{attendee.token}/?response=accepted" in message.body
    calendar = ics(message)
    assert calendar["METHOD"] == "REQUEST"
    vevent = calendar.walk("VEVENT")[0]
    assert (vevent["UID"], int(vevent["SEQUENCE"])) == (event.uid, 0)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end": "2026-12-03T09:00"}, "end", "End time must be after start time."),
        ({"end": "2026-12-20T09:00"}, "end", "An event can last at most 14 days."),
        ({"other_attendees": "ana@example.org, nope"}, "other_attendees", "“nope” is not a valid email address."),
        ({"other_attendees": "ana@example.org ANA@example.org"}, "other_attendees", "ANA@example.org is listed twice."),
        ({"title": ""}, "title", "This field is required."),
        ({"repeat": "weekly", "ends": "after"}, "count", "Give the number of times"),
    ],
)
def test_bad_event_input_is_explained(owner_client, changes, field, message):
    response = create(owner_client, **changes)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Event.objects.exists()


def test_all_day_event_covers_whole_local_days(owner_client):
    create(owner_client, all_day="on", start="2026-12-24T00:00", end="2026-12-25T00:00")
    event = Event.objects.get()
    assert (event.start, event.end) == (datetime(2026, 12, 23, 23, tzinfo=UTC), datetime(2026, 12, 25, 23, tzinfo=UTC))


# --- Changing and deleting -----------------------------------------------------------------------


def test_moving_an_event_sends_an_update_with_the_same_uid_and_a_higher_sequence(owner_client, event, committed):
    mail.outbox.clear()
    with committed():
        moved = event_data(start="2026-12-03T14:00", end="2026-12-03T15:00", other_attendees="ana@example.org")
        owner_client.post(reverse("scheduling:event_edit", args=[event.pk]), moved)
    message = mail.outbox[0]
    assert message.subject.startswith("Updated: Design review")
    vevent = ics(message).walk("VEVENT")[0]
    assert (vevent["UID"], int(vevent["SEQUENCE"])) == (event.uid, 1)


def test_removed_attendee_gets_a_cancellation(owner_client, event, committed):
    mail.outbox.clear()
    with committed():
        owner_client.post(
            reverse("scheduling:event_edit", args=[event.pk]), event_data(other_attendees="bo@example.org")
        )
    by_address = {message.to[0]: message for message in mail.outbox}
    assert ics(by_address["ana@example.org"])["METHOD"] == "CANCEL"
    assert ics(by_address["bo@example.org"])["METHOD"] == "REQUEST"


def test_deleting_sends_a_cancellation_and_the_rsvp_link_shows_a_clear_page(owner_client, client, event, committed):
    attendee = event.attendees.get()
    mail.outbox.clear()
    with committed():
        owner_client.post(reverse("scheduling:event_delete", args=[event.pk]))
    assert ics(mail.outbox[0])["METHOD"] == "CANCEL"
    page = client.get(reverse("scheduling:rsvp", args=[attendee.token]))
    assert page.status_code == 200
    assert b"This event was cancelled" in page.content
    assert not owner_client.get("/calendar/week/", {"date": "2026-12-03"}).context["columns"][3]["timed"]


# --- RSVP ----------------------------------------------------------------------------------------


def test_attendee_accepts_from_the_email_link_without_an_account(client, event):
    attendee = event.attendees.get()
    url = reverse("scheduling:rsvp", args=[attendee.token])
    assert b'value="accepted" checked' in client.get(url, {"response": "accepted"}).content
    client.post(url, {"response": "accepted"})
    attendee.refresh_from_db()
    assert attendee.status == Attendee.Status.ACCEPTED


def test_wrong_rsvp_token_is_a_404(client, event):
    assert client.get(reverse("scheduling:rsvp", args=["not-a-token"])).status_code == 404


def test_owner_sees_attendee_status_in_a_self_refreshing_partial(owner_client, client, event):
    attendee = event.attendees.get()
    client.post(reverse("scheduling:rsvp", args=[attendee.token]), {"response": "tentative"})
    response = owner_client.get(
        event.get_absolute_url(), headers={"HX-Request": "true", "HX-Target": "attendee-status"}
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="attendee-status"')
    assert "Tentative" in content


def test_decline_with_a_proposed_time_and_the_owner_accepts_it(owner_client, client, event, committed):
    attendee = event.attendees.get()
    client.post(reverse("scheduling:rsvp", args=[attendee.token]),
                {"response": "declined", "propose_start": "2026-12-04T16:00", "note": "Afternoon works"})  # fmt: skip
    proposal = TimeProposal.objects.get()
    assert proposal.start == datetime(2026, 12, 4, 15, tzinfo=UTC)
    mail.outbox.clear()
    with committed():
        owner_client.post(reverse("scheduling:proposal", args=[event.pk, proposal.pk]), {"decision": "accept"})
    event.refresh_from_db()
    assert event.start == datetime(2026, 12, 4, 15, tzinfo=UTC)
    assert mail.outbox[0].subject.startswith("Updated:")
    attendee.refresh_from_db()
    assert attendee.status == Attendee.Status.ACCEPTED


# --- Recurrence ----------------------------------------------------------------------------------


def weekly_in_new_york(owner_client, **changes):
    create(owner_client, title="Standup", start="2027-03-01T09:00", end="2027-03-01T09:30", timezone="America/New_York",
           repeat="weekly", **changes)  # fmt: skip
    return Event.objects.get(title="Standup")


def test_weekly_meeting_stays_at_nine_across_dst(owner_client, user):
    user.timezone = "America/New_York"
    user.save()
    weekly_in_new_york(owner_client)
    response = owner_client.get("/calendar/agenda/", {"date": "2027-03-01", "until": "2027-03-20"})
    starts = [o.start for _, items in response.context["groups"] for o in items]
    # New York moves to daylight time on 2027-03-14: 09:00 local is 14:00 UTC, then 13:00 UTC.
    assert [s.astimezone(UTC).hour for s in starts] == [14, 14, 13]
    assert {s.astimezone(user.tzinfo).hour for s in starts} == {9}


def test_deleting_one_occurrence_keeps_the_series(owner_client):
    series = weekly_in_new_york(owner_client, ends="after", count="4")
    owner_client.post(reverse("scheduling:event_delete", args=[series.pk]),
                      {"scope": "this", "occurrence": "20270308T140000Z"})  # fmt: skip
    response = owner_client.get("/calendar/agenda/", {"date": "2027-03-01", "until": "2027-04-01"})
    dates = [day.isoformat() for day, _ in response.context["groups"]]
    assert dates == ["2027-03-01", "2027-03-15", "2027-03-22"]


def test_opening_one_occurrence_for_editing_writes_nothing(owner_client):
    """A GET split the occurrence off its series at once, even when the owner then cancelled
    (issues 20 and 21): the form shows the occurrence; only saving splits it."""
    series = weekly_in_new_york(owner_client)
    url = reverse("scheduling:event_edit", args=[series.pk])
    response = owner_client.get(url, {"occurrence": "20270308T140000Z", "scope": "this"})
    assert response.status_code == 200
    assert response.context["form"].initial["start"] == datetime(2027, 3, 8, 9, 0)  # New York time
    assert "You are changing this occurrence only" in response.content.decode()
    assert not Event.objects.filter(series=series).exists()
    series.refresh_from_db()
    assert series.exdates == []
    # A time that is no occurrence of the series is a 404, and still writes nothing.
    assert owner_client.get(url, {"occurrence": "20270309T140000Z", "scope": "this"}).status_code == 404
    assert Event.objects.count() == 1


def test_saving_one_occurrence_detaches_it_and_keeps_the_rest(owner_client):
    series = weekly_in_new_york(owner_client)
    url = reverse("scheduling:event_edit", args=[series.pk]) + "?occurrence=20270308T140000Z&scope=this"
    response = owner_client.post(
        url, event_data(title="Standup (late)", start="2027-03-08T10:00", end="2027-03-08T10:30",
                        timezone="America/New_York"),
    )  # fmt: skip
    single = Event.objects.get(series=series)
    assert response["Location"] == single.get_absolute_url()
    assert single.original_start == datetime(2027, 3, 8, 14, tzinfo=UTC)
    assert single.start == datetime(2027, 3, 8, 15, tzinfo=UTC)
    assert single.title == "Standup (late)"
    assert single.rrule == ""
    series.refresh_from_db()
    assert series.exdates == ["2027-03-08T14:00:00+00:00"]
    # Opening it again edits the event it became.
    again = owner_client.get(reverse("scheduling:event_edit", args=[series.pk]),
                             {"occurrence": "20270308T140000Z", "scope": "this"})  # fmt: skip
    assert again["Location"] == reverse("scheduling:event_edit", args=[single.pk])


# --- Views ---------------------------------------------------------------------------------------


def test_week_view_places_events_and_offers_empty_slots(owner_client, event):
    response = owner_client.get("/calendar/week/", {"date": "2026-12-03"})
    thursday = response.context["columns"][3]
    assert [item["occurrence"].event for item in thursday["timed"]] == [event]
    assert 'data-slot="2026-12-03T14:00"' in response.content.decode()


def test_navigation_returns_only_the_calendar_for_htmx(owner_client, event):
    response = owner_client.get(
        "/calendar/month/", {"date": "2026-12-01"}, headers={"HX-Request": "true", "HX-Target": "calendar"}
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="calendar"')
    assert "Design review" in content
    assert "<html" not in content


def test_search_and_type_filters(owner_client, event):
    create(owner_client, title="Dentist", kind="reminder")
    found = owner_client.get("/calendar/agenda/", {"date": "2026-12-01", "q": "dentist"}).context["groups"]
    assert [o.event.title for _, items in found for o in items] == ["Dentist"]
    found = owner_client.get("/calendar/agenda/", {"date": "2026-12-01", "kind": "meeting"}).context["groups"]
    assert [o.event.title for _, items in found for o in items] == ["Design review"]


def test_views_query_count_is_constant(owner_client, user, django_assert_max_num_queries):
    start = datetime(2026, 12, 1, 8, tzinfo=UTC)
    Event.objects.bulk_create(
        Event(owner=user, title=f"E{n}", start=start + timedelta(hours=7 * n), end=start + timedelta(hours=7 * n + 1))
        for n in range(300)
    )
    for n in range(10):
        create(owner_client, title=f"Weekly {n}", repeat="weekly")
    for view in ("month", "week", "day", "agenda"):
        with django_assert_max_num_queries(10):
            assert owner_client.get(f"/calendar/{view}/", {"date": "2026-12-10"}).status_code == 200


# --- Reminders -----------------------------------------------------------------------------------


def test_reminders_are_sent_once_even_with_two_workers(owner_client, committed):
    create(owner_client, **{"reminder_choices": ["60"], "remind_attendees": "on", "other_attendees": "ana@example.org"})
    mail.outbox.clear()
    with time_machine.travel("2026-12-03T08:00:30Z", tick=False), committed():
        assert send_due(datetime.now(UTC)) == 1
        assert send_due(datetime.now(UTC)) == 0
    assert sorted(message.to[0] for message in mail.outbox) == ["ana@example.org", "owner@example.com"]
    assert mail.outbox[0].subject.startswith("Reminder: Design review")


def test_each_occurrence_of_a_series_gets_its_reminder(owner_client):
    create(owner_client, repeat="daily", **{"reminder_choices": ["10"]})
    sent = 0
    for day in (3, 4, 5):
        with time_machine.travel(f"2026-12-0{day}T08:51:00Z", tick=False):
            sent += send_due(datetime.now(UTC))
    assert sent == 3


def test_no_reminder_for_a_deleted_event(owner_client):
    create(owner_client, **{"reminder_choices": ["60"]})
    owner_client.post(reverse("scheduling:event_delete", args=[Event.objects.get().pk]))
    with time_machine.travel("2026-12-03T08:00:30Z", tick=False):
        assert send_due(datetime.now(UTC)) == 0


# --- .ics and the feed ---------------------------------------------------------------------------


def test_event_ics_download(owner_client, event):
    response = owner_client.get(reverse("scheduling:event_ics", args=[event.pk]))
    assert icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]["UID"] == event.uid


def test_feed_contains_every_occurrence_and_regenerating_revokes_it(owner_client, client, user, event):
    weekly_in_new_york(owner_client, ends="after", count="5")
    profile = owner_client.get(reverse("accounts:profile")).content.decode()
    webcal = re.search(r'value="(webcal://[^"]+)"', profile).group(1)
    path = "/" + webcal.split("/", 3)[3]
    response = client.get(path)
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    # The series travels as one VEVENT with its rule, in its own zone; a calendar expands it.
    assert sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT")) == ["Design review", "Standup"]
    expanded = recurring_ical_events.of(calendar).between(date(2026, 1, 1), date(2028, 1, 1))
    assert sorted(str(e["SUMMARY"]) for e in expanded) == ["Design review"] + ["Standup"] * 5
    owner_client.post(reverse("scheduling:feed_regenerate"))
    assert client.get(path).status_code == 404
    assert CalendarFeed.objects.filter(owner=user).count() == 1
