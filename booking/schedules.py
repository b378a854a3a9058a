from __future__ import annotations

from django.db import IntegrityError, transaction

from booking.models import DEFAULT_WEEKLY_HOURS, Schedule


def ensure_default_schedule(user) -> Schedule:
    """Every owner has a default schedule: Mon–Fri 09:00–17:00 in their timezone, created at
    sign-up (and on first use for accounts made another way)."""
    schedule = Schedule.objects.for_owner(user).filter(is_default=True).first()
    if schedule is not None:
        return schedule
    try:
        with transaction.atomic():
            schedule = Schedule.objects.create(
                owner=user, name="Working hours", timezone=user.timezone, is_default=True
            )
            schedule.weekly_hours.bulk_create(
                schedule.weekly_hours.model(schedule=schedule, weekday=weekday, start=start, end=end)
                for weekday, start, end in DEFAULT_WEEKLY_HOURS
            )
    except IntegrityError:  # created concurrently, or a non-default "Working hours" exists
        schedule = Schedule.objects.for_owner(user).filter(is_default=True).first() or Schedule.objects.create(
            owner=user, name=f"Working hours ({user.timezone})", timezone=user.timezone, is_default=True
        )
    return schedule
