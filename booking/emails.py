"""The emails of booked meetings: the booker's (with their manage link), their guests', the host's.

:class:`BookingComposer` is the composer of ``Event.Origin.BOOKING`` (``scheduling/notices.py``):
whatever changed a booked meeting, the booking link or the host's calendar, the booker hears of
it in booking words, with the meeting's one UID and SEQUENCE. In a group slot each booker's
documents list only their own party: bookers do not see each other.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.urls import reverse

from accounts import clock
from accounts.emails import compose
from booking.models import Booking, EventType
from scheduling import ical, ics, recipients
from scheduling.emails import attendee_calendar, event_email, reminder_email
from scheduling.models import Attendee, Event
from scheduling.notices import Notice

BOOKER_SUBJECTS = {
    "confirmed": "Confirmed: {title} with {host} on {when}",
    "rescheduled": "Updated: {title} with {host} is now {when}",
    "moved": "Moved: {title} with {host} is now {when}",
    "cancelled": "Cancelled: {title} with {host} on {when}",
    "reminder": "Reminder: {title} with {host} on {when}",
}
HOST_SUBJECTS = {
    "confirmed": "New booking: {booker} — {title} on {when}",
    "rescheduled": "Rescheduled: {booker} — {title} is now {when}",
    "cancelled": "Cancelled: {booker} — {title} on {when}",
    "reminder": "Reminder: {booker} — {title} on {when}",
    "handed_over": "Now with {new_host}: {booker} — {title} on {when}",
}


def manage_url(booking: Booking) -> str:
    return settings.SITE_URL + reverse("booking:manage", args=[booking.token])


def title_of(booking: Booking) -> str:
    return booking.event_type.title if booking.event_type else booking.event.title


def _description(booking: Booking) -> str:
    parts = [
        booking.event_type.description if booking.event_type else "",
        *(f"{item['question']}: {item['answer']}" for item in booking.answers if item["answer"]),
        f"Reschedule or cancel: {manage_url(booking)}",
    ]
    return "\n".join(part for part in parts if part)


def _in_party(booking: Booking):
    party = booking.party
    return lambda member, attendee: attendee.email.lower() in party


def _booker_view(booking: Booking) -> dict:
    """How the booker's documents present the meeting: their title, their link, their party."""
    return {
        "include": _in_party(booking),
        "url": manage_url(booking),
        "description": _description(booking),
        "summary": f"{title_of(booking)} with {booking.host.display_name}",
    }


def booker_calendar(booking: Booking, *, cancel: bool = False, event: Event | None = None) -> tuple[bytes, str]:
    """The booker's iTIP document: REQUEST, or CANCEL of ``event`` (their meeting by default)."""
    view = _booker_view(booking)
    return attendee_calendar(
        event or booking.event,
        booking.email,
        booking.name,
        cancel=cancel,
        include=view["include"],
        url=view["url"],
        description=view["description"],
        summary=view["summary"],
    )


def booker_download(booking: Booking) -> bytes:
    return ics.build(ical.components(booking.event, **_booker_view(booking)))


def booker_google_url(booking: Booking) -> str:
    view = _booker_view(booking)
    return ics.google_calendar_url(
        ical.component(booking.event, url=view["url"], description=view["description"], summary=view["summary"])
    )


def _local(moment: datetime, zone) -> str:
    return clock.active().when(moment.astimezone(zone))


def booker_email(booking: Booking, kind: str, *, by: str = "", reason: str = "", old: Event | None = None):
    """To the booker, in their zone (``recipients.of_booker``). ``kind``: confirmed, rescheduled,
    moved (the old slot of a group booking that moved to another), cancelled or reminder."""
    event, host = booking.event, booking.host
    cancel = kind in ("cancelled", "moved")
    calendar, method = booker_calendar(booking, cancel=cancel, event=old if kind == "moved" else None)
    with (reader := recipients.of_booker(booking)).writing():
        when = f"{_local(event.start, reader.tzinfo)} ({reader.zone})"
        return compose(
            subject=BOOKER_SUBJECTS[kind].format(title=title_of(booking), host=host.display_name, when=when),
            template="booking/email/booker",
            context={
                "booking": booking,
                "event": event,
                "kind": kind,
                "by_host": by == Event.By.OWNER,
                "reason": reason,
                "title": title_of(booking),
                "host": host,
                "manage_url": manage_url(booking),
                "google_url": booker_google_url(booking),
                "tz": reader.zone,
                "old": old,
            },
            to=[booking.email],
            reply_to=[host.email],
            calendar=calendar,
            method=method,
            owner_id=host.pk,
        )


def _seats(booking: Booking) -> dict | None:
    """For a group slot: the seats this booking takes (the booker and their guests), how many of
    the slot's are taken now, and of how many. None for a one-on-one link."""
    event_type = booking.event_type
    if event_type is None or event_type.kind != EventType.Kind.GROUP:
        return None
    taken = sum(1 for attendee in booking.event.attendees.all() if attendee.host_id is None)
    return {"party": 1 + len(booking.guests), "taken": taken, "of": event_type.seats}


@clock.written_for(lambda bookings, *args, **kwargs: clock.of_user(kwargs.get("host") or bookings[0].host))
def host_email(
    bookings: list[Booking], kind: str, *, by: str = "", reason: str = "", host=None
) -> EmailMultiAlternatives:
    """To the host, about one booking or the weeks of one recurring booking: their own copy,
    published (not an invitation from themselves). ``handed_over``: to ``host``, the team
    member who no longer hosts the meeting (it is off their calendar; no document)."""
    booking = bookings[0]
    host = host or booking.host
    when = f"{_local(booking.event.start, host.tzinfo)} ({host.timezone})"
    if len(bookings) > 1:
        when += f" and {len(bookings) - 1} more week{'s' if len(bookings) > 2 else ''}"
    seats = _seats(booking)
    booker = f"{booking.name} ({seats['party']} seats)" if seats and seats["party"] > 1 else booking.name
    return compose(
        subject=HOST_SUBJECTS[kind].format(
            booker=booker, title=title_of(booking), when=when, new_host=booking.host.display_name
        ),
        template="booking/email/host",
        context={
            "booking": booking,
            "bookings": bookings,
            "kind": kind,
            "by_host": by == Event.By.OWNER,
            "reason": reason,
            "title": title_of(booking),
            "host": host,
            "new_host": booking.host,
            "tz": host.timezone,
            "seats": seats,
        },
        to=[host.email],
        reply_to=[booking.email],
        calendar=None if kind == "handed_over" else ical.published([b.event for b in bookings]),
        method="PUBLISH",
        owner_id=host.pk,
    )


# A meeting reassigned to another team member is, to them, a new booking.
HOST_KINDS = {"booked": "confirmed", "rescheduled": "rescheduled", "cancelled": "cancelled", "reassigned": "confirmed"}


class BookingComposer:
    def messages(self, notices: list[Notice]) -> list[EmailMessage]:
        bookings = _bookings_for(notices)
        messages: list[EmailMessage] = []
        for_host: dict[tuple, list[Booking]] = defaultdict(list)
        host_by: dict[tuple, str] = {}
        for notice in notices:
            change, event = notice.change, notice.event
            action = change.context.get("action", "")
            acting = bookings.get(change.context.get("booking"))
            if acting is not None and acting.event_id == event.pk:
                acting.event = event  # the loaded one, with its attendees and owner
            on_event = [b for b in bookings.values() if b.event_id == event.pk or b is acting]
            by = change.by or Event.By.OWNER
            reason = change.context.get("reason", "") or event.cancel_reason
            for attendee in notice.invited:
                messages.append(self._to(attendee.email, attendee.name, on_event, event, "invitation", action, by))
            for attendee in notice.updated:
                messages.append(self._to(attendee.email, attendee.name, on_event, event, "update", action, by))
            for attendee in notice.cancelled:
                messages.append(
                    self._to(attendee.email, attendee.name, on_event, event, "cancellation", action, by, reason)
                )
            for email, name in notice.removed:
                messages.append(self._to(email, name, on_event, event, "cancellation", action, by, reason))
            if acting is not None and change.context.get("handed_over"):
                # A team meeting went to another host: the one who had it hears so.
                messages.append(host_email([acting], "handed_over", by=by, host=event.owner))
            if acting is not None and action in HOST_KINDS:
                key = (action, acting.series or acting.pk)
                for_host[key].append(acting)
                host_by[key] = by
        for key, group in for_host.items():
            group.sort(key=lambda booking: booking.event.start)
            reason = group[0].event.cancel_reason or group[0].seat_cancel_reason
            messages.append(host_email(group, HOST_KINDS[key[0]], by=host_by[key], reason=reason))
        return messages

    def _to(self, email, name, on_event, event, kind, action, by, reason="") -> EmailMessage:
        """One attendee's message: the booker's in booking words, a guest's as an invitation that
        lists their party only, anyone else's (added by the host) as a calendar invitation."""
        booking = next((b for b in on_event if email.lower() in b.party), None)
        if booking is None:
            return event_email(event, kind, email, name)
        if email.lower() != booking.email.lower():
            return event_email(event, kind, email, name, include=_in_party(booking))
        if kind == "cancellation":
            if action == "moved_out":
                return booker_email(booking, "moved", by=by, old=event)
            return booker_email(booking, "cancelled", by=by, reason=reason)
        if kind == "invitation" and action not in ("rescheduled", "reassigned"):
            return booker_email(booking, "confirmed", by=by)
        return booker_email(booking, "rescheduled", by=by)

    def reminder(self, event: Event, start: datetime) -> list[EmailMessage]:
        bookings = list(Booking.objects.confirmed().filter(event=event).select_related("event_type"))
        for booking in bookings:
            booking.event = event
        messages: list[EmailMessage] = [booker_email(booking, "reminder") for booking in bookings]
        bookers = {booking.email.lower() for booking in bookings}
        messages += [
            reminder_email(event, start, attendee.email)
            for attendee in event.attendees.all()
            if attendee.email.lower() not in bookers and attendee.status != Attendee.Status.DECLINED
        ]
        if bookings:
            messages.append(host_email(bookings, "reminder"))
        return messages


def _bookings_for(notices: list[Notice]) -> dict[int, Booking]:
    """Every booking on the notices' meetings, and the ones that acted (one query)."""
    from django.db.models import Q

    events = {notice.event.pk: notice.event for notice in notices}
    acting = [notice.change.context["booking"] for notice in notices if notice.change.context.get("booking")]
    found = Booking.objects.filter(Q(event_id__in=events) | Q(pk__in=acting)).select_related(
        "event_type", "event__owner"
    )
    result = {}
    for booking in found:
        if booking.event_id in events:
            booking.event = events[booking.event_id]
        result[booking.pk] = booking
    return result
