"""Availability polls: the owner's pages, the invitee's token link, reminders."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import Contact
from scheduling.models import MAX_INVITEES, AvailabilitySpan, Invitation, Poll
from scheduling.tasks import send_deadline_reminders
from tests.factories import ContactFactory, InvitationFactory, PollFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


@pytest.fixture
def poll(user):
    return PollFactory(owner=user)


@pytest.fixture
def invitation(poll):
    return InvitationFactory(poll=poll, name="Ina Invitee", email="ina@example.org")


def save(client, url, cells):
    return client.post(url, {"payload": json.dumps({"cells": cells})})


def owner_save_url(poll):
    return reverse("scheduling:save_owner_grid", args=[poll.pk])


def invitee_save_url(invitation):
    return reverse("scheduling:save_invitee_grid", args=[invitation.token])


def poll_data(**changes):
    data = {
        "title": "Retro", "description": "", "kind": "group", "duration": 60, "timezone": "Europe/Berlin",
        "date_mode": "range", "first_date": "2026-12-07", "last_date": "2026-12-11", "chosen_dates": "",
        "day_start": "09:00", "day_end": "17:00", "cell_minutes": 30, "deadline": "2026-12-05T17:00",
    }  # fmt: skip
    data.update(changes)
    return data


# --- Access ------------------------------------------------------------------------------------

OWNER_VIEWS = [
    ("scheduling:poll_detail", "get"),
    ("scheduling:poll_edit", "get"),
    ("scheduling:poll_close", "post"),
    ("scheduling:poll_delete", "post"),
    ("scheduling:save_owner_grid", "post"),
    ("scheduling:poll_status", "get"),
    ("scheduling:poll_invite", "post"),
    ("scheduling:remind_all", "post"),
]


@pytest.mark.parametrize(("name", "method"), OWNER_VIEWS)
def test_anonymous_visitor_is_sent_to_login(client, poll, name, method):
    response = getattr(client, method)(reverse(name, args=[poll.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(("name", "method"), OWNER_VIEWS)
def test_another_users_poll_is_a_404(client, poll, other_user, name, method):
    client.force_login(other_user)
    assert getattr(client, method)(reverse(name, args=[poll.pk])).status_code == 404
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.OPEN


def test_another_users_invitation_cannot_be_reminded_or_removed(client, invitation, other_user):
    client.force_login(other_user)
    for name in ("scheduling:remind_one", "scheduling:remove_invitee"):
        assert client.post(reverse(name, args=[invitation.poll.pk, invitation.pk])).status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_unknown_token_is_a_plain_404(client, invitation):
    assert client.get(reverse("scheduling:respond", args=["no-such-token"])).status_code == 404
    assert save(client, reverse("scheduling:save_invitee_grid", args=["nope"]), {}).status_code == 404


def test_removed_invitee_link_stops_working(owner_client, client, invitation):
    owner_client.post(reverse("scheduling:remove_invitee", args=[invitation.poll.pk, invitation.pk]))
    assert client.get(invitation.get_absolute_url()).status_code == 404


# --- Creating and editing ------------------------------------------------------------------------


def test_owner_creates_a_poll(owner_client, user):
    response = owner_client.post(reverse("scheduling:poll_create"), poll_data())
    poll = Poll.objects.get()
    assert response["Location"] == poll.get_absolute_url()
    assert poll.dates == ["2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11"]
    assert poll.deadline == datetime(2026, 12, 5, 16, tzinfo=UTC)  # 17:00 in Berlin
    assert len(poll.cells()) == 5 * 16


def test_owner_creates_a_poll_on_chosen_dates(owner_client):
    owner_client.post(
        reverse("scheduling:poll_create"), poll_data(date_mode="list", chosen_dates="2026-12-09\n2026-12-03")
    )
    assert Poll.objects.get().dates == ["2026-12-03", "2026-12-09"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"deadline": "2026-11-30T10:00"}, "deadline", "Deadline cannot be in the past."),
        ({"first_date": "2026-11-20"}, "first_date", "Available date cannot be in the past."),
        ({"last_date": "2026-12-01", "first_date": "2026-12-05"}, "last_date", "The last day must be on or after"),
        ({"last_date": "2027-02-10"}, "last_date", "A poll can span at most eight weeks."),
        ({"day_start": "17:00", "day_end": "09:00"}, "day_end", "End time must be after start time."),
        ({"day_start": "09:00", "day_end": "09:15"}, "day_end", "The daily window is empty"),
        ({"duration": "10"}, "duration", "between 15 and 240 minutes"),
        ({"duration": "300"}, "duration", "between 15 and 240 minutes"),
        ({"duration": "45"}, "duration", "multiple of the 30-minute grid cells"),
        ({"date_mode": "list", "chosen_dates": "tomorrow"}, "chosen_dates", "Date must be in a valid date format"),
        ({"title": ""}, "title", "This field is required."),
    ],
)
def test_bad_poll_input_is_explained(owner_client, changes, field, message):
    response = owner_client.post(reverse("scheduling:poll_create"), poll_data(**changes))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Poll.objects.exists()


def test_shrinking_the_dates_asks_first_then_drops_availability_outside(owner_client, poll, invitation):
    cells = poll.cells()
    keys = {cell.strftime("%Y%m%dT%H%M"): 3 for cell in cells}
    save(owner_client, owner_save_url(poll), keys)
    data = poll_data(first_date="2026-12-07", last_date="2026-12-08", day_end="12:00")
    response = owner_client.post(reverse("scheduling:poll_edit", args=[poll.pk]), data)
    assert response.status_code == 200
    assert "This removes 3 dates from the poll" in response.content.decode()
    poll.refresh_from_db()
    assert len(poll.dates) == 5

    response = owner_client.post(reverse("scheduling:poll_edit", args=[poll.pk]), {**data, "confirm_drop": "yes"})
    assert response.status_code == 302
    poll.refresh_from_db()
    assert poll.dates == ["2026-12-07", "2026-12-08"]
    spans = AvailabilitySpan.objects.filter(poll=poll, invitation=None)
    assert {span.start.date().isoformat() for span in spans} == {"2026-12-07", "2026-12-08"}


def test_close_stops_answers_and_status_polling(owner_client, client, poll, invitation):
    owner_client.post(reverse("scheduling:poll_close", args=[poll.pk]))
    assert owner_client.get(reverse("scheduling:poll_status", args=[poll.pk])).status_code == 286
    response = save(client, invitee_save_url(invitation), {})
    assert response.status_code == 409
    assert b"The organiser has closed this poll" in client.get(invitation.get_absolute_url()).content


def test_delete_poll(owner_client, poll):
    owner_client.post(reverse("scheduling:poll_delete", args=[poll.pk]))
    assert not Poll.objects.exists()


# --- Painting ------------------------------------------------------------------------------------


def test_a_stroke_is_stored_as_merged_intervals_in_utc(owner_client, poll):
    response = save(owner_client, owner_save_url(poll), {"20261207T0800": 3, "20261207T0830": 3, "20261207T0900": 2})
    assert response.status_code == 200
    spans = list(AvailabilitySpan.objects.filter(poll=poll).values_list("start", "end", "level"))
    assert spans == [
        (datetime(2026, 12, 7, 8, 0, tzinfo=UTC), datetime(2026, 12, 7, 9, 0, tzinfo=UTC), 3),
        (datetime(2026, 12, 7, 9, 0, tzinfo=UTC), datetime(2026, 12, 7, 9, 30, tzinfo=UTC), 2),
    ]


def test_painted_cells_survive_a_reload(owner_client, poll):
    save(owner_client, owner_save_url(poll), {"20261208T1000": 1})
    content = owner_client.get(poll.get_absolute_url(), {"tz": "Europe/Berlin"}).content.decode()
    assert 'data-cell="20261208T1000" data-level="1"' in content


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("not json", "Malformed availability: not valid JSON."),
        (json.dumps([1, 2]), "Malformed availability"),
        (json.dumps({"cells": {"20261207T0600": 3}}), "Cell 20261207T0600 is outside this poll's dates and hours."),
        (json.dumps({"cells": {"20261214T0800": 3}}), "is outside this poll's dates and hours"),
        (json.dumps({"cells": {"20261207T0800": 4}}), "Preference level must be either 1, 2, or 3"),
        (json.dumps({"cells": {"20261207T0800": "3"}}), "Preference level must be either 1, 2, or 3"),
        (json.dumps({"cells": {f"2026120{day}T{hour:02d}{minute:02d}": 3 for day in range(1, 10)
                               for hour in range(24) for minute in (0, 30)}}), "Too many cells"),
    ],
)  # fmt: skip
def test_bad_grid_payloads_are_a_clear_400_and_lose_nothing(owner_client, poll, payload, message):
    save(owner_client, owner_save_url(poll), {"20261207T0800": 3})
    response = owner_client.post(owner_save_url(poll), {"payload": payload})
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert AvailabilitySpan.objects.filter(poll=poll).count() == 1


def test_erasing_everything_clears_the_grid(owner_client, poll):
    save(owner_client, owner_save_url(poll), {"20261207T0800": 3})
    save(owner_client, owner_save_url(poll), {})
    assert not AvailabilitySpan.objects.exists()


# --- Timezones -----------------------------------------------------------------------------------


def test_a_berlin_poll_shows_los_angeles_times_across_the_dst_gap(client, user):
    # 2026-03-08: Los Angeles moves to summer time; Berlin only on 2026-03-29.
    poll = PollFactory(owner=user, dates=["2026-03-06", "2026-03-09"], deadline=datetime(2026, 3, 1, tzinfo=UTC))
    invitation = InvitationFactory(poll=poll)
    with time_machine.travel("2026-02-20T08:00:00Z", tick=False):
        response = client.get(invitation.get_absolute_url(), {"tz": "America/Los_Angeles"})
    labels = re.findall(r'data-label="([^"]+)"', response.content.decode())
    # 09:00 in Berlin: 00:00 in LA on Friday (9 hours apart), 01:00 on Monday (8 hours apart).
    assert "Friday 6 March, 00:00" in labels
    assert "Monday 9 March, 01:00" in labels
    assert "Monday 9 March, 00:00" not in labels


def test_invitee_times_in_a_half_hour_timezone(client, invitation):
    response = client.get(invitation.get_absolute_url(), {"tz": "Asia/Kolkata"})
    rows = [row["time"].strftime("%H:%M") for row in response.context["grid"]["rows"]]
    assert rows[0] == "13:30"  # 09:00 in Berlin (UTC+1) is 13:30 in India (UTC+5:30)


def test_owner_poll_page_in_another_zone_names_only_that_zone(owner_client, poll):
    # The owner is in Berlin; the page, shown in Kolkata, does not also say "Times shown in Europe/Berlin".
    content = owner_client.get(poll.get_absolute_url(), {"tz": "Asia/Kolkata"}).content.decode()
    assert '<option value="Asia/Kolkata" selected' in content
    assert "Europe/Berlin" not in re.sub(r'<option value="Europe/Berlin"[^>]*>[^<]*</option>', "", content)


# --- Inviting ------------------------------------------------------------------------------------


def test_inviting_contacts_and_a_new_person_emails_each_a_personal_link(owner_client, poll, user, committed):
    contact = ContactFactory(owner=user, first_name="Ada", last_name="L", email="ada@example.org")
    with committed():
        response = owner_client.post(
            reverse("scheduling:poll_invite", args=[poll.pk]),
            {"contacts": [contact.pk], "name": "Bo Newman", "email": "bo@example.org"},
        )
    assert response.status_code == 302
    invitations = {invitation.email: invitation for invitation in poll.invitations.all()}
    assert set(invitations) == {"ada@example.org", "bo@example.org"}
    assert Contact.objects.filter(owner=user, email="bo@example.org", first_name="Bo", last_name="Newman").exists()
    assert len(mail.outbox) == 2
    to_bo = next(message for message in mail.outbox if message.to == ["bo@example.org"])
    assert "Olivia Owner asks when you can meet" in to_bo.subject
    assert invitations["bo@example.org"].get_absolute_url() in to_bo.body
    assert to_bo.alternatives[0][1] == "text/html"


def test_tokens_are_unguessable(poll):
    first, second = InvitationFactory(poll=poll), InvitationFactory(poll=poll)
    assert first.token != second.token
    assert len(first.token) >= 32


def test_reinviting_the_same_person_is_refused(owner_client, invitation):
    response = owner_client.post(
        reverse("scheduling:poll_invite", args=[invitation.poll.pk]),
        {"name": "Ina Again", "email": "INA@example.org"},
        follow=True,
    )
    assert "Invitation already sent to Ina Again (INA@example.org)." in response.content.decode()
    assert invitation.poll.invitations.count() == 1


def test_an_invitee_needs_both_name_and_email(owner_client, poll):
    response = owner_client.post(reverse("scheduling:poll_invite", args=[poll.pk]), {"name": "Nameonly"}, follow=True)
    assert "This field is required." in response.content.decode()
    assert not poll.invitations.exists()


def test_at_most_200_invitees(owner_client, poll):
    Invitation.objects.bulk_create(
        Invitation(poll=poll, name=f"P{n}", email=f"p{n}@example.org") for n in range(MAX_INVITEES)
    )
    response = owner_client.post(
        reverse("scheduling:poll_invite", args=[poll.pk]),
        {"name": "One More", "email": "more@example.org"},
        follow=True,
    )
    assert "A poll can have at most 200 invitees" in response.content.decode()
    assert poll.invitations.count() == MAX_INVITEES


# --- Reminders -----------------------------------------------------------------------------------


def test_remind_one_then_throttled_for_an_hour(owner_client, invitation, committed):
    url = reverse("scheduling:remind_one", args=[invitation.poll.pk, invitation.pk])
    with committed():
        response = owner_client.post(url, follow=True)
    assert "Reminder email successfully sent to Ina Invitee." in response.content.decode()
    assert mail.outbox[0].subject.startswith("Reminder:")
    assert invitation.get_absolute_url() in mail.outbox[0].body
    response = owner_client.post(url, follow=True)
    assert "was reminded less than an hour ago" in response.content.decode()
    with time_machine.travel("2026-12-01T09:01:00Z", tick=False), committed():
        owner_client.post(url)
    assert len(mail.outbox) == 2


def test_remind_all_pending_skips_those_who_answered(owner_client, poll, committed):
    pending = InvitationFactory(poll=poll)
    InvitationFactory(poll=poll, status=Invitation.Status.RESPONDED)
    InvitationFactory(poll=poll, status=Invitation.Status.DECLINED)
    with committed():
        owner_client.post(reverse("scheduling:remind_all", args=[poll.pk]))
    assert [message.to for message in mail.outbox] == [[pending.email]]


def test_remind_returns_the_status_board_for_htmx(owner_client, invitation):
    response = owner_client.post(
        reverse("scheduling:remind_one", args=[invitation.poll.pk, invitation.pk]), headers={"HX-Request": "true"}
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="status-board"')
    assert "reminded" in content


def test_automatic_reminder_a_day_before_the_deadline_once_even_with_two_workers(invitation, committed):
    InvitationFactory(poll=invitation.poll, status=Invitation.Status.RESPONDED)
    with time_machine.travel("2026-12-04T16:00:00Z", tick=False), committed():
        assert send_deadline_reminders.call_local() == 0  # 25 hours before
    with time_machine.travel("2026-12-04T17:30:00Z", tick=False), committed():
        assert send_deadline_reminders.call_local() == 1
        assert send_deadline_reminders.call_local() == 0  # the second worker finds it claimed
    assert [message.to for message in mail.outbox] == [["ina@example.org"]]


def test_a_moved_deadline_gets_its_own_automatic_reminder(invitation):
    with time_machine.travel("2026-12-04T17:30:00Z", tick=False):
        send_deadline_reminders.call_local()
    invitation.poll.deadline = datetime(2026, 12, 8, 17, tzinfo=UTC)
    invitation.poll.save()
    with time_machine.travel("2026-12-07T17:30:00Z", tick=False):
        assert send_deadline_reminders.call_local() == 1


# --- The invitee ---------------------------------------------------------------------------------


def test_invitee_page_shows_who_invites_and_the_owners_availability(client, owner_client, invitation):
    poll = invitation.poll
    save(owner_client, owner_save_url(poll), {"20261207T0800": 3})
    response = client.get(invitation.get_absolute_url(), {"tz": "Europe/Berlin"})
    content = response.content.decode()
    assert "Olivia Owner asks when you can meet" in content
    assert poll.title in content
    assert 'data-cell="20261207T0800" data-level="0" data-bg="3"' in content


def test_invitee_paints_and_is_marked_responded(client, invitation):
    response = save(client, invitee_save_url(invitation), {"20261207T0900": 2})
    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.RESPONDED
    assert invitation.spans.count() == 1


def test_invitee_can_change_the_answer_before_the_deadline(client, invitation):
    save(client, invitee_save_url(invitation), {"20261207T0900": 2})
    save(client, invitee_save_url(invitation), {"20261208T1000": 3})
    assert list(invitation.spans.values_list("level", flat=True)) == [3]


def test_after_the_deadline_the_link_is_read_only(client, invitation):
    with time_machine.travel("2026-12-06T00:00:00Z", tick=False):
        response = client.get(invitation.get_absolute_url())
        assert response.status_code == 200
        assert b"The deadline has passed" in response.content
        assert save(client, invitee_save_url(invitation), {"20261207T0900": 2}).status_code == 409
    assert not invitation.spans.exists()


def test_invitee_declines_with_a_note_and_can_undo(client, invitation):
    client.post(reverse("scheduling:decline", args=[invitation.token]), {"note": "Away that week"})
    invitation.refresh_from_db()
    assert (invitation.status, invitation.decline_note) == (Invitation.Status.DECLINED, "Away that week")
    client.post(reverse("scheduling:undo_decline", args=[invitation.token]))
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_registered_invitee_sees_the_invitation_on_the_dashboard(client, invitation):
    invitee = UserFactory(username="ina", email="INA@example.org")
    client.force_login(invitee)
    content = client.get(reverse("dashboard")).content.decode()
    assert "Polls you&#x27;re invited to" in content or "Polls you're invited to" in content
    assert invitation.get_absolute_url() in content


# --- The owner's page ----------------------------------------------------------------------------


def test_dashboard_card_counts_answers_and_the_deadline(owner_client, poll):
    InvitationFactory(poll=poll, status=Invitation.Status.RESPONDED)
    InvitationFactory(poll=poll)
    content = owner_client.get(reverse("dashboard")).content.decode()
    assert "1 of 2 responded, deadline in 4 days" in content


def test_heat_map_detail_lists_who_is_available(owner_client, client, poll, invitation):
    save(owner_client, owner_save_url(poll), {"20261207T0800": 3})
    save(client, invitee_save_url(invitation), {"20261207T0800": 1})
    InvitationFactory(poll=poll, name="Nora Noshow")
    response = owner_client.get(reverse("scheduling:poll_who", args=[poll.pk]), {"cell": "20261207T0800"})
    content = response.content.decode()
    assert re.search(r"Olivia Owner \(you\) — <span[^>]*>preferred", content)
    assert re.search(r"Ina Invitee — <span[^>]*>if need be", content)
    assert "Not available: Nora Noshow" in content


def test_status_board_partial_refreshes_itself(owner_client, invitation):
    response = owner_client.get(reverse("scheduling:poll_status", args=[invitation.poll.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'hx-trigger="every 5s"' in content
    assert "Ina Invitee" in content


def test_poll_page_query_count_does_not_grow_with_invitees(owner_client, poll, django_assert_max_num_queries):
    invitations = Invitation.objects.bulk_create(
        Invitation(poll=poll, name=f"Person {n}", email=f"person{n}@example.org") for n in range(50)
    )
    cells = poll.cells()
    AvailabilitySpan.objects.bulk_create(
        AvailabilitySpan(poll=poll, invitation=invitation, start=cells[n % 10], end=cells[n % 10 + 1], level=2)
        for n, invitation in enumerate(invitations)
    )
    with django_assert_max_num_queries(12):
        response = owner_client.get(poll.get_absolute_url())
    assert response.status_code == 200


def test_a_berlin_poll_shows_los_angeles_times_across_the_autumn_changes(client, user):
    # Berlin falls back on 2026-10-25, Los Angeles on 2026-11-01: for that week they are 8 hours apart.
    poll = PollFactory(owner=user, dates=["2026-10-23", "2026-10-26", "2026-11-02"],
                       deadline=datetime(2026, 10, 20, tzinfo=UTC))  # fmt: skip
    invitation = InvitationFactory(poll=poll)
    with time_machine.travel("2026-10-10T08:00:00Z", tick=False):
        response = client.get(invitation.get_absolute_url(), {"tz": "America/Los_Angeles"})
    labels = re.findall(r'data-label="([^"]+)"', response.content.decode())
    assert "Friday 23 October, 00:00" in labels  # 09:00 CEST, 9 hours ahead
    assert "Monday 26 October, 01:00" in labels  # 09:00 CET, 8 hours ahead
    assert "Monday 2 November, 00:00" in labels  # 09:00 CET, 9 hours ahead again
