"""The emails a booking sends: to the booker (with their invitation) and to the host."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from accounts.emails import compose
from booking.models import Booking
from scheduling.ics import Invitation, Person, google_calendar_url, invitation_ics

SUBJECTS = {
    "confirmed": ("Confirmed: {title} with {host} on {when}", "New booking: {booker} — {title} on {when}"),
    "rescheduled": ("Updated: {title} with {host} is now {when}", "Rescheduled: {booker} — {title} is now {when}"),
    "cancelled": ("Cancelled: {title} with {host} on {when}", "Cancelled: {booker} — {title} on {when}"),
    "reminder": ("Reminder: {title} with {host} on {when}", "Reminder: {booker} — {title} on {when}"),
}


def manage_url(booking: Booking) -> str:
    return settings.SITE_URL + reverse("booking:manage", args=[booking.token])


def invitation(booking: Booking, *, for_host: bool = False) -> Invitation:
    """The booker's invitation keeps the booking's UID; the host's copy is the shared event's
    (the same UID for a one-on-one, one UID per group slot)."""
    event, host = booking.event, booking.host
    title = booking.event_type.title if booking.event_type else event.title
    link = manage_url(booking)
    description = "\n".join(
        filter(
            None,
            [
                booking.event_type.description if booking.event_type else "",
                *(f"{item['question']}: {item['answer']}" for item in booking.answers if item["answer"]),
                f"Reschedule or cancel: {link}" if not for_host else "",
            ],
        )
    )
    attendees = [Person(email=a.email, name=a.name, status=a.status.upper()) for a in event.attendees.all()]
    if not for_host:
        own = {booking.email.lower(), *(guest.lower() for guest in booking.guests)}
        attendees = [person for person in attendees if person.email.lower() in own] or [
            Person(email=booking.email, name=booking.name, status="ACCEPTED")
        ]
    return Invitation(
        uid=event.uid if for_host else booking.uid,
        sequence=event.sequence if for_host else booking.sequence,
        start=event.start,
        end=event.end,
        summary=title if for_host else f"{title} with {host.display_name}",
        organizer=Person(email=host.email, name=host.display_name),
        attendees=attendees,
        description=description,
        location=booking.location,
        url=link if not for_host else settings.SITE_URL + reverse("booking:booking_list"),
        timezone=booking.timezone if not for_host else event.timezone,
        cancelled=booking.is_cancelled and (not for_host or event.is_cancelled),
    )


def messages_for(booking: Booking, kind: str, by: str = "") -> list[EmailMultiAlternatives]:
    host = booking.host
    title = booking.event_type.title if booking.event_type else booking.event.title
    booker_subject, host_subject = SUBJECTS[kind]
    booker_when = f"{booking.event.start.astimezone(booking.booker_tzinfo):%a %d %b %Y, %H:%M} ({booking.timezone})"
    host_when = f"{booking.event.start.astimezone(host.tzinfo):%a %d %b %Y, %H:%M} ({host.timezone})"
    booker_invite = invitation(booking)
    context = {
        "booking": booking,
        "kind": kind,
        "by": by,
        "title": title,
        "host": host,
        "manage_url": manage_url(booking),
        "google_url": google_calendar_url(booker_invite),
    }
    method = "CANCEL" if booker_invite.cancelled else "REQUEST"
    to_booker = compose(
        subject=booker_subject.format(title=title, host=host.display_name, when=booker_when),
        template="booking/email/booker",
        context={**context, "tz": booking.timezone},
        to=[booking.email],
        reply_to=[host.email],
        ics=invitation_ics(booker_invite),
        ics_method=method,
    )
    host_invite = invitation(booking, for_host=True)
    to_host = compose(
        subject=host_subject.format(booker=booking.name, title=title, when=host_when),
        template="booking/email/host",
        context={**context, "tz": host.timezone},
        to=[host.email],
        reply_to=[booking.email],
        ics=invitation_ics(host_invite),
        ics_method="CANCEL" if host_invite.cancelled else "REQUEST",
    )
    return [to_booker, to_host]
