"""Polls in the REST API: the poll page's forms and workflows behind JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from scheduling.models import AvailabilitySpan, Event, Invitation, OptionAnswer, Poll, PollOption
from tests.factories import ContactFactory, InvitationFactory, PollFactory

pytestmark = pytest.mark.django_db

# PollFactory: Mon 7 – Fri 11 Dec 2026, 09:00–12:00 in Berlin (UTC+1), 30-minute cells.
MON_0900 = datetime(2026, 12, 7, 8, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


@pytest.fixture
def poll(user):
    return PollFactory(owner=user)


def paint(poll, invitation, start, end, level=3):
    AvailabilitySpan.objects.create(poll=poll, invitation=invitation, start=start, end=end, level=level)
    if invitation is not None:
        Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.RESPONDED)


def new_poll(**changes):
    body = {
        "title": "Planning", "timezone": "Europe/Berlin", "deadline": "2026-12-05T17:00:00+01:00",
        "first_date": "2026-12-07", "last_date": "2026-12-09", "day_start": "09:00", "day_end": "12:00",
    }  # fmt: skip
    return body | changes


# --- Reading ---------------------------------------------------------------------------------------


def test_polls_are_listed_open_first_with_their_counts(api, user, poll):
    closed = PollFactory(owner=user, title="Old", status=Poll.Status.CLOSED)
    InvitationFactory(poll=poll, status=Invitation.Status.RESPONDED)
    InvitationFactory(poll=poll)
    items = api.get("/polls").json()["items"]
    assert [(item["id"], item["invited"], item["responded"]) for item in items] == [(poll.pk, 2, 1), (closed.pk, 0, 0)]


def test_polls_filter_by_status(api, user, poll):
    PollFactory(owner=user, status=Poll.Status.CLOSED)
    assert [item["id"] for item in api.get("/polls", status="open").json()["items"]] == [poll.pk]


def test_an_unknown_status_filter_is_refused(api, poll):
    response = api.get("/polls", status="pending")
    assert response.status_code == 422
    assert "open, closed, finalized" in response.json()["detail"]


def test_poll_list_pages_link_to_the_next(api, user):
    PollFactory.create_batch(3, owner=user)
    first = api.get("/polls", per_page=2).json()
    assert (first["count"], len(first["items"])) == (3, 2)
    assert "page=2" in first["next"]


def test_listing_polls_takes_the_same_queries_however_many(api, user, django_assert_max_num_queries):
    def add(count):
        for _ in range(count):
            made = PollFactory(owner=user)
            InvitationFactory.create_batch(2, poll=made)
            Event.objects.create(owner=user, poll=made, title="m", start=MON_0900, end=MON_0900 + HOUR)

    add(2)
    api.get("/polls")  # the token's first use is written once a minute; not part of the count
    with django_assert_max_num_queries(5):  # token, rate-limit count, count, page, meetings
        assert len(api.get("/polls").json()["items"]) == 2
    add(20)
    with django_assert_max_num_queries(5):
        assert len(api.get("/polls").json()["items"]) == 22


def test_a_grid_polls_detail_has_everyones_painted_spans(api, poll):
    ann = InvitationFactory(poll=poll, name="Ann")
    paint(poll, None, MON_0900, MON_0900 + 2 * HOUR, level=2)
    paint(poll, ann, MON_0900 + HOUR, MON_0900 + 2 * HOUR, level=3)
    body = api.get(f"/polls/{poll.pk}").json()
    assert body["owner"]["availability"] == [
        {"start": "2026-12-07T08:00:00Z", "end": "2026-12-07T10:00:00Z", "level": 2}
    ]
    (invitation,) = body["invitations"]
    assert (invitation["name"], invitation["status"]) == ("Ann", "responded")
    assert invitation["availability"] == [{"start": "2026-12-07T09:00:00Z", "end": "2026-12-07T10:00:00Z", "level": 3}]


def test_an_options_polls_detail_has_the_options_and_everyones_answers(api, user):
    poll = PollFactory(owner=user, mode=Poll.Mode.OPTIONS, dates=[])
    timed = PollOption.objects.create(poll=poll, start=MON_0900)
    day = PollOption.objects.create(poll=poll, day=datetime(2026, 12, 8).date())
    ann = InvitationFactory(poll=poll, name="Ann")
    OptionAnswer.objects.create(option=timed, invitation=None, level=2)
    OptionAnswer.objects.create(option=day, invitation=ann, level=1)
    body = api.get(f"/polls/{poll.pk}").json()
    assert body["options"] == [
        {"id": timed.pk, "start": "2026-12-07T08:00:00Z", "end": "2026-12-07T09:00:00Z", "day": None, "all_day": False},
        # A whole day is midnight to midnight in the poll's zone.
        {"id": day.pk, "start": "2026-12-07T23:00:00Z", "end": "2026-12-08T23:00:00Z", "day": "2026-12-08",
         "all_day": True},
    ]  # fmt: skip
    assert body["owner"]["answers"] == [{"option_id": timed.pk, "level": 2}]
    assert body["invitations"][0]["answers"] == [{"option_id": day.pk, "level": 1}]


# --- Creating ------------------------------------------------------------------------------------


def test_owner_creates_a_grid_poll(api, user):
    response = api.post("/polls", new_poll())
    assert response.status_code == 201
    poll = Poll.objects.get()
    assert (poll.owner, poll.dates, poll.deadline) == (
        user,
        ["2026-12-07", "2026-12-08", "2026-12-09"],
        datetime(2026, 12, 5, 16, tzinfo=UTC),
    )
    assert response.json()["id"] == poll.pk


def test_owner_creates_an_options_poll_from_the_pages_lines(api):
    response = api.post("/polls", new_poll(mode="options", options=["2026-12-14 10:00", "2026-12-15"]))
    assert response.status_code == 201
    assert [(o["day"], o["all_day"]) for o in response.json()["options"]] == [(None, False), ("2026-12-15", True)]


def test_creating_a_poll_gives_the_forms_messages(api):
    response = api.post("/polls", new_poll(deadline="2026-11-30T10:00:00Z", last_date="2027-03-01"))
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"field": "last_date", "message": "A poll can span at most eight weeks."},
        {"field": "deadline", "message": "Deadline cannot be in the past."},
    ]


def test_an_options_line_the_page_refuses_is_refused_with_its_message(api):
    response = api.post("/polls", new_poll(mode="options", options=["2026-12-32"]))
    assert response.json()["errors"] == [
        {
            "field": "option_list",
            "message": "“2026-12-32” is not a date and time: write 2026-12-14 10:00, or 2026-12-15 for a whole day.",
        }
    ]


def test_a_deadline_without_an_offset_is_refused(api):
    response = api.post("/polls", new_poll(deadline="2026-12-05T17:00:00"))
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["deadline"]
    assert not Poll.objects.exists()


# --- Inviting and reminding ----------------------------------------------------------------------


def test_owner_invites_people_and_contacts_who_are_emailed_their_links(api, poll, contact, committed):
    with committed():
        response = api.post(
            f"/polls/{poll.pk}/invitations",
            {"people": [{"name": "Ben Bauer", "email": "ben@example.org"}], "contact_ids": [contact.pk]},
        )
    assert response.status_code == 201
    assert sorted(item["email"] for item in response.json()) == ["ada@example.org", "ben@example.org"]
    assert sorted(message.to[0] for message in mail.outbox) == ["ada@example.org", "ben@example.org"]
    assert poll.owner.contacts.filter(email="ben@example.org").exists()  # someone new becomes a contact


def test_inviting_someone_already_invited_gives_the_forms_message_and_invites_nobody(api, poll):
    InvitationFactory(poll=poll, name="Ann", email="ann@example.org")
    response = api.post(
        f"/polls/{poll.pk}/invitations",
        {"people": [{"name": "Ben", "email": "ben@example.org"}, {"name": "Ann", "email": "ANN@example.org"}]},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "people.1", "message": "Invitation already sent to Ann (ANN@example.org)."}
    ]
    assert poll.invitations.count() == 1


def test_the_same_person_twice_in_one_request_is_refused(api, poll, contact):
    response = api.post(
        f"/polls/{poll.pk}/invitations",
        {"contact_ids": [contact.pk], "people": [{"name": "Ada", "email": "Ada@example.org"}]},
    )
    assert response.json()["errors"] == [{"field": "people.0", "message": "The same person is listed twice."}]


def test_another_users_contact_cannot_be_invited(api, poll, other_user):
    theirs = ContactFactory(owner=other_user)
    response = api.post(f"/polls/{poll.pk}/invitations", {"contact_ids": [theirs.pk]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "contact_ids.0.contacts"


def test_an_empty_invitation_gives_the_forms_message(api, poll):
    response = api.post(f"/polls/{poll.pk}/invitations", {})
    assert response.json()["errors"] == [
        {"field": "__all__", "message": "Pick at least one contact, or type a name and email."}
    ]


def test_a_closed_poll_takes_no_invitations(api, user):
    poll = PollFactory(owner=user, status=Poll.Status.CLOSED)
    response = api.post(f"/polls/{poll.pk}/invitations", {"people": [{"name": "B", "email": "b@example.org"}]})
    assert response.status_code == 409
    assert response.json()["detail"] == "This poll is closed; invitations can no longer be sent."


def test_remind_emails_everyone_pending_at_most_once_an_hour(api, poll, committed):
    pending = InvitationFactory(poll=poll, name="Pat")
    InvitationFactory(poll=poll, name="Done", status=Invitation.Status.RESPONDED)
    with committed():
        first = api.post(f"/polls/{poll.pk}/remind").json()
    assert [(item["id"], item["reminders_sent"]) for item in first["reminded"]] == [(pending.pk, 1)]
    assert [message.to for message in mail.outbox] == [[pending.email]]
    again = api.post(f"/polls/{poll.pk}/remind").json()
    assert again == {
        "reminded": [],
        "not_reminded": [
            {"id": pending.pk, "name": "Pat", "reason": "Pat was reminded less than an hour ago. Try again later."}
        ],
    }


def test_remind_given_invitations_says_why_one_was_not_reminded(api, poll):
    pat = InvitationFactory(poll=poll, name="Pat")
    done = InvitationFactory(poll=poll, name="Done", status=Invitation.Status.RESPONDED)
    body = api.post(f"/polls/{poll.pk}/remind", {"invitation_ids": [pat.pk, done.pk]}).json()
    assert [item["id"] for item in body["reminded"]] == [pat.pk]
    assert body["not_reminded"] == [{"id": done.pk, "name": "Done", "reason": "Done has already answered."}]


def test_remind_with_another_polls_invitation_is_not_found(api, user, poll):
    elsewhere = InvitationFactory(poll=PollFactory(owner=user))
    assert api.post(f"/polls/{poll.pk}/remind", {"invitation_ids": [elsewhere.pk]}).status_code == 404
    assert Invitation.objects.get(pk=elsewhere.pk).reminders_sent == 0


# --- Suggestions and finalizing ------------------------------------------------------------------


@pytest.fixture
def answered(poll):
    """Owner and Ann free Monday 09:00–11:00 Berlin; Ben only 10:00–11:00."""
    ann = InvitationFactory(poll=poll, name="Ann", email="ann@example.org")
    ben = InvitationFactory(poll=poll, name="Ben", email="ben@example.org")
    paint(poll, None, MON_0900, MON_0900 + 2 * HOUR)
    paint(poll, ann, MON_0900, MON_0900 + 2 * HOUR)
    paint(poll, ben, MON_0900 + HOUR, MON_0900 + 2 * HOUR, level=2)
    return ann, ben


def test_suggestions_rank_the_time_most_can_come_first(api, poll, answered):
    ann, ben = answered
    body = api.get(f"/polls/{poll.pk}/suggestions").json()
    best = body["group"][0]
    assert (best["start"], best["can_come"], best["owner_level"]) == ("2026-12-07T09:00:00Z", 3, 3)
    assert best["available"] == [
        {"invitation_id": ann.pk, "name": "Ann", "level": 3},
        {"invitation_id": ben.pk, "name": "Ben", "level": 2},
    ]
    assert (body["kind"], body["schedules"], body["missing"]) == ("group", [], [])


def test_suggestions_of_a_series_poll_are_schedules(api, user):
    poll = PollFactory(owner=user, kind=Poll.Kind.SERIES)
    ann = InvitationFactory(poll=poll, name="Ann")
    ben = InvitationFactory(poll=poll, name="Ben")
    paint(poll, None, MON_0900, MON_0900 + 3 * HOUR)
    paint(poll, ann, MON_0900, MON_0900 + HOUR)
    paint(poll, ben, MON_0900, MON_0900 + 2 * HOUR)
    best = api.get(f"/polls/{poll.pk}/suggestions").json()["schedules"][0]
    assert [(m["invitation_id"], m["start"]) for m in best["meetings"]] == [
        (ann.pk, "2026-12-07T08:00:00Z"),
        (ben.pk, "2026-12-07T09:00:00Z"),
    ]


def test_finalizing_creates_the_meeting_and_emails_everyone(api, poll, answered, committed):
    with committed():
        response = api.post(f"/polls/{poll.pk}/finalize", {"start": "2026-12-07T10:00:00+01:00"})
    assert response.status_code == 201
    (meeting,) = response.json()["meetings"]
    assert (meeting["start"], meeting["end"], meeting["origin"]) == (
        "2026-12-07T09:00:00Z",
        "2026-12-07T10:00:00Z",
        "poll",
    )
    assert sorted(a["email"] for a in meeting["attendees"]) == ["ann@example.org", "ben@example.org"]
    assert response.json()["poll"]["status"] == "finalized"
    # As from the page: each attendee an invitation, the owner a summary.
    assert sorted(message.to[0] for message in mail.outbox) == [
        "ann@example.org",
        "ben@example.org",
        "owner@example.com",
    ]


def test_a_time_someone_cannot_make_needs_the_warnings_accepted(api, poll, answered):
    body = {"start": "2026-12-07T09:00:00+01:00"}
    refused = api.post(f"/polls/{poll.pk}/finalize", body)
    assert refused.status_code == 422
    assert refused.json()["warnings"] == ["Ben is not available at Mon 07 Dec, 09:00."]
    assert not Event.objects.exists()
    assert api.post(f"/polls/{poll.pk}/finalize", body | {"accept_warnings": True}).status_code == 201


def test_a_preview_checks_and_creates_nothing(api, poll, answered):
    ann, _ = answered
    body = api.post(
        f"/polls/{poll.pk}/finalize", {"start": "2026-12-07T09:00:00Z", "attendees": [ann.pk], "preview": True}
    ).json()
    assert body == {
        "ok": True,
        "meetings": [
            {"start": "2026-12-07T09:00:00Z", "end": "2026-12-07T10:00:00Z", "all_day": False,
             "invitation_ids": [ann.pk]}
        ],
        "errors": [],
        "warnings": [],
        "notes": [],
    }  # fmt: skip
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.OPEN


def test_a_plan_the_page_refuses_gives_its_messages(api, poll, answered, other_user):
    stranger = InvitationFactory(poll=PollFactory(owner=other_user))
    response = api.post(f"/polls/{poll.pk}/finalize", {"attendees": [stranger.pk]})
    assert response.status_code == 422
    assert [error["message"] for error in response.json()["errors"]] == [
        "Contact not invited: that person is not an invitee of this poll.",
        "This field is required: choose a meeting time.",
        "Availability not selected for a user: choose at least one person to invite.",
    ]


def test_a_series_poll_is_finalized_with_a_meeting_per_invitee(api, user, committed):
    poll = PollFactory(owner=user, kind=Poll.Kind.SERIES)
    ann = InvitationFactory(poll=poll, name="Ann")
    paint(poll, None, MON_0900, MON_0900 + HOUR)
    paint(poll, ann, MON_0900, MON_0900 + HOUR)
    with committed():
        response = api.post(
            f"/polls/{poll.pk}/finalize", {"meetings": [{"invitation_id": ann.pk, "start": "2026-12-07T08:00:00Z"}]}
        )
    assert response.status_code == 201
    assert [m["title"] for m in response.json()["meetings"]] == ["Project kick-off — Ann"]


def test_an_options_poll_is_finalized_at_an_option(api, user):
    poll = PollFactory(owner=user, mode=Poll.Mode.OPTIONS, dates=[])
    option = PollOption.objects.create(poll=poll, start=MON_0900)
    OptionAnswer.objects.create(option=option, invitation=None, level=2)
    ann = InvitationFactory(poll=poll, name="Ann", status=Invitation.Status.RESPONDED)
    OptionAnswer.objects.create(option=option, invitation=ann, level=2)
    assert api.get(f"/polls/{poll.pk}/suggestions").json()["group"][0]["option_id"] == option.pk
    response = api.post(f"/polls/{poll.pk}/finalize", {"option_id": option.pk})
    assert response.status_code == 201
    assert response.json()["meetings"][0]["start"] == "2026-12-07T08:00:00Z"


def test_a_finalized_poll_cannot_be_finalized_again(api, poll, answered):
    api.post(f"/polls/{poll.pk}/finalize", {"start": "2026-12-07T09:00:00Z"})
    response = api.post(f"/polls/{poll.pk}/finalize", {"start": "2026-12-07T09:00:00Z"})
    assert response.status_code == 409
    assert Event.objects.count() == 1


# --- Who may ---------------------------------------------------------------------------------------

WRITES = [
    ("post", "/polls/{id}/invitations", {"people": [{"name": "B", "email": "b@example.org"}]}),
    ("post", "/polls/{id}/remind", {}),
    ("post", "/polls/{id}/finalize", {"start": "2026-12-07T09:00:00Z"}),
]
READS = ["/polls/{id}", "/polls/{id}/suggestions"]


@pytest.mark.parametrize("path", READS)
def test_another_users_poll_is_not_found(intruder, poll, path):
    assert intruder.get(path.format(id=poll.pk)).status_code == 404


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_another_user_cannot_change_a_poll(intruder, poll, method, path, body):
    InvitationFactory(poll=poll)
    assert getattr(intruder, method)(path.format(id=poll.pk), body).status_code == 404
    assert Invitation.objects.get().reminders_sent == 0
    assert Poll.objects.get().status == Poll.Status.OPEN


def test_another_users_polls_are_not_listed(intruder, poll):
    assert intruder.get("/polls").json()["count"] == 0


@pytest.mark.parametrize(("method", "path", "body"), [*WRITES, ("post", "/polls", new_poll())])
def test_a_read_only_token_cannot_write(reader, poll, method, path, body):
    response = getattr(reader, method)(path.format(id=poll.pk), body)
    assert response.status_code == 403
    assert Poll.objects.count() == 1


@pytest.mark.parametrize("path", ["/polls", *READS])
def test_no_token_is_401(anonymous, poll, path):
    assert anonymous.get(path.format(id=poll.pk)).status_code == 401


def test_a_read_only_token_reads(reader, poll):
    assert reader.get(f"/polls/{poll.pk}").status_code == 200
