"""A team's booking links: collective (every host free) and round-robin (one free host, picked
fairly), booked, moved, cancelled and reassigned; the meeting in every host's calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import time_machine
from django.core import mail
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, Team
from booking import availability, links
from booking.book import Booker, SlotUnavailable, book_slot, cancel_booking, reassign_booking, reschedule_booking
from booking.models import Booking, EventType, TeamHost
from scheduling import occurrences
from scheduling.models import Attendee, Event
from tests.factories import EventTypeFactory, ScheduleFactory, UserFactory

pytestmark = pytest.mark.django_db

# Wednesday 2 December 2026. Berlin is UTC+1, New York UTC-5: both work 09:00-17:00 locally, so
# they overlap 14:00-16:00 UTC (15:00-17:00 Berlin, 09:00-11:00 New York).
BOTH = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
BERLIN_ONLY = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
NEW_YORK_ONLY = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        for alias in ("default", "local", "versions"):
            caches[alias].clear()
        yield


@pytest.fixture
def ana():
    user = UserFactory(username="ana", email="ana@example.com", name="Ana Berlin", timezone="Europe/Berlin")
    ScheduleFactory(owner=user, is_default=True)
    return user


@pytest.fixture
def ben():
    user = UserFactory(username="ben", email="ben@example.com", name="Ben NewYork", timezone="America/New_York")
    ScheduleFactory(owner=user, is_default=True)
    return user


@pytest.fixture
def team(ana, ben):
    found = Team.objects.create(name="Sales", slug="sales")
    Membership.objects.create(team=found, user=ana, role=Membership.Role.OWNER)
    Membership.objects.create(team=found, user=ben, role=Membership.Role.MEMBER)
    return found


def team_link(team, hosts, hosting, slug="demo", **extra):
    event_type = EventTypeFactory(
        owner=hosts[0], team=team, hosting=hosting, slug=slug, title="Demo", schedule=hosts[0].schedules.get(), **extra
    )
    for user in hosts:
        TeamHost.objects.create(event_type=event_type, user=user)
    return event_type


def booker(name="Bea Booker", email="bea@example.org"):
    return Booker(name=name, email=email, timezone="Asia/Kolkata")


def offered(event_type, day=BOTH):
    link = links.from_event_type(links.fresh(event_type.pk))
    start = day.replace(hour=0)
    return {slot.start for slot in availability.free_slots(link, start=start, end=start + timedelta(days=1),
                                                            now=datetime.now(UTC))}  # fmt: skip


# --- Collective ---------------------------------------------------------------------------------


def test_collective_offers_only_times_every_host_is_free(team, ana, ben):
    demo = team_link(team, [ana, ben], EventType.Hosting.COLLECTIVE)
    found = offered(demo)
    assert BOTH in found
    assert BOTH + timedelta(minutes=90) in found
    assert BERLIN_ONLY not in found
    assert NEW_YORK_ONLY not in found
    assert min(found) == BOTH
    assert max(found) == datetime(2026, 12, 2, 15, 30, tzinfo=UTC)


def test_collective_booking_lands_with_every_host_and_blocks_each(team, ana, ben, committed):
    demo = team_link(team, [ana, ben], EventType.Hosting.COLLECTIVE)
    with committed():
        [booking] = book_slot(event_type=demo, start=BOTH, booker=booker())
    event = booking.event
    assert event.owner == ana
    cohost = Attendee.objects.get(event=event, host=ben)
    assert cohost.status == Attendee.Status.ACCEPTED
    # Both hosts' calendars and bookings lists have it; each is busy then on their own links.
    for user in (ana, ben):
        assert [found.event for found in occurrences.between(user, BOTH, BOTH + timedelta(hours=1))] == [event]
        assert list(Booking.objects.for_host(user)) == [booking]
    ben_solo = EventTypeFactory(owner=ben, schedule=ben.schedules.get())
    assert BOTH not in offered(ben_solo)
    assert BOTH not in offered(demo)
    # Ben is invited with an .ics; the booker is confirmed; Ana (the organiser) is told.
    invitation = next(m for m in mail.outbox if m.to == ["ben@example.com"])
    calendar = icalendar.Calendar.from_ical(
        next(a for a in invitation.attachments if a.filename == "invite.ics").content
    )
    assert calendar.walk("VEVENT")[0].decoded("DTSTART") == BOTH
    assert any(m.to == ["bea@example.org"] for m in mail.outbox)
    assert any(m.to == ["ana@example.com"] for m in mail.outbox)


def test_collective_booking_is_refused_when_one_host_is_taken_meanwhile(team, ana, ben):
    demo = team_link(team, [ana, ben], EventType.Hosting.COLLECTIVE)
    ben_solo = EventTypeFactory(owner=ben, schedule=ben.schedules.get())
    book_slot(event_type=ben_solo, start=BOTH, booker=booker("Cy", "cy@example.org"))
    with pytest.raises(SlotUnavailable):
        book_slot(event_type=demo, start=BOTH, booker=booker())


def test_cancelling_and_moving_reach_every_host(team, ana, ben, committed):
    demo = team_link(team, [ana, ben], EventType.Hosting.COLLECTIVE)
    [booking] = book_slot(event_type=demo, start=BOTH, booker=booker())
    mail.outbox.clear()
    with committed():
        reschedule_booking(booking=booking, start=BOTH + timedelta(hours=1))
    booking.refresh_from_db()
    assert booking.event.start == BOTH + timedelta(hours=1)
    assert any(m.to == ["ben@example.com"] for m in mail.outbox)
    mail.outbox.clear()
    with committed():
        cancel_booking(booking=booking, by=Event.By.ATTENDEE, reason="Plans changed")
    cancel = next(m for m in mail.outbox if m.to == ["ben@example.com"])
    calendar = icalendar.Calendar.from_ical(next(a for a in cancel.attachments if a.filename == "invite.ics").content)
    assert calendar["METHOD"] == "CANCEL"
    assert occurrences.between(ben, BOTH, BOTH + timedelta(days=1)) == []


# --- Round-robin --------------------------------------------------------------------------------


def test_round_robin_offers_a_time_when_any_host_is_free(team, ana, ben):
    demo = team_link(team, [ana, ben], EventType.Hosting.ROUND_ROBIN)
    found = offered(demo)
    assert {BOTH, BERLIN_ONLY, NEW_YORK_ONLY} <= found


def test_round_robin_gives_the_meeting_to_the_only_free_host(team, ana, ben):
    demo = team_link(team, [ana, ben], EventType.Hosting.ROUND_ROBIN)
    [early] = book_slot(event_type=demo, start=BERLIN_ONLY, booker=booker())
    [late] = book_slot(event_type=demo, start=NEW_YORK_ONLY, booker=booker("Cy", "cy@example.org"))
    assert early.event.owner == ana
    assert late.event.owner == ben
    assert not early.event.attendees.filter(host__isnull=False).exists()


def test_two_bookers_of_one_time_get_one_host_each_and_a_third_is_refused(team, ana, ben):
    demo = team_link(team, [ana, ben], EventType.Hosting.ROUND_ROBIN)
    first = book_slot(event_type=demo, start=BOTH, booker=booker())[0]
    second = book_slot(event_type=demo, start=BOTH, booker=booker("Cy", "cy@example.org"))[0]
    assert {first.event.owner, second.event.owner} == {ana, ben}
    assert BOTH not in offered(demo)
    with pytest.raises(SlotUnavailable):
        book_slot(event_type=demo, start=BOTH, booker=booker("Di", "di@example.org"))


def test_the_fewest_meetings_host_is_picked_then_the_least_recently_booked(team, ana, ben):
    demo = team_link(team, [ana, ben], EventType.Hosting.ROUND_ROBIN)
    owners = []
    for day in range(4):
        start = BOTH + timedelta(days=day if day < 3 else 5)  # weekdays
        owners.append(book_slot(event_type=demo, start=start, booker=booker(f"B{day}", f"b{day}@example.org"))[0])
    counts = {ana: 0, ben: 0}
    for booking in owners:
        counts[booking.event.owner] += 1
    assert counts == {ana: 2, ben: 2}
    assert owners[0].event.owner != owners[1].event.owner


def test_weight_gives_a_host_a_larger_share(team, ana, ben):
    demo = team_link(team, [ana, ben], EventType.Hosting.ROUND_ROBIN)
    TeamHost.objects.filter(event_type=demo, user=ana).update(weight=200)
    owners = [
        book_slot(event_type=demo, start=BOTH + timedelta(days=day), booker=booker(f"B{day}", f"b{day}@example.org"))[
            0
        ].event.owner
        for day in (0, 1, 2)
    ]
    assert owners.count(ana) == 2
    assert owners.count(ben) == 1


def test_fixed_hosts_join_every_round_robin_meeting(team, ana, ben):
    cy = UserFactory(username="cy", email="cy@example.com", timezone="Europe/Berlin")
    ScheduleFactory(owner=cy, is_default=True)
    Membership.objects.create(team=team, user=cy)
    demo = team_link(team, [ana, cy, ben], EventType.Hosting.ROUND_ROBIN)
    TeamHost.objects.filter(event_type=demo, user=cy).update(is_fixed=True)
    assert NEW_YORK_ONLY not in offered(demo)  # Cy (fixed, Berlin) is not free then
    [booking] = book_slot(event_type=demo, start=BOTH, booker=booker())
    hosts = {booking.event.owner, *(a.host for a in booking.event.attendees.filter(host__isnull=False))}
    assert cy in hosts
    assert len(hosts) == 2


def test_moving_a_round_robin_meeting_where_its_host_is_busy_hands_it_over(team, ana, ben, committed):
    demo = team_link(team, [ana, ben], EventType.Hosting.ROUND_ROBIN)
    [booking] = book_slot(event_type=demo, start=BERLIN_ONLY, booker=booker())
    assert booking.event.owner == ana
    old = booking.event
    with committed():
        reschedule_booking(booking=booking, start=NEW_YORK_ONLY)
    booking.refresh_from_db()
    assert booking.event.owner == ben
    assert booking.event.start == NEW_YORK_ONLY
    old.refresh_from_db()
    assert old.status == Event.Status.CANCELLED
    assert booking.attendee.email == "bea@example.org"


def test_an_admin_reassigns_a_round_robin_meeting_to_a_free_host(team, ana, ben, client, committed):
    demo = team_link(team, [ana, ben], EventType.Hosting.ROUND_ROBIN)
    [booking] = book_slot(event_type=demo, start=BOTH, booker=booker())
    other = ben if booking.event.owner == ana else ana
    client.force_login(ana)
    mail.outbox.clear()
    with committed():
        response = client.post(reverse("booking:team_reassign", args=["sales", booking.pk]), {"to": other.pk})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.event.owner == other
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    first = ana if other == ben else ben
    assert subjects[f"{other.username}@example.com"].startswith("New booking: Bea Booker")
    assert subjects[f"{first.username}@example.com"].startswith(f"Now with {other.display_name}: Bea Booker")
    assert "bea@example.org" in subjects


def test_a_member_cannot_reassign_and_a_busy_host_cannot_take_it(team, ana, ben, client):
    demo = team_link(team, [ana, ben], EventType.Hosting.ROUND_ROBIN)
    [booking] = book_slot(event_type=demo, start=BERLIN_ONLY, booker=booker())
    client.force_login(ben)
    response = client.post(reverse("booking:team_reassign", args=["sales", booking.pk]), {"to": ben.pk})
    assert response.status_code == 404
    with pytest.raises(SlotUnavailable, match="not free"):
        reassign_booking(booking=booking, to=ben.pk)  # 09:00 UTC is 04:00 in New York


# --- Public pages -------------------------------------------------------------------------------


def test_the_team_page_and_booking_page_by_link(team, ana, ben, client):
    demo = team_link(team, [ana, ben], EventType.Hosting.ROUND_ROBIN)
    page = client.get("/team/sales/")
    assert page.status_code == 200
    assert "Demo" in page.content.decode()
    assert demo.get_absolute_url() in page.content.decode()
    assert (
        client.get(demo.get_absolute_url(), {"tz": "UTC", "month": "2026-12", "date": "2026-12-02"}).status_code == 200
    )
    url = reverse("booking:team_book", args=["sales", "demo"])
    response = client.get(url, {"start": NEW_YORK_ONLY.isoformat(), "tz": "UTC"})
    assert "With Ben NewYork" in response.content.decode()
    response = client.post(
        url + f"?start={NEW_YORK_ONLY.isoformat().replace('+', '%2B')}&tz=UTC",
        {"name": "Bea Booker", "email": "bea@example.org"},
    )
    assert response.status_code == 302
    assert Booking.objects.get().event.owner == ben


def test_a_team_link_is_not_on_its_makers_personal_pages(team, ana, ben, client):
    team_link(team, [ana, ben], EventType.Hosting.ROUND_ROBIN)
    assert client.get("/ana/demo/").status_code == 404
    assert "Demo" not in client.get("/ana/").content.decode()
    assert client.get("/team/nobody/").status_code == 404


def test_team_booking_page_queries_grow_with_neither_meetings_nor_hosts(team, ana, ben, client):
    demo = team_link(team, [ana, ben], EventType.Hosting.ROUND_ROBIN)
    url = demo.get_absolute_url() + "?tz=UTC&month=2026-12"

    def count() -> int:
        caches["local"].clear()
        caches["default"].clear()
        caches["versions"].clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = count()
    for n in range(10):
        book_slot(event_type=demo, start=BOTH + timedelta(days=n % 3, minutes=30 * (n // 3)),
                  booker=booker(f"B{n}", f"b{n}@example.org"))  # fmt: skip
    assert count() == few  # each host's meetings are one query, however many
    for _ in range(3):
        user = UserFactory(timezone="Asia/Kolkata")
        ScheduleFactory(owner=user, is_default=True)
        Membership.objects.create(team=team, user=user)
        TeamHost.objects.create(event_type=demo, user=user)
    assert count() == few  # every host's hours, calendars and meetings are read together


# --- Who may open the team's pages --------------------------------------------------------------


@pytest.fixture
def people(team, ana, ben):
    """Ana owns the team, Ada is an admin, Ben a member, Olga an outsider."""
    ada = UserFactory(username="ada", timezone="Europe/Berlin")
    ScheduleFactory(owner=ada, is_default=True)
    Membership.objects.create(team=team, user=ada, role=Membership.Role.ADMIN)
    olga = UserFactory(username="olga")
    return {"owner": ana, "admin": ada, "member": ben, "outsider": olga, "anonymous": None}


SEE = {"owner": 200, "admin": 200, "member": 200, "outsider": 404}
MANAGE = {"owner": 200, "admin": 200, "member": 404, "outsider": 404}


@pytest.mark.parametrize("who", ["owner", "admin", "member", "outsider", "anonymous"])
def test_every_team_link_url_for_each_kind_of_person(client, team, ana, ben, people, who):
    demo = team_link(team, [ana, ben], EventType.Hosting.ROUND_ROBIN)
    [booking] = book_slot(event_type=demo, start=BERLIN_ONLY, booker=booker())
    if people[who] is not None:
        client.force_login(people[who])
    pages = [
        ("get", reverse("booking:team_links", args=["sales"]), SEE),
        ("get", reverse("booking:team_bookings", args=["sales"]), SEE),
        ("get", reverse("booking:team_link_create", args=["sales"]), MANAGE),
        ("get", reverse("booking:team_link_edit", args=["sales", demo.pk]), MANAGE),
        ("get", reverse("booking:team_link_delete", args=["sales", demo.pk]), MANAGE),
        ("post", reverse("booking:team_reassign", args=["sales", booking.pk]), {**MANAGE, "owner": 302, "admin": 302}),
    ]
    for method, url, expected in pages:
        response = getattr(client, method)(url, {"to": ben.pk} if method == "post" else {})
        if who == "anonymous":
            assert response.status_code == 302, url
            assert "/accounts/login/" in response["Location"], url
        else:
            assert response.status_code == expected[who], (url, response.status_code)
    # Nobody outside the team changed anything.
    assert EventType.objects.filter(pk=demo.pk).exists()


def test_an_admin_creates_a_round_robin_link_with_a_fixed_host_and_weights(client, team, ana, ben, people):
    client.force_login(people["admin"])
    ada = people["admin"]
    data = {
        "title": "Sales demo", "slug": "sales-demo", "hosting": "round_robin", "show_hosts": "on", "duration": 30,
        "location_kind": "phone", "location_detail": "+1 555 0100", "window": "rolling", "rolling_days": 30,
        "minimum_notice": 60, "buffer_before": 0, "buffer_after": 0, "increment": 0, "reminder_minutes": 0,
        "color": "#3b55e6", "is_active": "on",
        f"host_{ana.pk}": "on", f"priority_{ana.pk}": 2, f"weight_{ana.pk}": 200,
        f"host_{ben.pk}": "on", f"priority_{ben.pk}": 1, f"weight_{ben.pk}": 100,
        f"host_{ada.pk}": "on", f"fixed_{ada.pk}": "on", f"priority_{ada.pk}": 1, f"weight_{ada.pk}": 100,
    }  # fmt: skip
    response = client.post(reverse("booking:team_link_create", args=["sales"]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    link = EventType.objects.get(slug="sales-demo")
    assert link.team == team
    assert link.hosting == "round_robin"
    rows = {host.user: host for host in link.hosts.all()}
    assert rows[ana].weight == 200
    assert rows[ana].priority == 2
    assert not rows[ana].is_fixed
    assert rows[ada].is_fixed
    assert link.get_absolute_url() == "/team/sales/sales-demo/"
    # Every host always in the meeting is no rotation: a clear message, and nothing lost.
    data.update({"slug": "other", f"fixed_{ana.pk}": "on", f"fixed_{ben.pk}": "on"})
    response = client.post(reverse("booking:team_link_create", args=["sales"]), data)
    assert response.status_code == 200
    assert "Leave at least one host out" in response.content.decode()
    assert 'value="Sales demo"' in response.content.decode()
    data.update({f"host_{ana.pk}": "", f"host_{ben.pk}": "", f"host_{ada.pk}": ""})
    assert (
        "Choose at least one host."
        in client.post(reverse("booking:team_link_create", args=["sales"]), data).content.decode()
    )
    # The same slug in the team is refused.
    data.update({"slug": "sales-demo", f"host_{ana.pk}": "on", f"fixed_{ana.pk}": ""})
    assert (
        "The team already has a link with this URL."
        in client.post(reverse("booking:team_link_create", args=["sales"]), data).content.decode()
    )


def test_a_cohost_sees_the_meeting_in_their_bookings_calendar_and_feed(client, team, ana, ben):
    demo = team_link(team, [ana, ben], EventType.Hosting.COLLECTIVE)
    [booking] = book_slot(event_type=demo, start=BOTH, booker=booker())
    client.force_login(ben)
    assert "Bea Booker" in client.get(reverse("booking:booking_list")).content.decode()
    detail = client.get(reverse("scheduling:event_detail", args=[booking.event_id]))
    assert detail.status_code == 302
    assert detail["Location"] == Attendee.objects.get(event=booking.event, host=ben).get_absolute_url()
    from scheduling.models import CalendarFeed

    feed = CalendarFeed.objects.create(owner=ben) if not hasattr(ben, "calendar_feed") else ben.calendar_feed
    body = client.get(reverse("scheduling:feed", args=[feed.token])).content.decode()
    assert "Demo with Bea Booker" in body
    # Ben declines: the meeting no longer blocks him, nor shows in his calendar.
    Attendee.objects.filter(event=booking.event, host=ben).update(status=Attendee.Status.DECLINED)
    assert occurrences.between(ben, BOTH, BOTH + timedelta(hours=1)) == []


def test_someone_who_leaves_the_team_no_longer_hosts_its_links(team, ana, ben):
    demo = team_link(team, [ana, ben], EventType.Hosting.ROUND_ROBIN)
    Membership.objects.get(team=team, user=ben).delete()
    assert list(demo.hosts.values_list("user__username", flat=True)) == ["ana"]
    assert NEW_YORK_ONLY not in offered(demo)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's exclusion constraint")
def test_postgresql_refuses_a_cohost_in_two_booked_meetings_at_once(team, ana, ben):
    """Behind the host locks: even a write that skips every check cannot double-book a co-host."""
    from django.db import IntegrityError, transaction

    demo = team_link(team, [ana, ben], EventType.Hosting.COLLECTIVE)
    [booking] = book_slot(event_type=demo, start=BOTH, booker=booker())
    ben_solo = Event.objects.create(
        owner=ben, title="Ben's own", origin=Event.Origin.BOOKING, start=BOTH + timedelta(hours=2),
        end=BOTH + timedelta(hours=3), timezone="UTC",
    )  # fmt: skip

    def move_into_the_collective_meeting():
        with transaction.atomic():
            ben_solo.start, ben_solo.end = BOTH + timedelta(minutes=15), BOTH + timedelta(minutes=45)
            ben_solo.save()

    def cohost_over_his_own_meeting():
        with transaction.atomic():
            other = Event.objects.create(
                owner=ana, title="Another", origin=Event.Origin.BOOKING, start=BOTH + timedelta(hours=2),
                end=BOTH + timedelta(hours=3), timezone="UTC",
            )  # fmt: skip
            Attendee.objects.create(event=other, email="ben@example.com", host=ben, status=Attendee.Status.ACCEPTED)

    with pytest.raises(IntegrityError):
        move_into_the_collective_meeting()
    ben_solo.refresh_from_db()
    with pytest.raises(IntegrityError):
        cohost_over_his_own_meeting()
    # A declined co-host is free again; a cancelled meeting frees everyone.
    Attendee.objects.filter(event=booking.event, host=ben).update(status=Attendee.Status.DECLINED)
    Attendee.objects.filter(event=booking.event, host=ben).first().save()
    ben_solo.start, ben_solo.end = BOTH, BOTH + timedelta(minutes=30)
    ben_solo.save()


def test_a_team_link_outlives_the_account_that_made_it(team, ana, ben, client):
    from tests.factories import PASSWORD

    demo = team_link(team, [ana, ben], EventType.Hosting.ROUND_ROBIN)
    [booking] = book_slot(event_type=demo, start=NEW_YORK_ONLY, booker=booker())
    client.force_login(ana)
    assert client.post(reverse("accounts:delete"), {"confirmation": PASSWORD}).status_code == 302
    demo.refresh_from_db()
    assert demo.owner == ben
    assert demo.schedule.owner == ben
    assert list(demo.hosts.values_list("user__username", flat=True)) == ["ben"]
    assert Booking.objects.filter(pk=booking.pk).exists()  # Ben's meeting from it stays
    assert Membership.objects.get(team=team).role == Membership.Role.OWNER  # the team keeps an owner


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's exclusion constraint")
def test_a_cohost_booked_elsewhere_cannot_take_back_a_declined_meeting(team, ana, ben, client):
    demo = team_link(team, [ana, ben], EventType.Hosting.COLLECTIVE)
    [booking] = book_slot(event_type=demo, start=BOTH, booker=booker())
    cohost = Attendee.objects.get(event=booking.event, host=ben)
    client.post(reverse("scheduling:rsvp", args=[cohost.token]), {"response": "declined"})
    ben_solo = EventTypeFactory(owner=ben, schedule=ben.schedules.get())
    book_slot(event_type=ben_solo, start=BOTH, booker=booker("Cy", "cy@example.org"))  # free again, so booked
    response = client.post(reverse("scheduling:rsvp", args=[cohost.token]), {"response": "accepted"})
    assert response.status_code == 200
    assert "You have another booked meeting at this time now" in response.content.decode()
    cohost.refresh_from_db()
    assert cohost.status == Attendee.Status.DECLINED
