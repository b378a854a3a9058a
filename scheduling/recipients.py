"""Whose zone and clock an email states its times in: its reader's, and the zone is named.

For the person at an address, in this order:

1. a Convene user with that address: their profile's zone and clock;
2. else the zone and clock they last used on the page of this poll or meeting: an invitee's
   (``Invitation.timezone``), an
   attendee's (``Attendee.timezone``, or the one they used on the poll that scheduled them). The
   last two are recorded by :func:`remember` when they *answer* there, never when they only look;
3. else the poll's or meeting's own zone, on the organiser's clock.

A booker is the exception: their emails are in the zone they chose for that booking on the
booking page, account or not (``of_booker``).

Email builders take a :class:`Reader` from here and write inside ``with reader.writing():``, so
``{{ moment|hm }}`` and ``clock.active()`` follow the reader's clock too. .ics documents are not
concerned: they carry the meeting's own TZID and every calendar converts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower

from accounts import clock
from accounts.clock import Clock
from accounts.timezones import canonical_timezone, known_timezones
from scheduling.models import Attendee, Event, Invitation


@dataclass(frozen=True)
class Reader:
    zone: str
    clock: Clock

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @contextmanager
    def writing(self) -> Iterator[Reader]:
        with clock.override(self.clock):
            yield self


def of_user(user) -> Reader:
    return Reader(user.timezone, clock.of_user(user))


# Within ``users_at(...)``: the accounts of the addresses about to be written to, by lower-cased
# address (None: no account), so a dispatch to fifty people asks the database once, not fifty times.
_known: ContextVar[dict[str, object] | None] = ContextVar("convene_recipient_users", default=None)


@contextmanager
def users_at(emails: Iterable[str]) -> Iterator[None]:
    """Look up the accounts of ``emails`` in one query for the emails written inside the block."""
    wanted = {email.lower() for email in emails if email}
    users = get_user_model().objects.annotate(address=Lower("email")).filter(address__in=wanted)
    known: dict[str, object] = dict.fromkeys(wanted)
    known.update({user.address: user for user in users})
    token = _known.set({**(_known.get() or {}), **known})
    try:
        yield
    finally:
        _known.reset(token)


def _user_at(email: str):
    if not email:
        return None
    known = _known.get()
    if known is not None and email.lower() in known:
        return known[email.lower()]
    return get_user_model().objects.filter(email__iexact=email).first()


def _seen(record: Invitation | Attendee | None) -> Reader | None:
    if record is None or not record.timezone:
        return None
    return Reader(record.timezone, Clock(hour12=record.hour12))


def of_invitation(invitation: Invitation) -> Reader:
    """A poll's invitee or participant: their account, the zone of their answers, the poll's."""
    poll = invitation.poll
    if user := _user_at(invitation.email):
        return of_user(user)
    return _seen(invitation) or Reader(poll.timezone, clock.of_user(poll.owner))


def of_attendee(event: Event, email: str, attendee: Attendee | None = None) -> Reader:
    """An attendee of ``event`` (or someone just taken off it, with no row): a co-host's or
    user's profile, the zone of their RSVP, the zone they answered the poll in, the meeting's."""
    if attendee is not None and attendee.host_id is not None:
        return of_user(attendee.host)
    if email and email.lower() == event.owner.email.lower():  # the organiser's own reminder
        return of_user(event.owner)
    if user := _user_at(email):
        return of_user(user)
    if seen := _seen(attendee):
        return seen
    if event.poll_id is not None:
        invitation = Invitation.objects.filter(poll_id=event.poll_id, email__iexact=email).first()
        if seen := _seen(invitation):
            return seen
    return Reader(event.timezone, clock.of_user(event.owner))


def of_booker(booking) -> Reader:
    """A booker: the zone and clock they chose on the booking page for this booking (as Calendly
    and Cal.com confirm in the zone the invitee picked: someone travelling books in where they
    will be), whether or not they have an account."""
    return Reader(booking.timezone, booking.clock)


# --- Recording the zone a participant answers in -------------------------------------------------


@dataclass(frozen=True)
class Seen:
    zone: str
    hour12: bool | None  # None: the page did not say


def seen_in(params: Mapping[str, str]) -> Seen | None:
    """The zone and clock a participant's page showed, as its answering request says them
    (``?tz=…&clock=12|24``, the page's own parameters). None when it names no known zone: the
    page then showed a fallback, not a zone the person chose."""
    zone = canonical_timezone(params.get("tz", ""))
    if zone not in known_timezones():
        return None
    return Seen(zone, {"12": True, "24": False}.get(params.get("clock", "")))


def remember(record: Invitation | Attendee, seen: Seen | None) -> None:
    """Keep the zone (and clock) someone answered in, for the emails they get next. Called on
    answering POSTs only: looking at a page writes nothing."""
    if seen is None:
        return
    hour12 = record.hour12 if seen.hour12 is None else seen.hour12
    if (record.timezone, record.hour12) == (seen.zone, hour12):
        return
    record.timezone, record.hour12 = seen.zone, hour12
    type(record).objects.filter(pk=record.pk).update(timezone=seen.zone, hour12=hour12)
