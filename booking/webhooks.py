"""``booking.created``, ``booking.rescheduled`` and ``booking.cancelled``: the webhook events of
one transaction's changes to booked meetings (registered with ``scheduling.outbox`` in
``BookingConfig.ready``; the outbox calls :func:`describe` inside the transaction).

One event per booking and transaction, whatever the workflow recorded on the way: a reschedule
that leaves one meeting and joins or opens another (``moved_out`` + ``rescheduled``), or a team
meeting handed to another host, is one ``booking.rescheduled``. A meeting reassigned to another
host of a round-robin link is a ``booking.rescheduled`` too (its host changed). Changes made from
the calendar carry no booking: cancelling the meeting there cancels every booking in it, and
moving or editing it reschedules them.

Each event goes to the owner of every meeting the booking was in during the change (its host;
both hosts when it was handed over), with the booking as the REST API returns it.
"""

from __future__ import annotations

from collections import defaultdict

from accounts import webhooks
from booking.models import Booking
from scheduling.outbox import Change

Events = webhooks.Events

CREATED = {"booked"}
CANCELLED = {"cancelled"}
RESCHEDULED = {"rescheduled", "moved_out", "reassigned"}


def _kind(actions: set[str]) -> str | None:
    if actions & CREATED:
        return Events.BOOKING_CREATED
    if actions & CANCELLED:
        return Events.BOOKING_CANCELLED
    if actions & RESCHEDULED:
        return Events.BOOKING_RESCHEDULED
    return None


def describe(changes: list[Change]) -> None:
    actions: dict[int, set[str]] = defaultdict(set)
    owners: dict[int, set[int]] = defaultdict(set)
    from_calendar = []
    for change in changes:
        booking_id = change.context.get("booking")
        if booking_id is None:
            from_calendar.append(change)
            continue
        actions[booking_id].add(change.context.get("action", ""))
        owners[booking_id].add(change.owner_id)
    for change in from_calendar:
        if change.removed and not change.cancelled:
            # A booker taken off the meeting in the calendar has lost their seat: the booking is off.
            lost = Booking.objects.filter(
                event_id=change.event_id, attendee__isnull=True, seat_cancelled_at__isnull=True
            )
            for booking_id, email in lost.values_list("pk", "email"):
                if email.lower() in change.removed_emails:
                    actions[booking_id].add("cancelled")
                    owners[booking_id].add(change.owner_id)
        action = "cancelled" if change.cancelled else "rescheduled" if change.changed else ""
        if not action:
            continue  # attendees added or answering: not a change to the booking
        in_meeting = Booking.objects.filter(event_id=change.event_id, attendee__isnull=False)
        for booking_id in in_meeting.values_list("pk", flat=True):
            actions[booking_id].add(action)
            owners[booking_id].add(change.owner_id)
    if not actions:
        return
    bookings = Booking.objects.select_related("event", "event_type", "attendee").in_bulk(list(actions))
    for booking_id, done in actions.items():
        kind, booking = _kind(done), bookings.get(booking_id)
        if kind is None or booking is None:
            continue
        for owner_id in sorted(owners[booking_id]):
            webhooks.emit(owner_id=owner_id, event_type=kind, data=lambda booking=booking: _data(booking))


def _data(booking: Booking) -> dict:
    from booking.schemas import booking_data

    return booking_data(booking)
