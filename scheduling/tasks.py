from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from accounts import google
from accounts.google_calendar import GoogleUnavailable
from scheduling import activity, caldav_sync, google_sync, notices, outbox, polls
from scheduling.emails import invitation_email
from scheduling.models import Invitation


def _invitation(invitation_id: int) -> Invitation | None:
    return Invitation.objects.select_related("poll__owner").filter(pk=invitation_id).first()


@db_task(retries=3, retry_delay=30)
def send_invitation(invitation_id: int) -> None:
    invitation = _invitation(invitation_id)
    if invitation is not None:  # removed before the worker got to it
        invitation_email(invitation, reminder=False).send()


@db_task(retries=3, retry_delay=30)
def send_reminder(invitation_id: int) -> None:
    invitation = _invitation(invitation_id)
    if invitation is not None and invitation.status == Invitation.Status.PENDING:
        invitation_email(invitation, reminder=True).send()


@db_periodic_task(crontab(minute="*/5"))
def send_deadline_reminders() -> int:
    """24 hours before a poll's deadline, remind everyone still pending: once per invitee and
    deadline, even with several workers (each reminder is claimed by a conditional update)."""
    now = timezone.now()
    sent = 0
    for invitation_id, deadline in polls.due_deadline_reminders(now).values_list("pk", "poll__deadline"):
        if polls.claim_deadline_reminder(invitation_id, deadline):
            invitation = _invitation(invitation_id)
            invitation_email(invitation, reminder=True).send()
            sent += 1
    return sent


@db_task(retries=3, retry_delay=30)
def send_notices(changes: list[outbox.Change]) -> int:
    """The emails of one committed workflow: one per recipient and meeting (scheduling/notices.py)."""
    return notices.send(changes)


@db_periodic_task(crontab(minute="*"))
def send_event_reminders() -> int:
    """Due reminders of every occurrence, each exactly once (scheduling/reminders.py)."""
    from scheduling.reminders import send_due

    return send_due(timezone.now())


# Google may be down or rate-limiting for a while: retry after 30 s, 1, 2, 4, 8 and 16 minutes.
@db_task(retries=6, retry_delay=30, retry_backoff=2)
def push_event_to_google(event_id: int) -> None:
    google_sync.sync_event(event_id)


# Upcoming meetings made, changed or cancelled while Google was unreachable or disconnected, brought
# in step once it is connected again (or starts receiving meetings).
UPCOMING_LIMIT = 500


@db_task(retries=6, retry_delay=30, retry_backoff=2)
def push_upcoming_to_google(owner_id: int) -> None:
    connection = google.connection_for(owner_id)
    for event_id in google_sync.upcoming_to_sync(owner_id, timezone.now())[:UPCOMING_LIMIT]:
        google_sync.sync_event(event_id, connection=connection)


@db_periodic_task(crontab(minute="23"))
def repair_google_copies() -> int:
    """Hourly: push what a task gave up on after its retries (a long Google outage). Idempotent."""
    repaired = 0
    for connection in google_sync.connections_to_repair():
        for event_id in google_sync.out_of_step(connection.user_id, timezone.now())[:UPCOMING_LIMIT]:
            try:
                google_sync.sync_event(event_id, connection=connection)
            except GoogleUnavailable:
                break  # still down for this owner: next hour
            repaired += 1
    return repaired


# CalDAV servers go down or rate-limit too: the same backoff as Google's.
@db_task(retries=6, retry_delay=30, retry_backoff=2)
def push_event_to_caldav(event_id: int) -> None:
    caldav_sync.sync_event(event_id)


@db_task(retries=6, retry_delay=30, retry_backoff=2)
def push_upcoming_to_caldav(owner_id: int) -> None:
    """A CalDAV calendar starts receiving meetings: copy the ones still to come."""
    for event_id in caldav_sync.upcoming_to_sync(owner_id, timezone.now())[:UPCOMING_LIMIT]:
        caldav_sync.sync_event(event_id)


@db_periodic_task(crontab(minute="37"))
def repair_caldav_copies() -> int:
    """Hourly: push what a task gave up on after its retries (a long outage). Idempotent."""
    from accounts.caldav_gateway import CalDAVError

    repaired = 0
    for owner_id in caldav_sync.owners_to_repair():
        for event_id in caldav_sync.out_of_step(owner_id, timezone.now())[:UPCOMING_LIMIT]:
            try:
                caldav_sync.sync_event(event_id)
            except CalDAVError:
                break  # still down for this owner: next hour
            repaired += 1
    return repaired


# --- The owner hears about answers (scheduling/activity.py) ---------------------------------------


@db_task(retries=3, retry_delay=30)
def tell_owner(activity_id: int) -> bool:
    """One answer, decline, comment, RSVP or "everyone has answered", emailed at once."""
    return activity.tell(activity_id)


@db_periodic_task(crontab(minute="*/15"))
def send_answer_digests() -> int:
    """Each owner's daily digest once their clock passes 08:00: exactly one per owner and day,
    even with several workers (the day is claimed by a conditional update)."""
    return activity.send_digests(timezone.now())
