"""Polls by link: joining with a name, who sees whose answers, comments, and the owner's tools
for a poll's later life (reopen, un-finalize, duplicate, export)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

import icalendar
import pytest
import time_machine
from django.core import mail
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse

from scheduling import finalize, participants
from scheduling.models import AvailabilitySpan, Event, Invitation, OptionAnswer, Poll, PollComment, PollOption
from scheduling.participant_views import remembered
from scheduling.tasks import send_deadline_reminders
from tests.factories import InvitationFactory, PollFactory

pytestmark = pytest.mark.django_db

MON_0900 = "20261207T0800"  # the first cell of PollFactory's grid: 09:00 in Berlin (keys are UTC)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


@pytest.fixture(autouse=True)
def _fresh_counters():
    # The join limit counts in the cache; each test starts from none.
    for alias in ("default", "local", "versions"):
        caches[alias].clear()


@pytest.fixture
def poll(user):
    found = PollFactory(owner=user)
    participants.share(found, enabled=True)
    return found


def join_url(poll):
    return reverse("scheduling:poll_join", args=[poll.share_token])


def join(client, poll, name, email="", **extra):
    return client.post(join_url(poll), {"name": name, "email": email}, **extra)


def paint(client, invitation, cells):
    url = reverse("scheduling:save_invitee_grid", args=[invitation.token])
    return client.post(url, {"payload": json.dumps({"cells": cells})})


# --- Joining -----------------------------------------------------------------------------------


def test_joining_by_name_leads_to_a_personal_page_the_browser_remembers(client, poll):
    page = client.get(join_url(poll))
    assert page.status_code == 200
    assert "Olivia Owner is finding a time to meet" in page.content.decode()

    response = join(client, poll, "Sam")
    invitation = Invitation.objects.get(poll=poll, name="Sam")
    assert invitation.joined_by_link
    assert invitation.email == ""
    assert response.status_code == 302
    assert response["Location"] == f"{invitation.get_absolute_url()}?joined=1"

    landing = client.get(response["Location"]).content.decode()
    assert "This page is your personal link" in landing
    assert f"http://testserver{invitation.get_absolute_url()}" in landing
    # Coming back by the shared link, the browser is recognised.
    again = client.get(join_url(poll)).content.decode()
    assert "You joined as <strong>Sam</strong>" in again
    assert remembered(client.get(join_url(poll)).wsgi_request, poll) == invitation
    assert len(mail.outbox) == 0  # no address given: nothing to send


def test_a_participant_who_gives_an_address_gets_their_link_by_email(client, poll, committed):
    with committed():
        join(client, poll, "Sam Kim", "sam@example.org")
    invitation = Invitation.objects.get(name="Sam Kim")
    (message,) = [m for m in mail.outbox if m.to == ["sam@example.org"]]
    assert message.subject == "Your link to “Project kick-off”"
    assert f"http://testserver{invitation.get_absolute_url()}" in message.body
    assert "Saturday 5 December 2026, 18:00 (Europe/Berlin)" in message.body


def test_a_joined_participant_paints_like_an_invitee(client, poll):
    join(client, poll, "Sam")
    invitation = Invitation.objects.get(name="Sam")
    assert paint(client, invitation, {MON_0900: 3}).status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.RESPONDED
    assert AvailabilitySpan.objects.filter(invitation=invitation).count() == 1


@pytest.mark.parametrize("taken", ["Sam", "sam", "SAM"])
def test_names_are_unique_per_poll_whatever_the_case(client, poll, taken):
    join(client, poll, "Sam")
    response = join(client, poll, taken)
    assert response.status_code == 409
    assert "Someone in this poll already goes by that name" in response.content.decode()
    assert Invitation.objects.filter(poll=poll).count() == 1


def test_a_name_taken_by_an_emailed_invitee_is_refused_too(client, poll):
    InvitationFactory(poll=poll, name="Ina Invitee", email="ina@example.org")
    response = join(client, poll, "ina invitee")
    assert response.status_code == 409
    assert "already goes by that name" in response.content.decode()


def test_an_address_already_invited_is_pointed_to_its_own_link(client, poll):
    InvitationFactory(poll=poll, name="Ina Invitee", email="ina@example.org")
    response = join(client, poll, "Ina from home", "INA@example.org")
    assert response.status_code == 409
    assert "That address is already in this poll" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "x" * 101}, "Ensure this value has at most 100 characters"),
        ({"name": "Sam", "email": "not-an-address"}, "Enter a valid email address."),
    ],
)
def test_bad_input_gets_a_clear_message_and_keeps_what_was_typed(client, poll, data, message):
    response = client.post(join_url(poll), data)
    assert response.status_code == 400
    content = response.content.decode()
    assert message in content
    if data.get("email"):
        assert 'value="not-an-address"' in content
    assert not Invitation.objects.exists()


def test_a_link_turned_off_or_replaced_stops_working(client, owner_client, poll):
    old_url = join_url(poll)
    owner_client.post(reverse("scheduling:poll_share", args=[poll.pk]), {"visibility": "owner"})  # unticked
    poll.refresh_from_db()
    assert not poll.share_enabled
    page = client.get(old_url)
    assert "has turned this link off" in page.content.decode()
    assert join(client, poll, "Sam").status_code == 410

    owner_client.post(reverse("scheduling:poll_share_regenerate", args=[poll.pk]))
    poll.refresh_from_db()
    assert poll.share_enabled
    assert join_url(poll) != old_url
    assert client.get(old_url).status_code == 404
    assert join(client, poll, "Sam").status_code == 302


def test_a_closed_poll_takes_nobody_new(client, poll):
    poll.status = Poll.Status.CLOSED
    poll.save()
    assert "no longer takes answers" in client.get(join_url(poll)).content.decode()
    assert join(client, poll, "Sam").status_code == 410


@override_settings(POLL_MAX_PARTICIPANTS=3)
def test_the_poll_takes_a_capped_number_of_people_by_link(client, poll):
    for name in ("A", "B", "C"):
        assert join(client, poll, name).status_code == 302
    response = join(client, poll, "D")
    assert response.status_code == 409
    assert "This poll already has 3 participants by link" in response.content.decode()
    # Emailed invitations are the owner's own choice and do not count.
    assert Invitation.objects.filter(poll=poll).count() == 3


@override_settings(POLL_JOINS_PER_HOUR=3)
def test_joining_is_rate_limited_per_address(client, poll):
    for name in ("A", "B", "C"):
        assert join(client, poll, name, REMOTE_ADDR="203.0.113.9").status_code == 302
    response = join(client, poll, "D", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many people joined from your network" in response.content.decode()
    assert 'value="D"' in response.content.decode()  # what they typed is kept
    # Someone elsewhere is not affected.
    assert join(client, poll, "E", REMOTE_ADDR="198.51.100.4").status_code == 302


def test_hostile_names_and_comments_are_shown_as_text(client, owner_client, poll):
    payload = '<img src=x onerror=alert(1)>"><script>alert(2)</script>'
    join(client, poll, payload)
    invitation = Invitation.objects.get(poll=poll)
    poll.visibility = Poll.Visibility.ALWAYS
    poll.save()
    client.post(reverse("scheduling:participant_comment", args=[invitation.token]), {"text": payload})
    for page in (owner_client.get(poll.get_absolute_url()), client.get(invitation.get_absolute_url())):
        content = page.content.decode()
        assert "<img src=x" not in content
        assert "<script>alert" not in content
        assert "&lt;img src=x onerror=alert(1)&gt;" in content


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Ann\r\nBcc: victim@example.org", "Use a single line, without line breaks or control characters."),
        ("x" * 1_000_000, "Ensure this value has at most 100 characters"),
    ],
)
def test_line_breaks_and_a_megabyte_of_name_are_refused(client, poll, name, message):
    response = join(client, poll, name, "ann@example.org")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_a_megabyte_comment_is_refused_and_line_breaks_in_one_are_kept_as_text(client, poll):
    join(client, poll, "Ann")
    ann = Invitation.objects.get()
    poll.visibility = Poll.Visibility.ALWAYS
    poll.save()
    url = reverse("scheduling:participant_comment", args=[ann.token])
    response = client.post(url, {"text": "y" * 1_000_000}, follow=True)
    assert "Ensure this value has at most 2000 characters" in response.content.decode()
    assert not PollComment.objects.exists()
    client.post(url, {"text": "Line one\r\nLine two\x07\x1b[31m"})
    assert PollComment.objects.get().text == "Line one\nLine two[31m"


# --- Who sees what -----------------------------------------------------------------------------


@pytest.fixture
def painted_poll(client, poll):
    """Two people joined by link; Ann has answered, Ben not yet."""
    join(client, poll, "Ann")
    join(client, poll, "Ben")
    ann, ben = Invitation.objects.get(name="Ann"), Invitation.objects.get(name="Ben")
    paint(client, ann, {MON_0900: 3})
    PollComment.objects.create(poll=poll, invitation=ann, name="Ann", text="Mornings suit me")
    return poll, ann, ben


@pytest.mark.parametrize(
    ("visibility", "ann_sees", "ben_sees"),
    [
        (Poll.Visibility.OWNER, False, False),
        (Poll.Visibility.AFTER_ANSWERING, True, False),
        (Poll.Visibility.ALWAYS, True, True),
    ],
)
def test_who_sees_the_answers_is_the_owners_choice(client, painted_poll, visibility, ann_sees, ben_sees):
    poll, ann, ben = painted_poll
    poll.visibility = visibility
    poll.save()
    cell = reverse("scheduling:participant_who", args=[ann.token])
    for person, sees in ((ann, ann_sees), (ben, ben_sees)):
        page = client.get(person.get_absolute_url()).content.decode()
        assert ("Everyone's availability" in page) is sees
        assert ('data-testid="roster"' in page) is sees
        assert ("Mornings suit me" in page) is sees
        who = client.get(reverse("scheduling:participant_who", args=[person.token]), {"cell": MON_0900})
        assert who.status_code == (200 if sees else 404)
    if visibility == Poll.Visibility.AFTER_ANSWERING:
        assert (
            "Once you have answered, you will see everyone's answers"
            in client.get(ben.get_absolute_url()).content.decode()
        )
    assert cell  # the URL exists for both


@pytest.mark.parametrize("visibility", list(Poll.Visibility))
def test_a_visitor_with_only_the_link_sees_nobody_and_no_answers(client, painted_poll, visibility):
    poll, _ann, _ben = painted_poll
    poll.visibility = visibility
    poll.save()
    client.cookies.clear()  # a stranger's browser, not one that joined
    page = client.get(join_url(poll)).content.decode()
    assert poll.title in page
    for secret in ("Ann", "Ben", "Mornings suit me", "heat-map", 'data-testid="roster"'):
        assert secret not in page
    # Nor can they reach anyone's answers without a personal link.
    who = reverse("scheduling:participant_who", args=["not-a-token"])
    assert client.get(who, {"cell": MON_0900}).status_code == 404


def test_a_participant_sees_names_never_addresses(client, painted_poll):
    poll, ann, ben = painted_poll
    InvitationFactory(poll=poll, name="Ina Invitee", email="ina@example.org")
    poll.visibility = Poll.Visibility.ALWAYS
    poll.save()
    page = client.get(ann.get_absolute_url()).content.decode()
    assert "Ina Invitee" in page
    assert "ina@example.org" not in page
    assert "Ann (you)" in page
    who = client.get(reverse("scheduling:participant_who", args=[ben.token]), {"cell": MON_0900}).content.decode()
    assert "Ann" in who
    assert "preferred" in who
    assert "Not available: Ben, Ina Invitee" in who


def test_the_heat_map_on_a_participant_page_refreshes_alone(client, painted_poll, htmx_headers):
    poll, ann, _ = painted_poll
    poll.visibility = Poll.Visibility.ALWAYS
    poll.save()
    response = client.get(ann.get_absolute_url(), {"tz": "America/New_York"}, headers=htmx_headers("heat-map"))
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="heat-map"')
    assert "tz=America%2FNew_York" in content


# --- Comments ----------------------------------------------------------------------------------


def test_participants_comment_and_delete_only_their_own(client, owner_client, painted_poll):
    poll, ann, ben = painted_poll
    poll.visibility = Poll.Visibility.ALWAYS
    poll.save()
    client.post(reverse("scheduling:participant_comment", args=[ben.token]), {"text": "Tuesday is best"})
    bens = PollComment.objects.get(text="Tuesday is best")
    assert bens.name == "Ben"
    assert bens.invitation == ben
    anns = PollComment.objects.get(text="Mornings suit me")
    # Ben cannot delete Ann's comment, even by guessing its number.
    response = client.post(reverse("scheduling:participant_comment_delete", args=[ben.token, anns.pk]))
    assert response.status_code == 404
    client.post(reverse("scheduling:participant_comment_delete", args=[ben.token, bens.pk]))
    assert not PollComment.objects.filter(pk=bens.pk).exists()
    # The owner deletes anyone's, and comments as the organiser.
    owner_client.post(reverse("scheduling:poll_comment_delete", args=[poll.pk, anns.pk]))
    assert not PollComment.objects.exists()
    owner_client.post(reverse("scheduling:poll_comment", args=[poll.pk]), {"text": "Let's say Monday"})
    page = client.get(ann.get_absolute_url()).content.decode()
    assert "Let's say Monday" in page or "Let&#x27;s say Monday" in page
    assert "(organiser)" in page


def test_no_comments_where_answers_are_hidden(client, painted_poll):
    _poll, ann, _ = painted_poll  # visibility: owner only
    response = client.post(reverse("scheduling:participant_comment", args=[ann.token]), {"text": "Hello"})
    assert response.status_code == 404
    assert PollComment.objects.count() == 1


def test_an_empty_or_long_comment_is_refused_with_a_message(client, painted_poll):
    poll, ann, _ = painted_poll
    poll.visibility = Poll.Visibility.ALWAYS
    poll.save()
    response = client.post(
        reverse("scheduling:participant_comment", args=[ann.token]), {"text": "y" * 2001}, follow=True
    )
    assert "Ensure this value has at most 2000 characters" in response.content.decode()
    assert PollComment.objects.count() == 1


def test_the_owner_removes_a_participant(owner_client, painted_poll):
    poll, ann, _ = painted_poll
    owner_client.post(reverse("scheduling:remove_invitee", args=[poll.pk, ann.pk]))
    assert not Invitation.objects.filter(pk=ann.pk).exists()
    assert not AvailabilitySpan.objects.filter(invitation_id=ann.pk).exists()


# --- Reminders reach only people with an address --------------------------------------------------


def test_reminders_skip_people_without_an_address(client, owner_client, poll, committed):
    join(client, poll, "Sam")  # no address
    InvitationFactory(poll=poll, name="Ina", email="ina@example.org")
    with committed():
        owner_client.post(reverse("scheduling:remind_all", args=[poll.pk]))
    assert [m.to for m in mail.outbox if "Reminder" in m.subject or "reminder" in m.subject.lower()] == [
        ["ina@example.org"]
    ]
    sam = Invitation.objects.get(name="Sam")
    response = owner_client.post(reverse("scheduling:remind_one", args=[poll.pk, sam.pk]), follow=True)
    assert "joined by link without an email address" in response.content.decode()
    mail.outbox.clear()
    with time_machine.travel("2026-12-05T08:00:00Z", tick=False), committed():
        assert send_deadline_reminders.call_local() == 1
    assert [m.to for m in mail.outbox] == [["ina@example.org"]]


def test_the_owners_page_shows_the_link_and_who_joined_by_it(client, owner_client, poll):
    join(client, poll, "Sam")
    page = owner_client.get(poll.get_absolute_url()).content.decode()
    assert f"http://testserver{join_url(poll)}" in page
    assert "Sam" in page
    assert "(joined by link)" in page
    assert "1 so far, at most 200" in page


# --- The heat map, narrowed to some people ------------------------------------------------------


def test_the_owner_narrows_the_heat_map_to_some_people(client, owner_client, painted_poll, htmx_headers):
    poll, _ann, ben = painted_poll
    paint(client, ben, {"20261207T0900": 2})
    everyone = owner_client.get(poll.get_absolute_url(), headers=htmx_headers("heat-map")).content.decode()
    assert f'data-cell="{MON_0900}"' in everyone
    only_ben = owner_client.get(
        poll.get_absolute_url(), {"people": [str(ben.pk)]}, headers=htmx_headers("heat-map")
    ).content.decode()
    assert "(only the people ticked)" in only_ben
    assert f"people={ben.pk}" in only_ben  # kept when the map refreshes after a stroke
    assert _count_at(only_ben, MON_0900) == 0
    assert _count_at(only_ben, "20261207T0900") == 1
    assert _count_at(everyone, MON_0900) == 1  # Ann


def _count_at(page: str, cell: str) -> int:
    match = re.search(rf'data-cell="{cell}"[^>]*aria-label="[^"]*, (\d+) available"', page)
    assert match, f"no heat cell {cell}"
    return int(match.group(1))


# --- Reopen, un-finalize, duplicate, export -------------------------------------------------------


def test_a_closed_poll_is_reopened_with_a_week_to_answer(owner_client, poll):
    poll.status = Poll.Status.CLOSED
    poll.save()
    response = owner_client.post(reverse("scheduling:poll_reopen", args=[poll.pk]), follow=True)
    poll.refresh_from_db()
    assert poll.status == Poll.Status.OPEN
    assert poll.deadline == datetime(2026, 12, 8, 8, tzinfo=UTC)
    assert "Reopened: people can answer until Tuesday 8 December." in response.content.decode()


def test_a_poll_past_its_deadline_is_reopened(owner_client, poll):
    with time_machine.travel("2026-12-06T08:00:00Z", tick=False):
        page = owner_client.get(poll.get_absolute_url()).content.decode()
        assert reverse("scheduling:poll_reopen", args=[poll.pk]) in page
        owner_client.post(reverse("scheduling:poll_reopen", args=[poll.pk]))
    poll.refresh_from_db()
    assert poll.accepts_answers(datetime(2026, 12, 12, tzinfo=UTC))


@pytest.fixture
def finalized(client, poll, committed):
    join(client, poll, "Sam")  # by link, no address
    ina = InvitationFactory(poll=poll, name="Ina", email="ina@example.org")
    sam = Invitation.objects.get(name="Sam")
    start = datetime(2026, 12, 7, 8, tzinfo=UTC)
    meeting = finalize.PlannedMeeting(start=start, end=start.replace(hour=9), invitations=(ina, sam))
    with committed():
        finalize.finalize_poll(poll=poll, meetings=[meeting])
    poll.refresh_from_db()
    return poll, ina, sam


def test_a_finalized_poll_tells_a_participant_without_an_address_on_their_page(client, finalized):
    poll, _ina, sam = finalized
    page = client.get(sam.get_absolute_url(), {"tz": "Europe/Berlin"}).content.decode()
    assert "Your meeting: Monday 7 December 2026, 09:00–10:00</p>" in page
    assert '<option value="Europe/Berlin" selected' in page  # "Times shown in", the page's one zone
    event = Event.objects.get(poll=poll)
    assert list(event.attendees.values_list("email", flat=True)) == ["ina@example.org"]


def test_a_finalized_poll_cannot_be_edited(owner_client, finalized):
    poll, _, _ = finalized
    response = owner_client.get(reverse("scheduling:poll_edit", args=[poll.pk]), follow=True)
    assert "This poll is finalized. To change it, first pick another time" in response.content.decode()
    response = owner_client.post(reverse("scheduling:poll_edit", args=[poll.pk]), {"title": "Changed"})
    poll.refresh_from_db()
    assert poll.title == "Project kick-off"


def test_unfinalizing_cancels_the_meetings_and_opens_the_poll(owner_client, client, finalized, committed):
    poll, ina, sam = finalized
    confirm = owner_client.get(reverse("scheduling:poll_unfinalize", args=[poll.pk])).content.decode()
    assert "Mon 7 Dec 2026" in confirm
    assert "Ina" in confirm
    mail.outbox.clear()
    with committed():
        response = owner_client.post(reverse("scheduling:poll_unfinalize", args=[poll.pk]), follow=True)
    assert "Un-finalized: 1 meeting cancelled" in response.content.decode()
    poll.refresh_from_db()
    assert poll.status == Poll.Status.OPEN
    assert poll.accepts_answers()
    event = Event.objects.get(poll=poll)
    assert event.status == Event.Status.CANCELLED
    (cancellation,) = [m for m in mail.outbox if m.to == ["ina@example.org"]]
    calendar = icalendar.Calendar.from_ical(
        next(a for a in cancellation.attachments if a.filename.endswith(".ics")).content
    )
    assert calendar["METHOD"] == "CANCEL"
    assert calendar.walk("VEVENT")[0]["UID"] == event.uid
    # The participant's page no longer shows the meeting; they can answer again.
    page = client.get(sam.get_absolute_url()).content.decode()
    assert "Your meeting" not in page
    assert "When can you meet?" in page
    # Finalizing again makes a new meeting, and the owner's page shows only that one.
    start = datetime(2026, 12, 8, 8, tzinfo=UTC)
    finalize.finalize_poll(poll=poll, meetings=[finalize.PlannedMeeting(start=start, end=start.replace(hour=9),
                                                                        invitations=(ina,))])  # fmt: skip
    page = owner_client.get(poll.get_absolute_url()).content.decode()
    assert "Tue 8 Dec 2026" in page
    assert "Mon 7 Dec 2026" not in page


def test_duplicating_copies_settings_and_options_not_people(owner_client, painted_poll):
    poll, _, _ = painted_poll
    PollOption.objects.create(poll=poll, start=datetime(2026, 12, 7, 8, tzinfo=UTC))
    PollOption.objects.create(poll=poll, day=datetime(2026, 12, 9).date())
    response = owner_client.post(reverse("scheduling:poll_duplicate", args=[poll.pk]))
    copy = Poll.objects.exclude(pk=poll.pk).get()
    assert response["Location"] == reverse("scheduling:poll_edit", args=[copy.pk])
    assert copy.title == "Project kick-off (copy)"
    assert (copy.dates, copy.day_start, copy.duration, copy.visibility) == (
        poll.dates, poll.day_start, poll.duration, poll.visibility,
    )  # fmt: skip
    assert copy.options.count() == 2
    assert not copy.invitations.exists()
    assert not copy.share_token
    assert not copy.spans.exists()


def test_answers_export_as_csv_in_the_polls_zone(owner_client, painted_poll):
    poll, _ann, ben = painted_poll
    ben.name = "=HYPERLINK(evil)"
    ben.save()
    response = owner_client.get(reverse("scheduling:poll_export", args=[poll.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="project-kick-off-answers.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Name", "Email", "Status", "Date", "From (Europe/Berlin)", "To (Europe/Berlin)", "Answer"]
    assert ["Ann", "", "Responded", "2026-12-07", "09:00", "09:30", "Preferred"] in rows
    assert ["'=HYPERLINK(evil)", "", "Pending", "", "", "", ""] in rows


def test_an_options_poll_exports_one_column_per_option(owner_client, user):
    poll = PollFactory(owner=user, mode=Poll.Mode.OPTIONS)
    morning = PollOption.objects.create(poll=poll, start=datetime(2026, 12, 7, 8, tzinfo=UTC))
    day = PollOption.objects.create(poll=poll, day=datetime(2026, 12, 9).date())
    ann = InvitationFactory(poll=poll, name="Ann", email="ann@example.org", status=Invitation.Status.RESPONDED)
    OptionAnswer.objects.create(option=morning, invitation=ann, level=2)
    OptionAnswer.objects.create(option=day, invitation=ann, level=1)
    rows = list(
        csv.reader(io.StringIO(owner_client.get(reverse("scheduling:poll_export", args=[poll.pk])).content.decode()))
    )
    assert rows[0] == ["Name", "Email", "Status", "2026-12-07 09:00 Europe/Berlin", "2026-12-09 (all day)"]
    assert rows[2] == ["Ann", "ann@example.org", "Responded", "Yes", "If need be"]


OWNER_TOOLS = [
    ("scheduling:poll_reopen", "post"),
    ("scheduling:poll_unfinalize", "get"),
    ("scheduling:poll_unfinalize", "post"),
    ("scheduling:poll_duplicate", "post"),
    ("scheduling:poll_export", "get"),
    ("scheduling:poll_share", "post"),
    ("scheduling:poll_share_regenerate", "post"),
    ("scheduling:poll_comment", "post"),
]


@pytest.mark.parametrize(("name", "method"), OWNER_TOOLS)
def test_owner_tools_are_the_owners_alone(client, other_user, poll, name, method):
    response = getattr(client, method)(reverse(name, args=[poll.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    client.force_login(other_user)
    assert getattr(client, method)(reverse(name, args=[poll.pk])).status_code == 404
