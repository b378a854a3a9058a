"""The organiser hears about answers (scheduling/activity.py): an email per answer, decline, comment,
RSVP or proposed time ("each"), one digest a day after 08:00 on their clock ("digest", the
default), or nothing ("off"); "everyone has answered" at once and once."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.urls import reverse

from accounts.models import User
from scheduling import activity, events, grid, polls
from scheduling.models import Activity, Attendee, Event, Invitation
from scheduling.tasks import send_answer_digests
from tests.factories import InvitationFactory, PollFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)  # 09:00 in Berlin, the owner's timezone
NEXT_MORNING = datetime(2026, 12, 2, 7, tzinfo=UTC)  # 08:00 in Berlin


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def notices(user):
    """The owner's choice: ``notices("each")``."""

    def choose(value: str) -> None:
        User.objects.filter(pk=user.pk).update(answer_notices=value)

    return choose


@pytest.fixture
def poll(user):
    return PollFactory(owner=user)


@pytest.fixture
def ana(poll):
    return InvitationFactory(poll=poll, name="Ana", email="ana@example.org")


@pytest.fixture
def ben(poll):
    return InvitationFactory(poll=poll, name="Ben", email="ben@example.org")


@pytest.fixture
def meeting(user):
    event = Event.objects.create(
        owner=user, title="Design review", start=datetime(2026, 12, 3, 9, tzinfo=UTC),
        end=datetime(2026, 12, 3, 10, tzinfo=UTC), timezone="Europe/Berlin",
    )  # fmt: skip
    return Attendee.objects.create(event=event, name="Cleo", email="cleo@example.org")


def stroke(client, invitation, *positions: int):
    """One painted stroke, as the grid sends it: the person's whole grid."""
    cells = invitation.poll.cells()
    painted = {grid.cell_key(cells[position]): 2 for position in positions}
    response = client.post(
        reverse("scheduling:save_invitee_grid", args=[invitation.token]), {"payload": json.dumps({"cells": painted})}
    )
    assert response.status_code == 200
    invitation.refresh_from_db()


def to_owner() -> list:
    return [message for message in mail.outbox if message.to == ["owner@example.com"]]


def subjects() -> list[str]:
    return [message.subject for message in to_owner()]


# --- "each": one email per answer ----------------------------------------------------------------


def test_each_sends_one_email_per_answer_not_per_stroke(client, clock, notices, ana, ben, committed):
    notices("each")
    for painted in [(0,), (0, 1), (0, 1, 2)]:
        with committed():
            stroke(client, ana, *painted)
        clock.shift(timedelta(seconds=20))
    assert subjects() == ["Ana answered “Project kick-off”"]


def test_each_tells_a_later_change_once_the_window_has_passed(client, clock, notices, ana, ben, committed):
    notices("each")
    with committed():
        stroke(client, ana, 0)
    clock.shift(activity.FOLD_WINDOW + timedelta(minutes=1))
    with committed():
        stroke(client, ana, 0, 1)
        stroke(client, ana, 0, 1, 2)
    assert subjects() == ["Ana answered “Project kick-off”", "Ana changed their answer on “Project kick-off”"]


def test_each_sends_one_email_per_decline_with_the_note(clock, notices, ana, ben, committed):
    notices("each")
    with committed():
        polls.decline(invitation=ana, note="Away that week")
    [message] = to_owner()
    assert message.subject == "Ana declined “Project kick-off”"
    assert "Away that week" in message.body


def test_each_sends_one_email_per_comment(clock, notices, user, poll, committed):
    notices("each")
    with committed():
        for text in ("Can we do mornings?", "Or Friday?"):
            activity.record(owner_id=user.pk, kind=Activity.Kind.COMMENTED, who="Ana", poll=poll, detail=text)
    assert subjects() == ["Ana commented on “Project kick-off”"] * 2
    assert "Or Friday?" in to_owner()[1].body


def test_each_sends_one_email_per_rsvp_and_per_proposed_time(clock, notices, meeting, committed):
    notices("each")
    proposal = (datetime(2026, 12, 3, 13, tzinfo=UTC), datetime(2026, 12, 3, 14, tzinfo=UTC), "After lunch?")
    with committed():
        events.respond(attendee=meeting, status=Attendee.Status.ACCEPTED)
    with committed():
        events.respond(attendee=meeting, status=Attendee.Status.DECLINED, proposal=proposal)
    accepted, proposed = to_owner()
    assert accepted.subject == "Cleo accepted “Design review” — Thu 03 Dec 2026, 10:00 (Europe/Berlin)"
    assert proposed.subject.startswith("Cleo proposed another time for “Design review”")
    assert "Thu 03 Dec 2026, 14:00–15:00 (Europe/Berlin)" in proposed.body
    assert "After lunch?" in proposed.body


def test_joining_by_the_link_and_answering_is_one_email(client, clock, notices, user, poll, committed):
    notices("each")
    sam = InvitationFactory(poll=poll, name="Sam", email="", joined_by_link=True)
    with committed():
        activity.record(owner_id=user.pk, kind=Activity.Kind.JOINED, who="Sam", poll=poll)
    clock.shift(timedelta(minutes=1))
    with committed():
        stroke(client, sam, 0)
    assert subjects() == ["Sam joined “Project kick-off” by its link"]


def test_emails_are_written_on_the_owners_clock_and_in_their_timezone(clock, user, meeting, committed):
    user.answer_notices, user.hour12, user.timezone = User.Notices.EACH, True, "America/New_York"
    user.save()
    proposal = (datetime(2026, 12, 3, 19, tzinfo=UTC), datetime(2026, 12, 3, 20, tzinfo=UTC), "")
    with committed():
        events.respond(attendee=meeting, status=Attendee.Status.DECLINED, proposal=proposal)
    [message] = to_owner()
    assert message.subject.endswith("— Thu 03 Dec 2026, 4:00 AM (America/New_York)")  # the meeting
    assert "Thu 03 Dec 2026, 2:00 PM–3:00 PM (America/New_York)" in message.body  # the proposed time


# --- "digest" (the default): one email a day -----------------------------------------------------


def answer_everything(client, user, poll, ana, meeting, committed) -> None:
    """Ana paints (three strokes) and comments, Cleo says maybe then yes to the meeting."""
    with committed():
        for painted in [(0,), (0, 1), (0, 1, 2)]:
            stroke(client, ana, *painted)
        activity.record(owner_id=user.pk, kind=Activity.Kind.COMMENTED, who="Ana", poll=poll, detail="Mornings?")
        events.respond(attendee=meeting, status=Attendee.Status.TENTATIVE)
        events.respond(attendee=meeting, status=Attendee.Status.ACCEPTED)


def test_digest_sends_nothing_at_once(client, clock, user, poll, ana, ben, meeting, committed):
    answer_everything(client, user, poll, ana, meeting, committed)
    assert to_owner() == []
    assert Activity.objects.filter(notified_at__isnull=True).count() == 3  # answered, commented, accepted


def test_the_next_mornings_digest_has_everything_by_poll_and_meeting(
    client, clock, user, poll, ana, ben, meeting, committed
):
    answer_everything(client, user, poll, ana, meeting, committed)
    clock.move_to(NEXT_MORNING)
    with committed():
        assert send_answer_digests.call_local() == 1
    [digest] = to_owner()
    assert digest.subject == "Daily summary: 3 updates on “Project kick-off” and 1 more"
    body = digest.body
    assert body.index("Poll: Project kick-off") < body.index("Ana answered") < body.index("Ana commented\n  Mornings?")
    assert "Meeting: Design review — Thu 03 Dec 2026, 10:00 (Europe/Berlin)" in body
    assert "Cleo accepted" in body
    assert "said maybe" not in body  # she changed her mind before the owner heard
    assert f"http://testserver{poll.get_absolute_url()}" in body
    assert not Activity.objects.filter(notified_at__isnull=True).exists()


def test_a_second_run_the_same_day_sends_no_second_digest(clock, user, poll, ana, committed):
    activity.record(owner_id=user.pk, kind=Activity.Kind.COMMENTED, who="Ana", poll=poll, detail="Hi")
    clock.move_to(NEXT_MORNING)
    with committed():
        assert send_answer_digests.call_local() == 1
    activity.record(owner_id=user.pk, kind=Activity.Kind.COMMENTED, who="Ana", poll=poll, detail="Again")
    clock.shift(timedelta(hours=4))
    with committed():
        assert send_answer_digests.call_local() == 0  # tomorrow's
    clock.shift(timedelta(days=1))
    with committed():
        assert send_answer_digests.call_local() == 1
    assert len(to_owner()) == 2


@pytest.mark.parametrize(
    ("zone", "before", "at"),
    [
        ("Europe/Berlin", "2026-03-29T05:59:00Z", "2026-03-29T06:00:00Z"),  # clocks went forward at 02:00
        ("Europe/Berlin", "2026-10-25T06:59:00Z", "2026-10-25T07:00:00Z"),  # and back at 03:00
        ("America/New_York", "2026-03-08T11:59:00Z", "2026-03-08T12:00:00Z"),
        ("America/New_York", "2026-11-01T12:59:00Z", "2026-11-01T13:00:00Z"),
        ("Asia/Kolkata", "2026-06-10T02:29:00Z", "2026-06-10T02:30:00Z"),
    ],
)
def test_the_digest_waits_for_eight_on_the_owners_clock(user, poll, zone, before, at, committed):
    User.objects.filter(pk=user.pk).update(timezone=zone)
    with time_machine.travel(datetime.fromisoformat(before) - timedelta(hours=12), tick=False):
        activity.record(owner_id=user.pk, kind=Activity.Kind.COMMENTED, who="Ana", poll=poll, detail="Hi")
    with time_machine.travel(before, tick=False), committed():
        assert send_answer_digests.call_local() == 0
    with time_machine.travel(at, tick=False), committed():
        assert send_answer_digests.call_local() == 1
    user.refresh_from_db()
    assert user.digest_sent_on == datetime.fromisoformat(at).astimezone(user.tzinfo).date()


def test_an_untold_answer_of_an_owner_who_switched_to_each_goes_in_the_digest(clock, user, notices, poll, committed):
    activity.record(owner_id=user.pk, kind=Activity.Kind.COMMENTED, who="Ana", poll=poll, detail="Hi")
    notices("each")
    clock.move_to(NEXT_MORNING)
    with committed():
        assert send_answer_digests.call_local() == 1


@pytest.mark.django_db(transaction=True)
def test_exactly_one_digest_per_owner_per_day_with_two_workers(user, poll):
    """Two workers run the periodic task at the same moment against the same database."""
    with time_machine.travel(NOW, tick=False):
        for text in ("One", "Two"):
            activity.record(owner_id=user.pk, kind=Activity.Kind.COMMENTED, who="Ana", poll=poll, detail=text)
    barrier = threading.Barrier(2)
    sent: list[int] = []

    def worker() -> None:
        try:
            barrier.wait()
            sent.append(send_answer_digests.call_local())
        finally:
            connection.close()

    with time_machine.travel(NEXT_MORNING + timedelta(minutes=15), tick=False):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(sent) == [0, 1]
    [digest] = to_owner()
    assert "One" in digest.body
    assert "Two" in digest.body


# --- "off" ---------------------------------------------------------------------------------------


def test_off_sends_nothing_not_even_everyone_has_answered(client, clock, notices, poll, ana, ben, committed):
    notices("off")
    with committed():
        stroke(client, ana, 0)
        polls.decline(invitation=ben)
    clock.move_to(NEXT_MORNING)
    with committed():
        assert send_answer_digests.call_local() == 0
    assert to_owner() == []
    assert not Activity.objects.filter(notified_at__isnull=True).exists()


# --- Everyone has answered -----------------------------------------------------------------------


def test_everyone_has_answered_comes_at_once_in_digest_mode_with_a_link_to_finalize(
    client, clock, poll, ana, ben, committed
):
    with committed():
        stroke(client, ana, 0)
    assert to_owner() == []
    with committed():
        polls.decline(invitation=ben, note="Sorry")
    [message] = to_owner()
    assert message.subject == "Everyone has answered “Project kick-off”"
    assert "All 2 people you invited answered; 1 of them declined." in message.alternatives[0][0]
    assert f"http://testserver{reverse('scheduling:poll_finalize', args=[poll.pk])}" in message.body


def test_everyone_has_answered_is_told_once_even_when_answers_change(client, clock, notices, poll, ana, ben, committed):
    notices("each")
    with committed():
        stroke(client, ana, 0)
        polls.decline(invitation=ben)
    clock.shift(timedelta(hours=1))
    with committed():
        polls.undo_decline(invitation=ben)
        stroke(client, ben, 1)
        stroke(client, ana, 2)
    assert subjects().count("Everyone has answered “Project kick-off”") == 1
    assert Activity.objects.filter(kind=Activity.Kind.EVERYONE).count() == 1


def test_people_who_joined_by_the_link_do_not_hold_up_everyone_has_answered(client, clock, poll, ana, committed):
    InvitationFactory(poll=poll, name="Sam", email="", joined_by_link=True)  # joined, has not answered
    with committed():
        stroke(client, ana, 0)
    assert subjects() == ["Everyone has answered “Project kick-off”"]


def test_a_poll_only_joined_by_the_link_never_says_everyone_has_answered(client, clock, poll, committed):
    sam = InvitationFactory(poll=poll, name="Sam", email="", joined_by_link=True)
    with committed():
        stroke(client, sam, 0)
    assert not Activity.objects.filter(kind=Activity.Kind.EVERYONE).exists()


@pytest.mark.django_db(transaction=True)
def test_everyone_has_answered_once_when_the_last_two_answers_race(user, poll):
    people = [InvitationFactory(poll=poll, name=f"Person {n}", email=f"p{n}@example.org") for n in range(2)]
    cells = poll.cells()
    barrier = threading.Barrier(2)

    def answer(invitation: Invitation) -> None:
        try:
            barrier.wait()
            polls.save_availability(poll=poll, invitation=invitation, levels={0: 2}, cells=cells)
        finally:
            connection.close()

    with time_machine.travel(NOW, tick=False):
        threads = [threading.Thread(target=answer, args=(person,)) for person in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert Invitation.objects.filter(status=Invitation.Status.RESPONDED).count() == 2
    assert Activity.objects.filter(kind=Activity.Kind.EVERYONE).count() == 1
    assert subjects() == ["Everyone has answered “Project kick-off”"]


# --- Unsubscribing -------------------------------------------------------------------------------


def unsubscribe_url(message) -> str:
    return re.fullmatch(r"<(.+)>", message.extra_headers["List-Unsubscribe"]).group(1)


def test_every_email_about_answers_has_a_one_click_unsubscribe(client, clock, notices, poll, ana, ben, committed):
    notices("each")
    with committed():
        stroke(client, ana, 0)
        polls.decline(invitation=ben)
    notices("digest")
    activity.record(owner_id=poll.owner_id, kind=Activity.Kind.COMMENTED, who="Ana", poll=poll, detail="Hi")
    clock.move_to(NEXT_MORNING)
    with committed():
        send_answer_digests.call_local()
    messages = to_owner()
    assert len(messages) == 4  # answered, declined, everyone, the digest
    for message in messages:
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe_url(message).startswith("http://testserver/profile/unsubscribe/")
        assert unsubscribe_url(message) in message.body


def test_the_unsubscribe_link_of_an_email_turns_the_emails_off(client, clock, notices, user, ana, ben, committed):
    notices("each")
    with committed():
        stroke(client, ana, 0)
    [message] = to_owner()
    assert client.post(unsubscribe_url(message)).status_code == 200
    user.refresh_from_db()
    assert user.answer_notices == User.Notices.OFF
