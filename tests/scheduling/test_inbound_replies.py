"""Yes / No / Maybe from the attendee's mail client: the iTIP REPLY their calendar sends to the
invitation's ORGANIZER reaches Convene through anymail's inbound webhooks and updates the attendee
exactly as the RSVP link does; the organiser hears of it as they chose (at once here: "each")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from email.message import EmailMessage

import icalendar
import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import User
from scheduling.models import Attendee, Event
from tests.calendars import calendar_part
from tests.scheduling.test_calendar import create

pytestmark = pytest.mark.django_db

SECRET = "anymail:webhook-secret"
SIGNING_KEY = "mailgun-signing-key"


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


@pytest.fixture(autouse=True)
def _inbound(settings):
    settings.CALENDAR_REPLY_ADDRESS = "rsvp@replies.example.com"
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


@pytest.fixture
def each(user):
    """The organiser chose an email for each answer (the default is the daily digest)."""
    User.objects.filter(pk=user.pk).update(answer_notices=User.Notices.EACH)


@pytest.fixture
def invitation(owner_client, committed):
    """Ana's invitation to a meeting, as it arrived in her mailbox."""
    with committed():
        create(owner_client, other_attendees="ana@example.org, ben@example.org")
    mail.outbox[:] = [m for m in mail.outbox if m.to == ["ana@example.org"]]
    return mail.outbox.pop()


def reply_from_client(invitation, partstat: str, *, who: str = "ana@example.org", to: str = "") -> bytes:
    """What Ana's calendar sends when she answers: a REPLY of the invited UID and SEQUENCE, with
    only her ATTENDEE line, to the ORGANIZER address of the invitation."""
    request = icalendar.Calendar.from_ical(calendar_part(invitation)[1])
    invited = request.walk("VEVENT")[0]
    organizer = str(invited["ORGANIZER"]).removeprefix("mailto:")
    reply = icalendar.Calendar()
    reply.add("prodid", "-//Google Inc//Google Calendar 70.9054//EN")
    reply.add("version", "2.0")
    reply.add("method", "REPLY")
    answer = icalendar.Event()
    for name in ("UID", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "ORGANIZER"):
        answer[name] = invited[name]
    answer.add("dtstamp", invited.decoded("DTSTAMP"))
    attendee = icalendar.vCalAddress(f"mailto:{who}")
    attendee.params["PARTSTAT"] = partstat
    answer.add("attendee", attendee)
    reply.add_component(answer)
    message = EmailMessage()
    message["From"], message["To"] = who, to or organizer
    message["Subject"] = f"Accepted: {invited['SUMMARY']}"
    message.set_content(f"{who} has answered.")
    document = reply.to_ical()
    message.add_alternative(document.decode(), subtype="calendar", params={"method": "REPLY"})
    message.add_attachment(document, maintype="application", subtype="ics", filename="invite.ics")
    return message.as_bytes()


def basic_auth() -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(SECRET.encode()).decode()}


def post_to_postmark(client, raw: bytes, recipient: str):
    payload = {"RawEmail": raw.decode(), "OriginalRecipient": recipient, "MessageID": "x"}
    return client.post(
        reverse("anymail:postmark_inbound_webhook"),
        json.dumps(payload),
        content_type="application/json",
        **basic_auth(),
    )


def post_to_mailgun(client, raw: bytes, recipient: str):
    timestamp, token = str(int(time.time())), "abc123" * 8
    signature = hmac.new(SIGNING_KEY.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    form = {"body-mime": raw.decode(), "recipient": recipient, "sender": "ana@example.org",
            "timestamp": timestamp, "token": token, "signature": signature}  # fmt: skip
    return client.post("/anymail/mailgun/inbound_mime/", form, **basic_auth())


def organizer_address(invitation) -> str:
    document = calendar_part(invitation)[1]
    return str(icalendar.Calendar.from_ical(document).walk("VEVENT")[0]["ORGANIZER"]).removeprefix("mailto:")


def test_the_organizer_of_an_invitation_is_the_attendees_own_reply_address(invitation):
    ana = Attendee.objects.get(email="ana@example.org")
    assert organizer_address(invitation) == f"rsvp+{ana.token}@replies.example.com"


@pytest.mark.parametrize("provider", [post_to_postmark, post_to_mailgun])
def test_accepting_in_the_mail_client_updates_the_attendee(client, each, invitation, provider, committed):
    with committed():
        response = provider(client, reply_from_client(invitation, "ACCEPTED"), organizer_address(invitation))
    assert response.status_code == 200
    assert Attendee.objects.get(email="ana@example.org").status == Attendee.Status.ACCEPTED
    assert Attendee.objects.get(email="ben@example.org").status == Attendee.Status.PENDING
    [note] = [m for m in mail.outbox if m.to == ["owner@example.com"]]
    assert note.subject.startswith("ana@example.org accepted “Design review”")


def test_declining_and_maybe_are_recorded_too(client, invitation):
    post_to_postmark(client, reply_from_client(invitation, "TENTATIVE"), organizer_address(invitation))
    assert Attendee.objects.get(email="ana@example.org").status == Attendee.Status.TENTATIVE
    post_to_postmark(client, reply_from_client(invitation, "DECLINED"), organizer_address(invitation))
    assert Attendee.objects.get(email="ana@example.org").status == Attendee.Status.DECLINED


def test_a_reply_for_someone_else_with_anas_address_changes_nothing(client, invitation):
    post_to_postmark(client, reply_from_client(invitation, "DECLINED", who="ben@example.org"),
                     organizer_address(invitation))  # fmt: skip
    assert Attendee.objects.get(email="ben@example.org").status == Attendee.Status.PENDING


def test_a_reply_without_the_token_address_changes_nothing(client, invitation):
    # Sent (or forwarded) to the owner's own address: anyone could write that.
    raw = reply_from_client(invitation, "ACCEPTED", to="owner@example.com")
    post_to_postmark(client, raw, "owner@example.com")
    assert Attendee.objects.get(email="ana@example.org").status == Attendee.Status.PENDING


def test_a_reply_to_a_cancelled_meeting_changes_nothing(client, invitation):
    Event.objects.update(status=Event.Status.CANCELLED)
    post_to_postmark(client, reply_from_client(invitation, "ACCEPTED"), organizer_address(invitation))
    assert Attendee.objects.get(email="ana@example.org").status == Attendee.Status.PENDING


def test_the_webhook_needs_its_secret(client, invitation):
    raw = reply_from_client(invitation, "ACCEPTED")
    response = client.post(
        reverse("anymail:postmark_inbound_webhook"),
        json.dumps({"RawEmail": raw.decode(), "OriginalRecipient": organizer_address(invitation)}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert Attendee.objects.get(email="ana@example.org").status == Attendee.Status.PENDING


def test_the_rsvp_link_sends_the_organiser_the_same_note(client, each, invitation, committed):
    ana = Attendee.objects.get(email="ana@example.org")
    mail.outbox.clear()
    with committed():
        client.post(reverse("scheduling:rsvp", args=[ana.token]), {"response": "declined"})
    [note] = mail.outbox
    assert note.to == ["owner@example.com"]
    assert "declined" in note.subject


def test_the_organiser_can_turn_the_notes_off(owner_client, client, user, each, invitation, committed):
    data = {"name": user.name, "username": user.username, "timezone": user.timezone, "answer_notices": "off"}
    owner_client.post(reverse("accounts:profile"), {**data, "hour12": "False", "week_start": "0"})
    user.refresh_from_db()
    assert user.answer_notices == User.Notices.OFF
    mail.outbox.clear()
    with committed():
        post_to_postmark(client, reply_from_client(invitation, "ACCEPTED"), organizer_address(invitation))
    assert Attendee.objects.get(email="ana@example.org").status == Attendee.Status.ACCEPTED
    assert mail.outbox == []


def test_without_a_reply_address_invitations_name_the_owner(owner_client, committed, settings):
    settings.CALENDAR_REPLY_ADDRESS = ""
    with committed():
        create(owner_client, other_attendees="ana@example.org")
    assert organizer_address(mail.outbox[-1]) == "owner@example.com"
