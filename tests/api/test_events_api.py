"""Calendar events in the REST API: the event page's form and workflows behind JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from scheduling import events as workflows
from scheduling import ical
from scheduling.models import Attendee, Event
from tests.calendars import by_recurring_ical_events

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-10-01T08:00:00Z", tick=False):
        yield


def new_event(**changes):
    body = {
        "title": "Design review", "start": "2026-12-03T10:00:00+01:00", "end": "2026-12-03T11:00:00+01:00",
        "timezone": "Europe/Berlin", "location": "Room 4",
    }  # fmt: skip
    return body | changes


@pytest.fixture
def event(api):
    response = api.post("/events", new_event(attendees=[{"name": "Ann Arbor", "email": "ann@example.org"}]))
    assert response.status_code == 201, response.content
    mail.outbox.clear()
    return Event.objects.get(pk=response.json()["id"])


def between(api, start, end, **params):
    response = api.get("/events", start=start, end=end, **params)
    assert response.status_code == 200, response.content
    return response.json()


# --- Creating ------------------------------------------------------------------------------------


def test_owner_creates_an_event_and_attendees_are_invited(api, user, committed):
    with committed():
        response = api.post(
            "/events", new_event(attendees=[{"name": "Ann Arbor", "email": "ann@example.org"}], reminders=[60])
        )
    assert response.status_code == 201
    body = response.json()
    assert (body["start"], body["end"], body["timezone"], body["reminders"]) == (
        "2026-12-03T09:00:00Z",
        "2026-12-03T10:00:00Z",
        "Europe/Berlin",
        [60],
    )
    assert [(a["name"], a["email"], a["status"]) for a in body["attendees"]] == [
        ("Ann Arbor", "ann@example.org", "needs-action")
    ]
    assert Event.objects.get().owner == user
    assert [message.to for message in mail.outbox] == [["ann@example.org"]]


def test_an_event_takes_the_owners_zone_unless_given(api, user):
    body = api.post("/events", new_event(timezone=None)).json()
    assert body["timezone"] == user.timezone


def test_the_forms_messages_come_back_as_a_problem(api):
    response = api.post(
        "/events",
        new_event(end="2026-12-03T09:00:00+01:00", attendees=[{"email": "not-an-address"}], reminders=[5]),
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"field": "other_attendees", "message": "“not-an-address” is not a valid email address."},
        {"field": "reminder_choices", "message": "Select a valid choice. 5 is not one of the available choices."},
        {"field": "end", "message": "End time must be after start time."},
    ]
    assert not Event.objects.exists()


def test_inviting_yourself_gives_the_forms_message(api, user):
    response = api.post("/events", new_event(attendees=[{"email": user.email}]))
    assert response.json()["errors"] == [
        {"field": "other_attendees", "message": "You are the organiser; you don't need to invite yourself."}
    ]


def test_a_time_without_an_offset_is_refused(api):
    response = api.post("/events", new_event(start="2026-12-03T10:00:00"))
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["start"]


def test_times_beyond_the_calendars_years_are_refused_not_an_error(api):
    response = api.post("/events", new_event(start="9999-12-31T23:00:00-05:00", end="9999-12-31T23:30:00-05:00"))
    assert response.json()["errors"] == [
        {"field": "start", "message": "Give a date between 1900 and 2999."},
        {"field": "end", "message": "Give a date between 1900 and 2999."},
    ]
    assert api.get("/events", start="9999-01-01T00:00:00Z", end="9999-02-01T00:00:00Z").status_code == 422


def test_a_rule_the_calendar_cannot_repeat_is_refused_with_why(api):
    response = api.post("/events", new_event(rrule="FREQ=WEEKLY;BYMONTHDAY=3"))
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "rrule"
    assert "BYMONTHDAY" in error["message"]


def test_a_series_is_stored_with_the_forms_canonical_rule(api):
    body = api.post("/events", new_event(rrule="RRULE:freq=weekly;byday=th;count=4")).json()
    assert body["rrule"] == "FREQ=WEEKLY;INTERVAL=1;BYDAY=TH;COUNT=4"


def test_an_all_day_event_covers_its_days_and_keeps_them_when_changed(api):
    made = api.post(
        "/events", new_event(all_day=True, start="2026-12-03T00:00:00+01:00", end="2026-12-05T00:00:00+01:00")
    ).json()
    assert (made["start"], made["end"]) == ("2026-12-02T23:00:00Z", "2026-12-04T23:00:00Z")
    changed = api.patch(f"/events/{made['id']}", {"title": "Offsite"}).json()
    assert (changed["start"], changed["end"]) == (made["start"], made["end"])


# --- Reading -------------------------------------------------------------------------------------


def test_a_range_is_required_and_at_most_a_year(api):
    assert api.get("/events").status_code == 422
    response = api.get("/events", start="2026-01-01T00:00:00Z", end="2027-01-03T00:00:00Z")
    assert response.status_code == 422
    assert response.json()["detail"] == "Ask for at most 366 days at a time."
    naive = api.get("/events", start="2026-12-01T00:00:00", end="2026-12-31T00:00:00Z")
    assert [error["field"] for error in naive.json()["errors"]] == ["start"]


def test_a_series_is_listed_by_occurrence_or_once_with_its_rule(api):
    series = api.post("/events", new_event(rrule="FREQ=WEEKLY;INTERVAL=1;COUNT=3")).json()
    single = api.post("/events", new_event(title="One-off", start="2026-12-04T10:00:00Z", end="2026-12-04T11:00:00Z"))
    expanded = between(api, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")["items"]
    assert [(item["id"], item["start"], item["recurrence_id"]) for item in expanded] == [
        (series["id"], "2026-12-03T09:00:00Z", "2026-12-03T09:00:00Z"),
        (single.json()["id"], "2026-12-04T10:00:00Z", None),
        (series["id"], "2026-12-10T09:00:00Z", "2026-12-10T09:00:00Z"),
        (series["id"], "2026-12-17T09:00:00Z", "2026-12-17T09:00:00Z"),
    ]
    stored = between(api, "2026-12-15T00:00:00Z", "2027-01-01T00:00:00Z", expand="false")["items"]
    assert [(item["id"], item["start"], item["rrule"]) for item in stored] == [
        (series["id"], "2026-12-03T09:00:00Z", "FREQ=WEEKLY;INTERVAL=1;COUNT=3")
    ]


def test_a_deleted_occurrence_is_left_out_and_listed_as_an_exception(api, event):
    api.patch(f"/events/{event.pk}", {"rrule": "FREQ=DAILY;COUNT=3"})
    workflows.cancel_occurrence(event=event, original=datetime(2026, 12, 4, 9, tzinfo=UTC))
    items = between(api, "2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z")["items"]
    assert [item["start"] for item in items] == ["2026-12-03T09:00:00Z", "2026-12-05T09:00:00Z"]
    assert items[0]["exdates"] == ["2026-12-04T09:00:00+00:00"]


def test_cancelled_events_are_not_listed_but_can_be_read(api, event):
    api.delete(f"/events/{event.pk}")
    assert between(api, "2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z")["count"] == 0
    assert api.get(f"/events/{event.pk}").json()["status"] == "cancelled"


def test_event_lists_page_with_a_next_link(api):
    api.post("/events", new_event(rrule="FREQ=DAILY;COUNT=5"))
    first = between(api, "2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z", per_page=2)
    assert (first["count"], len(first["items"])) == (5, 2)
    assert "page=2" in first["next"]


def test_listing_events_takes_the_same_queries_however_many(api, user, django_assert_max_num_queries):
    def add(count):
        for number in range(count):
            start = datetime(2026, 12, 1, 9, tzinfo=UTC) + timedelta(days=number)
            made = Event.objects.create(owner=user, title="m", start=start, end=start + timedelta(hours=1))
            Attendee.objects.create(event=made, email=f"a{made.pk}@example.org")
        Event.objects.create(owner=user, title="s", start=datetime(2026, 12, 1, 7, tzinfo=UTC),
                             end=datetime(2026, 12, 1, 8, tzinfo=UTC), rrule="FREQ=DAILY;INTERVAL=1")  # fmt: skip

    add(2)
    api.get("/events", start="2026-12-01T00:00:00Z", end="2027-01-01T00:00:00Z")
    with django_assert_max_num_queries(4):  # token, rate-limit count, events, attendees
        between(api, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", per_page=200)
    add(20)
    with django_assert_max_num_queries(4):
        assert between(api, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", per_page=200)["count"] == 2 * 31 + 22


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        # Weekly at 09:00 local across the clocks going back: 2026-11-01 in New York, 2026-10-25 in Berlin.
        ("America/New_York", "2026-10-12T09:00:00-04:00"),
        ("Europe/Berlin", "2026-10-05T09:00:00+02:00"),
    ],
)
def test_a_weekly_series_across_the_dst_change_expands_as_other_calendars_read_our_ics(api, zone, start):
    made = api.post(
        "/events",
        new_event(start=start, end=start.replace("09:00", "10:30"), timezone=zone, rrule="FREQ=WEEKLY;BYDAY=MO,TH"),
    ).json()
    event = Event.objects.get(pk=made["id"])
    workflows.cancel_occurrence(
        event=event, original=datetime.fromisoformat(start).astimezone(UTC) + timedelta(days=14)
    )
    event.refresh_from_db()
    window = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    listed = between(api, *(moment.isoformat() for moment in window), per_page=200)["items"]
    ours = [(datetime.fromisoformat(item["start"]), datetime.fromisoformat(item["end"])) for item in listed]
    theirs = [(found.start, found.end) for found in by_recurring_ical_events([ical.download(event)], *window)]
    assert ours == theirs
    deleted = datetime.fromisoformat(start) + timedelta(days=14)
    assert deleted not in [moment for moment, _ in ours]
    assert len(ours) >= 13
    # 09:00 local on both sides of the change: the UTC time moves by an hour.
    assert {moment.astimezone(event.tzinfo).hour for moment, _ in ours} == {9}
    assert len({moment.astimezone(UTC).hour for moment, _ in ours}) == 2


# --- Changing, cancelling, attendees -------------------------------------------------------------


def test_patch_changes_what_is_sent_and_attendees_get_the_update(api, event, committed):
    with committed():
        response = api.patch(
            f"/events/{event.pk}", {"start": "2026-12-03T14:00:00+01:00", "end": "2026-12-03T15:00:00+01:00"}
        )
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["location"], body["start"]) == ("Design review", "Room 4", "2026-12-03T13:00:00Z")
    assert [a["name"] for a in body["attendees"]] == ["Ann Arbor"]
    assert [message.to for message in mail.outbox] == [["ann@example.org"]]


def test_patch_with_the_forms_message(api, event):
    response = api.patch(f"/events/{event.pk}", {"end": "2026-12-03T08:00:00+01:00"})
    assert response.json()["errors"] == [{"field": "end", "message": "End time must be after start time."}]


def test_delete_cancels_keeps_the_reason_and_tells_the_attendees(api, event, committed):
    with committed():
        response = api.delete(f"/events/{event.pk}?reason=Room+flooded")
    assert response.status_code == 204
    event.refresh_from_db()
    assert (event.status, event.cancel_reason) == (Event.Status.CANCELLED, "Room flooded")
    assert [message.to for message in mail.outbox] == [["ann@example.org"]]
    assert api.get(f"/events/{event.pk}").json()["cancellation"]["reason"] == "Room flooded"
    assert api.delete(f"/events/{event.pk}").status_code == 409
    assert api.patch(f"/events/{event.pk}", {"title": "Again"}).status_code == 409


def test_added_attendees_are_invited_and_nobody_else_hears(api, event, contact, committed):
    with committed():
        response = api.post(
            f"/events/{event.pk}/attendees",
            {"attendees": [{"name": "Ben", "email": "ben@example.org"}], "contact_ids": [contact.pk]},
        )
    assert response.status_code == 201
    assert [(a["name"], a["email"]) for a in response.json()["attendees"]] == [
        ("Ann Arbor", "ann@example.org"),
        ("Ada Lovelace", "ada@example.org"),
        ("Ben", "ben@example.org"),
    ]
    assert sorted(message.to[0] for message in mail.outbox) == ["ada@example.org", "ben@example.org"]


def test_adding_someone_already_attending_gives_the_forms_message(api, event):
    response = api.post(f"/events/{event.pk}/attendees", {"attendees": [{"email": "ANN@example.org"}]})
    assert response.json()["errors"] == [{"field": "other_attendees", "message": "ANN@example.org is listed twice."}]


def test_a_removed_attendee_is_sent_the_cancellation(api, event, committed):
    attendee = event.attendees.get()
    with committed():
        assert api.delete(f"/events/{event.pk}/attendees/{attendee.pk}").status_code == 204
    assert not event.attendees.exists()
    assert [message.to for message in mail.outbox] == [["ann@example.org"]]


# --- Who may ---------------------------------------------------------------------------------------


def test_another_users_event_is_not_found(intruder, event):
    attendee = event.attendees.get()
    assert intruder.get(f"/events/{event.pk}").status_code == 404
    assert intruder.patch(f"/events/{event.pk}", {"title": "Mine"}).status_code == 404
    assert intruder.delete(f"/events/{event.pk}").status_code == 404
    assert (
        intruder.post(f"/events/{event.pk}/attendees", {"attendees": [{"email": "x@example.org"}]}).status_code == 404
    )
    assert intruder.delete(f"/events/{event.pk}/attendees/{attendee.pk}").status_code == 404
    assert intruder.get("/events", start="2026-12-01T00:00:00Z", end="2026-12-31T00:00:00Z").json()["count"] == 0
    event.refresh_from_db()
    assert (event.title, event.status, event.attendees.count()) == ("Design review", "confirmed", 1)


def test_an_attendee_of_another_event_is_not_found(api, event, user):
    other = Event.objects.create(owner=user, title="x", start=event.start, end=event.end)
    attendee = event.attendees.get()
    assert api.delete(f"/events/{other.pk}/attendees/{attendee.pk}").status_code == 404


def test_a_read_only_token_reads_but_cannot_write(reader, event):
    assert reader.get(f"/events/{event.pk}").status_code == 200
    assert reader.post("/events", new_event()).status_code == 403
    assert reader.patch(f"/events/{event.pk}", {"title": "x"}).status_code == 403
    assert reader.delete(f"/events/{event.pk}").status_code == 403
    assert reader.post(f"/events/{event.pk}/attendees", {}).status_code == 403
    assert Event.objects.get().title == "Design review"


def test_no_token_is_401(anonymous, event):
    assert anonymous.get(f"/events/{event.pk}").status_code == 401
    assert anonymous.get("/events", start="2026-12-01T00:00:00Z", end="2026-12-31T00:00:00Z").status_code == 401
    assert anonymous.post("/events", new_event()).status_code == 401
