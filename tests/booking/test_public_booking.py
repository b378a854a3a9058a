"""A booker's journey through the public pages, without a browser."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import icalendar
import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from booking.models import Booking, EventType
from scheduling.models import Attendee, Event
from tests.booking.pages import offered_times
from tests.factories import EventTypeFactory, UserFactory, bulk_booked

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


# Wednesday 2 December 2026, 10:00 in Berlin (the host) is 09:00 UTC and 04:00 in New York.
SLOT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def host(db):
    return UserFactory(username="hanna", email="hanna@example.com", name="Hanna Host", timezone="Europe/Berlin")


@pytest.fixture
def event_type(host):
    return EventTypeFactory(
        owner=host,
        slug="intro",
        title="Intro call",
        questions=[{"label": "What is it about?", "kind": "long", "required": True}],
    )


def book_url(event_type, start=SLOT, **params):
    query = {"start": start.isoformat(), "tz": "America/New_York", **params}
    return reverse("booking:book", args=[event_type.owner.username, event_type.slug]), query


def post_booking(client, event_type, start=SLOT, **data):
    url, query = book_url(event_type, start)
    payload = {"name": "Bea Booker", "email": "bea@example.org", "question_0": "Planning", **data}
    return client.post(url + "?" + "&".join(f"{k}={v}" for k, v in query.items()).replace("+", "%2B"), payload)


def ics_of(message) -> icalendar.Calendar:
    attachment = next(a for a in message.attachments if a.filename == "invite.ics")
    return icalendar.Calendar.from_ical(attachment.content)


# --- Public pages ------------------------------------------------------------------------------


def test_profile_lists_active_public_event_types(client, host, event_type):
    EventTypeFactory(owner=host, title="Hidden one", is_active=False)
    EventTypeFactory(owner=host, title="Secret one-off", kind=EventType.Kind.ONE_OFF)
    response = client.get(reverse("booking:public_profile", args=["hanna"]))
    assert [link.title for link in response.context["links"]] == ["Intro call"]


def test_unknown_user_or_slug_is_404(client, event_type):
    assert client.get("/nobody-here/").status_code == 404
    assert client.get("/hanna/no-such-type/").status_code == 404


def test_turned_off_event_type_is_404(client, event_type):
    event_type.is_active = False
    event_type.save()
    assert client.get(event_type.get_absolute_url()).status_code == 404


def test_booking_page_shows_free_days_in_the_bookers_timezone(client, event_type):
    response = client.get(event_type.get_absolute_url(), {"tz": "America/New_York", "date": "2026-12-02"})
    assert response.status_code == 200
    labels = offered_times(response)
    # Berlin 09:00–17:00 is 03:00–11:00 in New York.
    assert labels[0] == "03:00"
    assert labels[-1] == "10:30"
    assert b"03:00" in response.content


def test_unknown_timezone_falls_back_to_the_hosts(client, event_type):
    response = client.get(event_type.get_absolute_url(), {"tz": "Mars/Base"})
    assert response.context["choice"].tz_name == "Europe/Berlin"


def test_day_slots_partial_for_htmx(client, event_type):
    response = client.get(
        event_type.get_absolute_url(),
        {"tz": "Europe/Berlin", "date": "2026-12-02"},
        headers={"HX-Request": "true", "HX-Target": "day-slots"},
    )
    content = response.content.decode()
    assert "<html" not in content
    assert "Wednesday 2 December" in content
    assert "10:00" in content


def assert_page_and_partial_queries(client, event_type, django_assert_max_num_queries, limit: int = 8) -> None:
    """The full booking page and its day-slots partial stay within ``limit`` queries."""
    with django_assert_max_num_queries(limit):
        client.get(event_type.get_absolute_url(), {"tz": "UTC", "date": "2026-12-02"})
    with django_assert_max_num_queries(limit):
        client.get(
            event_type.get_absolute_url(),
            {"tz": "UTC", "date": "2026-12-03"},
            headers={"HX-Request": "true", "HX-Target": "day-slots"},
        )


def test_a_cached_booking_page_reads_nothing_from_the_database(
    client, event_type, django_assert_max_num_queries, django_assert_num_queries
):
    assert_page_and_partial_queries(client, event_type, django_assert_max_num_queries)
    # Everything the page shows is cached now, checked against the owner's versions (in the shared
    # cache: Redis, or one query on a database table without it; the test settings keep it in memory).
    assert_page_and_partial_queries(client, event_type, django_assert_num_queries, limit=0)


def test_booking_page_queries_do_not_grow_with_bookings(client, event_type, django_assert_max_num_queries):
    events = Event.objects.bulk_create(
        Event(owner=event_type.owner, title="Busy", origin="booking", start=datetime(2026, 12, day, hour, tzinfo=UTC),
              end=datetime(2026, 12, day, hour, 30, tzinfo=UTC))
        for day in range(3, 31) for hour in range(8, 16)
    )  # fmt: skip
    bulk_booked(event_type, events)
    assert len(events) > 200
    assert_page_and_partial_queries(client, event_type, django_assert_max_num_queries)


# --- Booking -----------------------------------------------------------------------------------


def test_booking_creates_a_meeting_and_emails_both_sides(client, event_type, committed):
    with committed():
        response = post_booking(client, event_type)
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:manage", args=[booking.token]) + "?new=1"
    event = booking.event
    assert (event.start, event.origin, event.owner) == (SLOT, Event.Origin.BOOKING, event_type.owner)
    assert booking.answers == [{"question": "What is it about?", "answer": "Planning"}]
    assert booking.timezone == "America/New_York"
    assert list(event.attendees.values_list("email", "status")) == [("bea@example.org", Attendee.Status.ACCEPTED)]

    to_booker, to_host = mail.outbox
    assert to_booker.to == ["bea@example.org"]
    assert "Wed 02 Dec 2026, 04:00 (America/New_York)" in to_booker.subject
    assert reverse("booking:manage", args=[booking.token]) in to_booker.body
    assert to_host.to == ["hanna@example.com"]
    assert "Wed 02 Dec 2026, 10:00 (Europe/Berlin)" in to_host.subject
    assert "What is it about?: Planning" in to_host.body

    calendar = ics_of(to_booker)
    assert calendar["METHOD"] == "REQUEST"
    vevent = calendar.walk("VEVENT")[0]
    assert vevent["UID"] == event.uid
    assert vevent.decoded("DTSTART") == SLOT
    assert int(vevent["SEQUENCE"]) == 0
    assert "mailto:hanna@example.com" in str(vevent["ORGANIZER"])


def test_confirmation_page_shows_the_time_in_the_bookers_timezone(client, event_type):
    response = post_booking(client, event_type)
    page = client.get(response["Location"])
    assert "Wednesday 2 December 2026, 04:00 – 04:30" in page.content.decode()
    assert "calendar.google.com/calendar/render" in page.content.decode()


def test_ics_download(client, event_type):
    post_booking(client, event_type)
    booking = Booking.objects.get()
    response = client.get(reverse("booking:ics", args=[booking.token]))
    assert response["Content-Type"].startswith("text/calendar")
    assert icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]["UID"] == booking.event.uid


def test_a_taken_time_gets_a_friendly_message(client, event_type):
    post_booking(client, event_type)
    response = post_booking(client, event_type, email="second@example.org")
    assert response.status_code == 409
    assert "That time was just taken. Please pick another time." in response.content.decode()
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (datetime(2026, 12, 2, 9, 10, tzinfo=UTC), "That time is not available"),  # off the slot grid
        (datetime(2026, 11, 30, 9, 0, tzinfo=UTC), "That time is not available"),  # in the past
        (datetime(2026, 12, 5, 9, 0, tzinfo=UTC), "That time is not available"),  # a Saturday
        (datetime(2027, 6, 2, 9, 0, tzinfo=UTC), "That time is not available"),  # beyond the 60-day window
    ],
)
def test_times_that_are_not_offered_cannot_be_booked(client, event_type, start, message):
    url, query = book_url(event_type, start)
    assert message in client.get(url, query).content.decode()
    response = post_booking(client, event_type, start=start)
    assert response.status_code == 409
    assert not Booking.objects.exists()


def test_malformed_start_is_a_clear_400(client, event_type):
    response = client.get(reverse("booking:book", args=["hanna", "intro"]), {"start": "tomorrow"})
    assert response.status_code == 400
    assert b"The meeting time is missing or malformed" in response.content


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"question_0": ""}, "question_0", "This field is required."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"name": ""}, "name", "This field is required."),
        ({"guests": "ok@example.org, nope"}, "guests", "“nope” is not a valid email address."),
    ],
)
def test_bad_details_are_refused_and_kept(client, event_type, data, field, message):
    response = post_booking(client, event_type, **data)
    assert response.context["form"].errors[field] == [message]
    assert not Booking.objects.exists()


def test_a_duration_that_is_not_offered_is_ignored(client, event_type):
    url, query = book_url(event_type, duration="45")
    response = client.get(url, query)
    assert response.context["choice"].duration == 30


def test_guests_become_attendees(client, event_type):
    post_booking(client, event_type, guests="gus@example.org")
    assert set(Attendee.objects.values_list("email", flat=True)) == {"bea@example.org", "gus@example.org"}


def test_booking_submissions_are_rate_limited_per_ip(client, event_type, settings):
    settings.BOOKING_SUBMISSIONS_PER_HOUR = 2
    for _ in range(2):
        post_booking(client, event_type, email="")
    response = post_booking(client, event_type, name="Bea Kept")
    assert response.status_code == 429
    content = response.content.decode()
    assert "Too many bookings from your network" in content
    assert 'value="Bea Kept"' in content  # nothing typed is lost
    assert 0 < int(response["Retry-After"]) <= 3600
    assert not Booking.objects.exists()


def test_each_guest_counts_against_the_allowance(client, event_type, settings):
    settings.BOOKING_SUBMISSIONS_PER_HOUR = 3
    response = post_booking(client, event_type, guests="one@example.org, two@example.org, three@example.org")
    assert response.status_code == 429
    assert not Booking.objects.exists()
    assert post_booking(client, event_type, email="", guests="").status_code == 429  # spent for the hour


def test_the_allowance_is_per_booking_link(client, event_type, host, settings):
    settings.BOOKING_SUBMISSIONS_PER_HOUR = 1
    other = EventTypeFactory(owner=host, slug="other", questions=[])
    assert post_booking(client, event_type).status_code == 302
    assert post_booking(client, event_type, start=SLOT.replace(hour=12)).status_code == 429
    assert post_booking(client, other, start=SLOT.replace(hour=13)).status_code == 302


def test_behind_a_trusted_proxy_each_visitor_has_their_own_allowance(client, event_type, settings):
    settings.BOOKING_SUBMISSIONS_PER_HOUR = 1
    settings.TRUSTED_PROXY_COUNT = 1
    url, query = book_url(event_type)
    full = url + "?" + "&".join(f"{k}={v}" for k, v in query.items()).replace("+", "%2B")

    def submit(forwarded_for: str):
        data = {"name": "Bea", "email": "", "question_0": "x"}  # invalid: counted, never booked
        return client.post(full, data, REMOTE_ADDR="10.0.0.2", headers={"X-Forwarded-For": forwarded_for})

    assert submit("203.0.113.7").status_code == 200
    assert submit("203.0.113.7").status_code == 429
    assert submit("198.51.100.4").status_code == 200  # someone else behind the same proxy
    # What a client writes further left is not trusted: still 203.0.113.7, still spent.
    assert submit("198.51.100.99, 203.0.113.7").status_code == 429


def test_group_event_fills_its_seats(client, host):
    group = EventTypeFactory(owner=host, slug="workshop", kind=EventType.Kind.GROUP, seats=2)
    assert post_booking(client, group, email="one@example.org").status_code == 302
    assert post_booking(client, group, email="two@example.org").status_code == 302
    assert post_booking(client, group, email="three@example.org").status_code == 409
    event = Event.objects.get()
    assert event.bookings.count() == 2
    assert event.attendees.count() == 2


def test_the_same_person_cannot_take_two_seats(client, host):
    group = EventTypeFactory(owner=host, slug="workshop", kind=EventType.Kind.GROUP, seats=3)
    post_booking(client, group)
    response = post_booking(client, group)
    assert "You have already booked this time." in response.content.decode()


def test_one_off_link_expires_after_one_booking(client, host):
    one_off = EventTypeFactory(owner=host, slug="just-us", kind=EventType.Kind.ONE_OFF)
    one_off.offered_slots.create(start=SLOT)
    one_off.offered_slots.create(start=SLOT.replace(hour=13))
    assert post_booking(client, one_off).status_code == 302
    response = client.get(one_off.get_absolute_url())
    assert b"This link has expired" in response.content
    assert post_booking(client, one_off, start=SLOT.replace(hour=13)).status_code == 409


def test_recurring_booking_keeps_the_wall_clock_time_across_dst(client, host):
    every_day = [(day, time(9), time(17)) for day in range(7)]
    weekly = EventTypeFactory(
        owner=host, slug="weekly", allow_recurring=True, max_occurrences=6, schedule__hours=every_day
    )
    with time_machine.travel("2027-03-10T08:00:00Z", tick=False):
        start = datetime(2027, 3, 17, 9, 0, tzinfo=UTC)  # 10:00 in Berlin (CET)
        response = post_booking(client, weekly, start=start, occurrences="3")
    assert response.status_code == 302
    starts = [b.event.start for b in Booking.objects.order_by("event__start")]
    # Berlin moves to summer time on 2027-03-28: 10:00 local is then 08:00 UTC.
    assert starts == [start, start.replace(day=24), datetime(2027, 3, 31, 8, 0, tzinfo=UTC)]
    assert len({b.series for b in Booking.objects.all()}) == 1


# --- Managing a booking --------------------------------------------------------------------------


@pytest.fixture
def booking(client, event_type):
    post_booking(client, event_type)
    return Booking.objects.get()


def test_wrong_token_is_404(client, booking):
    assert client.get(reverse("booking:manage", args=["not-a-token"])).status_code == 404
    assert client.get(reverse("booking:cancel", args=["not-a-token"])).status_code == 404


def test_booker_reschedules_keeping_the_uid_and_raising_the_sequence(client, booking, committed):
    new_start = SLOT.replace(hour=13)
    with committed():
        response = client.post(reverse("booking:reschedule", args=[booking.token]), {"start": new_start.isoformat()})
    assert response.status_code == 302
    booking.refresh_from_db()
    booking.event.refresh_from_db()
    assert booking.event.start == new_start
    assert booking.event.sequence == 1
    to_booker, to_host = mail.outbox
    assert to_booker.subject.startswith("Updated:")
    vevent = ics_of(to_booker).walk("VEVENT")[0]
    assert (vevent["UID"], int(vevent["SEQUENCE"])) == (booking.event.uid, 1)
    assert to_host.subject.startswith("Rescheduled:")


def test_reschedule_page_offers_the_bookings_own_time(client, booking):
    response = client.get(reverse("booking:reschedule", args=[booking.token]), {"tz": "UTC", "date": "2026-12-02"})
    assert "09:00" in offered_times(response)


def test_rescheduling_onto_a_taken_time_is_refused(client, booking, event_type):
    post_booking(client, event_type, start=SLOT.replace(hour=13), email="other@example.org")
    response = client.post(
        reverse("booking:reschedule", args=[booking.token]), {"start": SLOT.replace(hour=13).isoformat()}
    )
    assert response.status_code == 409
    assert "That time was just taken" in response.content.decode()
    booking.event.refresh_from_db()
    assert booking.event.start == SLOT


def test_booker_cancels_with_a_reason(client, booking, committed):
    with committed():
        response = client.post(reverse("booking:cancel", args=[booking.token]), {"reason": "Something came up"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.is_cancelled
    assert booking.event.status == Event.Status.CANCELLED
    assert booking.cancellation.reason == "Something came up"
    to_booker, to_host = mail.outbox
    calendar = ics_of(to_booker)
    assert calendar["METHOD"] == "CANCEL"
    assert int(calendar.walk("VEVENT")[0]["SEQUENCE"]) == 1
    assert "Something came up" in to_host.body
    # The slot is free again.
    response = client.get(booking.event_type.get_absolute_url(), {"tz": "UTC", "date": "2026-12-02"})
    assert "09:00" in offered_times(response)


def test_links_stop_working_once_the_meeting_has_started(client, booking):
    with time_machine.travel("2026-12-02T09:05:00Z", tick=False):
        for name in ("booking:cancel", "booking:reschedule"):
            response = client.get(reverse(name, args=[booking.token]))
            assert response.status_code == 410
            assert b"can no longer be changed" in response.content
        assert client.get(reverse("booking:manage", args=[booking.token])).status_code == 200


def test_manage_page_links_from_the_email_work(client, booking, committed):
    with committed():
        client.post(reverse("booking:cancel", args=[booking.token]), {"reason": ""})
    link = re.search(r"https?://\S+/booking/\S+/", mail.outbox[0].body)
    assert link is None  # a cancellation email has no reschedule link
    response = client.get(reverse("booking:manage", args=[booking.token]))
    assert b"This meeting was cancelled" in response.content


# --- The zone a booking's pages show it in ------------------------------------------------------


def shown_zone(page: str) -> str:
    """The zone the page says its times are in: the zone switcher's choice."""
    return re.search(r'<option value="([^"]+)" selected[ >]', page).group(1)


def test_manage_page_shows_the_booking_in_the_zone_it_was_booked_in(client, booking):
    page = client.get(reverse("booking:manage", args=[booking.token])).content.decode()
    assert "Wednesday 2 December 2026, 04:00 – 04:30" in page
    assert shown_zone(page) == "America/New_York"


def test_manage_page_switches_to_the_zone_and_clock_asked_for(client, booking):
    url = reverse("booking:manage", args=[booking.token])
    page = client.get(url, {"tz": "Asia/Kolkata", "clock": "12"}).content.decode()
    assert "Wednesday 2 December 2026, 2:30 PM – 3:00 PM" in page
    assert shown_zone(page) == "Asia/Kolkata"
    # Cancelling and rescheduling from there go on in that zone and clock.
    assert f"/booking/{booking.token}/cancel/?tz=Asia%2FKolkata&amp;clock=12" in page
    assert f"/booking/{booking.token}/reschedule/?tz=Asia%2FKolkata&amp;clock=12" in page


def test_manage_page_ignores_a_zone_that_does_not_exist(client, booking):
    page = client.get(reverse("booking:manage", args=[booking.token]), {"tz": "Mars/Olympus"}).content.decode()
    assert shown_zone(page) == "America/New_York"


def test_cancel_page_names_the_zone_its_time_is_in(client, booking):
    url = reverse("booking:cancel", args=[booking.token])
    page = client.get(url, {"tz": "Australia/Lord_Howe"}).content.decode()
    assert "Wednesday 2 December 2026, 20:00 <span" in page  # 09:00 UTC is 20:00 there (summer, +11)
    assert '"shown-zone">(Australia/Lord_Howe)</span>' in page
    assert "America/New_York" not in page


def test_cancelling_goes_back_to_the_booking_in_the_zone_it_was_shown_in(client, booking):
    url = reverse("booking:cancel", args=[booking.token]) + "?tz=Asia%2FKolkata&clock=12"
    response = client.post(url, {"reason": ""})
    assert response["Location"] == reverse("booking:manage", args=[booking.token]) + "?tz=Asia%2FKolkata&clock=12"


def test_rescheduling_goes_back_to_the_booking_in_the_zone_the_time_was_picked_in(client, booking):
    url = reverse("booking:reschedule", args=[booking.token]) + "?tz=Asia%2FKolkata&clock=24"
    response = client.post(url, {"start": SLOT.replace(hour=13).isoformat()})
    manage = reverse("booking:manage", args=[booking.token])
    assert response["Location"] == manage + "?new=1&tz=Asia%2FKolkata&clock=24"
    page = client.get(response["Location"]).content.decode()
    assert "Wednesday 2 December 2026, 18:30 – 19:00" in page
    assert "You are booked with" in page


def test_reschedule_page_picks_times_in_the_zone_it_shows(client, booking):
    url = reverse("booking:reschedule", args=[booking.token])
    page = client.get(url, {"tz": "Asia/Kolkata", "date": "2026-12-02"}).content.decode()
    assert f'action="{url}?tz=Asia/Kolkata&amp;clock=24"' in page  # each time's button


def test_recurring_booking_shows_which_weeks_are_free(client, host):
    weekly = EventTypeFactory(owner=host, slug="weekly", allow_recurring=True, max_occurrences=3)
    post_booking(client, weekly, start=SLOT.replace(day=9), email="taken@example.org")  # blocks week 2
    url, query = book_url(weekly)
    response = client.get(url, query)
    assert [item["free"] for item in response.context["occurrences"]] == [True, False, True]
    response = post_booking(client, weekly, occurrences="2")
    assert "Some of these weeks are no longer free: 2026-12-09" in response.content.decode()
    assert Booking.objects.count() == 1


def test_the_video_link_stays_private_until_the_booking_is_made(client, event_type, committed):
    """The factory's link meets on https://meet.example.com/room: not on the public pages, then in
    the confirmation (email and manage page)."""
    private = event_type.location_detail
    url, query = book_url(event_type)
    for page in (client.get(event_type.get_absolute_url()), client.get(url, query)):
        assert private not in page.content.decode()
        assert "Video call (the link comes with your confirmation)" in page.content.decode()
    with committed():
        post_booking(client, event_type)
    booking = Booking.objects.get()
    assert private in mail.outbox[0].body
    assert private in client.get(reverse("booking:manage", args=[booking.token])).content.decode()


def test_a_link_whose_place_is_not_set_names_none(client, event_type, committed):
    EventType.objects.filter(pk=event_type.pk).update(location_kind=EventType.Location.NONE, location_detail="")
    url, query = book_url(event_type)
    for page in (client.get(event_type.get_absolute_url()), client.get(url, query)):
        assert "Location" not in page.content.decode().split("<main", 1)[1]
    with committed():
        post_booking(client, event_type)
    assert Event.objects.get().location == ""
