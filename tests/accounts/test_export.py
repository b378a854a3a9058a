""" "Export my data" holds every field of everything the user owns: this test walks the models'
own fields and looks for each in the export, so a field added later cannot be forgotten. Only
the keys to personal links and accounts (accounts.export.SECRET_FIELDS) stay out."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.api_base import issue_token
from accounts.export import SECRET_FIELDS
from accounts.models import ApiToken, Contact, WebhookDelivery, WebhookEndpoint
from booking.models import Booking, DateOverride, EventType, Schedule, TeamHost, WeeklyHours
from scheduling.models import (
    Attendee,
    AvailabilitySpan,
    Event,
    Invitation,
    OptionAnswer,
    Poll,
    PollComment,
    PollOption,
    TimeProposal,
)  # fmt: skip
from tests.factories import EventTypeFactory, InvitationFactory, PollFactory, UserFactory

pytestmark = pytest.mark.django_db


def own_fields(model) -> set[str]:
    return {
        field.name for field in model._meta.concrete_fields
        if not field.is_relation and not field.primary_key and field.name not in SECRET_FIELDS
    }  # fmt: skip


def test_every_field_of_everything_the_user_owns_is_exported(owner_client, user):
    link = EventTypeFactory(owner=user, questions=[{"label": "Topic?", "kind": "short", "required": False}])
    DateOverride.objects.create(schedule=link.schedule, date=datetime(2026, 12, 24).date())
    start = datetime(2026, 12, 3, 9, tzinfo=UTC)
    event = Event.objects.create(
        owner=user, title="Weekly", start=start, end=start.replace(hour=10), timezone="Europe/Berlin",
        rrule="FREQ=WEEKLY", reminders=[30], origin=Event.Origin.BOOKING,
    )  # fmt: skip
    attendee = Attendee.objects.create(event=event, email="bea@example.org", status="declined")
    TimeProposal.objects.create(attendee=attendee, start=start, end=start.replace(hour=10), note="Later?")
    Booking.objects.create(event_type=link, event=event, attendee=attendee, name="Bea", email="bea@example.org",
                           timezone="UTC")  # fmt: skip
    poll = PollFactory(owner=user)
    invitation = InvitationFactory(poll=poll, status="declined", decline_note="Away that week")
    AvailabilitySpan.objects.create(poll=poll, invitation=invitation, start=start, end=start.replace(hour=10), level=2)
    option = PollOption.objects.create(poll=poll, start=start)
    OptionAnswer.objects.create(option=option, invitation=invitation, level=1)
    PollComment.objects.create(poll=poll, invitation=invitation, name="Ina", text="Hi")
    Contact.objects.create(owner=user, first_name="Ann", email="ann@example.org")
    token, secret = issue_token(user=user, name="CRM", can_write=True, expires_at=None)
    endpoint = WebhookEndpoint.objects.create(owner=user, url="https://hooks.example.com/", events=["ping"])
    WebhookDelivery.objects.create(endpoint=endpoint, event_type="ping", message_id="msg_1", payload={"id": "msg_1"})

    data = json.loads(owner_client.get(reverse("accounts:export")).content)

    link_out = data["booking_links"][0]
    schedule_out = next(s for s in data["schedules"] if s["name"] == link.schedule.name)
    event_out = data["calendar_events"][0]
    poll_out = data["polls"][0]
    invitee_out = poll_out["invitees"][0]
    found = {
        EventType: link_out,
        Schedule: schedule_out,
        WeeklyHours: schedule_out["weekly_hours"][0],
        DateOverride: schedule_out["overrides"][0],
        Booking: {**data["bookings_received"][0], **data["bookings_received"][0]["booker"]},
        Event: event_out,
        Attendee: event_out["attendees"][0],
        TimeProposal: event_out["attendees"][0]["proposals"][0],
        Poll: poll_out,
        Invitation: invitee_out,
        AvailabilitySpan: invitee_out["availability"][0],
        PollOption: poll_out["options"][0],
        OptionAnswer: invitee_out["answers"][0],
        PollComment: poll_out["comments"][0],
        Contact: data["contacts"][0],
        ApiToken: data["api_tokens"][0],
        WebhookEndpoint: data["webhooks"][0],
        WebhookDelivery: data["webhooks"][0]["deliveries"][0],
    }
    for model, exported in found.items():
        missing = own_fields(model) - set(exported)
        assert not missing, f"{model.__name__}: {sorted(missing)} not exported"
    assert invitee_out["decline_note"] == "Away that week"
    assert event_out["rrule"] == "FREQ=WEEKLY"
    assert event_out["reminders"] == [30]
    assert link_out["location_detail"] == link.location_detail
    body = json.dumps(data)
    assert secret not in body
    assert token.digest not in body
    assert endpoint.secret not in body
    for secret in (attendee.token, invitation.token, data["bookings_received"][0].get("token", "no-token")):
        assert secret == "no-token" or secret not in body


def test_a_team_links_hosts_are_in_its_makers_export(owner_client, user):
    from accounts.models import Membership, Team

    team = Team.objects.create(name="Sales", slug="sales")
    Membership.objects.create(team=team, user=user, role="owner")
    link = EventTypeFactory(owner=user, team=team, hosting="round_robin")
    TeamHost.objects.create(event_type=link, user=user, weight=200)
    data = json.loads(owner_client.get(reverse("accounts:export")).content)
    exported = data["booking_links"][0]
    assert exported["team"] == "sales"
    assert exported["hosts"][0]["weight"] == 200
    assert not own_fields(TeamHost) - set(exported["hosts"][0])


def test_the_export_names_no_other_user(owner_client):
    other = UserFactory()
    EventTypeFactory(owner=other)
    data = json.loads(owner_client.get(reverse("accounts:export")).content)
    assert data["booking_links"] == []
