"""Answers from mail clients: iTIP REPLY messages arriving through anymail's inbound webhooks.

When an attendee clicks Yes / No / Maybe in Gmail, Outlook or Apple Mail, their calendar emails a
``METHOD:REPLY`` document to the meeting's ORGANIZER. With ``CALENDAR_REPLY_ADDRESS`` set, the
organizer of every invitation is that person's own address, ``rsvp+<attendee token>@domain``
(``scheduling/ical.py``); the provider's inbound webhook (``/anymail/<provider>/inbound/``, any
provider anymail supports) hands the message to :func:`receive`, which updates the attendee
through the same workflow as the RSVP link.

The token in the recipient address is what authorises the answer (From headers are easy to
forge): the reply must name the attendee the token belongs to, for the meeting it belongs to.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import icalendar
from django.conf import settings

from scheduling import events, ical
from scheduling.models import Attendee

logger = logging.getLogger(__name__)

PARTSTATS = {
    "ACCEPTED": Attendee.Status.ACCEPTED,
    "DECLINED": Attendee.Status.DECLINED,
    "TENTATIVE": Attendee.Status.TENTATIVE,
}
CALENDAR_TYPES = ("text/calendar", "application/ics")


def receive(sender, event, esp_name: str, **kwargs) -> None:
    """anymail's ``inbound`` signal receiver."""
    message = event.message
    tokens = _tokens(message)
    if not tokens:
        logger.info("Inbound email via %s ignored: not addressed to a reply address", esp_name)
        return
    answered, seen = 0, set()
    for document in _calendar_parts(message):
        answered += apply_reply(document, tokens, seen=seen)
    logger.info("Inbound email via %s: %s answer(s) recorded", esp_name, answered)


def _tokens(message) -> list[str]:
    """The attendee tokens in the addresses the message was sent to (rsvp+TOKEN@domain)."""
    address = settings.CALENDAR_REPLY_ADDRESS
    if not address:
        return []
    local, _, domain = address.lower().partition("@")
    recipients = [a.addr_spec for a in [*message.to, *message.cc]]
    if message.envelope_recipient:
        recipients.append(message.envelope_recipient)
    found = []
    for recipient in recipients:
        box, _, host = recipient.partition("@")
        prefix, plus, token = box.partition("+")
        if plus and prefix.lower() == local and host.lower() == domain and token:
            found.append(token)
    return list(dict.fromkeys(found))


def _calendar_parts(message) -> list[bytes]:
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = (part.get_filename() or "").lower()
        if part.get_content_type() in CALENDAR_TYPES or filename.endswith(".ics"):
            payload = part.get_payload(decode=True)
            if payload and payload not in parts:  # the same document inline and attached
                parts.append(payload)
    return parts


def apply_reply(document: bytes, tokens: list[str], *, seen: set | None = None) -> int:
    """Record the answers in one REPLY document; returns how many attendees it updated. ``seen``
    skips answers already taken from this message (clients put the document inline and attached)."""
    seen = set() if seen is None else seen
    try:
        calendar = icalendar.Calendar.from_ical(document)
    except ValueError as error:
        logger.warning("Inbound calendar reply not readable: %s", error)
        return 0
    if str(calendar.get("METHOD", "")).upper() != "REPLY":
        return 0
    seats = list(Attendee.objects.filter(token__in=tokens).select_related("event__owner", "event__series"))
    updated = 0
    for component in calendar.walk("VEVENT"):
        uid = str(component.get("UID", ""))
        replies = component.get("ATTENDEE")
        replies = replies if isinstance(replies, list) else [replies] if replies is not None else []
        for reply in replies:
            email = str(reply).removeprefix("mailto:").removeprefix("MAILTO:").lower()
            status = PARTSTATS.get(str(reply.params.get("PARTSTAT", "")).upper())
            seat = next((s for s in seats if s.email.lower() == email and ical.root(s.event).uid == uid), None)
            if status is None or seat is None:
                logger.warning("Inbound reply for UID %s ignored: no matching attendee for its token", uid)
                continue
            attendee = _instance_attendee(seat, component.get("RECURRENCE-ID"))
            if attendee is None or attendee.event.is_cancelled or (attendee.pk, status) in seen:
                continue
            seen.add((attendee.pk, status))
            try:
                events.respond(attendee=attendee, status=status)
            except events.MeetingOverlaps:
                logger.warning("Inbound reply for UID %s refused: the host is booked elsewhere then", uid)
                continue
            updated += 1
    return updated


def _instance_attendee(seat: Attendee, recurrence_id) -> Attendee | None:
    """The attendee row the answer is about: the series' (or the meeting's), or that of the one
    occurrence named by RECURRENCE-ID. Answers are kept per meeting, so an answer for a single
    occurrence that was never edited on its own is not applied to the whole series."""
    series = ical.root(seat.event)
    if recurrence_id is None:
        target = series
    else:
        original = _utc(recurrence_id.dt, series)
        target = next((child for child in series.exceptions.all() if child.original_start == original), None)
        if target is None:
            logger.info("Inbound reply for one occurrence of event %s not applied to the series", series.pk)
            return None
    if target.pk == seat.event_id:
        return seat
    return target.attendees.filter(email__iexact=seat.email).select_related("event__owner").first()


def _utc(moment, series) -> datetime:
    if not isinstance(moment, datetime):  # an all-day occurrence: local midnight
        moment = datetime.combine(moment, datetime.min.time(), tzinfo=series.tzinfo)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=series.tzinfo)
    return moment.astimezone(UTC)
