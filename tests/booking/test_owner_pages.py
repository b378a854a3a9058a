"""The owner's side of booking links: event types, schedules, bookings, reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django import forms
from django.core import mail
from django.urls import reverse

from booking.models import Booking, DateOverride, EventType, Schedule
from booking.schedules import ensure_default_schedule
from scheduling.models import Event
from scheduling.reminders import send_due
from tests.booking.pages import offered_times
from tests.factories import PASSWORD, EventTypeFactory, ScheduleFactory, UserFactory, booked

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


@pytest.fixture
def event_type(user):
    return EventTypeFactory(owner=user, slug="intro", title="Intro call")


def event_type_data(schedule, **changes):
    data = {
        "title": "Strategy session", "slug": "strategy", "description": "", "kind": "one_on_one", "duration": 45,
        "location_kind": "video", "location_detail": "https://meet.example.com/x", "schedule": schedule.pk,
        "window": "rolling", "rolling_days": 30, "minimum_notice": 240, "buffer_before": 0, "buffer_after": 15,
        "increment": 0, "seats": 1, "max_occurrences": 4, "reminder_minutes": 1440, "color": "#3b55e6",
        "is_active": "on", "extra_durations_text": "", "window_dates_text": "", "offered_slots_text": "",
        "questions_text": "Company? *\\nlong: Agenda",
    }  # fmt: skip
    data["questions_text"] = "Company? *\nlong: Agenda"
    data.update(changes)
    return data


# --- Access ------------------------------------------------------------------------------------

OWNER_URLS = [
    ("booking:event_type_list", False),
    ("booking:event_type_create", False),
    ("booking:schedule_list", False),
    ("booking:schedule_create", False),
    ("booking:booking_list", False),
]


@pytest.mark.parametrize(("name", "_"), OWNER_URLS)
def test_anonymous_visitor_is_sent_to_login(client, name, _):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("booking:event_type_edit", "get"),
        ("booking:event_type_edit", "post"),
        ("booking:event_type_toggle", "post"),
        ("booking:event_type_delete", "post"),
    ],
)
def test_another_users_event_type_is_a_404(client, event_type, other_user, name, method):
    client.force_login(other_user)
    assert getattr(client, method)(reverse(name, args=[event_type.pk])).status_code == 404
    assert EventType.objects.filter(pk=event_type.pk, is_active=True).exists()


def test_another_users_schedule_and_booking_are_404(client, event_type, other_user):
    client.force_login(other_user)
    assert client.get(reverse("booking:schedule_edit", args=[event_type.schedule.pk])).status_code == 404
    assert client.post(reverse("booking:schedule_delete", args=[event_type.schedule.pk])).status_code == 404
    override = DateOverride.objects.create(schedule=event_type.schedule, date=date(2026, 12, 24))
    url = reverse("booking:override_delete", args=[event_type.schedule.pk, override.pk])
    assert client.post(url).status_code == 404
    booking = booked(event_type, datetime(2026, 12, 2, 9, tzinfo=UTC))
    assert client.post(reverse("booking:booking_cancel", args=[booking.pk])).status_code == 404
    assert not Booking.objects.get(pk=booking.pk).is_cancelled


# --- Default schedule ----------------------------------------------------------------------------


def test_sign_up_creates_a_weekday_schedule_in_the_users_timezone(client):
    client.post(reverse("account_signup"), {
        "email": "new@example.com", "username": "newbie", "password1": PASSWORD, "password2": PASSWORD,
        "timezone": "Asia/Tokyo",
    })  # fmt: skip
    schedule = Schedule.objects.get(owner__username="newbie")
    assert (schedule.is_default, schedule.timezone) == (True, "Asia/Tokyo")
    assert [(rule.weekday, rule.start, rule.end) for rule in schedule.weekly_hours.all()] == [
        (day, time(9), time(17)) for day in range(5)
    ]


def test_default_schedule_is_created_once(user):
    assert ensure_default_schedule(user) == ensure_default_schedule(user)
    assert Schedule.objects.filter(owner=user).count() == 1


# --- Event types ---------------------------------------------------------------------------------


def test_owner_creates_an_event_type(owner_client, user):
    schedule = ensure_default_schedule(user)
    response = owner_client.post(reverse("booking:event_type_create"), event_type_data(schedule))
    assert response.status_code == 302
    created = EventType.objects.get(slug="strategy")
    assert created.owner == user
    assert created.questions == [
        {"label": "Company?", "kind": "short", "required": True},
        {"label": "Agenda", "kind": "long", "required": False},
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"slug": "intro"}, "slug", "You already have an event type with this URL."),
        ({"slug": "Not A Slug"}, "slug", "Use lowercase letters, digits and single hyphens"),
        ({"duration": "2"}, "duration", "Ensure this value is greater than or equal to 5."),
        ({"window": "range", "window_start": "2026-12-10", "window_end": "2026-12-01"}, "window_end",
         "The last date must be on or after the first date."),
        ({"window": "dates"}, "window_dates_text", "List at least one date"),
        ({"window_dates_text": "12/01/2026"}, "window_dates_text", "is not a date. Use YYYY-MM-DD"),
        ({"kind": "group", "seats": "1"}, "seats", "A group event needs at least 2 seats."),
        ({"location_detail": ""}, "location_detail", "Paste the video meeting link"),
        ({"location_kind": "in_person", "location_detail": ""}, "location_detail", "Give the address"),
        ({"location_kind": "phone", "location_detail": ""}, "location_detail", "Give the phone number"),
        ({"extra_durations_text": "15, lots"}, "extra_durations_text", "“lots” is not a length in minutes"),
        ({"kind": "one_off"}, "offered_slots_text", "A one-off link needs at least one offered time."),
        ({"kind": "one_off", "offered_slots_text": "2026-11-01 10:00"}, "offered_slots_text", "is in the past"),
    ],
)  # fmt: skip
def test_event_type_bad_input_is_explained(owner_client, user, event_type, changes, field, message):
    response = owner_client.post(reverse("booking:event_type_create"), event_type_data(event_type.schedule, **changes))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not EventType.objects.filter(title="Strategy session").exists()


def test_a_link_saves_with_a_title_alone(owner_client, user):
    """The form as a new owner first sees it, with only the title typed: the address comes from
    the title, the length is 30 minutes, and the place is left for later (not a required detail)."""
    form = owner_client.get(reverse("booking:event_type_create")).context["form"]
    data = {name: value for name, value in _initial_post(form).items() if value not in (None, "")}
    data["title"] = "Intro call"
    response = owner_client.post(reverse("booking:event_type_create"), data)
    assert response.status_code == 302, response.context["form"].errors
    link = EventType.objects.get(owner=user, title="Intro call")
    assert (link.slug, link.duration, link.location_kind, link.location_text) == ("intro-call", 30, "none", "")
    # The same title again gets the next free address.
    owner_client.post(reverse("booking:event_type_create"), data)
    owner_client.post(reverse("booking:event_type_create"), data)
    slugs = sorted(EventType.objects.filter(owner=user).values_list("slug", flat=True))
    assert slugs == ["intro-call", "intro-call-2", "intro-call-3"]
    page = owner_client.get(link.get_absolute_url()).content.decode()
    assert "Not set yet" not in page


def _initial_post(form) -> dict:
    """What the browser sends for an untouched form: each field's initial value."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    return data


def test_an_error_under_more_settings_opens_them(owner_client, user, event_type):
    def more_settings(response) -> str:
        return response.content.decode().split('<details id="more-settings"', 1)[1].split(">", 1)[0]

    closed = owner_client.post(reverse("booking:event_type_create"), event_type_data(event_type.schedule, slug="intro"))
    assert " open" not in more_settings(closed)  # the error is in the first fields
    opened = owner_client.post(reverse("booking:event_type_create"),
                               event_type_data(event_type.schedule, window="dates"))  # fmt: skip
    assert more_settings(opened).endswith(" open")


def test_someone_elses_schedule_cannot_be_chosen(owner_client, other_user):
    foreign = ScheduleFactory(owner=other_user)
    response = owner_client.post(reverse("booking:event_type_create"), event_type_data(foreign))
    assert "schedule" in response.context["form"].errors


def test_one_off_event_type_stores_offered_times_in_the_schedule_timezone(owner_client, user):
    schedule = ensure_default_schedule(user)  # Europe/Berlin
    owner_client.post(
        reverse("booking:event_type_create"),
        event_type_data(schedule, kind="one_off", offered_slots_text="2026-12-03 14:00\n2026-12-04 09:30"),
    )
    starts = list(EventType.objects.get(slug="strategy").offered_slots.values_list("start", flat=True))
    assert starts == [datetime(2026, 12, 3, 13, 0, tzinfo=UTC), datetime(2026, 12, 4, 8, 30, tzinfo=UTC)]


def test_toggle_turns_a_link_off_with_htmx(owner_client, event_type):
    response = owner_client.post(
        reverse("booking:event_type_toggle", args=[event_type.pk]), headers={"HX-Request": "true"}
    )
    assert response.content.decode().lstrip().startswith(f'<li id="event-type-{event_type.pk}"')
    event_type.refresh_from_db()
    assert not event_type.is_active


def test_list_shows_copyable_link_and_embed_code(owner_client, event_type):
    content = owner_client.get(reverse("booking:event_type_list")).content.decode()
    assert "http://testserver/owner/intro/" in content
    assert "&lt;iframe src=&quot;http://testserver/owner/intro/?embed=1&quot;" in content or "?embed=1" in content


def test_embedded_booking_page_may_be_framed(client, event_type):
    assert "X-Frame-Options" in client.get(event_type.get_absolute_url())
    assert "X-Frame-Options" not in client.get(event_type.get_absolute_url(), {"embed": "1"})


# --- Schedules -----------------------------------------------------------------------------------


def schedule_data(**days):
    data = {"name": "Evenings", "timezone": "America/New_York"}
    data.update({f"day_{n}": "" for n in range(7)})
    data.update(days)
    return data


def test_owner_creates_a_schedule_with_several_ranges_a_day(owner_client, user):
    response = owner_client.post(reverse("booking:schedule_create"), schedule_data(day_0="09:00-12:00, 13:00-17:00",
                                                                                  day_5="10:00-24:00"))  # fmt: skip
    assert response.status_code == 302
    schedule = Schedule.objects.get(name="Evenings")
    assert [str(rule) for rule in schedule.weekly_hours.all()] == [
        "Monday 09:00–12:00", "Monday 13:00–17:00", "Saturday 10:00–23:59",
    ]  # fmt: skip
    availability = schedule.to_availability()
    assert availability.weekly[5][0].end_minute == 24 * 60


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9 to 5", "“9 to 5” is not a time range. Write it like 09:00-17:00."),
        ("17:00-09:00", "End time must be after start time (17:00-09:00)."),
        ("09:00-12:00, 11:00-13:00", "These time ranges overlap. Merge them into one."),
        ("25:00-26:00", "has a time that does not exist"),
    ],
)
def test_schedule_bad_hours_are_explained(owner_client, value, message):
    response = owner_client.post(reverse("booking:schedule_create"), schedule_data(day_2=value))
    assert message in response.context["form"].errors["day_2"][0]
    assert not Schedule.objects.filter(name="Evenings").exists()


def test_schedule_names_are_unique_per_owner(owner_client, user):
    ensure_default_schedule(user)
    response = owner_client.post(reverse("booking:schedule_create"), schedule_data(name="working HOURS"))
    assert response.context["form"].errors["name"] == ["You already have a schedule with this name."]


def test_date_override_makes_a_day_unavailable_and_can_be_removed(owner_client, client, event_type):
    schedule = event_type.schedule
    response = owner_client.post(
        reverse("booking:override_add", args=[schedule.pk]), {"date": "2026-12-02", "hours": ""}
    )
    assert response.status_code == 302
    page = client.get(event_type.get_absolute_url(), {"tz": "UTC", "date": "2026-12-02"})
    assert offered_times(page) == []
    override = schedule.overrides.get()
    owner_client.post(reverse("booking:override_delete", args=[schedule.pk, override.pk]))
    page = client.get(event_type.get_absolute_url(), {"tz": "UTC", "date": "2026-12-02"})
    assert offered_times(page)


def test_date_override_with_different_hours(owner_client, client, event_type):
    owner_client.post(
        reverse("booking:override_add", args=[event_type.schedule.pk]), {"date": "2026-12-05", "hours": "10:00-11:00"}
    )  # fmt: skip  (a Saturday)
    page = client.get(event_type.get_absolute_url(), {"tz": "Europe/Berlin", "date": "2026-12-05"})
    assert offered_times(page) == ["10:00", "10:30"]


def test_date_override_in_the_past_is_refused(owner_client, event_type):
    response = owner_client.post(reverse("booking:override_add", args=[event_type.schedule.pk]), {"date": "2026-11-01"})
    assert response.context["override_form"].errors["date"] == ["That date is in the past. Pick today or a later date."]


def test_schedule_in_use_cannot_be_deleted(owner_client, event_type):
    owner_client.post(reverse("booking:schedule_delete", args=[event_type.schedule.pk]))
    assert Schedule.objects.filter(pk=event_type.schedule.pk).exists()


# --- Bookings page and host cancellation ---------------------------------------------------------


@pytest.fixture
def booking(client, event_type):
    url = reverse("booking:book", args=["owner", "intro"])
    start = "2026-12-02T09:00:00+00:00"
    client.post(f"{url}?start={start.replace('+', '%2B')}&tz=Asia/Tokyo", {"name": "Bea", "email": "bea@example.org"})
    return Booking.objects.get()


def listed(client, **params) -> list:
    return list(client.get(reverse("booking:booking_list"), params).context["page"].object_list)


def test_bookings_page_lists_upcoming_past_and_cancelled(owner_client, booking):
    assert listed(owner_client) == [booking]
    assert listed(owner_client, tab="past") == []
    with time_machine.travel("2026-12-03T00:00:00Z"):
        assert listed(owner_client, tab="past") == [booking]


def test_host_cancels_with_a_reason_emailed_to_the_booker(owner_client, booking, committed):
    with committed():
        response = owner_client.post(reverse("booking:booking_cancel", args=[booking.pk]), {"reason": "I am ill"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.is_cancelled
    assert (booking.event.cancelled_by, booking.event.cancel_reason) == (Event.By.OWNER, "I am ill")
    to_booker = mail.outbox[0]
    assert to_booker.to == ["bea@example.org"]
    assert "cancelled by Olivia Owner" in to_booker.body
    assert "I am ill" in to_booker.body
    cancelled = owner_client.get(reverse("booking:booking_list"), {"tab": "cancelled"})
    assert list(cancelled.context["page"].object_list) == [booking]


# --- Reminders -----------------------------------------------------------------------------------


def send_due_reminders() -> int:
    from django.utils import timezone

    return send_due(timezone.now())


def test_reminder_is_sent_once_a_day_before(booking, committed):
    with time_machine.travel("2026-12-01T08:30:00Z", tick=False), committed():
        assert send_due_reminders() == 0  # 24 h 30 min before: not yet
    with time_machine.travel("2026-12-01T09:00:00Z", tick=False), committed():
        assert send_due_reminders() == 1
        assert send_due_reminders() == 0  # a second worker finds nothing to claim
    subjects = [message.subject for message in mail.outbox]
    assert sum(subject.startswith("Reminder:") for subject in subjects) == 2  # booker and host, once each


def test_no_reminder_for_a_cancelled_booking(client, booking):
    client.post(reverse("booking:cancel", args=[booking.token]), {"reason": ""})
    with time_machine.travel("2026-12-01T09:00:00Z", tick=False):
        assert send_due_reminders() == 0


def test_no_reminder_for_a_booked_meeting_deleted_in_the_calendar(owner_client, booking):
    owner_client.post(reverse("scheduling:event_delete", args=[booking.event_id]))
    with time_machine.travel("2026-12-01T09:00:00Z", tick=False):
        assert send_due_reminders() == 0


def test_rescheduling_moves_the_reminder(client, booking, committed):
    with time_machine.travel("2026-12-01T09:00:00Z", tick=False), committed():
        assert send_due_reminders() == 1
        client.post(reverse("booking:reschedule", args=[booking.token]), {"start": "2026-12-03T09:00:00+00:00"})
        assert send_due_reminders() == 0  # the old time's reminder is spent; the new one is a day away
    with time_machine.travel("2026-12-02T09:00:00Z", tick=False), committed():
        assert send_due_reminders() == 1


def test_unrelated_user_cannot_see_bookings(client, booking):
    client.force_login(UserFactory())
    assert list(client.get(reverse("booking:booking_list")).context["page"].object_list) == []


def test_dashboard_lists_upcoming_bookings(owner_client, booking):
    response = owner_client.get(reverse("dashboard"))
    assert "Intro call with Bea" in response.content.decode()


def test_dashboard_activity_says_who_cancelled(owner_client, event_type):
    from booking.book import cancel_booking

    by_booker = booked(event_type, datetime(2026, 12, 3, 9, tzinfo=UTC), name="Bea")
    by_host = booked(event_type, datetime(2026, 12, 3, 11, tzinfo=UTC), name="Carl", email="carl@example.org")
    cancel_booking(booking=by_booker, by=Event.By.ATTENDEE)
    cancel_booking(booking=by_host, by=Event.By.OWNER, reason="Travelling")
    page = owner_client.get(reverse("dashboard")).content.decode()
    assert "Bea cancelled Intro call" in page
    assert "You cancelled Carl’s Intro call" in page


def test_host_reschedules_and_the_booker_is_told_who_moved_it(owner_client, booking, committed):
    with committed():
        owner_client.post(reverse("booking:reschedule", args=[booking.token]), {"start": "2026-12-03T09:00:00+00:00"})
    to_booker = mail.outbox[0]
    assert to_booker.subject.startswith("Updated:")
    assert "(Olivia Owner changed it)" in to_booker.body


def test_export_includes_booking_links_and_bookings(owner_client, booking):
    import json

    data = json.loads(owner_client.get(reverse("accounts:export")).content)
    assert [item["slug"] for item in data["booking_links"]] == ["intro"]
    assert data["bookings_received"][0]["booker"]["email"] == "bea@example.org"
    assert data["calendar_events"][0]["attendees"][0]["email"] == "bea@example.org"


def test_owner_changes_reach_a_cached_booking_page_at_once(owner_client, client, event_type):
    url = event_type.get_absolute_url()
    assert offered_times(client.get(url, {"tz": "UTC", "date": "2026-12-02"}))  # now cached
    owner_client.post(reverse("booking:override_add", args=[event_type.schedule.pk]), {"date": "2026-12-02"})
    assert offered_times(client.get(url, {"tz": "UTC", "date": "2026-12-02"})) == []
    owner_client.post(reverse("booking:event_type_toggle", args=[event_type.pk]))
    assert client.get(url).status_code == 404


def test_each_link_counts_its_upcoming_bookings(owner_client, user, event_type):
    from booking.book import cancel_booking

    other = EventTypeFactory(owner=user, slug="demo", title="Demo")
    booked(event_type, datetime(2026, 11, 30, 9, tzinfo=UTC))  # past
    booked(event_type, datetime(2026, 12, 2, 9, tzinfo=UTC))
    booked(event_type, datetime(2026, 12, 3, 9, tzinfo=UTC), name="Cy", email="cy@example.org")
    cancel_booking(booking=booked(event_type, datetime(2026, 12, 4, 9, tzinfo=UTC)), by=Event.By.ATTENDEE)
    counts = {
        link.pk: link.upcoming for link in owner_client.get(reverse("booking:event_type_list")).context["event_types"]
    }
    assert counts == {event_type.pk: 2, other.pk: 0}
