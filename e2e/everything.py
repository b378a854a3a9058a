"""Every page of Convene, and a world to show on them in which every text anyone types is hostile.

``seed_world()`` fills one owner's account through the app's own workflows (booking links booked
and cancelled, a team, polls painted, declined, joined and finalized, calendar events answered and
proposed against, emails sent), each free-text field holding one of three payloads (``TEXT``).
``VISITS`` lists the pages the owner, a team member and an outsider can open with it. Shared by
the tests that go through every page: e2e/test_hostile_text_everywhere.py (the text stays text)
and e2e/test_accessibility.py (axe-core finds nothing serious).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from urllib.parse import quote

from django.utils import timezone
from playwright.sync_api import expect

from accounts import teams
from accounts.api_base import issue_token
from accounts.models import (
    CalDAVAccount,
    EmailProblem,
    ICSSubscription,
    Membership,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from booking.book import Booker, book_slot, cancel_booking
from booking.models import TeamHost
from booking.schemas import booking_data
from scheduling import activity, events, options, participants, polls, reminders
from scheduling.finalize import PlannedMeeting, finalize_poll
from scheduling.models import Attendee, Event, Poll
from tests.factories import (
    ContactFactory,
    EventTypeFactory,
    PollFactory,
    ScheduleFactory,
    UserFactory,
    booked,
    connect_google,
)


def markup(field: str) -> str:
    return f"<img src=x onerror=\"window.__xss=1;alert('{field}')\">"


def breakout(field: str) -> str:
    """Closes a quoted (or unquoted) attribute and opens an element with a handler."""
    return f"{field} \"'><svg onload=window.__xss=1>"


def script_url(field: str) -> str:
    return f"javascript:window.__xss=1;alert('{field}')//"


def quoted_address(field: str) -> str:
    """An address an outsider may type as a guest: a quoted local part passes Django's validation."""
    return '"<svg/onload=window.__xss=1>"@example.org'


PAYLOADS = {
    # accounts
    "owner name": markup,
    "member name": breakout,
    "contact first name": markup,
    "contact last name": breakout,
    "team name": markup,
    "ics name": markup,
    "ics error": breakout,
    "caldav name": markup,
    "caldav calendar": breakout,
    "google calendar": markup,
    "email problem": markup,
    "api token name": markup,
    "webhook description": breakout,
    "webhook answer": markup,  # what a receiver answered, shown in the delivery log
    # booking
    "schedule name": markup,
    "link title": markup,
    "link description": breakout,
    "location detail": script_url,
    "question": markup,
    "long question": breakout,
    "booker name": markup,
    "answer": markup,
    "long answer": breakout,
    "cancel reason": markup,
    "ask link title": breakout,
    "booker location": script_url,
    "team link title": breakout,
    "team booker name": markup,
    # scheduling: polls
    "poll title": markup,
    "poll description": breakout,
    "invitee name": markup,
    "decliner name": breakout,
    "decline note": markup,
    "link participant name": breakout,
    "participant comment": markup,
    "owner comment": breakout,
    "options poll title": breakout,
    "options invitee name": markup,
    "finalized poll title": markup,
    "finalized invitee name": breakout,
    # scheduling: the calendar
    "event title": markup,
    "event description": breakout,
    "event location": markup,
    "attendee name": markup,
    "proposer name": breakout,
    "proposal note": markup,
    "guest email": quoted_address,
}
TEXT = {field: make(field) for field, make in PAYLOADS.items()}

EVERY_HOUR = [(day, time(0), time(23, 59, 59)) for day in range(7)]


# --- Seeding, through the app's own workflows -----------------------------------------------------


def seed_world() -> SimpleNamespace:
    """An owner whose every text, and the texts of everyone who dealt with them, are payloads."""
    t = TEXT
    owner = UserFactory(
        username="olivia", email="olivia@example.com", name=t["owner name"], timezone="UTC", answer_notices="each"
    )
    mallory = UserFactory(username="mallory", email="mallory@example.com", name=t["member name"], timezone="UTC")
    schedule = ScheduleFactory(owner=owner, name=t["schedule name"], is_default=True, hours=EVERY_HOUR)
    ScheduleFactory(owner=mallory, is_default=True, hours=EVERY_HOUR)
    contact = ContactFactory(
        owner=owner, first_name=t["contact first name"], last_name=t["contact last name"], email="carl@example.org"
    )

    # Calendars the owner connected: their names come from the owner, or from the calendar's server.
    connection = connect_google(owner, busy_calendars=[], target_calendar="")
    connection.calendars[0]["summary"] = t["google calendar"]
    connection.save(update_fields=["calendars"])
    dav = "https://dav.example.org/"
    CalDAVAccount.objects.create(
        user=owner, name=t["caldav name"], server_url=dav, principal_url=dav, home_url=dav, username="olivia",
        calendars=[{"url": f"{dav}work/", "name": t["caldav calendar"], "color": "#ff0000", "writable": True}],
    )  # fmt: skip
    ICSSubscription.objects.create(
        user=owner, name=t["ics name"], url="https://example.org/feed.ics", busy=False, last_error=t["ics error"]
    )
    EmailProblem.objects.create(user=owner, recipient="gone@example.org", subject=t["email problem"], error="550")

    # Booking links, booked by an outsider (one booking cancelled with a reason).
    day = date.today() + timedelta(days=2)

    def at(hour: int, on: date = day) -> datetime:
        return datetime.combine(on, time(hour), tzinfo=UTC)

    questions = [
        {"label": t["question"], "kind": "short", "required": True},
        {"label": t["long question"], "kind": "long", "required": False},
    ]
    intro = EventTypeFactory(
        owner=owner, slug="intro", schedule=schedule, title=t["link title"], description=t["link description"],
        location_kind="in_person", location_detail=t["location detail"], questions=questions,
    )  # fmt: skip
    ask = EventTypeFactory(owner=owner, slug="where", schedule=schedule, title=t["ask link title"], location_kind="ask")
    answers = [
        {"question": t["question"], "answer": t["answer"]},
        {"question": t["long question"], "answer": t["long answer"]},
    ]
    bea = {"name": t["booker name"], "email": "bea@example.org", "timezone": "UTC"}
    (booking,) = book_slot(
        event_type=intro, start=at(9), booker=Booker(**bea, answers=answers, guests=[t["guest email"]])
    )
    (cancelled,) = book_slot(event_type=intro, start=at(11), booker=Booker(**bea, answers=answers))
    cancel_booking(booking=cancelled, reason=t["cancel reason"], by=Event.By.ATTENDEE)
    (asked,) = book_slot(event_type=ask, start=at(13), booker=Booker(**bea, location=t["booker location"]))
    past = booked(intro, at(9, date.today() - timedelta(days=2)), name=t["booker name"])

    # A team with a round-robin link (the member always in the meeting), booked by an outsider.
    team = teams.create_team(user=owner, name=t["team name"], slug="sales")
    Membership.objects.create(team=team, user=mallory)
    invitation = teams.invite(team=team, by=team.memberships.get(user=owner), email="nina@example.org", role="member")
    demo = EventTypeFactory(
        owner=owner, team=team, hosting="round_robin", slug="demo", schedule=schedule, title=t["team link title"],
        location_kind="phone", location_detail="+1 555 0100",
    )  # fmt: skip
    TeamHost.objects.create(event_type=demo, user=owner)
    TeamHost.objects.create(event_type=demo, user=mallory, is_fixed=True)
    (team_booking,) = book_slot(
        event_type=demo,
        start=at(15),
        booker=Booker(name=t["team booker name"], email="tom@example.org", timezone="UTC"),
    )

    # A poll painted, declined, joined by its link and commented on, whose answers everyone sees.
    poll_day = day + timedelta(days=1)
    poll = PollFactory(
        owner=owner, title=t["poll title"], description=t["poll description"], timezone="UTC",
        dates=[poll_day.isoformat()], deadline=at(0), visibility=Poll.Visibility.ALWAYS,
    )  # fmt: skip
    participants.share(poll, enabled=True)
    ivy, dan, pending = polls.invite(
        poll=poll,
        people=[
            polls.Invitee(t["invitee name"], "ivy@example.org"),
            polls.Invitee(t["decliner name"], "dan@example.org"),
            polls.Invitee("Mallory", mallory.email),  # the poll is on her dashboard
        ],
    )
    cells = poll.cells()
    polls.save_availability(poll=poll, invitation=None, levels=dict.fromkeys(range(4), 3), cells=cells)
    polls.save_availability(poll=poll, invitation=ivy, levels=dict.fromkeys(range(4), 2), cells=cells)
    polls.decline(invitation=dan, note=t["decline note"])
    joined = participants.join(poll=poll, name=t["link participant name"], email="lee@example.org")
    polls.save_availability(poll=poll, invitation=joined, levels=dict.fromkeys(range(2), 1), cells=cells)
    participants.comment(poll=poll, invitation=ivy, text=t["participant comment"])
    participants.comment(poll=poll, invitation=None, text=t["owner comment"])
    polls.remind(invitations=[pending])

    # A poll of options, and a poll finalized into a meeting.
    options_poll = PollFactory(
        owner=owner, title=t["options poll title"], timezone="UTC", mode=Poll.Mode.OPTIONS, dates=[],
        deadline=at(0), visibility=Poll.Visibility.ALWAYS,
    )  # fmt: skip
    offered = options.add_options(
        poll=options_poll, choices=[options.Choice(start=at(9, poll_day)), options.Choice(day=poll_day)]
    )
    (olga,) = polls.invite(poll=options_poll, people=[polls.Invitee(t["options invitee name"], "olga@example.org")])
    for person in (olga, None):
        options.save_answers(poll=options_poll, invitation=person, levels={option.pk: 2 for option in offered})
    finalized = PollFactory(
        owner=owner, title=t["finalized poll title"], timezone="UTC", dates=[poll_day.isoformat()], deadline=at(0)
    )
    (fay,) = polls.invite(poll=finalized, people=[polls.Invitee(t["finalized invitee name"], "fay@example.org")])
    (meeting,) = finalize_poll(
        poll=finalized, meetings=[PlannedMeeting(start=at(14, poll_day), end=at(15, poll_day), invitations=(fay,))]
    )

    # A calendar event; one attendee declines and proposes another time, with a note.
    event = events.save_event(
        event=Event(
            owner=owner, title=t["event title"], description=t["event description"], location=t["event location"],
            start=at(17), end=at(18), timezone="UTC", reminders=[60], remind_attendees=True,
        ),
        attendees=[(t["attendee name"], "ann@example.org"), (t["proposer name"], "pat@example.org")],
    )  # fmt: skip
    ann, pat = event.attendees.order_by("id")
    # The owner hears of this reply in the daily digest rather than at once.
    User.objects.filter(pk=owner.pk).update(answer_notices=User.Notices.DIGEST)
    events.respond(
        attendee=pat, status=Attendee.Status.DECLINED, proposal=(at(17, poll_day), at(18, poll_day), t["proposal note"])
    )

    activity.send_digest(owner.pk, date.today(), timezone.now())
    # The reminders of the booked meeting and of the calendar event.
    reminders.send_due(at(9) - timedelta(days=1))
    reminders.send_due(at(16))

    # Made last, so the seeding above sends nothing anywhere; one delivery answered with a payload.
    issue_token(user=owner, name=t["api token name"], can_write=True, expires_at=None)
    webhook = WebhookEndpoint.objects.create(
        owner=owner, url="https://hooks.example.com/convene", description=t["webhook description"],
        events=[WebhookEndpoint.Events.BOOKING_CREATED],
    )  # fmt: skip
    delivery = WebhookDelivery.objects.create(
        endpoint=webhook, event_type="booking.created", message_id="msg_everything",
        payload={"id": "msg_everything", "type": "booking.created", "data": booking_data(booking)},
        state=WebhookDelivery.State.FAILED, attempts=8, response_status=500, response_excerpt=t["webhook answer"],
        duration_ms=120,
    )  # fmt: skip

    return SimpleNamespace(
        webhook=webhook, delivery=delivery,
        owner=owner, mallory=mallory, day=day, schedule=schedule, contact=contact, intro=intro, demo=demo,
        booking=booking, cancelled=cancelled, past=past, asked=asked, team_booking=team_booking, invitation=invitation,
        poll=poll, ivy=ivy, dan=dan, joined=joined, options_poll=options_poll, olga=olga, finalized=finalized,
        fay=fay, meeting=meeting, event=event, ann=ann, pat=pat, free_start=at(20),
    )  # fmt: skip


# --- The pages, and what brings more of a page in -----------------------------------------------


@dataclass(frozen=True)
class Visit:
    path: str
    shows: str  # the fields (comma-separated) whose payloads the page must show as text
    reveal: str = ""  # an action that brings more text in (see REVEAL)
    status: int = 200

    @property
    def fields(self) -> list[str]:
        return [field for field in self.shows.split(", ") if field]


def hover_heat_map(page, field: str) -> None:
    """Hovering a cell of the heat map loads who can come then (htmx)."""
    with page.expect_response(re.compile(r"/who/\?cell=")):
        page.locator("#heat-map td[data-cell]:not([data-heat='0'])").first.hover()
    expect(page.locator("#heat-detail").get_by_text(TEXT[field])).to_be_visible()


def pick_a_day(page) -> None:
    """Picking a day loads its free times (the day partial) into the page."""
    with page.expect_response(re.compile(r"[?&]date=")):
        page.locator("a[data-day]").first.click()
    expect(page.get_by_test_id("slot-list")).to_be_visible()
    expect(page.get_by_text(TEXT["link title"]).first).to_be_visible()


def save_unchanged(page, field: str) -> None:
    """The edit form sends back what it shows: the text survives the round trip, and the message
    that names it is text too."""
    page.locator("main form button[type=submit]").filter(has_text="Save").first.click()
    expect(page.get_by_role("status").get_by_text(TEXT[field])).to_be_visible()


REVEAL = {
    "owner heat map": lambda page: hover_heat_map(page, "invitee name"),
    "participant heat map": lambda page: hover_heat_map(page, "link participant name"),
    "day": pick_a_day,
    "save contact": lambda page: save_unchanged(page, "contact first name"),
    "save event": lambda page: save_unchanged(page, "event title"),
}


def owner_visits(w) -> list[Visit]:
    day, event, poll, options_poll = w.day.isoformat(), w.event.pk, w.poll.pk, w.options_poll.pk
    return [
        Visit("/dashboard/", "owner name, email problem, event title, poll title, booker name"),
        Visit("/profile/", "owner name"),
        Visit("/profile/calendars/", "caldav name, caldav calendar, ics name, ics error, google calendar"),
        Visit("/profile/google-calendar/", "google calendar"),
        Visit("/profile/delete/", ""),
        Visit("/profile/api-tokens/", "api token name"),
        Visit("/profile/webhooks/", "webhook description"),
        Visit(f"/profile/webhooks/{w.webhook.pk}/", "webhook description"),
        Visit(f"/profile/webhooks/{w.webhook.pk}/deliveries/{w.delivery.pk}/", "webhook answer"),
        Visit("/contacts/", "contact first name, contact last name, invitee name"),
        Visit(f"/contacts/?q={quote('<img')}", "contact first name"),
        Visit(f"/contacts/{w.contact.pk}/", "contact first name, contact last name"),
        Visit(f"/contacts/{w.contact.pk}/delete/", "contact first name"),
        Visit(f"/contacts/{w.contact.pk}/edit/", "contact first name, contact last name", reveal="save contact"),
        Visit("/booking-links/", "link title, ask link title, schedule name"),
        Visit(f"/booking-links/{w.intro.pk}/edit/", "link title, link description, location detail, schedule name"),
        Visit(f"/booking-links/{w.intro.pk}/delete/", "link title"),
        Visit("/booking-links/new/", "schedule name"),
        Visit("/booking-links/schedules/", "schedule name"),
        Visit(f"/booking-links/schedules/{w.schedule.pk}/", "schedule name"),
        Visit(
            "/booking-links/bookings/",
            "booker name, answer, long answer, guest email, location detail, booker location, team booker name",
        ),
        Visit("/booking-links/bookings/?tab=cancelled", "booker name, cancel reason"),
        Visit(f"/booking-links/bookings/{w.booking.pk}/cancel/", "link title, booker name"),
        Visit("/teams/", "team name"),
        Visit("/teams/sales/", "team name, member name, owner name"),
        Visit("/teams/sales/links/", "team link title, team name"),
        Visit(f"/teams/sales/links/{w.demo.pk}/edit/", "team link title, member name"),
        Visit("/teams/sales/bookings/", "team booker name, team link title"),
        Visit("/teams/sales/delete/", "team name"),
        Visit("/polls/", "poll title, options poll title, finalized poll title"),
        Visit(
            f"/polls/{poll}/?tz=UTC",
            "poll title, poll description, invitee name, decliner name, decline note, link participant name, "
            "participant comment, owner comment, contact first name",
            reveal="owner heat map",
        ),
        Visit(f"/polls/{poll}/status/", "invitee name, decliner name, decline note"),
        Visit(f"/polls/{poll}/edit/", "poll title, poll description"),
        Visit(f"/polls/{poll}/finalize/", "poll title, invitee name"),
        Visit(f"/polls/{poll}/finalize/?option=0", "poll title, invitee name"),  # the preview
        Visit(f"/polls/{poll}/delete/", "poll title"),
        Visit(f"/polls/{options_poll}/?tz=UTC", "options poll title, options invitee name"),
        Visit(f"/polls/{options_poll}/options/", "options poll title"),
        Visit(f"/polls/{options_poll}/finalize/", "options poll title, options invitee name"),
        Visit(f"/polls/{w.finalized.pk}/?tz=UTC", "finalized poll title, finalized invitee name"),
        Visit(f"/polls/{w.finalized.pk}/unfinalize/", "finalized poll title"),
        Visit(f"/calendar/?date={day}", "event title, booker name, team booker name"),
        Visit(f"/calendar/day/?date={day}", "event title, booker name"),
        Visit(f"/calendar/month/?date={day}", "link title, finalized poll title"),
        Visit(
            "/calendar/agenda/", "event title, event location, finalized poll title, location detail, booker location"
        ),
        Visit(f"/calendar/agenda/?q={quote(TEXT['event title'])}", "event title"),
        Visit(
            f"/calendar/events/{event}/",
            "event title, event description, event location, attendee name, proposer name, proposal note",
        ),
        Visit(f"/calendar/events/{event}/delete/", "event title"),
        Visit("/calendar/events/new/", "contact first name"),
        Visit(f"/calendar/events/{event}/edit/", "event title, event description, event location", reveal="save event"),
        Visit(f"/calendar/events/{w.booking.event_id}/", "link title, booker name, location detail, guest email"),
        Visit(f"/calendar/events/{w.asked.event_id}/", "booker location"),
        Visit(f"/calendar/events/{w.meeting.pk}/", "finalized poll title, finalized invitee name"),
    ]


def member_visits(w) -> list[Visit]:
    return [
        Visit("/dashboard/", "member name, poll title, owner name, team booker name"),
        Visit("/teams/", "team name"),
        Visit("/teams/sales/", "team name, member name, owner name"),
        Visit("/teams/sales/links/", "team link title"),
        Visit("/teams/sales/bookings/", "team booker name, team link title"),
        Visit(w.invitation.get_absolute_url(), "team name"),
        Visit(f"/calendar/agenda/?date={w.day.isoformat()}", "team booker name"),
    ]


def outsider_visits(w) -> list[Visit]:
    start = quote(w.free_start.isoformat())
    month = f"{w.free_start:%Y-%m}"  # a month with free days, whatever the day the test runs
    return [
        Visit("/olivia/", "owner name, link title, ask link title, link description"),
        Visit("/olivia/?embed=1", "owner name, link title"),
        Visit(
            f"/olivia/intro/?tz=UTC&month={month}",
            "owner name, link title, link description, location detail",
            reveal="day",
        ),
        Visit(f"/olivia/intro/?tz=UTC&embed=1&month={month}", "link title, link description", reveal="day"),
        Visit(f"/olivia/intro/book/?start={start}&tz=UTC", "link title, location detail, question, long question"),
        Visit(f"/olivia/intro/book/?start={start}&tz=UTC&embed=1", "link title, question"),
        Visit(f"/olivia/where/book/?start={start}&tz=UTC", "ask link title"),
        Visit(
            f"/booking/{w.booking.token}/?new=1", "link title, owner name, booker name, location detail, guest email"
        ),
        Visit(f"/booking/{w.booking.token}/reschedule/?tz=UTC", "link title, owner name"),
        Visit(f"/booking/{w.booking.token}/cancel/", "link title"),
        Visit(f"/booking/{w.cancelled.token}/", "link title, cancel reason"),
        Visit(f"/booking/{w.past.token}/reschedule/", "owner name", status=410),
        Visit(f"/booking/{w.asked.token}/", "ask link title, booker location"),
        # A link's parameters are someone's text too: what is not a timezone or a month is ignored.
        Visit(f"/olivia/intro/?tz={quote(TEXT['link title'])}&month={quote(TEXT['booker name'])}&embed=1", ""),
        Visit(f"/p/{w.ivy.token}/?tz={quote(TEXT['poll title'])}", "poll title"),
        Visit("/team/sales/", "team name, team link title"),
        Visit("/team/sales/?embed=1", "team name, team link title"),
        Visit("/team/sales/demo/?tz=UTC", "team name, team link title"),
        Visit(f"/team/sales/demo/book/?start={start}&tz=UTC", "team link title, member name"),
        Visit(f"/booking/{w.team_booking.token}/", "team link title, team booker name"),
        Visit(
            f"/p/{w.ivy.token}/?tz=UTC",
            "poll title, poll description, owner name, invitee name, link participant name, participant comment, "
            "owner comment",
            reveal="participant heat map",
        ),
        Visit(f"/p/{w.dan.token}/?tz=UTC", "poll title, decline note"),
        Visit(f"/p/{w.joined.token}/?tz=UTC", "poll title, link participant name"),
        Visit(f"/p/join/{w.poll.share_token}/", "poll title, poll description, owner name"),
        Visit(f"/p/{w.olga.token}/?tz=UTC", "options poll title, options invitee name, owner name"),
        Visit(f"/p/{w.fay.token}/?tz=UTC", "finalized poll title, owner name"),
        Visit(f"/rsvp/{w.ann.token}/", "event title, event location, attendee name, owner name"),
        Visit(f"/rsvp/{w.pat.token}/", "event title, proposer name"),
        Visit(f"/rsvp/{w.meeting.attendees.get().token}/", "finalized poll title, finalized invitee name"),
        Visit(f"/rsvp/{w.booking.attendee.token}/", "link title, booker name, location detail"),
    ]


VISITS = {"owner": owner_visits, "team member": member_visits, "outsider": outsider_visits}
