"""A year of meetings of every kind Convene produces, for one owner in one time zone, made the way
people make them (pages and workflows), across both of 2027's DST changes where the zone has them.

Used by the interoperability tests: the feed, the downloads, the emails and CalDAV servers must
all show the occurrences Convene's own calendar shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.test import Client
from django.urls import reverse

from booking.book import Booker, book_slot, cancel_booking, reschedule_booking
from booking.models import Booking, EventType
from scheduling import events as workflows
from scheduling import finalize
from scheduling.models import Event, Poll
from tests.factories import EventTypeFactory, InvitationFactory, PollFactory, ScheduleFactory, UserFactory

# Zone -> (the weekday and local time of the weekly series, the first DST change of 2027).
ZONES = {
    "Europe/Berlin": (0, time(9), date(2027, 3, 28)),
    "America/New_York": (0, time(9), date(2027, 3, 14)),
    # 01:00 on Tuesdays is Monday 19:30 in UTC: BYDAY must be read in the series' own zone.
    "Asia/Kolkata": (1, time(1), date(2027, 3, 28)),
    # Half-hour DST, ending in April (southern hemisphere).
    "Australia/Lord_Howe": (0, time(9), date(2027, 4, 4)),
}
NOW = datetime(2027, 1, 10, 12, tzinfo=UTC)
WINDOW = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
ATTENDEES = ("ana@example.org", "ben@example.org")


@dataclass
class Scenario:
    zone: str
    owner: object
    client: Client
    series: Event
    all_day: Event
    bookings: list[Booking] = field(default_factory=list)
    event_types: list[EventType] = field(default_factory=list)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.tz)


def _monday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def build(zone: str, index: int = 0) -> Scenario:
    weekday, at, first_change = ZONES[zone]
    owner = UserFactory(username=f"owner{index}", email=f"owner{index}@example.com", timezone=zone, name="Olga Owner")
    client = Client()
    client.force_login(owner)
    tz = ZoneInfo(zone)

    # A weekly series from March to the end of November, with one occurrence deleted and one moved.
    first = _monday_on_or_after(date(2027, 3, 1), weekday)
    client.post(reverse("scheduling:event_create"), {
        "title": "Weekly sync", "kind": "meeting", "start": f"{first}T{at:%H:%M}",
        "end": f"{first}T{(datetime.combine(first, at) + timedelta(minutes=45)):%H:%M}", "timezone": zone,
        "location": "Room 1", "description": "", "other_attendees": ", ".join(ATTENDEES), "repeat": "weekly",
        "interval": "1", "weekdays": [str(weekday)], "ends": "on", "until": "2027-11-30", "count": "",
    })  # fmt: skip
    series = Event.objects.get(owner=owner, title="Weekly sync")
    deleted = datetime.combine(first + timedelta(weeks=6), at, tzinfo=tz).astimezone(UTC)
    client.post(
        reverse("scheduling:event_delete", args=[series.pk]),
        {"scope": "this", "occurrence": deleted.strftime("%Y%m%dT%H%M%SZ")},
    )
    moved_from = datetime.combine(first + timedelta(weeks=31), at, tzinfo=tz)
    single = workflows.detach_occurrence(series=Event.objects.get(pk=series.pk), original=moved_from.astimezone(UTC))
    single.start = (moved_from + timedelta(hours=2)).astimezone(UTC)
    single.end = single.start + timedelta(minutes=45)
    workflows.save_event(event=single, attendees=[("", email) for email in ATTENDEES])

    # Five all-day days around the first DST change, one of them deleted.
    all_day_first = first_change - timedelta(days=2)
    client.post(reverse("scheduling:event_create"), {
        "title": "Offsite", "kind": "event", "all_day": "on", "start": f"{all_day_first}T00:00",
        "end": f"{all_day_first}T00:00", "timezone": zone, "location": "", "description": "",
        "other_attendees": ATTENDEES[0], "repeat": "daily", "interval": "1", "ends": "on",
        "until": f"{all_day_first + timedelta(days=4)}", "count": "",
    })  # fmt: skip
    all_day = Event.objects.get(owner=owner, title="Offsite")
    deleted_day = datetime.combine(all_day_first + timedelta(days=2), time(0), tzinfo=tz).astimezone(UTC)
    client.post(
        reverse("scheduling:event_delete", args=[all_day.pk]),
        {"scope": "this", "occurrence": deleted_day.strftime("%Y%m%dT%H%M%SZ")},
    )

    # Bookings: one moved across the DST change, one cancelled, four weeks in a row across it.
    schedule = ScheduleFactory(owner=owner, hours=[(day, time(0), time(23, 59, 59)) for day in range(7)])
    call = EventTypeFactory(owner=owner, slug="call", title="Call", schedule=schedule, rolling_days=400,
                            allow_recurring=True, max_occurrences=6)  # fmt: skip
    booker = Booker(name="Bea Booker", email="bea@example.org", timezone="America/Chicago", guests=["gus@example.org"])
    before = datetime.combine(first_change - timedelta(days=3), time(10), tzinfo=tz)
    [moved] = book_slot(event_type=call, start=before.astimezone(UTC), booker=booker, now=NOW)
    reschedule_booking(booking=moved, start=(before + timedelta(days=7)).astimezone(UTC), now=NOW)
    [cancelled] = book_slot(
        event_type=call,
        start=(before + timedelta(hours=2)).astimezone(UTC),
        booker=Booker(name="Cy", email="cy@example.org", timezone="UTC"),
        now=NOW,
    )
    cancel_booking(booking=cancelled, reason="Away", by=Event.By.ATTENDEE, now=NOW)
    weekly = book_slot(
        event_type=call,
        start=(before - timedelta(days=7) + timedelta(hours=4)).astimezone(UTC),
        booker=Booker(name="Dee", email="dee@example.org", timezone="Europe/London"),
        occurrences=4,
        now=NOW,
    )

    # A poll finalized into a meeting.
    poll = PollFactory(owner=owner, timezone=zone, dates=["2027-06-14"], deadline=datetime(2027, 6, 1, tzinfo=UTC))
    invitation = InvitationFactory(poll=poll, name="Ana", email=ATTENDEES[0])
    meeting_start = datetime(2027, 6, 14, 10, tzinfo=tz).astimezone(UTC)
    finalize.finalize_poll(
        poll=Poll.objects.get(pk=poll.pk),
        meetings=[finalize.PlannedMeeting(meeting_start, meeting_start + timedelta(hours=1), (invitation,))],
    )

    return Scenario(
        zone=zone,
        owner=owner,
        client=client,
        series=Event.objects.get(pk=series.pk),
        all_day=Event.objects.get(pk=all_day.pk),
        bookings=[Booking.objects.get(pk=moved.pk), Booking.objects.get(pk=cancelled.pk), *weekly],
        event_types=[call],
    )
