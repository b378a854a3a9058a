"""Booking links, schedules and bookings through the REST API: the pages' rules and messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import IdempotentRequest, Membership, Team
from booking.models import Booking, EventType, Schedule
from scheduling.models import Event
from tests.factories import EventTypeFactory, ScheduleFactory, booked

pytestmark = pytest.mark.django_db

# Wednesday 2 December 2026, 10:00 in Berlin (the owner's schedule, Mon–Fri 09:00–17:00).
SLOT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
QUESTION = "What is it about?"


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


@pytest.fixture
def link(user):
    return EventTypeFactory(
        owner=user, slug="intro", title="Intro call",
        questions=[{"label": QUESTION, "kind": "short", "required": True}],
    )  # fmt: skip


def booking_body(link, start=SLOT, **changes) -> dict:
    body = {
        "event_type": link.pk, "start": start if isinstance(start, str) else start.isoformat(),
        "name": "Bea Booker", "email": "bea@example.org", "timezone": "America/New_York",
        "answers": [{"question": QUESTION, "answer": "Planning"}],
    }  # fmt: skip
    return {**body, **changes}


def errors(response) -> list[dict]:
    assert response["Content-Type"] == "application/problem+json", response.content
    return response.json()["errors"]


# --- Permissions -------------------------------------------------------------------------------------


def test_no_token_is_401(anonymous, link):
    for response in (anonymous.get("/event-types"), anonymous.get("/bookings"), anonymous.get("/schedules")):
        assert response.status_code == 401


def test_read_only_token_reads_but_may_not_write(reader, link):
    assert reader.get(f"/event-types/{link.pk}").status_code == 200
    assert reader.post("/event-types", {"title": "New"}).status_code == 403
    assert reader.patch(f"/event-types/{link.pk}", {"title": "New"}).status_code == 403
    assert reader.post(f"/event-types/{link.pk}/deactivate").status_code == 403
    assert reader.post("/bookings", booking_body(link)).status_code == 403
    assert not Booking.objects.exists()


def test_another_users_ids_are_not_found(intruder, link):
    schedule, booking = link.schedule, booked(link, SLOT)
    for response in (
        intruder.get(f"/event-types/{link.pk}"),
        intruder.patch(f"/event-types/{link.pk}", {"title": "Mine"}),
        intruder.post(f"/event-types/{link.pk}/deactivate"),
        intruder.get(f"/schedules/{schedule.pk}"),
        intruder.put(f"/schedules/{schedule.pk}/weekly-hours", {"weekly_hours": []}),
        intruder.post(f"/schedules/{schedule.pk}/overrides", {"date": "2026-12-24", "hours": []}),
        intruder.get(f"/bookings/{booking.pk}"),
        intruder.post(f"/bookings/{booking.pk}/cancel", {"reason": "Mine now"}),
        intruder.post(f"/bookings/{booking.pk}/reschedule", {"start": SLOT.isoformat()}),
        intruder.post("/bookings", booking_body(link, start=SLOT + timedelta(hours=1))),
    ):
        assert response.status_code == 404, response.content
    link.refresh_from_db()
    assert (link.title, link.is_active, Booking.objects.count()) == ("Intro call", True, 1)
    assert intruder.get("/event-types").json()["items"] == []
    assert intruder.get("/bookings").json()["items"] == []


# --- Event types -----------------------------------------------------------------------------------


def test_new_link_takes_the_forms_defaults(api, user):
    response = api.post("/event-types", {"title": "Intro chat", "location_kind": "none"})
    assert response.status_code == 201, response.content
    made = response.json()
    assert (made["slug"], made["duration"], made["kind"], made["is_active"]) == ("intro-chat", 30, "one_on_one", True)
    assert made["schedule_id"] == Schedule.objects.get(owner=user, is_default=True).pk
    assert made["url"] == "http://testserver/owner/intro-chat/"


def test_new_link_is_refused_with_the_forms_messages(api):
    response = api.post(
        "/event-types", {"title": "Call", "location_kind": "phone", "extra_durations": [3], "kind": "group"}
    )
    assert response.status_code == 422
    assert errors(response) == [
        {"field": "extra_durations", "message": "“3” is not a length in minutes between 5 and 720."},
        {"field": "seats", "message": "A group event needs at least 2 seats."},
        {
            "field": "location_detail",
            "message": "Give the phone number bookers should call (or choose “Ask the booker”).",
        },
    ]
    assert not EventType.objects.exists()


def test_taken_slug_gives_the_forms_message(api, link):
    response = api.post("/event-types", {"title": "Other", "slug": "intro"})
    assert errors(response) == [{"field": "slug", "message": "You already have an event type with this URL."}]


def test_patch_changes_only_what_is_sent(api, link):
    response = api.patch(f"/event-types/{link.pk}", {"duration": 45, "extra_durations": [15, 60]})
    assert response.status_code == 200, response.content
    link.refresh_from_db()
    assert (link.title, link.slug, link.duration, link.extra_durations) == ("Intro call", "intro", 45, [15, 60])
    assert link.questions == [{"label": QUESTION, "kind": "short", "required": True}]
    assert response.json()["questions"] == link.questions


def test_patch_with_null_clears_an_optional_value(api, link):
    link.max_per_day = 3
    link.save()
    api.patch(f"/event-types/{link.pk}", {"max_per_day": None})
    link.refresh_from_db()
    assert link.max_per_day is None


def test_one_off_link_offers_times_given_with_their_offset(api, user):
    response = api.post("/event-types", {
        "title": "Catch-up", "kind": "one_off", "location_kind": "none",
        "offered_times": ["2026-12-03T10:00:00-05:00", "2026-12-04T15:00:00Z"],
    })  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["offered_times"] == ["2026-12-03T15:00:00Z", "2026-12-04T15:00:00Z"]


def test_deactivate_and_activate_turn_the_link_off_and_on(api, link):
    assert api.post(f"/event-types/{link.pk}/deactivate").json()["is_active"] is False
    assert api.get("/event-types", active="false").json()["count"] == 1
    assert api.get("/event-types", active="true").json()["count"] == 0
    assert api.post(f"/event-types/{link.pk}/activate").json()["is_active"] is True
    link.refresh_from_db()
    assert link.is_active


def test_team_links_are_listed_for_members_but_changed_on_the_team_page(api, user, other_user):
    team = Team.objects.create(name="Sales", slug="sales")
    Membership.objects.create(team=team, user=user, role=Membership.Role.MEMBER)
    Membership.objects.create(team=team, user=other_user, role=Membership.Role.OWNER)
    demo = EventTypeFactory(owner=other_user, team=team, hosting=EventType.Hosting.COLLECTIVE, slug="demo")
    assert [item["id"] for item in api.get("/event-types").json()["items"]] == [demo.pk]
    assert api.get(f"/event-types/{demo.pk}").json()["team_id"] == team.pk
    assert api.patch(f"/event-types/{demo.pk}", {"title": "Mine"}).status_code == 404


def test_event_type_list_pages_link_to_the_next(api, user):
    schedule = ScheduleFactory(owner=user)
    for number in range(5):
        EventTypeFactory(owner=user, schedule=schedule, slug=f"link-{number}")
    first = api.get("/event-types", per_page=2).json()
    assert (first["count"], len(first["items"])) == (5, 2)
    assert "page=2" in first["next"]
    assert first["previous"] is None


# --- Schedules ---------------------------------------------------------------------------------------


def test_schedules_list_the_default_one_and_read_with_hours(api, user):
    [listed] = api.get("/schedules").json()["items"]
    assert (listed["name"], listed["is_default"], listed["timezone"]) == ("Working hours", True, "Europe/Berlin")
    read = api.get(f"/schedules/{listed['id']}").json()
    assert [(row["weekday"], row["start"], row["end"]) for row in read["weekly_hours"]] == [
        (weekday, "09:00:00", "17:00:00") for weekday in range(5)
    ]


def test_weekly_hours_are_replaced(api, link):
    schedule = link.schedule
    body = {"weekly_hours": [{"weekday": 0, "start": "13:00", "end": "17:00"},
                             {"weekday": 0, "start": "08:00", "end": "12:00"},
                             {"weekday": 5, "start": "10:00", "end": "24:00"}]}  # fmt: skip
    response = api.put(f"/schedules/{schedule.pk}/weekly-hours", body)
    assert response.status_code == 200, response.content
    assert [(row["weekday"], row["start"], row["end"]) for row in response.json()["weekly_hours"]] == [
        (0, "08:00:00", "12:00:00"), (0, "13:00:00", "17:00:00"), (5, "10:00:00", "23:59:59"),
    ]  # fmt: skip
    schedule.refresh_from_db()
    assert schedule.hours_saved_at is not None


def test_overlapping_hours_give_the_schedule_pages_message(api, link):
    body = {"weekly_hours": [{"weekday": 1, "start": "09:00", "end": "12:00"},
                             {"weekday": 1, "start": "11:00", "end": "13:00"},
                             {"weekday": 2, "start": "10:00", "end": "09:00"}]}  # fmt: skip
    response = api.put(f"/schedules/{link.schedule.pk}/weekly-hours", body)
    assert response.status_code == 422
    assert errors(response) == [
        {"field": "weekly_hours.Tuesday", "message": "These time ranges overlap. Merge them into one."},
        {"field": "weekly_hours.Wednesday", "message": "End time must be after start time (10:00-09:00)."},
    ]
    assert link.schedule.weekly_hours.count() == 5


def test_a_date_override_changes_that_days_slots_and_can_be_removed(api, link):
    path = f"/schedules/{link.schedule.pk}/overrides"
    made = api.post(path, {"date": "2026-12-02", "hours": [{"start": "14:00", "end": "15:00"}]})
    assert made.status_code == 201, made.content
    assert made.json()["overrides"] == [{"date": "2026-12-02", "start": "14:00:00", "end": "15:00:00"}]
    query = {"start": "2026-12-02", "end": "2026-12-02", "timezone": "Europe/Berlin"}
    slots = api.get(f"/event-types/{link.pk}/slots", **query).json()["slots"]
    assert [slot["start"] for slot in slots] == ["2026-12-02T14:00:00+01:00", "2026-12-02T14:30:00+01:00"]
    assert api.delete(f"{path}/2026-12-02").status_code == 204
    assert len(api.get(f"/event-types/{link.pk}/slots", **query).json()["slots"]) == 16
    assert api.delete(f"{path}/2026-12-02").status_code == 404


def test_override_in_the_past_gives_the_forms_message(api, link):
    response = api.post(f"/schedules/{link.schedule.pk}/overrides", {"date": "2026-11-30", "hours": []})
    assert errors(response) == [{"field": "date", "message": "That date is in the past. Pick today or a later date."}]


# --- Bookings ------------------------------------------------------------------------------------------


def test_booking_on_behalf_of_a_booker(api, link):
    response = api.post("/bookings", booking_body(link, guests=["gus@example.org"]))
    assert response.status_code == 201, response.content
    made = response.json()
    assert (made["status"], made["start"], made["end"]) == ("confirmed", "2026-12-02T09:00:00Z", "2026-12-02T09:30:00Z")
    assert (made["name"], made["timezone"], made["guests"]) == ("Bea Booker", "America/New_York", ["gus@example.org"])
    assert made["answers"] == [{"question": QUESTION, "answer": "Planning"}]
    assert Booking.objects.get().event.owner == link.owner


def test_booking_without_an_offset_is_refused(api, link):
    response = api.post("/bookings", booking_body(link, start="2026-12-02T10:00:00"))
    assert response.status_code == 422
    assert [error["field"] for error in errors(response)] == ["start"]
    assert not Booking.objects.exists()


def test_booking_gives_the_booking_forms_messages(api, link):
    response = api.post("/bookings", booking_body(link, email="not-an-email", answers=[]))
    assert response.status_code == 422
    assert errors(response) == [
        {"field": "email", "message": "Enter a valid email address."},
        {"field": f"answers.{QUESTION}", "message": "This field is required."},
    ]


def test_booking_an_unknown_zone_gives_the_zone_message(api, link):
    response = api.post("/bookings", booking_body(link, timezone="Mars/Base"))
    assert errors(response) == [
        {
            "field": "timezone",
            "message": "“Mars/Base” is not a known timezone. Pick one from the list, e.g. Europe/Berlin.",
        }
    ]


def test_booking_a_taken_time_is_a_conflict_with_the_pages_message(api, link):
    booked(link, SLOT)
    response = api.post("/bookings", booking_body(link))
    assert response.status_code == 409
    assert response.json()["detail"] == "That time was just taken. Please pick another time."
    assert Booking.objects.count() == 1


def test_booking_a_time_outside_the_hours_is_a_conflict(api, link):
    response = api.post("/bookings", booking_body(link, start=SLOT.replace(hour=3)))
    assert response.status_code == 409


def test_a_retried_booking_with_its_idempotency_key_gets_the_first_answer(api, link):
    key = {"Idempotency-Key": "booking-1"}
    first = api.post("/bookings", booking_body(link), headers=key)
    again = api.post("/bookings", booking_body(link), headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1


def test_an_idempotency_key_reused_for_another_booking_is_refused(api, link):
    key = {"Idempotency-Key": "booking-1"}
    api.post("/bookings", booking_body(link), headers=key)
    other = api.post("/bookings", booking_body(link, start=SLOT + timedelta(hours=1)), headers=key)
    assert other.status_code == 422
    assert other.json()["title"] == "Idempotency-Key reused"
    assert Booking.objects.count() == 1


def test_a_failed_booking_releases_its_idempotency_key(api, link):
    key = {"Idempotency-Key": "booking-1"}
    assert api.post("/bookings", booking_body(link, email="nope"), headers=key).status_code == 422
    assert api.post("/bookings", booking_body(link, email="nope"), headers=key).status_code == 422


def test_the_same_booking_sent_with_other_spacing_is_the_same_request(api, link):
    key = {"Idempotency-Key": "booking-1"}
    body = booking_body(link)
    first = api.post("/bookings", body, headers=key)
    reordered = api.client.post(
        "/api/v1/bookings", json.dumps(dict(reversed(body.items())), indent=2, default=str),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api.secret}", HTTP_IDEMPOTENCY_KEY="booking-1",
    )  # fmt: skip
    assert reordered.status_code == 201
    assert reordered.json()["id"] == first.json()["id"]


def test_a_key_left_in_flight_by_a_process_that_died_is_taken_over(api, user, link):
    IdempotentRequest.objects.create(user=user, key="booking-1", fingerprint="x")
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(minutes=3))
    response = api.post("/bookings", booking_body(link), headers={"Idempotency-Key": "booking-1"})
    assert response.status_code == 201
    assert Booking.objects.count() == 1


def test_a_key_in_flight_right_now_is_a_conflict(api, user, link):
    IdempotentRequest.objects.create(user=user, key="booking-1", fingerprint="x")
    response = api.post("/bookings", booking_body(link), headers={"Idempotency-Key": "booking-1"})
    assert response.status_code == 409
    assert response.json()["title"] == "Request in progress"
    assert not Booking.objects.exists()


def test_bookings_are_filtered_by_status_link_and_time(api, user, link):
    other = EventTypeFactory(owner=user, schedule=link.schedule, slug="other")
    first, second, third = (
        booked(link, SLOT),
        booked(link, SLOT + timedelta(days=1)),
        booked(other, SLOT + timedelta(hours=2)),
    )
    second.event.status = Event.Status.CANCELLED
    second.event.save()

    def ids(**params):
        return [item["id"] for item in api.get("/bookings", **params).json()["items"]]

    assert ids() == [first.pk, third.pk, second.pk]
    assert ids(status="confirmed") == [first.pk, third.pk]
    assert ids(status="cancelled") == [second.pk]
    assert ids(event_type=other.pk) == [third.pk]
    assert ids(start="2026-12-03") == [second.pk]  # the owner's day, in Berlin
    assert ids(end="2026-12-02T09:00:00+00:00") == []
    assert ids(start="2026-12-02T09:00:00Z", end="2026-12-02") == [first.pk, third.pk]


def test_bookings_filter_refuses_a_time_without_its_offset(api, link):
    response = api.get("/bookings", start="2026-12-02T10:00")
    assert response.status_code == 422
    assert errors(response) == [{
        "field": "start", "message": "Give the time with its offset, e.g. 2026-12-07T09:00:00+01:00, or just a date.",
    }]  # fmt: skip
    assert api.get("/bookings", status="maybe").status_code == 422


def test_bookings_list_pages_follow_next(api, link, django_assert_max_num_queries):
    for hour in range(5):
        booked(link, SLOT + timedelta(hours=hour))
    page = api.get("/bookings", per_page=2).json()
    seen = [item["id"] for item in page["items"]]
    while page["next"]:
        with django_assert_max_num_queries(5):  # token, rate-limit count, count, page (with event and link), last use
            page = api.client.get(page["next"], HTTP_AUTHORIZATION=f"Bearer {api.secret}").json()
        seen += [item["id"] for item in page["items"]]
    assert seen == list(Booking.objects.order_by("event__start").values_list("pk", flat=True))


def test_owner_reschedules_a_booking(api, link):
    booking = booked(link, SLOT)
    response = api.post(f"/bookings/{booking.pk}/reschedule", {"start": "2026-12-02T11:00:00+01:00"})
    assert response.status_code == 200, response.content
    assert response.json()["start"] == "2026-12-02T10:00:00Z"
    booking.event.refresh_from_db()
    assert booking.event.start == datetime(2026, 12, 2, 10, tzinfo=UTC)


def test_rescheduling_to_a_taken_time_is_a_conflict(api, link):
    booking, _ = booked(link, SLOT), booked(link, SLOT + timedelta(hours=1), email="cy@example.org")
    response = api.post(f"/bookings/{booking.pk}/reschedule", {"start": (SLOT + timedelta(hours=1)).isoformat()})
    assert response.status_code == 409
    assert response.json()["detail"] == "That time was just taken. Please pick another time."


def test_owner_cancels_with_a_reason_once(api, link):
    booking = booked(link, SLOT)
    response = api.post(f"/bookings/{booking.pk}/cancel", {"reason": "I am ill"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancellation"]["reason"] == "I am ill"
    assert response.json()["cancellation"]["by"] == Event.By.OWNER
    again = api.post(f"/bookings/{booking.pk}/cancel", {"reason": "Again"})
    assert (again.status_code, again.json()["detail"]) == (409, "This booking is already cancelled.")


def test_a_past_booking_cannot_be_cancelled(api, link):
    booking = booked(link, datetime(2026, 11, 30, 9, tzinfo=UTC))
    response = api.post(f"/bookings/{booking.pk}/cancel", {})
    assert (response.status_code, response.json()["detail"]) == (409, "This booking can no longer be cancelled.")


def test_cancelling_frees_the_time_for_the_api(api, link):
    booking = booked(link, SLOT)
    query = {"start": "2026-12-02", "end": "2026-12-02", "timezone": "UTC"}
    assert "2026-12-02T09:00:00Z" not in [
        s["start"] for s in api.get(f"/event-types/{link.pk}/slots", **query).json()["slots"]
    ]
    api.post(f"/bookings/{booking.pk}/cancel", {})
    assert "2026-12-02T09:00:00Z" in [
        s["start"] for s in api.get(f"/event-types/{link.pk}/slots", **query).json()["slots"]
    ]


def test_recurring_booking_answers_with_its_first_week(api, link):
    link.allow_recurring = True
    link.save()
    response = api.post("/bookings", booking_body(link, occurrences=3))
    assert response.status_code == 201, response.content
    assert Booking.objects.filter(series=response.json()["series"]).count() == 3
    assert time(9) == datetime.fromisoformat(response.json()["start"]).time()


def test_patch_with_null_for_a_setting_that_cannot_be_empty_changes_nothing(api, link):
    response = api.patch(f"/event-types/{link.pk}", {"is_active": None, "title": None})
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"is_active", "title"}
    link.refresh_from_db()
    assert link.is_active


def test_a_question_label_cannot_smuggle_in_more_questions(api, link):
    before = link.questions
    response = api.patch(f"/event-types/{link.pk}", {"questions": [{"label": "Phone\nlong: Secret *"}]})
    assert response.status_code == 422
    assert "one line" in response.json()["errors"][0]["message"]
    link.refresh_from_db()
    assert link.questions == before


def test_keys_past_their_day_are_forgotten_for_everyone(user, other_user):
    from accounts.tasks import forget_old_api_usage

    for owner in (user, other_user):
        IdempotentRequest.objects.create(user=owner, key="old", fingerprint="x", status=201)
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(days=2))
    IdempotentRequest.objects.create(user=user, key="new", fingerprint="x", status=201)
    forget_old_api_usage.call_local()
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]
