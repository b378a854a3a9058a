"""Calendar layouts: entries at the same time side by side in the week and day views
(scheduling/layout.py), the month as day numbers and the picked day's list on phones, and the
hours of a day column as links to a new event."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.layout import Lane, lanes
from scheduling.models import Event

# --- The layout rule, on plain numbers -----------------------------------------------------------

spans_strategy = st.lists(
    st.tuples(st.integers(0, 24 * 60 - 1), st.integers(1, 6 * 60)).map(lambda pair: (pair[0], pair[0] + pair[1])),
    max_size=25,
)


def overlap(one, other) -> bool:
    return one[0] < other[1] and other[0] < one[1]


def occupied(lane: Lane) -> range:
    return range(lane.column, lane.column + lane.span)


def test_two_entries_at_the_same_time_each_take_half():
    assert lanes([(540, 600), (540, 600)]) == [Lane(0, 1, 2), Lane(1, 1, 2)]


def test_entries_that_only_touch_each_take_the_whole_width():
    assert lanes([(540, 600), (600, 660)]) == [Lane(0, 1, 1), Lane(0, 1, 1)]


def test_a_later_entry_reuses_the_first_lane_that_has_ended():
    # 09:00-11:00 beside 09:00-10:00; 10:00-11:00 goes where 09:00-10:00 was.
    assert lanes([(540, 660), (540, 600), (600, 660)]) == [Lane(0, 1, 2), Lane(1, 1, 2), Lane(1, 1, 2)]


def test_an_entry_widens_over_lanes_free_for_all_its_time():
    # Three at 09:00; 10:30-11:00 starts after the two short ones ended, so takes both their lanes.
    placed = lanes([(540, 720), (540, 600), (540, 600), (630, 660)])
    assert placed[3] == Lane(1, 2, 3)
    assert (placed[3].left, placed[3].width) == (pytest.approx(1 / 3), pytest.approx(2 / 3))


def test_longer_entry_goes_first_when_two_start_together():
    assert lanes([(540, 600), (540, 720)]) == [Lane(1, 1, 2), Lane(0, 1, 2)]


def test_a_span_that_does_not_end_after_it_starts_is_refused():
    with pytest.raises(ValueError, match="end after it starts"):
        lanes([(600, 600)])


@settings(max_examples=300)
@given(spans_strategy)
def test_overlapping_entries_never_share_a_lane(spans):
    placed = lanes(spans)
    for i, one in enumerate(spans):
        for j in range(i + 1, len(spans)):
            if overlap(one, spans[j]):
                assert not set(occupied(placed[i])) & set(occupied(placed[j]))


@settings(max_examples=300)
@given(spans_strategy)
def test_every_entry_fits_in_its_clusters_lanes(spans):
    for lane in lanes(spans):
        assert 0 <= lane.column < lane.columns
        assert 1 <= lane.span <= lane.columns - lane.column


def clusters(spans) -> list[list[int]]:
    """Indexes of spans that overlap one another transitively."""
    groups: list[set[int]] = []
    for i, one in enumerate(spans):
        joined = [group for group in groups if any(overlap(one, spans[j]) for j in group)]
        merged = {i}.union(*joined)
        groups = [group for group in groups if group not in joined] + [merged]
    return [sorted(group) for group in groups]


@settings(max_examples=300)
@given(spans_strategy)
def test_a_cluster_has_as_many_lanes_as_entries_running_at_once_at_its_busiest(spans):
    placed = lanes(spans)
    for members in clusters(spans):
        busiest = max(sum(1 for j in members if spans[j][0] <= spans[i][0] < spans[j][1]) for i in members)
        assert {placed[i].columns for i in members} == {busiest}


@settings(max_examples=300)
@given(spans_strategy)
def test_an_entry_that_overlaps_nothing_takes_the_whole_width(spans):
    placed = lanes(spans)
    for i, one in enumerate(spans):
        if not any(overlap(one, other) for j, other in enumerate(spans) if j != i):
            assert placed[i] == Lane(0, 1, 1)


@settings(max_examples=300)
@given(st.data())
def test_the_layout_does_not_depend_on_the_order_given(data):
    spans = data.draw(spans_strategy)
    shuffled = data.draw(st.permutations(spans))

    def by_span(given_spans):
        placed = {}
        for span, lane in zip(given_spans, lanes(given_spans), strict=True):
            placed.setdefault(span, []).append(lane)
        return {span: sorted(found, key=lambda lane: lane.column) for span, found in placed.items()}

    assert lanes(spans) == lanes(list(spans))
    assert by_span(spans) == by_span(shuffled)


# --- The week and day views ----------------------------------------------------------------------


@pytest.fixture
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


def add(user, title, start, end, **fields):
    return Event.objects.create(owner=user, title=title, start=start, end=end, timezone="Europe/Berlin", **fields)


def at(hour, minute=0):
    """Thursday 3 December 2026 in UTC (Berlin is an hour ahead)."""
    return datetime(2026, 12, 3, hour, minute, tzinfo=UTC)


def thursday(owner_client, view="week"):
    response = owner_client.get(f"/calendar/{view}/", {"date": "2026-12-03"})
    return {item["event"].title: item for item in response.context["columns"][3 if view == "week" else 0]["timed"]}


@pytest.mark.django_db
@pytest.mark.usefixtures("_now")
@pytest.mark.parametrize("view", ["week", "day"])
def test_events_at_the_same_time_sit_side_by_side(owner_client, user, view):
    add(user, "Review", at(8), at(9))
    add(user, "Budget", at(8), at(9))
    add(user, "Lunch", at(11), at(12))
    placed = thursday(owner_client, view)
    assert {(placed[title]["left"], placed[title]["width"]) for title in ("Review", "Budget")} == {
        ("0.00", "50.00"),
        ("50.00", "50.00"),
    }
    assert (placed["Lunch"]["left"], placed["Lunch"]["width"]) == ("0.00", "100.00")
    assert (placed["Review"]["top"], placed["Review"]["height"]) == ("27.00", "3.00")  # 09:00 Berlin, 3rem an hour


@pytest.mark.django_db
@pytest.mark.usefixtures("_now")
def test_a_short_event_is_drawn_tall_enough_to_read_and_moves_aside_for_what_it_covers(owner_client, user):
    add(user, "Quick check", at(8), at(8, 10))
    add(user, "Call", at(8, 15), at(9))
    placed = thursday(owner_client)
    assert placed["Quick check"]["height"] == "1.25"
    assert placed["Quick check"]["left"] != placed["Call"]["left"]


@pytest.mark.django_db
@pytest.mark.usefixtures("_now")
def test_all_day_events_stay_above_the_hours(owner_client, user):
    add(user, "Offsite", datetime(2026, 12, 2, 23, tzinfo=UTC), datetime(2026, 12, 3, 23, tzinfo=UTC), all_day=True)
    column = owner_client.get("/calendar/week/", {"date": "2026-12-03"}).context["columns"][3]
    assert [occurrence.event.title for occurrence in column["all_day"]] == ["Offsite"]
    assert column["timed"] == []


@pytest.mark.django_db
@pytest.mark.usefixtures("_now")
def test_each_hour_of_a_day_links_to_a_new_event_at_that_hour(owner_client):
    content = owner_client.get("/calendar/week/", {"date": "2026-12-03"}).content.decode()
    thursday_hours = re.findall(r'<a href="/calendar/events/new/\?start=2026-12-03T(\d\d):00"[^>]*>', content)
    assert thursday_hours == [f"{hour:02d}" for hour in range(24)]
    assert 'aria-label="New event on Thursday 3 December at 14:00"' in content


# --- The month on phones -------------------------------------------------------------------------


def compact_month(content: str) -> str:
    return content.split('data-testid="month-compact"', 1)[1].split('data-testid="picked-day"', 1)[0]


@pytest.mark.django_db
@pytest.mark.usefixtures("_now")
def test_phone_month_shows_a_dot_per_busy_day_and_no_titles(owner_client, user):
    add(user, "Review", at(8), at(9))
    add(user, "Budget", at(10), at(11))
    grid = compact_month(owner_client.get("/calendar/month/", {"date": "2026-12-01"}).content.decode())
    assert "Review" not in grid
    assert 'aria-label="Thursday 3 December: 2 events"' in grid
    assert 'aria-label="Friday 4 December: nothing on"' in grid
    assert grid.count("data-dot") == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("_now")
def test_each_day_of_the_phone_month_is_a_real_link_to_that_days_list(owner_client, user):
    add(user, "Review", at(8), at(9))
    grid = compact_month(owner_client.get("/calendar/month/").content.decode())
    assert 'href="/calendar/month/?date=2026-12-03"' in grid
    response = owner_client.get("/calendar/month/", {"date": "2026-12-03"})
    assert [entry["event"].title for entry in response.context["day_items"]] == ["Review"]
    assert re.search(r'aria-current="date" data-day="2026-12-03"', compact_month(response.content.decode()))
    assert "09:00–10:00" in response.content.decode().split('data-testid="picked-day"', 1)[1]
