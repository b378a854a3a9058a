from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booking.slots import Availability, Interval, Slot, SlotRules, free_slots

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")

WEDNESDAY = date(2026, 6, 10)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
HALF_HOUR = SlotRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30))


def hours(start: str, end: str) -> Interval:
    """``hours("09:00", "17:00")``; an end of "24:00" means midnight."""
    start_hour, start_minute = map(int, start.split(":"))
    end_hour, end_minute = map(int, end.split(":"))
    return Interval(start_hour * 60 + start_minute, end_hour * 60 + end_minute)


def weekdays(*intervals: Interval, timezone: str = "America/New_York", **overrides) -> Availability:
    return Availability(timezone=timezone, weekly=dict.fromkeys(range(5), intervals), **overrides)


def every_day(*intervals: Interval, timezone: str) -> Availability:
    return Availability(timezone=timezone, weekly=dict.fromkeys(range(7), intervals))


def at(zone: ZoneInfo, day: date, clock: str, fold: int = 0) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), zone).replace(fold=fold)


def slots_on(
    day: date,
    availability: Availability,
    rules: SlotRules = HALF_HOUR,
    *,
    zone: ZoneInfo = NEW_YORK,
    now: datetime = LONG_AGO,
    **kwargs,
) -> list[Slot]:
    """The slots of one local day in ``zone``."""
    start = datetime.combine(day, time(), zone)
    end = datetime.combine(day + timedelta(days=1), time(), zone)
    return free_slots(availability, rules, start=start, end=end, now=now, **kwargs)


def local_starts(slots: list[Slot], zone: ZoneInfo = NEW_YORK) -> list[str]:
    return [slot.start.astimezone(zone).strftime("%H:%M") for slot in slots]


# --- Hours, overrides and the booking window -------------------------------------------------


def test_weekday_offers_every_increment_within_the_hours():
    slots = slots_on(WEDNESDAY, weekdays(hours("09:00", "17:00")))

    assert local_starts(slots) == [f"{hour:02}:{minute:02}" for hour in range(9, 17) for minute in (0, 30)]


def test_slots_are_utc_and_last_the_duration():
    slot = slots_on(WEDNESDAY, weekdays(hours("09:00", "09:30")))[0]

    assert slot == Slot(datetime(2026, 6, 10, 13, 0, tzinfo=UTC), datetime(2026, 6, 10, 13, 30, tzinfo=UTC), 1)


def test_slot_must_end_by_the_end_of_the_hours():
    rules = SlotRules(duration=timedelta(minutes=45), increment=timedelta(minutes=30))

    assert local_starts(slots_on(WEDNESDAY, weekdays(hours("09:00", "10:30")), rules)) == ["09:00", "09:30"]


def test_increment_steps_from_the_start_of_each_interval():
    rules = SlotRules(duration=timedelta(minutes=30), increment=timedelta(hours=1))
    availability = weekdays(hours("09:15", "11:15"), hours("14:00", "15:00"))

    assert local_starts(slots_on(WEDNESDAY, availability, rules)) == ["09:15", "10:15", "14:00"]


def test_overlapping_intervals_do_not_duplicate_a_start():
    availability = weekdays(hours("09:00", "11:00"), hours("10:00", "12:00"))

    assert local_starts(slots_on(WEDNESDAY, availability)) == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]


def test_day_without_weekly_hours_offers_nothing():
    assert slots_on(date(2026, 6, 13), weekdays(hours("09:00", "17:00"))) == []


def test_override_replaces_the_weekday_hours():
    availability = weekdays(hours("09:00", "17:00"), overrides={WEDNESDAY: [hours("13:00", "14:00")]})

    assert local_starts(slots_on(WEDNESDAY, availability)) == ["13:00", "13:30"]


def test_empty_override_makes_the_date_unavailable():
    availability = weekdays(hours("09:00", "17:00"), overrides={WEDNESDAY: []})

    assert slots_on(WEDNESDAY, availability) == []


def test_override_opens_a_day_without_weekly_hours():
    saturday = date(2026, 6, 13)
    availability = weekdays(hours("09:00", "17:00"), overrides={saturday: [hours("10:00", "11:00")]})

    assert local_starts(slots_on(saturday, availability)) == ["10:00", "10:30"]


def test_hours_until_midnight_offer_the_last_start_of_the_day():
    assert local_starts(slots_on(WEDNESDAY, weekdays(hours("23:00", "24:00")))) == ["23:00", "23:30"]


def test_no_slot_outside_the_first_and_last_date():
    rules = SlotRules(
        duration=timedelta(minutes=30), increment=timedelta(minutes=30), first_date=WEDNESDAY, last_date=WEDNESDAY
    )
    availability = weekdays(hours("09:00", "10:00"))
    start, end = at(NEW_YORK, date(2026, 6, 8), "00:00"), at(NEW_YORK, date(2026, 6, 13), "00:00")

    slots = free_slots(availability, rules, start=start, end=end, now=LONG_AGO)

    assert {slot.start.astimezone(NEW_YORK).date() for slot in slots} == {WEDNESDAY}


def test_list_of_dates_offers_only_those_dates():
    chosen = frozenset({date(2026, 6, 8), WEDNESDAY})
    rules = SlotRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30), dates=chosen)
    start, end = at(NEW_YORK, date(2026, 6, 8), "00:00"), at(NEW_YORK, date(2026, 6, 13), "00:00")

    slots = free_slots(weekdays(hours("09:00", "10:00")), rules, start=start, end=end, now=LONG_AGO)

    assert {slot.start.astimezone(NEW_YORK).date() for slot in slots} == chosen


def test_window_dates_are_the_hosts_local_dates():
    # 09:00 in Tokyo on Wednesday is still Tuesday in New York; the window is Tokyo's Wednesday.
    rules = SlotRules(
        duration=timedelta(minutes=30), increment=timedelta(minutes=30), first_date=WEDNESDAY, last_date=WEDNESDAY
    )
    availability = weekdays(hours("09:00", "10:00"), timezone="Asia/Tokyo")

    slots = slots_on(date(2026, 6, 9), availability, rules, zone=NEW_YORK)

    assert local_starts(slots, TOKYO) == ["09:00", "09:30"]


def test_query_range_includes_its_start_and_excludes_its_end():
    start, end = at(NEW_YORK, WEDNESDAY, "10:00"), at(NEW_YORK, WEDNESDAY, "11:00")

    slots = free_slots(weekdays(hours("09:00", "17:00")), HALF_HOUR, start=start, end=end, now=LONG_AGO)

    assert local_starts(slots) == ["10:00", "10:30"]


def test_viewer_day_spans_two_host_dates():
    # A Los Angeles Wednesday runs from Wednesday 16:00 to Thursday 16:00 in Tokyo.
    availability = weekdays(hours("09:00", "10:00"), hours("16:00", "17:00"), timezone="Asia/Tokyo")

    slots = slots_on(WEDNESDAY, availability, zone=LOS_ANGELES)

    assert [slot.start.astimezone(TOKYO).strftime("%a %H:%M") for slot in slots] == [
        "Wed 16:00",
        "Wed 16:30",
        "Thu 09:00",
        "Thu 09:30",
    ]


# --- Notice ------------------------------------------------------------------------------------


def test_never_offers_a_start_in_the_past():
    now = at(NEW_YORK, WEDNESDAY, "15:10")

    assert local_starts(slots_on(WEDNESDAY, weekdays(hours("09:00", "17:00")), now=now)) == ["15:30", "16:00", "16:30"]


def test_start_exactly_now_is_offered():
    now = at(NEW_YORK, WEDNESDAY, "16:30")

    assert local_starts(slots_on(WEDNESDAY, weekdays(hours("09:00", "17:00")), now=now)) == ["16:30"]


def test_minimum_notice_hides_starts_too_soon():
    rules = SlotRules(
        duration=timedelta(minutes=30), increment=timedelta(minutes=30), minimum_notice=timedelta(hours=2)
    )
    now = at(NEW_YORK, WEDNESDAY, "14:00")

    assert local_starts(slots_on(WEDNESDAY, weekdays(hours("09:00", "17:00")), rules, now=now)) == ["16:00", "16:30"]


# --- Busy times and buffers ----------------------------------------------------------------------


def test_busy_time_touching_the_slot_does_not_block_it():
    busy = [(at(NEW_YORK, WEDNESDAY, "08:00"), at(NEW_YORK, WEDNESDAY, "09:00"))]

    assert local_starts(slots_on(WEDNESDAY, weekdays(hours("09:00", "10:00")), busy=busy)) == ["09:00", "09:30"]


def test_busy_time_overlapping_the_slot_blocks_it():
    busy = [(at(NEW_YORK, WEDNESDAY, "09:29"), at(NEW_YORK, WEDNESDAY, "09:31"))]

    assert local_starts(slots_on(WEDNESDAY, weekdays(hours("09:00", "11:00")), busy=busy)) == ["10:00", "10:30"]


def test_busy_times_may_overlap_and_come_in_any_order():
    busy = [
        (at(NEW_YORK, WEDNESDAY, "12:00"), at(NEW_YORK, WEDNESDAY, "13:00")),
        (at(BERLIN, WEDNESDAY, "15:00"), at(BERLIN, WEDNESDAY, "16:00")),  # 09:00-10:00 in New York
        (at(NEW_YORK, WEDNESDAY, "09:30"), at(NEW_YORK, WEDNESDAY, "10:30")),
    ]

    assert local_starts(slots_on(WEDNESDAY, weekdays(hours("09:00", "13:00")), busy=busy)) == [
        "10:30",
        "11:00",
        "11:30",
    ]


def test_empty_busy_interval_blocks_nothing():
    busy = [(at(NEW_YORK, WEDNESDAY, "09:10"), at(NEW_YORK, WEDNESDAY, "09:10"))]

    assert local_starts(slots_on(WEDNESDAY, weekdays(hours("09:00", "10:00")), busy=busy)) == ["09:00", "09:30"]


def test_buffer_before_keeps_a_gap_after_busy_time():
    rules = SlotRules(
        duration=timedelta(minutes=30), increment=timedelta(minutes=15), buffer_before=timedelta(minutes=15)
    )
    busy = [(at(NEW_YORK, WEDNESDAY, "08:00"), at(NEW_YORK, WEDNESDAY, "09:15"))]

    assert local_starts(slots_on(WEDNESDAY, weekdays(hours("09:00", "10:00")), rules, busy=busy)) == ["09:30"]


def test_buffer_after_keeps_a_gap_before_busy_time():
    rules = SlotRules(
        duration=timedelta(minutes=30), increment=timedelta(minutes=15), buffer_after=timedelta(minutes=15)
    )
    busy = [(at(NEW_YORK, WEDNESDAY, "10:00"), at(NEW_YORK, WEDNESDAY, "11:00"))]

    assert local_starts(slots_on(WEDNESDAY, weekdays(hours("09:00", "10:00")), rules, busy=busy)) == ["09:00", "09:15"]


# --- Bookings, seats and the daily limit ---------------------------------------------------------


def test_one_on_one_booking_removes_its_start():
    taken = [at(NEW_YORK, WEDNESDAY, "09:30")]

    assert local_starts(slots_on(WEDNESDAY, weekdays(hours("09:00", "10:30")), taken=taken)) == ["09:00", "10:00"]


def test_booking_blocks_other_starts_it_overlaps_including_buffers():
    rules = SlotRules(
        duration=timedelta(minutes=60), increment=timedelta(minutes=30), buffer_after=timedelta(minutes=30)
    )
    taken = [at(NEW_YORK, WEDNESDAY, "10:00")]

    slots = slots_on(WEDNESDAY, weekdays(hours("08:00", "13:00")), rules, taken=taken)

    assert local_starts(slots) == ["08:00", "08:30", "11:00", "11:30", "12:00"]


def test_group_slot_shows_the_seats_left():
    rules = SlotRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30), seats=3)
    taken = [at(NEW_YORK, WEDNESDAY, "09:00")] * 2

    slots = slots_on(WEDNESDAY, weekdays(hours("09:00", "10:00")), rules, taken=taken)

    assert [slot.seats_left for slot in slots] == [1, 3]


def test_full_group_slot_is_not_offered():
    rules = SlotRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30), seats=2)
    taken = [at(NEW_YORK, WEDNESDAY, "09:00")] * 2

    assert local_starts(slots_on(WEDNESDAY, weekdays(hours("09:00", "10:00")), rules, taken=taken)) == ["09:30"]


def test_group_booking_keeps_its_own_start_open_but_blocks_overlapping_ones():
    rules = SlotRules(duration=timedelta(minutes=60), increment=timedelta(minutes=30), seats=5)
    taken = [at(NEW_YORK, WEDNESDAY, "10:00")]

    slots = slots_on(WEDNESDAY, weekdays(hours("09:00", "12:00")), rules, taken=taken)

    assert [(start, slot.seats_left) for start, slot in zip(local_starts(slots), slots, strict=True)] == [
        ("09:00", 5),
        ("10:00", 4),
        ("11:00", 5),
    ]


def test_daily_limit_reached_offers_nothing_more_that_day():
    rules = SlotRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30), max_per_day=2)
    taken = [at(NEW_YORK, WEDNESDAY, "09:00"), at(NEW_YORK, WEDNESDAY, "15:00")]

    assert slots_on(WEDNESDAY, weekdays(hours("09:00", "17:00")), rules, taken=taken) == []


def test_daily_limit_not_reached_offers_the_remaining_starts():
    rules = SlotRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30), max_per_day=2)
    taken = [at(NEW_YORK, WEDNESDAY, "09:00")]

    assert local_starts(slots_on(WEDNESDAY, weekdays(hours("09:00", "10:00")), rules, taken=taken)) == ["09:30"]


def test_daily_limit_leaves_other_days_open():
    rules = SlotRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30), max_per_day=1)
    taken = [at(NEW_YORK, WEDNESDAY - timedelta(days=1), "09:00")]

    assert local_starts(slots_on(WEDNESDAY, weekdays(hours("09:00", "10:00")), rules, taken=taken)) == [
        "09:00",
        "09:30",
    ]


def test_daily_limit_counts_group_meetings_not_bookers():
    rules = SlotRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30), seats=3, max_per_day=2)
    taken = [at(NEW_YORK, WEDNESDAY, "09:00")] * 2

    assert local_starts(slots_on(WEDNESDAY, weekdays(hours("09:00", "10:30")), rules, taken=taken)) == [
        "09:00",
        "09:30",
        "10:00",
    ]


def test_daily_limit_reached_still_fills_booked_group_meetings():
    rules = SlotRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30), seats=3, max_per_day=2)
    taken = [at(NEW_YORK, WEDNESDAY, "09:00"), at(NEW_YORK, WEDNESDAY, "10:00"), at(NEW_YORK, WEDNESDAY, "10:00")]

    slots = slots_on(WEDNESDAY, weekdays(hours("09:00", "11:00")), rules, taken=taken)

    assert [(start, slot.seats_left) for start, slot in zip(local_starts(slots), slots, strict=True)] == [
        ("09:00", 2),
        ("10:00", 1),
    ]


def test_daily_limit_counts_bookings_by_the_hosts_local_date():
    # 23:30 on Tuesday in New York is already Wednesday in UTC, but it is Tuesday's booking.
    rules = SlotRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30), max_per_day=1)
    availability = every_day(hours("09:00", "10:00"), hours("23:30", "24:00"), timezone="America/New_York")
    taken = [at(NEW_YORK, WEDNESDAY - timedelta(days=1), "23:30")]

    assert local_starts(slots_on(WEDNESDAY, availability, rules, taken=taken)) == ["09:00", "09:30", "23:30"]


# --- Clock changes -------------------------------------------------------------------------------


def test_no_slot_in_the_missing_hour_when_clocks_spring_forward():
    availability = every_day(hours("01:00", "04:00"), timezone="America/New_York")

    slots = slots_on(date(2026, 3, 8), availability)

    assert local_starts(slots) == ["01:00", "01:30", "03:00", "03:30"]


def test_working_hours_keep_their_local_times_after_spring_forward():
    slots = slots_on(date(2026, 3, 9), weekdays(hours("09:00", "17:00")))

    assert (slots[0].start, len(slots)) == (datetime(2026, 3, 9, 13, 0, tzinfo=UTC), 16)


def test_short_day_when_clocks_spring_forward_loses_only_the_missing_starts():
    slots = slots_on(date(2026, 3, 8), every_day(hours("00:00", "24:00"), timezone="America/New_York"))

    assert len(slots) == 46


def test_repeated_hour_when_clocks_fall_back_is_offered_both_times():
    availability = every_day(hours("00:00", "03:00"), timezone="America/New_York")

    slots = slots_on(date(2026, 11, 1), availability)

    # Hours 00:00-03:00 last four real hours that night; 01:00 and 01:30 come twice.
    assert [slot.start.astimezone(NEW_YORK).strftime("%H:%M%z") for slot in slots] == [
        "00:00-0400",
        "00:30-0400",
        "01:00-0400",
        "01:30-0400",
        "01:00-0500",
        "01:30-0500",
        "02:00-0500",
        "02:30-0500",
    ]


def test_long_day_when_clocks_fall_back_has_25_hours_of_starts_none_twice():
    slots = slots_on(date(2026, 11, 1), every_day(hours("00:00", "24:00"), timezone="America/New_York"))

    assert (len(slots), len({slot.start for slot in slots})) == (50, 50)


def test_an_all_day_schedule_in_berlin_offers_25_hourly_slots_when_the_clocks_go_back():
    rules = SlotRules(duration=timedelta(hours=1), increment=timedelta(hours=1))
    all_day = every_day(hours("00:00", "24:00"), timezone="Europe/Berlin")
    slots = slots_on(date(2027, 10, 31), all_day, rules, zone=BERLIN)

    assert len(slots) == 25
    assert [slot.end - slot.start for slot in slots] == [timedelta(hours=1)] * 25
    assert all(earlier.end == later.start for earlier, later in itertools.pairwise(slots))


def test_slot_in_the_repeated_hour_lasts_its_duration_in_real_time():
    rules = SlotRules(duration=timedelta(hours=1), increment=timedelta(minutes=30))
    availability = every_day(hours("01:00", "02:00"), timezone="America/New_York")

    slots = slots_on(date(2026, 11, 1), availability, rules)

    # 01:00-02:00 lasts two real hours that day, so an hour starting at 01:30 (EDT) fits, and so does
    # one at the second 01:00 (EST).
    assert [(slot.start.astimezone(NEW_YORK), slot.end.astimezone(NEW_YORK)) for slot in slots] == [
        (at(NEW_YORK, date(2026, 11, 1), "01:00"), at(NEW_YORK, date(2026, 11, 1), "01:00", fold=1)),
        (at(NEW_YORK, date(2026, 11, 1), "01:30"), at(NEW_YORK, date(2026, 11, 1), "01:30", fold=1)),
        (at(NEW_YORK, date(2026, 11, 1), "01:00", fold=1), at(NEW_YORK, date(2026, 11, 1), "02:00")),
    ]


def test_hours_ending_in_the_missing_hour_end_when_the_clocks_jump():
    rules = SlotRules(duration=timedelta(hours=1), increment=timedelta(minutes=30))
    availability = every_day(hours("00:00", "02:30"), timezone="America/New_York")

    slots = slots_on(date(2026, 3, 8), availability, rules)

    assert [slot.end.astimezone(NEW_YORK).strftime("%H:%M") for slot in slots] == ["01:00", "01:30", "03:00"]


def test_hours_ending_in_the_repeated_hour_end_at_its_first_pass():
    rules = SlotRules(duration=timedelta(hours=1), increment=timedelta(minutes=30))
    availability = every_day(hours("00:00", "01:30"), timezone="America/New_York")

    assert local_starts(slots_on(date(2026, 11, 1), availability, rules)) == ["00:00", "00:30"]


def test_no_slot_in_the_missing_hour_in_berlin():
    availability = every_day(hours("01:00", "04:00"), timezone="Europe/Berlin")

    slots = slots_on(date(2026, 3, 29), availability, zone=BERLIN)

    assert local_starts(slots, BERLIN) == ["01:00", "01:30", "03:00", "03:30"]


def test_repeated_hour_in_berlin_is_offered_both_times():
    availability = every_day(hours("01:00", "04:00"), timezone="Europe/Berlin")

    slots = slots_on(date(2026, 10, 25), availability, zone=BERLIN)

    assert [slot.start.astimezone(BERLIN).strftime("%H:%M%z") for slot in slots] == [
        "01:00+0200",
        "01:30+0200",
        "02:00+0200",
        "02:30+0200",
        "02:00+0100",
        "02:30+0100",
        "03:00+0100",
        "03:30+0100",
    ]


def test_berlin_host_seen_from_new_york_during_the_weeks_between_clock_changes():
    # The US springs forward on 8 March, Berlin on 29 March: the offset between them is 5 hours then.
    slots = slots_on(date(2026, 3, 18), weekdays(hours("09:00", "10:00"), timezone="Europe/Berlin"))

    assert local_starts(slots) == ["04:00", "04:30"]


def test_start_of_the_next_date_is_found_when_clocks_go_back_across_midnight():
    # St. John's went back from 00:01 to 23:01 on 7 November 2010: 00:00 on the 7th came before
    # the second 23:30 on the 6th.
    availability = every_day(hours("00:00", "00:30"), timezone="America/St_Johns")
    start, end = datetime(2010, 11, 7, 2, tzinfo=UTC), datetime(2010, 11, 7, 3, tzinfo=UTC)

    slots = free_slots(availability, HALF_HOUR, start=start, end=end, now=datetime(2010, 1, 1, tzinfo=UTC))

    assert [slot.start for slot in slots] == [datetime(2010, 11, 7, 2, 30, tzinfo=UTC)]


# --- Input checks --------------------------------------------------------------------------------


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError, match="aware"):
        free_slots(weekdays(), HALF_HOUR, start=datetime(2026, 6, 10), end=datetime(2026, 6, 11), now=LONG_AGO)


@pytest.mark.parametrize(("start", "end"), [(600, 600), (600, 540), (-30, 60), (0, 1441)])
def test_interval_must_be_within_one_day_and_not_empty(start, end):
    with pytest.raises(ValueError, match="interval"):
        Interval(start, end)


def test_slot_rules_need_a_positive_duration():
    with pytest.raises(ValueError, match="positive"):
        SlotRules(duration=timedelta(0), increment=timedelta(minutes=30))


# --- Properties ----------------------------------------------------------------------------------

# Each zone with a day next to its 2026 clock changes (or a quiet day where it has none).
ZONES_AND_DAYS = [
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
    ("Europe/Berlin", date(2026, 3, 29)),
    ("Europe/Berlin", date(2026, 10, 25)),
    ("Australia/Lord_Howe", date(2026, 4, 5)),  # half-hour clock changes
    ("Australia/Lord_Howe", date(2026, 10, 4)),
    ("America/Santiago", date(2026, 4, 5)),  # clocks change at midnight
    ("America/Santiago", date(2026, 9, 6)),
    ("America/Havana", date(2026, 11, 1)),  # clocks change at midnight
    ("Asia/Kolkata", date(2026, 6, 15)),
    ("Asia/Tokyo", date(2026, 6, 15)),
    ("UTC", date(2026, 6, 15)),
]
PROPERTY_SETTINGS = settings(max_examples=100, deadline=None)

quarter_hours = st.integers(0, 96).map(lambda quarter: quarter * 15)


@st.composite
def intervals(draw) -> Interval:
    start, end = sorted(draw(st.lists(quarter_hours, min_size=2, max_size=2, unique=True)))
    return Interval(start, end)


def sometimes(strategy):
    return st.one_of(st.none(), st.none(), st.none(), strategy)


@st.composite
def cases(draw) -> dict:
    timezone, anchor = draw(st.sampled_from(ZONES_AND_DAYS))
    origin = datetime.combine(anchor - timedelta(days=1), time(), UTC)
    day_hours = st.lists(intervals(), max_size=3)
    nearby_dates = st.integers(-2, 3).map(lambda days: anchor + timedelta(days=days))
    availability = Availability(
        timezone=timezone,
        weekly=dict(enumerate(draw(st.lists(st.lists(intervals(), min_size=1, max_size=3), min_size=7, max_size=7)))),
        overrides=draw(st.dictionaries(nearby_dates, day_hours, max_size=2)),
    )
    duration = timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 90, 120])))
    rules = SlotRules(
        duration=duration,
        increment=draw(st.sampled_from([timedelta(minutes=minutes) for minutes in (10, 15, 20, 30, 60)] + [duration])),
        buffer_before=timedelta(minutes=draw(st.sampled_from([0, 5, 15, 30]))),
        buffer_after=timedelta(minutes=draw(st.sampled_from([0, 10, 15, 60]))),
        minimum_notice=timedelta(minutes=draw(st.sampled_from([0, 90, 24 * 60]))),
        first_date=draw(sometimes(nearby_dates)),
        last_date=draw(sometimes(nearby_dates)),
        dates=draw(sometimes(st.frozensets(nearby_dates, max_size=4))),
        max_per_day=draw(sometimes(st.integers(1, 3))),
        seats=draw(st.integers(1, 3)),
    )
    minutes_around = st.integers(-2 * 24 * 60, 4 * 24 * 60).map(lambda minutes: origin + timedelta(minutes=minutes))
    busy_zones = st.sampled_from([ZoneInfo(timezone), TOKYO, UTC])
    busy = [
        (moment.astimezone(draw(busy_zones)), (moment + timedelta(seconds=seconds)).astimezone(draw(busy_zones)))
        for moment, seconds in draw(st.lists(st.tuples(minutes_around, st.integers(0, 3 * 3600)), max_size=8))
    ]
    start = origin + timedelta(minutes=15 * draw(st.integers(0, 2 * 24 * 4)))
    case = {
        "availability": availability,
        "rules": rules,
        "start": start,
        "end": start + timedelta(hours=draw(st.sampled_from([0, 6, 24, 48, 72])), minutes=draw(st.integers(1, 360))),
        "now": origin + timedelta(minutes=draw(st.integers(-2 * 24 * 60, 24 * 60))),
        "busy": busy,
    }
    # Bookings mostly at starts the host offers (so seats and limits come into play), some anywhere.
    offered = [slot.start for slot in free_slots(**case)]
    anywhere = st.integers(-4 * 24, 4 * 24 * 4).map(lambda quarter: origin + timedelta(minutes=15 * quarter))
    bookable = st.sampled_from(offered) | anywhere if offered else anywhere
    return {**case, "taken": draw(st.lists(bookable, max_size=6))}


def wall_instant(zone: ZoneInfo, wall: datetime) -> datetime | None:
    """The first UTC instant a naive wall time happens, found by round trip; None if it never does."""
    moment = wall.replace(tzinfo=zone).astimezone(UTC)
    return moment if moment.astimezone(zone).replace(tzinfo=None) == wall else None


def wall_instants(zone: ZoneInfo, wall: datetime) -> list[datetime]:
    """Every UTC instant a naive wall time happens, found by round trip: none, one, or two."""
    found = {wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)}
    return sorted(moment for moment in found if moment.astimezone(zone).replace(tzinfo=None) == wall)


def interval_end_instant(zone: ZoneInfo, wall: datetime) -> datetime:
    """An end that never happens (a spring-forward gap) ends when the clocks jump: the next wall time that exists."""
    while (moment := wall_instant(zone, wall)) is None:
        wall += timedelta(minutes=1)
    return moment


def reference_slots(availability, rules, *, start, end, now, busy, taken) -> list[Slot]:
    """The rules read literally: every candidate of every nearby date, checked against everything."""
    zone = ZoneInfo(availability.timezone)
    lowest = max(start, now + rules.minimum_notice)
    day = start.astimezone(zone).date() - timedelta(days=2)
    found = {}
    while day <= end.astimezone(zone).date() + timedelta(days=2):
        allowed = (
            (rules.first_date is None or day >= rules.first_date)
            and (rules.last_date is None or day <= rules.last_date)
            and (rules.dates is None or day in rules.dates)
        )
        booked_that_day = {moment for moment in taken if moment.astimezone(zone).date() == day}
        day_is_full = rules.max_per_day is not None and len(booked_that_day) >= rules.max_per_day
        intervals = availability.overrides.get(day, availability.weekly.get(day.weekday(), ()))
        for interval in intervals if allowed else ():
            midnight = datetime.combine(day, time())
            wall = midnight + timedelta(minutes=interval.start_minute)
            interval_end = interval_end_instant(zone, midnight + timedelta(minutes=interval.end_minute))
            starts = []
            while wall < midnight + timedelta(minutes=interval.end_minute):
                starts += wall_instants(zone, wall)
                wall += rules.increment
            for slot_start in starts:
                if not lowest <= slot_start < end:
                    continue
                slot_end = slot_start + rules.duration
                seats_left = rules.seats - sum(moment == slot_start for moment in taken)
                clashes = any(
                    busy_start < busy_end
                    and busy_start < slot_end + rules.buffer_after
                    and slot_start - rules.buffer_before < busy_end
                    for busy_start, busy_end in [
                        *busy,
                        *((booked, booked + rules.duration) for booked in taken if booked != slot_start),
                    ]
                )
                new_start_allowed = not day_is_full or slot_start in booked_that_day
                if slot_end <= interval_end and seats_left > 0 and not clashes and new_start_allowed:
                    found[slot_start] = Slot(slot_start, slot_end, seats_left)
        day += timedelta(days=1)
    return [found[moment] for moment in sorted(found)]


def viewer_days(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` cut at every local midnight in ``zone``, as a viewer's day-by-day calendar asks."""
    pieces = []
    day = start.astimezone(zone).date()
    while (piece_start := max(start, datetime.combine(day, time(), zone))) < end:
        pieces.append((piece_start, min(end, datetime.combine(day + timedelta(days=1), time(), zone))))
        day += timedelta(days=1)
    return pieces


@settings(max_examples=200, deadline=None)
@given(cases())
def test_slots_match_the_rules_read_literally(case):
    assert free_slots(**case) == reference_slots(**case)


@PROPERTY_SETTINGS
@given(cases())
def test_slots_are_sorted_unique_and_inside_the_query_range(case):
    slots = free_slots(**case)

    assert [slot.start for slot in slots] == sorted({slot.start for slot in slots})
    assert all(case["start"] <= slot.start < case["end"] for slot in slots)
    assert all(slot.start >= case["now"] + case["rules"].minimum_notice for slot in slots)


@PROPERTY_SETTINGS
@given(cases())
def test_no_slot_overlaps_busy_time_or_its_buffers(case):
    rules = case["rules"]

    for slot in free_slots(**case):
        padded_start, padded_end = slot.start - rules.buffer_before, slot.end + rules.buffer_after
        assert not any(
            busy_start < busy_end and busy_start < padded_end and padded_start < busy_end
            for busy_start, busy_end in case["busy"]
        )


@PROPERTY_SETTINGS
@given(cases())
def test_every_slot_starts_on_the_hosts_grid_and_ends_within_its_hours(case):
    availability, rules = case["availability"], case["rules"]
    zone = ZoneInfo(availability.timezone)

    for slot in free_slots(**case):
        local = slot.start.astimezone(zone)
        minute = local.hour * 60 + local.minute
        assert rules.allows_date(local.date())
        assert any(
            interval.start_minute <= minute < interval.end_minute
            and timedelta(minutes=minute - interval.start_minute) % rules.increment == timedelta(0)
            and slot.end
            <= interval_end_instant(
                zone, datetime.combine(local.date(), time()) + timedelta(minutes=interval.end_minute)
            )
            for interval in availability.intervals_on(local.date())
        )


@PROPERTY_SETTINGS
@given(cases(), st.sampled_from([LOS_ANGELES, TOKYO]))
def test_slots_do_not_depend_on_how_a_viewer_splits_the_range_into_days(case, viewer_zone):
    day_by_day = [
        slot
        for piece_start, piece_end in viewer_days(viewer_zone, case["start"], case["end"])
        for slot in free_slots(**{**case, "start": piece_start, "end": piece_end})
    ]

    assert day_by_day == free_slots(**case)
