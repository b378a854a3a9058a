"""Suggestions, the finalize preview and finalizing a poll into calendar events."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import icalendar
import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from scheduling.models import Event, Invitation, Poll
from tests.factories import InvitationFactory, PollFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


def paint(client, url, cells):
    assert client.post(url, {"payload": json.dumps({"cells": cells})}).status_code == 200


def finalize_url(poll):
    return reverse("scheduling:poll_finalize", args=[poll.pk])


def preview(client, poll, data):
    return client.post(finalize_url(poll), data, headers={"HX-Request": "true", "HX-Target": "preview"})


# Monday 7 December 2026 in Berlin (UTC+1): cells 09:00, 09:30, ... 11:30 local = 08:00 ... 10:30 UTC.
MON_0900, MON_1000, MON_1100 = "20261207T0800", "20261207T0900", "20261207T1000"


@pytest.fixture
def series(user, client):
    """A 1-on-1 series poll: the owner is free Monday 09:00–12:00; three invitees answered."""
    poll = PollFactory(owner=user, kind=Poll.Kind.SERIES)
    people = {
        name: InvitationFactory(poll=poll, name=name, email=f"{name.lower()}@example.org")
        for name in ("Ann", "Ben", "Cy")
    }
    return poll, people


def paint_series(owner_client, client, poll, people):
    owner_cells = {MON_0900: 3, "20261207T0830": 3, MON_1000: 2, "20261207T0930": 2, MON_1100: 3, "20261207T1030": 3}
    paint(owner_client, reverse("scheduling:save_owner_grid", args=[poll.pk]), owner_cells)
    for name, cells in {
        "Ann": {MON_0900: 3, "20261207T0830": 3},
        "Ben": {MON_0900: 2, "20261207T0830": 2, MON_1000: 3, "20261207T0930": 3},
        "Cy": {MON_1100: 1, "20261207T1030": 1},
    }.items():
        paint(client, reverse("scheduling:save_invitee_grid", args=[people[name].token]), cells)


def test_series_suggestion_places_everyone_optimally(owner_client, client, series):
    poll, people = series
    paint_series(owner_client, client, poll, people)
    response = owner_client.get(finalize_url(poll))
    best = response.context["suggestions"].series.best
    assignment = {m.invitee.name: m.slot.start for m in best.meetings}
    assert assignment == {
        "Ann": datetime(2026, 12, 7, 8, tzinfo=UTC),
        "Ben": datetime(2026, 12, 7, 9, tzinfo=UTC),
        "Cy": datetime(2026, 12, 7, 10, tzinfo=UTC),
    }


def test_suggestions_say_who_has_not_answered(owner_client, client, series):
    poll, people = series
    paint(client, reverse("scheduling:save_invitee_grid", args=[people["Ann"].token]), {MON_0900: 3})
    response = owner_client.get(poll.get_absolute_url())
    assert "Not answered yet: Ben, Cy." in response.content.decode()


def test_picking_a_suggestion_previews_it(owner_client, client, series):
    poll, people = series
    paint_series(owner_client, client, poll, people)
    response = owner_client.get(finalize_url(poll), {"alternative": 0})
    result = response.context["preview"]
    assert [m.invitations[0].name for m in result.meetings] == ["Ann", "Ben", "Cy"]
    assert result.errors == []
    assert result.warnings == []


def test_preview_partial_for_htmx(owner_client, series):
    poll, people = series
    response = preview(owner_client, poll, {f"slot_{people['Ann'].pk}": MON_0900})
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="preview"')
    assert "Ann &lt;ann@example.org&gt;" in content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lambda p: {f"slot_{p['Ann'].pk}": MON_0900, f"slot_{p['Ben'].pk}": "20261207T0830"}, "Meeting times overlap"),
        (lambda p: {f"slot_{p['Ann'].pk}": "20261207T0600"}, "Invalid meeting time for contact: Ann."),
        (lambda p: {"slot_999999": MON_0900}, "Contact not invited"),
        (lambda p: {}, "Availability not selected for a user"),
    ],
)
def test_preview_errors_block_finalizing(owner_client, series, data, message):
    poll, people = series
    response = preview(owner_client, poll, data(people))
    assert message in response.content.decode()
    owner_client.post(finalize_url(poll), {**data(people), "action": "finalize", "accept_warnings": "on"})
    assert not Event.objects.exists()
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.OPEN


def test_warnings_need_an_explicit_override(owner_client, series, committed):
    poll, people = series  # nobody answered yet: every meeting has a warning
    data = {f"slot_{people['Ann'].pk}": MON_0900, "action": "finalize"}
    response = owner_client.post(finalize_url(poll), data, follow=True)
    content = response.content.decode()
    assert "Ann has not answered yet." in content
    assert "Tick the box to confirm" in content
    assert not Event.objects.exists()
    with committed():
        owner_client.post(finalize_url(poll), {**data, "accept_warnings": "on"})
    assert Event.objects.count() == 1


def test_group_preview_warns_about_declines_and_unavailable_people(owner_client, client, user):
    poll = PollFactory(owner=user)
    ann = InvitationFactory(poll=poll, name="Ann")
    dan = InvitationFactory(poll=poll, name="Dan", status=Invitation.Status.DECLINED)
    paint(client, reverse("scheduling:save_invitee_grid", args=[ann.token]), {MON_1100: 3, "20261207T1030": 3})
    response = preview(owner_client, poll, {"start": MON_0900, "attendees": [ann.pk, dan.pk]})
    content = response.content.decode()
    assert "Ann is not available at Mon 07 Dec, 09:00." in content
    assert "Dan declined the poll." in content
    assert "You did not mark yourself available at Mon 07 Dec, 09:00." in content


def test_group_meeting_at_a_custom_time_outside_the_poll_is_a_warning(owner_client, user):
    poll = PollFactory(owner=user)
    ann = InvitationFactory(poll=poll, name="Ann")
    response = preview(
        owner_client, poll, {"start": "custom", "custom_start": "2026-12-14T15:00", "attendees": [ann.pk]}
    )
    assert "Mon 14 Dec, 15:00 is outside the poll&#x27;s dates and hours." in response.content.decode()


def test_finalize_series_creates_events_and_emails_everyone(owner_client, client, series, committed):
    poll, people = series
    paint_series(owner_client, client, poll, people)
    data = {f"slot_{people[name].pk}": cell for name, cell in (("Ann", MON_0900), ("Ben", MON_1000), ("Cy", MON_1100))}
    with committed():
        response = owner_client.post(finalize_url(poll), {**data, "action": "finalize"})
    assert response.status_code == 302
    poll.refresh_from_db()
    assert poll.status == Poll.Status.FINALIZED
    events = list(Event.objects.order_by("start"))
    assert [(e.origin, e.poll_id, e.start.hour) for e in events] == [("poll", poll.pk, h) for h in (8, 9, 10)]
    assert [list(e.attendees.values_list("email", flat=True)) for e in events] == [
        ["ann@example.org"], ["ben@example.org"], ["cy@example.org"],
    ]  # fmt: skip

    to_ann = next(m for m in mail.outbox if m.to == ["ann@example.org"])
    assert "Mon 07 Dec 2026, 09:00 (Europe/Berlin)" in to_ann.subject
    assert "calendar.google.com" in to_ann.body
    calendar = icalendar.Calendar.from_ical(next(a for a in to_ann.attachments if a.filename == "invite.ics").content)
    assert calendar["METHOD"] == "REQUEST"
    vevent = calendar.walk("VEVENT")[0]
    assert vevent["UID"] == events[0].uid
    assert vevent.decoded("DTSTART") == datetime(2026, 12, 7, 8, tzinfo=UTC)
    assert "mailto:owner@example.com" in str(vevent["ORGANIZER"])
    assert "mailto:ann@example.org" in str(vevent["ATTENDEE"])
    summary = next(m for m in mail.outbox if m.to == ["owner@example.com"])
    assert summary.subject == "Scheduled: Project kick-off (3 meetings)"
    assert len(mail.outbox) == 4


def test_finalizing_twice_is_impossible(owner_client, series, committed):
    poll, people = series
    data = {f"slot_{people['Ann'].pk}": MON_0900, "action": "finalize", "accept_warnings": "on"}
    with committed():
        owner_client.post(finalize_url(poll), data)
    sent = len(mail.outbox)
    with committed():
        response = owner_client.post(finalize_url(poll), data, follow=True)
    assert "already finalized" in response.content.decode()
    assert Event.objects.count() == 1
    assert len(mail.outbox) == sent


def test_after_finalizing_the_invitee_link_shows_the_final_time(owner_client, client, series):
    poll, people = series
    owner_client.post(finalize_url(poll), {f"slot_{people['Ann'].pk}": MON_0900, "action": "finalize",
                                           "accept_warnings": "on"})  # fmt: skip
    page = client.get(people["Ann"].get_absolute_url(), {"tz": "Europe/Berlin"}).content.decode()
    assert "Your meeting: Monday 7 December 2026, 09:00–10:00</p>" in page
    assert '<option value="Europe/Berlin" selected' in page  # "Times shown in", the page's one zone
    other = client.get(people["Ben"].get_absolute_url()).content.decode()
    assert "no meeting was scheduled with you" in other
    response = client.post(reverse("scheduling:save_invitee_grid", args=[people["Ann"].token]), {"payload": "{}"})
    assert response.status_code == 409


def test_preview_query_count_does_not_grow_with_invitees(owner_client, user, django_assert_max_num_queries):
    poll = PollFactory(owner=user, kind=Poll.Kind.SERIES)
    invitations = Invitation.objects.bulk_create(
        Invitation(poll=poll, name=f"P{n}", email=f"p{n}@example.org") for n in range(60)
    )
    data = {f"slot_{invitation.pk}": "" for invitation in invitations}
    data[f"slot_{invitations[0].pk}"] = MON_0900
    with django_assert_max_num_queries(12):
        response = preview(owner_client, poll, data)
    assert response.status_code == 200


def test_another_user_cannot_finalize(client, series, other_user):
    poll, _ = series
    client.force_login(other_user)
    assert client.get(finalize_url(poll)).status_code == 404
    assert client.post(finalize_url(poll), {"action": "finalize"}).status_code == 404


# --- Who is told by default, and suggestions as windows (issue 19) -------------------------------

MON_0930, MON_1030 = "20261207T0830", "20261207T0930"


@pytest.fixture
def group(user, client, owner_client):
    """A group poll: the owner and Ann can both do Monday 09:00–11:00 (Berlin), Ben has not
    answered, Dan declined."""
    poll = PollFactory(owner=user)
    people = {
        "Ann": InvitationFactory(poll=poll, name="Ann", email="ann@example.org"),
        "Ben": InvitationFactory(poll=poll, name="Ben", email="ben@example.org"),
        "Dan": InvitationFactory(poll=poll, name="Dan", email="dan@example.org", status=Invitation.Status.DECLINED),
    }
    both = [MON_0900, MON_0930, MON_1000, MON_1030]
    paint(owner_client, reverse("scheduling:save_owner_grid", args=[poll.pk]), dict.fromkeys(both, 3))
    paint(client, reverse("scheduling:save_invitee_grid", args=[people["Ann"].token]), dict.fromkeys(both, 2))
    return poll, people


def ticked(content: str) -> set[str]:
    return set(re.findall(r'name="attendees" value="(\d+)" class="[^"]*" checked', content))


def test_the_finalize_page_ticks_everyone_invited_before_anything_is_picked(owner_client, group):
    poll, people = group
    content = owner_client.get(finalize_url(poll)).content.decode()
    assert ticked(content) == {str(person.pk) for person in people.values()}


def test_a_picked_suggestion_is_sent_to_everyone_invited_answered_or_not(owner_client, group):
    poll, _ = group
    result = owner_client.get(finalize_url(poll), {"option": 0}).context["preview"]
    assert [invitation.name for invitation in result.meetings[0].invitations] == ["Ann", "Ben", "Dan"]
    assert "Ben has not answered yet." in result.warnings
    assert "Dan declined the poll." in result.warnings


def test_the_owner_can_untick_someone(owner_client, group):
    poll, people = group
    response = owner_client.post(finalize_url(poll), {"start": MON_0900, "attendees": [people["Ann"].pk]})
    assert ticked(response.content.decode()) == {str(people["Ann"].pk)}
    assert [invitation.name for invitation in response.context["preview"].meetings[0].invitations] == ["Ann"]


def test_finalizing_with_the_default_ticks_tells_those_who_have_not_answered(owner_client, group, committed):
    poll, _ = group
    page = owner_client.get(finalize_url(poll), {"option": 0})
    data = {"start": MON_0900, "attendees": sorted(ticked(page.content.decode())), "accept_warnings": "on"}
    with committed():
        owner_client.post(finalize_url(poll), {**data, "action": "finalize"})
    assert "ben@example.org" in {address for message in mail.outbox for address in message.to}


def test_adjacent_starts_with_the_same_people_show_as_one_window(owner_client, group):
    poll, _ = group
    response = owner_client.get(poll.get_absolute_url())
    [option] = response.context["suggestions"].group
    content = " ".join(response.content.decode().split())
    assert "Mon 7 Dec, any 60 minutes between 09:00 and 11:00" in content
    assert "Start at 09:00 or any time up to 10:00." in content
    assert "2 of 2 can come: you (preferred), Ann (fine)" in content
    assert (option.start, option.latest_start) == (
        datetime(2026, 12, 7, 8, tzinfo=UTC),
        datetime(2026, 12, 7, 9, tzinfo=UTC),
    )


def test_using_a_window_picks_its_earliest_start(owner_client, group):
    poll, _ = group
    result = owner_client.get(finalize_url(poll), {"option": 0}).context["preview"]
    assert result.meetings[0].start == datetime(2026, 12, 7, 8, tzinfo=UTC)


def test_an_owner_who_has_not_painted_is_not_counted(owner_client, client, user):
    poll = PollFactory(owner=user)
    ann = InvitationFactory(poll=poll, name="Ann")
    paint(client, reverse("scheduling:save_invitee_grid", args=[ann.token]), {MON_0900: 2, MON_0930: 2})
    content = " ".join(owner_client.get(poll.get_absolute_url()).content.decode().split())
    assert "You have not painted your own availability yet, so you are not counted." in content
    assert "1 of 1 can come: Ann (fine)" in content
    assert "you are not marked available" not in content
