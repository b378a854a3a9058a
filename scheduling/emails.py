"""The calendar's emails: poll invitations, meeting invitations, updates and cancellations,
poll results, reminders, and what the organiser hears about answers (one at a time, "everyone
has answered", the daily digest: scheduling/activity.py decides which and when).

:class:`CalendarComposer` writes the messages for meetings made in the calendar or finalized from a
poll (``scheduling/notices.py`` says who hears what); booked meetings have booking's composer.

Every message states its times in its reader's zone, named, on their clock: an invitee's or
attendee's as ``scheduling/recipients.py`` finds it, the organiser's from their profile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db.models import Count, Q
from django.urls import reverse

from accounts import clock, unsubscribe
from accounts.emails import compose
from scheduling import ical, ics, recipients
from scheduling.activity import CHANGED, JOINED_AND_ANSWERED
from scheduling.models import Activity, Attendee, Event, Invitation, Poll
from scheduling.notices import Notice
from scheduling.recurrence import Recurrence


def invitation_email(invitation: Invitation, *, reminder: bool) -> EmailMultiAlternatives:
    """An invitation to a poll, or a reminder of it: the deadline in the invitee's zone."""
    poll = invitation.poll
    owner = poll.owner
    subject = (
        f"Reminder: when can you meet? “{poll.title}” from {owner.display_name}"
        if reminder
        else f"{owner.display_name} asks when you can meet: “{poll.title}”"
    )
    with (reader := recipients.of_invitation(invitation)).writing():
        return compose(
            subject=subject,
            template="scheduling/email/invitation",
            context={
                "invitation": invitation,
                "poll": poll,
                "owner": owner,
                "reminder": reminder,
                "tz": reader.zone,
                "link": settings.SITE_URL + invitation.get_absolute_url(),
            },
            to=[invitation.email],
            reply_to=[owner.email],
            owner_id=owner.pk,
        )


# --- What an attendee receives -------------------------------------------------------------------

AttendeeFilter = Callable[[Event, Attendee], bool]


def when(event: Event, zone_name: str | None = None) -> str:
    """ "Mon 08 Mar 2027, 09:00 (Europe/Berlin)", in ``zone_name`` (the reader's), the meeting's
    zone unless told otherwise. An all-day meeting is its date, the same in every zone."""
    if event.all_day:
        return f"{event.start.astimezone(event.tzinfo):%a %d %b %Y}"
    zone_name = zone_name or event.timezone
    return f"{clock.active().when(event.start.astimezone(ZoneInfo(zone_name)))} ({zone_name})"


def repeats(event: Event) -> str:
    if not event.rrule:
        return ""
    return Recurrence.from_rrule(event.rrule, event.timezone).describe(event.start.astimezone(event.tzinfo))


def _attends(member: Event, email: str) -> bool:
    return any(attendee.email.lower() == email.lower() for attendee in member.attendees.all())


def attendee_calendar(
    event: Event,
    email: str,
    name: str = "",
    *,
    cancel: bool,
    include: AttendeeFilter | None = None,
    url: str = "",
    description: str | None = None,
    summary: str | None = None,
) -> tuple[bytes, str]:
    """The iTIP document for one attendee, and its method.

    REQUEST: the meeting as they attend it (a series with its overrides; only the occurrences
    they were invited to if not the series). CANCEL: ``event`` (a meeting, a series, or one
    occurrence) is off for them, at the SEQUENCE the workflow raised.
    """
    members = ical.members(event)
    seat = next((a for m in members for a in m.attendees.all() if a.email.lower() == email.lower()), None)
    organizer = ical.organizer(event, seat)
    if cancel:
        part = ical.component(
            event, attendees=[ics.Person(email=email, name=name)], organizer_person=organizer, summary=summary
        ).cancel()
        return ics.build([part], method="CANCEL"), "CANCEL"
    parts = ical.components(
        event, include=include, organizer_person=organizer, url=url, description=description, summary=summary
    )
    if not _attends(members[0], email):
        parts = [part for part, member in zip(parts, members, strict=True) if _attends(member, email)]
    return ics.build(parts, method="REQUEST"), "REQUEST"


def google_url(event: Event, **overrides) -> str:
    return ics.google_calendar_url(ical.component(event, **overrides))


EVENT_SUBJECTS = {
    "invitation": "Invitation: {title} — {when}",
    "update": "Updated: {title} — {when}",
    "cancellation": "Cancelled: {title} — {when}",
}


def _attendee(event: Event, email: str) -> Attendee | None:
    return next((a for a in event.attendees.all() if a.email.lower() == email.lower()), None)


def event_email(
    event: Event, kind: str, email: str, name: str = "", *, include: AttendeeFilter | None = None
) -> EmailMultiAlternatives:
    """An invitation, update or cancellation of a meeting to one attendee, in their zone;
    ``include`` picks the attendees their document lists (everyone by default)."""
    attendee = _attendee(event, email)
    cancel = kind == "cancellation"
    rsvp_url = settings.SITE_URL + attendee.get_absolute_url() if attendee and not cancel else ""
    calendar, method = attendee_calendar(event, email, name, cancel=cancel, url=rsvp_url, include=include)
    with (reader := recipients.of_attendee(event, email, attendee)).writing():
        return compose(
            subject=EVENT_SUBJECTS[kind].format(title=event.title, when=when(event, reader.zone)),
            template="scheduling/email/event",
            context={
                "event": event,
                "kind": kind,
                "attendee": attendee,
                "name": name or (attendee.name if attendee else ""),
                "when": when(event, reader.zone),
                "repeats": repeats(event),
                "rsvp_url": rsvp_url,
                "google_url": "" if cancel else google_url(event),
            },
            to=[email],
            reply_to=[event.owner.email],
            calendar=calendar,
            method=method,
            owner_id=event.owner_id,
        )


def finalized_email(event: Event, attendee: Attendee) -> EmailMultiAlternatives:
    """A poll's outcome to one invitee, in the zone they answered it in (or their account's)."""
    poll, owner = event.poll, event.owner
    rsvp_url = settings.SITE_URL + attendee.get_absolute_url()
    calendar, method = attendee_calendar(event, attendee.email, cancel=False, url=rsvp_url)
    with (reader := recipients.of_attendee(event, attendee.email, attendee)).writing():
        return compose(
            subject=f"Invitation: {event.title} — {when(event, reader.zone)}",
            template="scheduling/email/finalized",
            context={
                "event": event,
                "poll": poll,
                "owner": owner,
                "attendee": attendee,
                "tz": reader.zone,
                "rsvp_url": rsvp_url,
                "google_url": google_url(event),
            },
            to=[attendee.email],
            reply_to=[owner.email],
            calendar=calendar,
            method=method,
            owner_id=owner.pk,
        )


@clock.written_for(lambda poll, events: clock.of_user(poll.owner))
def finalized_summary(poll, events: list[Event]) -> EmailMultiAlternatives:
    """The organiser's own copy of what a poll scheduled: informational (PUBLISH), not an
    invitation to answer."""
    owner = poll.owner
    return compose(
        subject=f"Scheduled: {poll.title} ({len(events)} meeting{'s' if len(events) != 1 else ''})",
        template="scheduling/email/finalized_summary",
        context={"poll": poll, "owner": owner, "events": events},
        to=[owner.email],
        calendar=ical.published(events),
        method="PUBLISH",
        owner_id=owner.pk,
    )


def reminder_email(event: Event, start: datetime, to: str) -> EmailMultiAlternatives:
    """A reminder of one occurrence, to the organiser or an attendee, in their zone."""
    with (reader := recipients.of_attendee(event, to, _attendee(event, to))).writing():
        zone = event.timezone if event.all_day else reader.zone  # a date is the same everywhere
        local = start.astimezone(ZoneInfo(zone))
        return compose(
            subject=f"Reminder: {event.title} — {clock.active().when(local, '%a %d %b')} ({zone})",
            template="scheduling/email/event_reminder",
            context={"event": event, "start": local, "tz": zone, "site_url": settings.SITE_URL},
            to=[to],
            owner_id=event.owner_id,
        )


# --- What the organiser hears about answers (scheduling/activity.py) ----------------------------

Kind = Activity.Kind

# (in a list under the poll or meeting, on its own with the title)
ANSWER_PHRASES = {
    "": ("answered", "answered “{title}”"),
    CHANGED: ("changed their answer", "changed their answer on “{title}”"),
    JOINED_AND_ANSWERED: ("joined by the link and answered", "joined “{title}” by its link and answered"),
}
RSVP_PHRASES = {
    Attendee.Status.ACCEPTED: ("accepted", "accepted “{title}”"),
    Attendee.Status.DECLINED: ("declined", "declined “{title}”"),
    Attendee.Status.TENTATIVE: ("said maybe", "said maybe to “{title}”"),
    Attendee.Status.PENDING: ("has not decided yet", "has not decided on “{title}”"),
}
PHRASES = {
    Kind.DECLINED: ("declined", "declined “{title}”"),
    Kind.JOINED: ("joined by the link", "joined “{title}” by its link"),
    Kind.COMMENTED: ("commented", "commented on “{title}”"),
    Kind.PROPOSED: ("proposed another time", "proposed another time for “{title}”"),
    Kind.EVERYONE: ("Everyone has answered", "Everyone has answered “{title}”"),  # ``who`` is empty
}
WITH_NOTE = {Kind.DECLINED, Kind.COMMENTED, Kind.PROPOSED}  # their ``detail`` is what they wrote


@dataclass(frozen=True)
class Told:
    """One activity in the owner's words: "Ana answered", at "Tue 14:05" on their clock."""

    short: str  # "Ana answered", under its poll or meeting
    sentence: str  # "Ana answered “Kick-off”", on its own
    note: str  # what they wrote: a comment, a decline note, a proposed time
    at: str

    @property
    def indented_note(self) -> str:
        """The note under its line of a plain-text list."""
        return "\n  ".join(self.note.splitlines())


@dataclass
class About:
    """A poll or meeting in the owner's digest, with what happened to it."""

    title: str
    what: str  # "Poll" or "Meeting"
    url: str
    when: str  # the meeting's time, in the owner's timezone; "" for a poll
    items: list[Told] = field(default_factory=list)


def _phrase(activity: Activity) -> tuple[str, str]:
    if activity.kind == Kind.ANSWERED:
        return ANSWER_PHRASES.get(activity.detail, ANSWER_PHRASES[""])
    if activity.kind == Kind.RSVP:
        return RSVP_PHRASES.get(activity.detail, RSVP_PHRASES[Attendee.Status.PENDING])
    return PHRASES[activity.kind]


def _subject_of(activity: Activity) -> Poll | Event | None:
    return activity.poll or activity.event


def told(activity: Activity, owner) -> Told:
    short, long = _phrase(activity)
    subject = _subject_of(activity)
    title = subject.title if subject is not None else "a poll"
    local = activity.created_at.astimezone(owner.tzinfo)
    return Told(
        short=f"{activity.who} {short}".strip(),
        sentence=f"{activity.who} {long.format(title=title)}".strip(),
        note=activity.detail if activity.kind in WITH_NOTE else "",
        at=f"{local:%a} {clock.active().time(local)}",
    )


def about(activity: Activity, owner) -> About:
    if activity.event is not None:
        event = activity.event
        url = settings.SITE_URL + event.get_absolute_url()
        return About(title=event.title, what="Meeting", url=url, when=when(event, owner.timezone))
    poll = activity.poll
    if poll is None:
        return About(title="Other", what="", url=settings.SITE_URL, when="")
    return About(title=poll.title, what="Poll", url=settings.SITE_URL + poll.get_absolute_url(), when="")


def _answers_context(owner) -> dict:
    return {
        "owner": owner,
        "profile_url": settings.SITE_URL + reverse("accounts:profile"),
        "unsubscribe_url": unsubscribe.url(owner.pk, "answers"),
    }


_owners_clock = clock.written_for(lambda activity: clock.of_user(activity.owner))


@_owners_clock
def activity_email(activity: Activity) -> EmailMultiAlternatives:
    """One answer, decline, comment, RSVP or proposed time, told at once ("each")."""
    if activity.kind == Kind.EVERYONE:
        return everyone_email(activity)
    owner = activity.owner
    item, target = told(activity, owner), about(activity, owner)
    return compose(
        subject=item.sentence + (f" — {target.when}" if target.when else ""),
        template="scheduling/email/activity",
        context={**_answers_context(owner), "item": item, "about": target},
        to=[owner.email],
        owner_id=owner.pk,
        headers=unsubscribe.headers(owner.pk, "answers"),
    )


@_owners_clock
def everyone_email(activity: Activity) -> EmailMultiAlternatives:
    """The last invitee has answered: time to pick a time."""
    owner, poll = activity.owner, activity.poll
    counts = poll.invitations.filter(joined_by_link=False).aggregate(
        invited=Count("pk"), declined=Count("pk", filter=Q(status=Invitation.Status.DECLINED))
    )
    return compose(
        subject=f"Everyone has answered “{poll.title}”",
        template="scheduling/email/everyone_answered",
        context={
            **_answers_context(owner),
            "poll": poll,
            "invited": counts["invited"],
            "declined": counts["declined"],
            "poll_url": settings.SITE_URL + poll.get_absolute_url(),
            "finalize_url": settings.SITE_URL + reverse("scheduling:poll_finalize", args=[poll.pk]),
        },
        to=[owner.email],
        owner_id=owner.pk,
        headers=unsubscribe.headers(owner.pk, "answers"),
    )


@clock.written_for(lambda owner, activities: clock.of_user(owner))
def digest_email(owner, activities: list[Activity]) -> EmailMultiAlternatives:
    """The day's answers, comments and replies in one email, by poll and meeting (in the order
    things happened)."""
    groups: dict[tuple[int | None, int | None], About] = {}
    for activity in activities:
        key = (activity.poll_id, activity.event_id)
        if key not in groups:
            groups[key] = about(activity, owner)
        groups[key].items.append(told(activity, owner))
    titles = [f"“{group.title}”" for group in groups.values()]
    on = titles[0] if len(titles) == 1 else f"{titles[0]} and {len(titles) - 1} more"
    count = len(activities)
    return compose(
        subject=f"Daily summary: {count} update{'s' if count != 1 else ''} on {on}",
        template="scheduling/email/answers_digest",
        context={**_answers_context(owner), "groups": list(groups.values()), "count": count},
        to=[owner.email],
        owner_id=owner.pk,
        headers=unsubscribe.headers(owner.pk, "answers"),
    )


class CalendarComposer:
    """Messages for meetings made in the calendar or finalized from a poll."""

    def messages(self, notices: list[Notice]) -> list[EmailMessage]:
        messages: list[EmailMessage] = []
        finalized: dict[int, list[Event]] = {}
        for notice in notices:
            event = notice.event
            if notice.change.context.get("finalized") and event.poll_id:
                messages += [finalized_email(event, attendee) for attendee in notice.invited]
                finalized.setdefault(event.poll_id, []).append(event)
            else:
                messages += [event_email(event, "invitation", a.email, a.name) for a in notice.invited]
            messages += [event_email(event, "update", a.email, a.name) for a in notice.updated]
            messages += [event_email(event, "cancellation", a.email, a.name) for a in notice.cancelled]
            messages += [event_email(event, "cancellation", email, name) for email, name in notice.removed]
        for events in finalized.values():
            events.sort(key=lambda event: event.start)
            messages.append(finalized_summary(events[0].poll, events))
        return messages

    def reminder(self, event: Event, start: datetime) -> list[EmailMessage]:
        recipients = [event.owner.email]
        if event.remind_attendees:
            recipients += [a.email for a in event.attendees.all() if a.status != Attendee.Status.DECLINED]
        return [reminder_email(event, start, email) for email in dict.fromkeys(filter(None, recipients))]
