"""What an owner hears about people's answers, and when: the one place that records it and tells them.

Calling it (from workflows, inside their transaction or not; emails leave after commit)
---------------------------------------------------------------------------------------
- ``poll_answered(invitation=...)`` after every save of a participant's answer: each painted stroke
  on the grid (``polls.save_availability`` calls it) or a save of their answers to an options poll.
  Strokes are folded here, so call it on every save. A save that leaves them pending (nothing
  painted, no to every option) is not news. ``polls.undo_decline`` calls it when their earlier
  answer stands again.
- ``poll_declined(invitation=...)`` after a decline (``polls.decline``); the note goes with it.
- ``attendee_responded(attendee=..., proposal=None)`` after an RSVP to a meeting, with the
  ``TimeProposal`` when they proposed another time (``events.respond``).
- ``record(owner_id=..., kind=..., who=..., poll=None, event=None, detail="")`` for anything else:
  ``Activity.Kind.JOINED`` (joined a poll by its link), ``COMMENTED`` (``detail`` = the comment).
  Returns the stored ``Activity``.

How the owner hears (``User.answer_notices``)
-----------------------------------------------
- **each**: one email per activity, sent by a task once the answer commits (:func:`tell`).
- **digest** (the default): nothing at once. :func:`send_digests` (a periodic task every 15
  minutes) sends each owner one email a day, once their own clock has passed 08:00, with
  everything not told yet, grouped by poll and meeting. The day is claimed with a conditional
  update of ``User.digest_sent_on`` (their local date), so two workers never both send it.
- **off**: nothing. The activity is still stored, marked as told (it keeps "everyone has
  answered" claimed, and nothing piles up for a later digest).

Every activity is told once: sending claims ``Activity.notified_at`` in the transaction that
queues the email. An activity of an owner who switched from digest to "each" (or whose email
failed to build) is picked up by the next digest after an hour.

Rules
-----
- **Strokes** (debounce): a painted grid saves after every stroke. A person's answer is folded
  into their earlier answer (or their "joined by the link") on the same poll when that one is
  not told yet or is less than ``FOLD_WINDOW`` (30 minutes) old. So "each" sends one email for a
  painting session, and a digest says once that they answered. A later answer, after the owner
  heard and the window passed, is told as "changed their answer". People are known by the name
  on their invitation (unique per poll for people who joined by link).
- **Changed minds**: a newer RSVP or decline of the same person, before the owner was told,
  replaces the older one (the owner hears the latest, once).
- **Everyone has answered**: when the last of the people invited by email answers or declines
  (at least one invited; people who joined by the link do not count: anyone may still join),
  told at once for "each" (besides the last answer's own email) and "digest", never for "off".
  Once per poll, even if answers change later, people are added, or two last answers race: the
  check and the record run with the poll's row locked.
- Comments and proposed times are never folded: each one is its own news.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts import clock
from accounts.models import User
from scheduling.models import Activity, Attendee, Event, Invitation, Poll, TimeProposal

logger = logging.getLogger(__name__)

Kind = Activity.Kind
Notices = User.Notices

FOLD_WINDOW = timedelta(minutes=30)
DIGEST_AT = time(8)  # on the owner's clock
DIGEST_REACH = timedelta(days=7)  # older news is not worth a digest (notices were off meanwhile)
STRAGGLER_AGE = timedelta(hours=1)  # an "each" activity still untold after this goes in the digest

# ``detail`` of an ANSWERED activity: how they answered.
CHANGED = "changed"  # a later answer
JOINED_AND_ANSWERED = "joined"  # joined by the link, then answered (folded into one)


def told_at_once(kind: str, notices: str) -> bool:
    return notices == Notices.EACH or (kind == Kind.EVERYONE and notices != Notices.OFF)


def record(
    *, owner_id: int, kind: str, who: str, poll: Poll | None = None, event: Event | None = None, detail: str = ""
) -> Activity:
    """Store something the owner hears about; after commit, tell them at once if they chose so."""
    notices = User.objects.filter(pk=owner_id).values_list("answer_notices", flat=True).get()
    made = Activity.objects.create(
        owner_id=owner_id, poll=poll, event=event, kind=kind, who=who[:300], detail=detail,
        notified_at=timezone.now() if notices == Notices.OFF else None,
    )  # fmt: skip
    if told_at_once(kind, notices):
        from scheduling.tasks import tell_owner

        transaction.on_commit(partial(tell_owner, made.pk))
    return made


# --- Polls ---------------------------------------------------------------------------------------


def poll_answered(*, invitation: Invitation) -> Activity | None:
    """A participant saved an answer. Returns the new activity, or None when it was folded into
    the one before (or when the save leaves them pending: nothing painted, no to everything)."""
    if invitation.status != Invitation.Status.RESPONDED:
        return None
    poll = invitation.poll
    now = timezone.now()
    with transaction.atomic():
        _lock(poll)
        theirs = Activity.objects.filter(owner_id=poll.owner_id, poll=poll, who=invitation.name)
        recent = (
            theirs.filter(kind__in=[Kind.ANSWERED, Kind.JOINED])
            .filter(Q(notified_at__isnull=True) | Q(created_at__gte=now - FOLD_WINDOW))
            .order_by("-created_at", "-pk")
            .first()
        )
        made = None
        if recent is None or not _folds_answer(recent, now):
            earlier = theirs.filter(kind=Kind.ANSWERED).exists()
            made = record(owner_id=poll.owner_id, kind=Kind.ANSWERED, who=invitation.name, poll=poll,
                          detail=CHANGED if earlier else "")  # fmt: skip
        _everyone_answered(poll)
    return made


def _folds_answer(recent: Activity, now: datetime) -> bool:
    if recent.kind == Kind.ANSWERED:
        return True
    # They joined by the link: one piece of news, "joined and answered", while it is untold.
    upgraded = Activity.objects.filter(pk=recent.pk, notified_at__isnull=True).update(
        kind=Kind.ANSWERED, detail=JOINED_AND_ANSWERED
    )
    return bool(upgraded) or recent.created_at >= now - FOLD_WINDOW


def poll_declined(*, invitation: Invitation) -> Activity:
    poll = invitation.poll
    with transaction.atomic():
        _lock(poll)
        made = _replace_untold(
            Activity.objects.filter(owner_id=poll.owner_id, poll=poll, who=invitation.name, kind=Kind.DECLINED),
            invitation.decline_note,
        ) or record(
            owner_id=poll.owner_id, kind=Kind.DECLINED, who=invitation.name, poll=poll, detail=invitation.decline_note
        )
        _everyone_answered(poll)
    return made


def _lock(poll: Poll) -> None:
    """Serialise the answers to one poll (PostgreSQL; SQLite's IMMEDIATE transactions already do)."""
    list(Poll.objects.select_for_update().filter(pk=poll.pk).values_list("pk", flat=True))


def _everyone_answered(poll: Poll) -> Activity | None:
    """Record "everyone has answered" the first time it is true (with the poll's row locked)."""
    counts = Invitation.objects.filter(poll=poll, joined_by_link=False).aggregate(
        invited=Count("pk"), pending=Count("pk", filter=Q(status=Invitation.Status.PENDING))
    )
    if not counts["invited"] or counts["pending"]:
        return None
    if Activity.objects.filter(poll=poll, kind=Kind.EVERYONE).exists():
        return None
    return record(owner_id=poll.owner_id, kind=Kind.EVERYONE, who="", poll=poll)


def _replace_untold(same: QuerySet[Activity], detail: str) -> Activity | None:
    """The same person's same kind of news, not told yet, now says ``detail``; None if there is
    none (the update is conditional: one being sent right now counts as told)."""
    untold = same.filter(notified_at__isnull=True).order_by("-created_at", "-pk").first()
    if untold is not None and Activity.objects.filter(pk=untold.pk, notified_at__isnull=True).update(detail=detail):
        untold.detail = detail
        return untold
    return None


# --- Meetings ------------------------------------------------------------------------------------


def attendee_responded(*, attendee: Attendee, proposal: TimeProposal | None = None) -> Activity:
    """An RSVP (``detail``: the attendee's status), or another time proposed (``detail``: the
    time on the owner's clock and in their timezone, and the note)."""
    event = attendee.event
    who = attendee.name or attendee.email
    if proposal is not None:
        return record(owner_id=event.owner_id, kind=Kind.PROPOSED, who=who, event=event,
                      detail=_proposed(event.owner, proposal))  # fmt: skip
    same = Activity.objects.filter(owner_id=event.owner_id, event=event, who=who, kind=Kind.RSVP)
    return _replace_untold(same, attendee.status) or record(
        owner_id=event.owner_id, kind=Kind.RSVP, who=who, event=event, detail=attendee.status
    )


def _proposed(owner: User, proposal: TimeProposal) -> str:
    owners = clock.of_user(owner)
    start, end = proposal.start.astimezone(owner.tzinfo), proposal.end.astimezone(owner.tzinfo)
    until = owners.time(end) if start.date() == end.date() else owners.when(end)
    text = f"{owners.when(start)}–{until} ({owner.timezone})"
    return f"{text}\n“{proposal.note}”" if proposal.note else text


# --- Telling ------------------------------------------------------------------------------------


def tell(activity_id: int) -> bool:
    """Email one activity now, if its owner still wants it at once (the task behind "each" and
    "everyone has answered"). True when an email was queued."""
    from scheduling.emails import activity_email

    with transaction.atomic():
        item = (
            Activity.objects.select_for_update(of=("self",))
            .select_related("owner", "poll", "event")
            .filter(pk=activity_id, notified_at__isnull=True)
            .first()
        )
        if item is None:  # told already (by a digest), or deleted with its poll
            return False
        notices = item.owner.answer_notices
        if not told_at_once(item.kind, notices):
            if notices == Notices.OFF:
                _mark_told([item])
            return False  # they switched to the digest meanwhile
        if not item.owner.email:
            _mark_told([item])
            return False
        message = activity_email(item)
        _mark_told([item])
        message.send()  # queued: it leaves when this transaction commits
    return True


def _mark_told(items: list[Activity]) -> None:
    Activity.objects.filter(pk__in=[item.pk for item in items]).update(notified_at=timezone.now())


def waiting_for_digest(now: datetime) -> QuerySet[Activity]:
    """Untold activities a digest carries: of owners who chose the digest, and stragglers of
    owners who chose "each"."""
    return Activity.objects.filter(notified_at__isnull=True, created_at__gte=now - DIGEST_REACH).filter(
        Q(owner__answer_notices=Notices.DIGEST)
        | Q(owner__answer_notices=Notices.EACH, created_at__lte=now - STRAGGLER_AGE)
    )


def digest_day(now: datetime, zone: str, sent_on: date | None) -> date | None:
    """The owner's local date if today's digest is due (their clock is past 08:00 and none was
    sent today), else None."""
    local = now.astimezone(ZoneInfo(zone))
    if local.time() < DIGEST_AT or sent_on == local.date():
        return None
    return local.date()


def send_digests(now: datetime) -> int:
    """Every owner's digest that is due; returns how many were sent. Safe to run in several
    workers at once: each owner's day is claimed before anything is built."""
    owners = User.objects.filter(pk__in=waiting_for_digest(now).values("owner_id")).values_list(
        "pk", "timezone", "digest_sent_on"
    )
    sent = 0
    for owner_id, zone, sent_on in owners:
        day = digest_day(now, zone, sent_on)
        if day is not None:
            sent += send_digest(owner_id, day, now)
    return sent


def send_digest(owner_id: int, day: date, now: datetime) -> int:
    """Claim ``day`` for the owner and send their digest (1), or nothing (0) when another worker
    claimed it first or nothing is left to tell. A failure rolls the claim back."""
    from scheduling.emails import digest_email

    with transaction.atomic():
        claimed = (
            User.objects.filter(pk=owner_id)
            .filter(Q(digest_sent_on__isnull=True) | Q(digest_sent_on__lt=day))
            .update(digest_sent_on=day)
        )
        if not claimed:
            return 0
        items = list(
            waiting_for_digest(now)
            .filter(owner_id=owner_id)
            .select_for_update(of=("self",))
            .select_related("poll", "event")
            .order_by("created_at", "pk")
        )
        if not items:
            transaction.set_rollback(True)  # keep the day open for what comes later
            return 0
        owner = User.objects.get(pk=owner_id)
        message = digest_email(owner, items) if owner.email else None
        _mark_told(items)
        if message is not None:
            message.send()
    logger.info("Digest: owner %s, %s, %s item(s)", owner_id, day, len(items))
    return 1
