from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from accounts.emails import compose
from scheduling.models import Invitation


def invitation_email(invitation: Invitation, *, reminder: bool) -> EmailMultiAlternatives:
    poll = invitation.poll
    owner = poll.owner
    subject = (
        f"Reminder: when can you meet? “{poll.title}” from {owner.display_name}"
        if reminder
        else f"{owner.display_name} asks when you can meet: “{poll.title}”"
    )
    return compose(
        subject=subject,
        template="scheduling/email/invitation",
        context={
            "invitation": invitation,
            "poll": poll,
            "owner": owner,
            "reminder": reminder,
            "link": settings.SITE_URL + invitation.get_absolute_url(),
        },
        to=[invitation.email],
        reply_to=[owner.email],
    )


def finalized_emails(poll) -> list[EmailMultiAlternatives]:
    """One invitation per attendee (with its .ics) and a summary for the owner."""
    from scheduling.ics import build_calendar, google_calendar_url, invitation_ics

    owner = poll.owner
    events = list(poll.meetings.prefetch_related("attendees").order_by("start"))
    messages = []
    for event in events:
        invite = event_invitation(event)
        for attendee in event.attendees.all():
            messages.append(
                compose(
                    subject=f"Invitation: {event.title} — {event.start.astimezone(poll.tzinfo):%a %d %b %Y, %H:%M} "
                    f"({poll.timezone})",
                    template="scheduling/email/finalized",
                    context={
                        "event": event,
                        "poll": poll,
                        "owner": owner,
                        "attendee": attendee,
                        "google_url": google_calendar_url(invite),
                    },
                    to=[attendee.email],
                    reply_to=[owner.email],
                    ics=invitation_ics(invite),
                )
            )
    summary = compose(
        subject=f"Scheduled: {poll.title} ({len(events)} meeting{'s' if len(events) != 1 else ''})",
        template="scheduling/email/finalized_summary",
        context={"poll": poll, "owner": owner, "events": events},
        to=[owner.email],
        # The organiser's own copy is informational (PUBLISH), not an invitation to answer.
        ics=build_calendar([event_invitation(event) for event in events], method="PUBLISH"),
        ics_method="PUBLISH",
    )
    messages.append(summary)
    return messages


def event_invitation(event):
    """The .ics of any confirmed meeting (a poll's, the calendar's; a series with its RRULE and
    EXDATEs, or a detached occurrence with its series' UID and RECURRENCE-ID)."""

    from scheduling.ics import Invitation as Ics
    from scheduling.ics import Person

    owner = event.owner
    series = event.series
    return Ics(
        uid=series.uid if series else event.uid,
        sequence=event.sequence,
        start=event.start,
        end=event.end,
        summary=event.title,
        organizer=Person(email=owner.email, name=owner.display_name),
        attendees=[Person(email=a.email, name=a.name, status=a.status.upper()) for a in event.attendees.all()],
        description=event.description,
        location=event.location,
        timezone=event.timezone,
        cancelled=event.is_cancelled,
        rrule=event.rrule,
        exdates=event.exception_starts,
        recurrence_id=event.original_start,
        all_day=event.all_day,
    )


EVENT_SUBJECTS = {
    "invitation": "Invitation: {title} — {when}",
    "update": "Updated: {title} — {when}",
    "cancellation": "Cancelled: {title} — {when}",
}


def event_email(event, kind: str, email: str) -> EmailMultiAlternatives:
    from scheduling.ics import invitation_ics
    from scheduling.recurrence import Recurrence

    invite = event_invitation(event)
    if kind == "cancellation" and not invite.cancelled:
        # Removed from a still-running event: cancel it for this person only.
        from dataclasses import replace

        invite = replace(invite, cancelled=True, attendees=[p for p in invite.attendees if p.email == email] or ())
    attendee = event.attendees.filter(email__iexact=email).first()
    local = event.start.astimezone(event.tzinfo)
    when = f"{local:%a %d %b %Y}" if event.all_day else f"{local:%a %d %b %Y, %H:%M} ({event.timezone})"
    repeats = Recurrence.from_rrule(event.rrule, event.timezone).describe(local) if event.rrule else ""
    return compose(
        subject=EVENT_SUBJECTS[kind].format(title=event.title, when=when),
        template="scheduling/email/event",
        context={
            "event": event,
            "kind": kind,
            "attendee": attendee,
            "when": when,
            "repeats": repeats,
            "rsvp_url": settings.SITE_URL + attendee.get_absolute_url() if attendee and kind != "cancellation" else "",
        },
        to=[email],
        reply_to=[event.owner.email],
        ics=invitation_ics(invite),
        ics_method="CANCEL" if invite.cancelled else "REQUEST",
    )


def reminder_email(event, start, to: str) -> EmailMultiAlternatives:
    local = start.astimezone(event.tzinfo)
    return compose(
        subject=f"Reminder: {event.title} — {local:%a %d %b, %H:%M} ({event.timezone})",
        template="scheduling/email/event_reminder",
        context={"event": event, "start": local, "site_url": settings.SITE_URL},
        to=[to],
    )
