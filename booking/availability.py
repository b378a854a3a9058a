"""Free slots of an event type: reads the database once, then asks the pure slot engine."""

from __future__ import annotations

from datetime import datetime, timedelta

from booking import slots
from booking.models import Booking, EventType, local_today
from scheduling.models import Event

# Host-local days are at most 25 hours long; a margin this wide catches every booking that can
# count towards the daily limit of a day the query range touches.
DAY_MARGIN = timedelta(hours=26)


def free_slots(
    event_type: EventType,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    duration: int | None = None,
    moving: Booking | None = None,
) -> list[slots.Slot]:
    """Start times bookable in [start, end) (UTC). ``moving`` is a booking being rescheduled: its
    own time does not block the new one."""
    schedule = event_type.schedule
    minutes = duration or event_type.duration
    rules = event_type.slot_rules(minutes, today=local_today(schedule.timezone, now))

    if event_type.is_one_off:
        return _offered_slots(event_type, rules, start=start, end=end, now=now, moving=moving)

    busy_from = start - rules.buffer_before - rules.buffer_after - timedelta(minutes=minutes)
    busy_to = end + rules.duration + rules.buffer_after + rules.buffer_before
    busy_events = Event.objects.active().for_owner(event_type.owner).overlapping(busy_from, busy_to)
    if moving is not None:
        busy_events = busy_events.exclude(pk=moving.event_id)
    if event_type.is_group:
        # This type's own group events are seats, not conflicts.
        busy_events = busy_events.exclude(bookings__event_type=event_type)
    busy = list(busy_events.values_list("start", "end"))

    taken_bookings = Booking.objects.confirmed().filter(
        event_type=event_type, event__start__gte=start - DAY_MARGIN, event__start__lt=end + DAY_MARGIN
    )
    if moving is not None:
        taken_bookings = taken_bookings.exclude(pk=moving.pk)
    taken = list(taken_bookings.values_list("event__start", flat=True))

    return slots.free_slots(schedule.to_availability(), rules, start=start, end=end, now=now, busy=busy, taken=taken)


def _offered_slots(event_type, rules, *, start, end, now, moving) -> list[slots.Slot]:
    """One-off links offer the owner's chosen times that are still free, until the link's date
    passes or someone books it (single use)."""
    booked = Booking.objects.confirmed().filter(event_type=event_type)
    if moving is not None:
        booked = booked.exclude(pk=moving.pk)
    if event_type.is_expired(now) or booked.exists():
        return []
    earliest = now + rules.minimum_notice
    candidates = [
        offered.start
        for offered in event_type.offered_slots.all()
        if start <= offered.start < end and offered.start >= earliest
    ]
    if not candidates:
        return []
    busy_events = (
        Event.objects.active()
        .for_owner(event_type.owner)
        .overlapping(min(candidates) - rules.buffer_before, max(candidates) + rules.duration + rules.buffer_after)
    )
    if moving is not None:
        busy_events = busy_events.exclude(pk=moving.event_id)
    busy = list(busy_events.values_list("start", "end"))
    result = []
    for candidate in candidates:
        finish = candidate + rules.duration
        blocked_from, blocked_to = candidate - rules.buffer_before, finish + rules.buffer_after
        if not any(b_start < blocked_to and b_end > blocked_from for b_start, b_end in busy):
            result.append(slots.Slot(start=candidate, end=finish, seats_left=1))
    return result
