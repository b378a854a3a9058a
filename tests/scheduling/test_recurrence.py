from __future__ import annotations

import calendar
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.recurrence import Recurrence, occurrences

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
HOUR = timedelta(hours=1)


def expand(start: datetime, rule: Recurrence, window_start: datetime, window_end: datetime, **kwargs):
    """Occurrences of a one-hour event (unless ``end`` is given) whose zone is ``start``'s."""
    tz_name = str(start.tzinfo)
    return occurrences(
        start=start,
        end=kwargs.pop("end", start + HOUR),
        tz_name=tz_name,
        rule=rule.to_rrule(tz_name),
        window_start=window_start,
        window_end=window_end,
        **kwargs,
    )


def local_starts(found, zone: ZoneInfo) -> list[datetime]:
    return [start.astimezone(zone).replace(tzinfo=None) for start, _ in found]


# --- the rule and its RRULE text ------------------------------------------------------------------


def test_to_rrule_writes_the_canonical_spelling():
    rule = Recurrence("weekly", weekdays=(2, 0), count=10)

    assert rule.to_rrule("Europe/Berlin") == "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE;COUNT=10"


def test_to_rrule_writes_until_as_the_end_of_the_local_day_in_utc():
    rule = Recurrence("daily", until=date(2026, 12, 31))

    assert rule.to_rrule("America/New_York") == "FREQ=DAILY;INTERVAL=1;UNTIL=20270101T045959Z"


@pytest.mark.parametrize(
    "rule",
    [
        Recurrence("daily"),
        Recurrence("daily", interval=3, count=7),
        Recurrence("weekly", weekdays=(0, 2, 4), until=date(2026, 12, 31)),
        Recurrence("weekly", interval=2),
        Recurrence("monthly", until=date(2027, 1, 31)),
        Recurrence("yearly", interval=5, count=1),
    ],
)
@pytest.mark.parametrize("tz_name", ["UTC", "America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata"])
def test_rrule_text_reads_back_as_the_same_rule(rule, tz_name):
    assert Recurrence.from_rrule(rule.to_rrule(tz_name), tz_name) == rule


@given(
    frequency=st.sampled_from(["daily", "weekly", "monthly", "yearly"]),
    interval=st.integers(1, 99),
    weekdays=st.sets(st.integers(0, 6)),
    ending=st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2100, 12, 31)), st.integers(1, 999)),
    tz_name=st.sampled_from(["UTC", "America/New_York", "Europe/Berlin", "Asia/Tokyo", "Pacific/Kiritimati"]),
)
def test_any_rule_survives_a_round_trip_through_rrule_text(frequency, interval, weekdays, ending, tz_name):
    rule = Recurrence(
        frequency,
        interval=interval,
        weekdays=tuple(weekdays) if frequency == "weekly" else (),
        until=ending if isinstance(ending, date) else None,
        count=ending if isinstance(ending, int) else None,
    )

    assert Recurrence.from_rrule(rule.to_rrule(tz_name), tz_name) == rule


def test_from_rrule_accepts_a_prefix_lower_case_and_monday_week_start():
    rule = Recurrence.from_rrule("RRULE:freq=weekly;byday=fr,mo;wkst=MO", "UTC")

    assert rule == Recurrence("weekly", weekdays=(0, 4))


@pytest.mark.parametrize(
    ("until", "tz_name", "expected"),
    [
        # Another client's UNTIL at the last occurrence's start: 09:00 EST and 08:00 in Tokyo.
        ("20261231T140000Z", "America/New_York", date(2026, 12, 31)),
        ("20261230T230000Z", "Asia/Tokyo", date(2026, 12, 31)),
        ("20261231", "Asia/Tokyo", date(2026, 12, 31)),
        ("20261231T090000", "America/New_York", date(2026, 12, 31)),
    ],
)
def test_from_rrule_reads_until_as_its_local_date(until, tz_name, expected):
    assert Recurrence.from_rrule(f"FREQ=DAILY;UNTIL={until}", tz_name).until == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FREQ=HOURLY", "FREQ=HOURLY is not supported"),
        ("FREQ=FORTNIGHTLY", "FREQ=FORTNIGHTLY is not supported"),
        ("INTERVAL=2", "has no FREQ"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL must be a whole number of at least 1"),
        ("FREQ=DAILY;INTERVAL=two", "INTERVAL must be a whole number of at least 1"),
        ("FREQ=DAILY;COUNT=0", "COUNT must be a whole number of at least 1"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20261231T235959Z", "COUNT and UNTIL cannot both be given"),
        ("FREQ=DAILY;BYDAY=MO", "BYDAY is only supported with FREQ=WEEKLY"),
        ("FREQ=WEEKLY;BYDAY=1MO", "BYDAY '1MO' is not supported"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "BYMONTHDAY is not supported"),
        ("FREQ=WEEKLY;WKST=SU", "WKST=SU is not supported"),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ appears twice"),
        ("FREQ=DAILY;UNTIL=2026-12-31", "is not a date"),
        ("FREQ=DAILY;UNTIL=20261341", "is not a valid date"),
        ("hello", "'hello' in the recurrence rule is not of the form NAME=VALUE"),
        ("FREQ=DAILY;;", "is not of the form NAME=VALUE"),
        ("  ", "The recurrence rule is empty"),
    ],
)
def test_from_rrule_rejects_what_it_cannot_represent_saying_why(text, message):
    with pytest.raises(ValueError, match=message):
        Recurrence.from_rrule(text, "UTC")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"frequency": "hourly"}, "Unknown frequency 'hourly'"),
        ({"frequency": "daily", "interval": 0}, "interval must be a whole number from 1 to 999"),
        ({"frequency": "daily", "interval": 1000}, "interval must be a whole number from 1 to 999"),
        ({"frequency": "monthly", "weekdays": (0,)}, "only be chosen for a weekly recurrence"),
        ({"frequency": "weekly", "weekdays": (7,)}, "Weekdays must be 0 \\(Monday\\) to 6 \\(Sunday\\)"),
        ({"frequency": "daily", "until": date(2026, 1, 1), "count": 3}, "not both"),
        ({"frequency": "daily", "count": 0}, "number of occurrences must be a whole number of at least 1"),
        ({"frequency": "daily", "until": datetime(2026, 1, 1)}, "must be a date"),
    ],
)
def test_recurrence_rejects_invalid_fields_saying_why(fields, message):
    with pytest.raises(ValueError, match=message):
        Recurrence(**fields)


def test_weekdays_are_kept_sorted_without_duplicates():
    assert Recurrence("weekly", weekdays=(4, 0, 4)).weekdays == (0, 4)


def test_unknown_time_zone_is_a_value_error():
    with pytest.raises(ValueError, match="Unknown time zone 'Mars/Olympus'"):
        Recurrence("daily", until=date(2026, 1, 1)).to_rrule("Mars/Olympus")


# --- describe ---------------------------------------------------------------------------------------


MONDAY_MORNING = datetime(2026, 6, 1, 9)


@pytest.mark.parametrize(
    ("rule", "start", "expected"),
    [
        (Recurrence("weekly", weekdays=(0, 2), count=10), MONDAY_MORNING, "Weekly on Monday and Wednesday, 10 times"),
        (Recurrence("daily", interval=2, until=date(2026, 12, 31)), MONDAY_MORNING, "Every 2 days until 31 Dec 2026"),
        (Recurrence("monthly"), datetime(2026, 6, 15, 9), "Monthly on day 15"),
        (Recurrence("yearly"), datetime(2026, 3, 3, 9), "Yearly on 3 March"),
        (Recurrence("weekly"), datetime(2026, 6, 2, 9), "Weekly on Tuesday"),
        (
            Recurrence("weekly", interval=2, weekdays=(0, 2, 4)),
            MONDAY_MORNING,
            "Every 2 weeks on Monday, Wednesday and Friday",
        ),
        (Recurrence("daily", count=1), MONDAY_MORNING, "Daily, once"),
        (Recurrence("yearly", interval=4), datetime(2024, 2, 29, 9), "Every 4 years on 29 February"),
    ],
)
def test_describe_says_how_the_event_repeats(rule, start, expected):
    assert rule.describe(start) == expected


# --- time zones -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "last_monday_before", "utc_hours"),
    [
        (NEW_YORK, date(2026, 3, 2), (14, 13)),  # DST starts on Sunday 8 March
        (NEW_YORK, date(2026, 10, 26), (13, 14)),  # DST ends on Sunday 1 November
        (BERLIN, date(2026, 3, 23), (8, 7)),  # summer time starts on Sunday 29 March
        (BERLIN, date(2026, 10, 19), (7, 8)),  # summer time ends on Sunday 25 October
    ],
)
def test_weekly_meeting_stays_at_nine_local_while_its_utc_hour_moves_across_dst(zone, last_monday_before, utc_hours):
    start = datetime(2026, 1, 5, 9, tzinfo=zone)  # a Monday
    window_start = datetime.combine(last_monday_before, datetime.min.time(), tzinfo=zone)

    found = expand(start, Recurrence("weekly"), window_start, window_start + timedelta(days=14))

    assert [start.astimezone(zone).hour for start, _ in found] == [9, 9]
    assert tuple(start.hour for start, _ in found) == utc_hours


def test_daily_start_in_the_spring_forward_gap_moves_forward_by_the_gap():
    start = datetime(2026, 3, 6, 2, 30, tzinfo=NEW_YORK)

    found = expand(start, Recurrence("daily"), datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC))

    assert local_starts(found, NEW_YORK) == [
        datetime(2026, 3, 7, 2, 30),
        datetime(2026, 3, 8, 3, 30),
        datetime(2026, 3, 9, 2, 30),
    ]


def test_occurrence_moved_out_of_the_gap_is_in_a_window_opening_inside_the_moved_hour():
    start = datetime(2026, 3, 6, 2, 30, tzinfo=NEW_YORK)
    window_start = datetime(2026, 3, 8, 3, 10, tzinfo=NEW_YORK)  # after 02:30 on the clock, before 03:30 EDT

    found = expand(start, Recurrence("daily"), window_start, window_start + HOUR, end=start)

    assert local_starts(found, NEW_YORK) == [datetime(2026, 3, 8, 3, 30)]


def test_daily_start_in_the_fall_back_hour_is_its_first_instance():
    start = datetime(2026, 10, 30, 1, 30, tzinfo=NEW_YORK)

    found = expand(start, Recurrence("daily"), datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC))

    assert found[0][0] == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, not 01:30 EST


def test_first_occurrence_in_the_second_fall_back_hour_stays_the_given_instant():
    start = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK)  # 01:30 EST

    found = expand(start, Recurrence("daily"), datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC))

    assert [start for start, _ in found] == [
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
        datetime(2026, 11, 2, 6, 30, tzinfo=UTC),
    ]


def test_duration_is_elapsed_time_so_the_local_end_moves_on_the_dst_day():
    start = datetime(2026, 3, 6, 0, 30, tzinfo=NEW_YORK)
    end = datetime(2026, 3, 6, 3, 30, tzinfo=NEW_YORK)

    found = expand(
        start,
        Recurrence("daily"),
        datetime(2026, 3, 8, tzinfo=NEW_YORK),
        datetime(2026, 3, 8, 1, tzinfo=NEW_YORK),
        end=end,
    )

    [(occurrence_start, occurrence_end)] = found
    assert occurrence_end - occurrence_start == timedelta(hours=3)
    assert occurrence_end.astimezone(NEW_YORK).hour == 4


def test_start_given_in_another_zone_repeats_in_the_event_zone():
    start = datetime(2026, 3, 2, 14, tzinfo=UTC)  # 09:00 in New York

    found = occurrences(
        start=start,
        end=start + HOUR,
        tz_name="America/New_York",
        rule="FREQ=WEEKLY;INTERVAL=1",
        window_start=datetime(2026, 3, 9, tzinfo=UTC),
        window_end=datetime(2026, 3, 10, tzinfo=UTC),
    )

    assert found == [(datetime(2026, 3, 9, 13, tzinfo=UTC), datetime(2026, 3, 9, 14, tzinfo=UTC))]


# --- count and until --------------------------------------------------------------------------------


def test_count_is_the_total_number_of_occurrences():
    start = datetime(2026, 6, 1, 9, tzinfo=BERLIN)  # a Monday

    found = expand(start, Recurrence("weekly", weekdays=(0, 2), count=3), start, start + timedelta(days=60))

    assert [start.date() for start in local_starts(found, BERLIN)] == [
        date(2026, 6, 1),
        date(2026, 6, 3),
        date(2026, 6, 8),
    ]


def test_first_occurrence_off_the_weekdays_still_counts_as_the_first():
    start = datetime(2026, 6, 2, 9, tzinfo=BERLIN)  # a Tuesday

    found = expand(start, Recurrence("weekly", weekdays=(0, 2), count=3), start, start + timedelta(days=60))

    assert [start.date() for start in local_starts(found, BERLIN)] == [
        date(2026, 6, 2),
        date(2026, 6, 3),
        date(2026, 6, 8),
    ]


def test_first_occurrence_is_kept_when_until_is_before_it():
    start = datetime(2026, 6, 10, 9, tzinfo=BERLIN)

    found = expand(start, Recurrence("daily", until=date(2026, 6, 5)), start, start + timedelta(days=30))

    assert local_starts(found, BERLIN) == [datetime(2026, 6, 10, 9)]


def test_count_ends_a_long_series_exactly_when_the_window_is_far_from_its_start():
    start = datetime(2024, 1, 1, 9, tzinfo=NEW_YORK)

    found = expand(
        start, Recurrence("daily", count=1000), datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)
    )

    assert local_starts(found, NEW_YORK)[-1] == datetime(2024, 1, 1, 9) + timedelta(days=999)


def test_count_skips_months_without_the_day_when_the_window_is_far_from_the_start():
    start = datetime(2026, 1, 31, 9, tzinfo=BERLIN)  # then Mar, May, Jul, Aug, Oct, Dec, Jan, Mar, May

    found = expand(
        start, Recurrence("monthly", count=10), datetime(2027, 4, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
    )

    assert [start.date() for start in local_starts(found, BERLIN)] == [date(2027, 5, 31)]


def test_count_of_weekly_days_is_exact_when_the_window_is_weeks_from_the_start():
    start = datetime(2026, 1, 7, 9, tzinfo=BERLIN)  # a Wednesday: 7, 9, 12, 14, 16, 19, 21, 23, 26, 28 January
    rule = Recurrence("weekly", weekdays=(0, 2, 4), count=10)

    found = expand(start, rule, datetime(2026, 1, 22, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))

    assert [start.day for start in local_starts(found, BERLIN)] == [23, 26, 28]


def test_until_includes_an_evening_occurrence_on_its_local_date_west_of_utc():
    start = datetime(2026, 6, 1, 20, tzinfo=LOS_ANGELES)
    rule = Recurrence("daily", until=date(2026, 6, 30))

    found = expand(start, rule, datetime(2026, 6, 29, tzinfo=UTC), datetime(2026, 7, 5, tzinfo=UTC))

    assert found[-1][0] == datetime(2026, 7, 1, 3, tzinfo=UTC)  # 30 June, 20:00 PDT


def test_monthly_on_the_31st_skips_months_without_one():
    start = datetime(2026, 1, 31, 9, tzinfo=BERLIN)

    found = expand(start, Recurrence("monthly", count=4), start, datetime(2027, 1, 1, tzinfo=UTC))

    assert [start.date() for start in local_starts(found, BERLIN)] == [
        date(2026, 1, 31),
        date(2026, 3, 31),
        date(2026, 5, 31),
        date(2026, 7, 31),
    ]


def test_yearly_on_29_february_repeats_in_leap_years_only():
    start = datetime(2024, 2, 29, 9, tzinfo=BERLIN)

    found = expand(
        start, Recurrence("yearly", count=3), datetime(2031, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC)
    )

    assert [start.date() for start in local_starts(found, BERLIN)] == [date(2032, 2, 29)]


def test_every_two_weeks_keeps_its_weeks_far_from_the_start():
    start = datetime(2020, 1, 6, 9, tzinfo=BERLIN)  # a Monday, week 0
    rule = Recurrence("weekly", interval=2, weekdays=(0, 3))

    found = expand(start, rule, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 15, tzinfo=UTC))

    # 1 June 2026 is 334 weeks after 6 January 2020: an "on" week.
    assert [start.date() for start in local_starts(found, BERLIN)] == [date(2026, 6, 1), date(2026, 6, 4)]


# --- the window and exceptions ----------------------------------------------------------------------


def test_occurrence_still_running_when_the_window_opens_is_included():
    start = datetime(2026, 6, 1, 23, tzinfo=UTC)

    found = expand(
        start,
        Recurrence("daily"),
        datetime(2026, 6, 3, tzinfo=UTC),
        datetime(2026, 6, 3, 12, tzinfo=UTC),
        end=start + 2 * HOUR,
    )

    assert found == [(datetime(2026, 6, 2, 23, tzinfo=UTC), datetime(2026, 6, 3, 1, tzinfo=UTC))]


def test_window_is_half_open_at_both_ends():
    start = datetime(2026, 6, 1, 9, tzinfo=UTC)

    # Day 2 ends as the window opens; day 3 starts as it closes.
    found = expand(
        start, Recurrence("daily"), datetime(2026, 6, 2, 10, tzinfo=UTC), datetime(2026, 6, 3, 9, tzinfo=UTC)
    )

    assert found == []


def test_zero_length_occurrence_at_the_window_start_is_included():
    start = datetime(2026, 6, 1, 9, tzinfo=UTC)

    found = expand(
        start, Recurrence("daily"), datetime(2026, 6, 2, 9, tzinfo=UTC), datetime(2026, 6, 3, tzinfo=UTC), end=start
    )

    assert found == [(datetime(2026, 6, 2, 9, tzinfo=UTC), datetime(2026, 6, 2, 9, tzinfo=UTC))]


def test_exceptions_leave_out_occurrences_by_their_original_start_in_any_zone():
    start = datetime(2026, 6, 1, 9, tzinfo=NEW_YORK)
    moved = datetime(2026, 6, 2, 15, tzinfo=BERLIN)  # 09:00 in New York

    found = expand(start, Recurrence("daily"), start, start + timedelta(days=3), exceptions=[moved])

    assert [start.date() for start in local_starts(found, NEW_YORK)] == [date(2026, 6, 1), date(2026, 6, 3)]


def test_results_are_sorted_utc_pairs():
    start = datetime(2026, 6, 1, 9, tzinfo=BERLIN)

    found = expand(start, Recurrence("weekly", weekdays=(0, 3, 5)), start, start + timedelta(days=30))

    assert found == sorted(found)
    assert {start.tzinfo for pair in found for start in pair} == {UTC}


def test_window_before_the_series_is_empty():
    start = datetime(2026, 6, 1, 9, tzinfo=BERLIN)

    assert expand(start, Recurrence("daily"), datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)) == []


@pytest.mark.parametrize("naive", ["start", "end", "window_start", "window_end"])
def test_naive_datetimes_are_rejected(naive):
    arguments = {
        "start": datetime(2026, 6, 1, 9, tzinfo=UTC),
        "end": datetime(2026, 6, 1, 10, tzinfo=UTC),
        "window_start": datetime(2026, 6, 1, tzinfo=UTC),
        "window_end": datetime(2026, 7, 1, tzinfo=UTC),
    }
    arguments[naive] = arguments[naive].replace(tzinfo=None)

    with pytest.raises(ValueError, match=f"{naive} must be an aware datetime"):
        occurrences(tz_name="UTC", rule="FREQ=DAILY", **arguments)


def test_end_before_start_is_rejected():
    start = datetime(2026, 6, 1, 9, tzinfo=UTC)

    with pytest.raises(ValueError, match="must not be before its start"):
        expand(start, Recurrence("daily"), start, start + HOUR, end=start - HOUR)


# --- the fast path against a full expansion -----------------------------------------------------------

ZONES = [
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # half-hour DST
    "America/Sao_Paulo",
    "Pacific/Chatham",
]


@st.composite
def series_and_windows(draw):
    frequency = draw(st.sampled_from(["daily", "weekly", "monthly", "yearly"]))
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    # Often the 29th-31st (or 29 February), which some months and years do not have.
    late_in_month = st.builds(
        lambda year, month, day: date(year, month, min(day, calendar.monthrange(year, month)[1])),
        st.integers(2019, 2026),
        st.integers(1, 12),
        st.integers(29, 31),
    )
    local_day = draw(st.one_of(st.dates(date(2019, 1, 1), date(2026, 12, 31)), late_in_month))
    hour, minute = draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45]))
    # Through UTC, so that a start drawn inside a DST gap becomes the instant a form would store.
    start = datetime(local_day.year, local_day.month, local_day.day, hour, minute, tzinfo=zone).astimezone(UTC)
    ending = draw(st.sampled_from(["never", "until", "count"]))
    rule = Recurrence(
        frequency,
        interval=draw(st.integers(1, 3)),
        weekdays=tuple(draw(st.sets(st.integers(0, 6), max_size=4))) if frequency == "weekly" else (),
        until=local_day + timedelta(days=draw(st.integers(-5, 1500))) if ending == "until" else None,
        count=draw(st.integers(1, 400)) if ending == "count" else None,
    )
    # Half the windows open shortly before the last occurrence of a series that ends, where an error in
    # counting the occurrences skipped (or in reading UNTIL) shows.
    near_the_end = ending != "never" and draw(st.booleans())
    if near_the_end:
        window_start = full_expansion(start, str(zone), rule)[-1] - timedelta(hours=draw(st.integers(0, 24 * 60)))
    else:
        window_start = start + timedelta(hours=draw(st.integers(-24 * 60, 24 * 1500)))
    window_end = window_start + timedelta(hours=draw(st.integers(1, 24 * 60)))
    duration = timedelta(minutes=15 * draw(st.integers(0, 4 * 24 * 3)))
    return start, duration, str(zone), rule, window_start, window_end


def full_expansion(start: datetime, tz_name: str, rule: Recurrence, until: datetime | None = None) -> list[datetime]:
    """Every start (up to ``until``), by dateutil from the RRULE text itself, iterating from the first."""
    zone = ZoneInfo(tz_name)
    first = start.astimezone(zone)
    first_wall_clock = first.replace(tzinfo=None, fold=0)
    # dateutil on an aware dtstart yields wall-clock times with fold=0, which astimezone reads as this
    # module does; RFC 5545 counts the first occurrence whether or not the rule produces it.
    starts = [start]
    for moment in rrulestr(rule.to_rrule(tz_name), dtstart=first.replace(fold=0)):
        if (until is not None and moment > until) or (rule.count is not None and len(starts) >= rule.count):
            break
        if moment.replace(tzinfo=None) != first_wall_clock:
            starts.append(moment.astimezone(UTC))
    return starts


@settings(deadline=None, max_examples=300)
@given(series_and_windows())
def test_expanding_a_window_matches_expanding_the_whole_series_from_its_start(case):
    start, duration, tz_name, rule, window_start, window_end = case

    found = occurrences(
        start=start,
        end=start + duration,
        tz_name=tz_name,
        rule=rule.to_rrule(tz_name),
        window_start=window_start,
        window_end=window_end,
    )

    expected = [
        (moment, moment + duration)
        for moment in full_expansion(start, tz_name, rule, window_end)
        if moment < window_end and (moment + duration > window_start or moment >= window_start)
    ]
    assert found == expected


# --- speed ------------------------------------------------------------------------------------------


def test_expanding_fifty_series_for_a_six_week_view_is_fast():
    zones = ["America/New_York", "Europe/Berlin", "Asia/Tokyo", "America/Los_Angeles", "Australia/Sydney"]
    series = []
    for index in range(50):
        tz_name = zones[index % len(zones)]
        zone = ZoneInfo(tz_name)
        kind = index % 4
        if kind == 0:
            start = datetime(2020, 1, 6 + index % 5, 9, tzinfo=zone)
            rule = Recurrence("daily", interval=1 + (index % 8 == 0))
        elif kind == 1:
            start = datetime(2023, 1, 2, 10, 30, tzinfo=zone)
            rule = Recurrence("weekly", weekdays=(0, 2, 4), count=400 if index % 3 == 0 else None)
        elif kind == 2:
            start = datetime(2021, 1, 1 + index % 31, 14, tzinfo=zone)
            rule = Recurrence("monthly", until=date(2027, 1, 1) if index % 3 == 0 else None)
        else:
            start = datetime(2015, 3, 1 + index % 28, 8, tzinfo=zone)
            rule = Recurrence("yearly", count=30 if index % 3 == 0 else None)
        series.append((start, start + HOUR, tz_name, rule.to_rrule(tz_name)))
    window_start = datetime(2026, 3, 2, tzinfo=NEW_YORK)
    window_end = window_start + timedelta(weeks=6)

    def expand_all() -> int:
        return sum(
            len(occurrences(start=s, end=e, tz_name=z, rule=r, window_start=window_start, window_end=window_end))
            for s, e, z, r in series
        )

    timings = []
    for _ in range(10):
        began = time.perf_counter()
        total = expand_all()
        timings.append(time.perf_counter() - began)

    first, best = timings[0] * 1000, min(timings) * 1000
    print(f"\n50 series, 6-week window, {total} occurrences: first run {first:.2f} ms, best {best:.2f} ms")
    assert min(timings) < 0.05
