from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.suggest import (
    Attendee,
    Grid,
    Person,
    Schedule,
    UnplacedReason,
    one_on_one_schedules,
    person_level,
    rank_group_times,
    series_slots,
)

MONDAY_8AM = datetime(2026, 6, 15, 8, tzinfo=UTC)
HALF_HOUR = timedelta(minutes=30)


def day_grid(cells: int, *, days: int = 1, cell: timedelta = HALF_HOUR) -> Grid:
    """``cells`` contiguous cells from 08:00 on each of ``days`` consecutive days."""
    return Grid(
        [MONDAY_8AM + timedelta(days=day) + cell * index for day in range(days) for index in range(cells)], cell
    )


def everywhere(cells: int, level: int = 2) -> dict[int, int]:
    return dict.fromkeys(range(cells), level)


def owner(levels: dict[int, int]) -> Person:
    return Person("owner", "Owner", levels)


def invitee(name: str, levels: dict[int, int] | None = None) -> Person:
    return Person(f"invitation:{name}", name, levels or {})


def starts_of(options) -> list[int]:
    return [option.slot.start_index for option in options]


def unplaced_reasons(schedule: Schedule) -> dict[str, UnplacedReason]:
    return {unplaced.invitee.name: unplaced.reason for unplaced in schedule.unplaced}


def pairs_of(schedule: Schedule) -> frozenset[tuple[str, int]]:
    return frozenset((meeting.invitee.key, meeting.slot.start_index) for meeting in schedule.meetings)


# --- grid and person_level ------------------------------------------------------------------------


def test_grid_rejects_naive_datetimes():
    with pytest.raises(ValueError, match="aware UTC"):
        Grid([datetime(2026, 6, 15, 8)], HALF_HOUR)


def test_grid_rejects_starts_in_another_timezone():
    with pytest.raises(ValueError, match="aware UTC"):
        Grid([datetime(2026, 6, 15, 8, tzinfo=ZoneInfo("Europe/Berlin"))], HALF_HOUR)


def test_grid_rejects_unsorted_starts():
    with pytest.raises(ValueError, match="sorted and not overlap"):
        Grid([MONDAY_8AM + HALF_HOUR, MONDAY_8AM], HALF_HOUR)


def test_grid_rejects_overlapping_cells():
    with pytest.raises(ValueError, match="not overlap"):
        Grid([MONDAY_8AM, MONDAY_8AM + timedelta(minutes=15)], HALF_HOUR)


def test_grid_finds_the_index_of_a_cell_start():
    grid = day_grid(4)
    assert (grid.index_of(MONDAY_8AM + HALF_HOUR), grid.index_of(MONDAY_8AM + timedelta(minutes=45))) == (1, None)


def test_person_level_is_the_minimum_over_the_meeting():
    assert person_level(day_grid(4), invitee("Ada", {1: 3, 2: 1, 3: 2}), 1, 3) == 1


def test_person_level_is_none_when_a_cell_is_unpainted():
    assert person_level(day_grid(4), invitee("Ada", {0: 3, 2: 3}), 0, 3) is None


def test_person_level_is_none_across_the_night_between_two_days():
    grid = day_grid(2, days=2)
    assert person_level(grid, invitee("Ada", dict.fromkeys(range(4), 3)), 1, 2) is None


@pytest.mark.parametrize("start_index", [-1, 3])
def test_person_level_is_none_outside_the_grid(start_index):
    assert person_level(day_grid(4), invitee("Ada", dict.fromkeys(range(4), 3)), start_index, 2) is None


def test_levels_outside_one_to_three_are_rejected():
    with pytest.raises(ValueError, match="level"):
        rank_group_times(day_grid(2), 1, owner(everywhere(2)), [invitee("Ada", {0: 4})])


def test_cells_outside_the_grid_are_rejected():
    with pytest.raises(ValueError, match="outside the grid"):
        rank_group_times(day_grid(2), 1, owner(everywhere(2)), [invitee("Ada", {2: 3})])


def test_people_need_distinct_keys():
    with pytest.raises(ValueError, match="distinct keys"):
        one_on_one_schedules(day_grid(2), 1, owner(everywhere(2)), [invitee("Ada"), invitee("Ada")])


# --- group ranking ------------------------------------------------------------------------------


def test_group_time_with_more_attendees_ranks_first_despite_lower_levels():
    options = rank_group_times(
        day_grid(2), 1, owner(everywhere(2)), [invitee("Ada", {0: 3, 1: 1}), invitee("Bo", {1: 1})]
    )
    assert starts_of(options) == [1, 0]


def test_group_times_with_equal_attendance_rank_by_level_sum():
    options = rank_group_times(day_grid(2), 1, owner(everywhere(2)), [invitee("Ada", {0: 1, 1: 3})])
    assert starts_of(options) == [1, 0]


def test_group_times_with_equal_invitee_levels_rank_by_owner_level():
    options = rank_group_times(day_grid(2), 1, owner({0: 1, 1: 3}), [invitee("Ada", {0: 2, 1: 2})])
    assert [(option.slot.start_index, option.owner_level) for option in options] == [(1, 3), (0, 1)]


def test_the_owner_counts_as_a_participant_who_can_come():
    """Ada alone at 08:00, Ada and the owner at 09:00: the owner tips it (issue 19)."""
    ada = invitee("Ada", {0: 3, 2: 1})
    options = rank_group_times(day_grid(3), 1, owner({2: 1}), [ada])
    assert [(option.slot.start_index, option.can_come) for option in options] == [(2, 2), (0, 1)]


def test_participants_count_the_owner_once_they_have_painted():
    ada, bo = invitee("Ada", {0: 2}), invitee("Bo", {1: 2})
    painted = rank_group_times(day_grid(2), 1, owner({0: 3}), [ada, bo])
    unpainted = rank_group_times(day_grid(2), 1, owner({}), [ada, bo])
    assert (painted[0].participants, painted[0].can_come) == (3, 2)
    assert (unpainted[0].participants, unpainted[0].can_come) == (2, 1)


def test_equal_counts_rank_by_level_with_the_owner_included_then_earliest():
    """Both times have Ada and the owner; the owner prefers 10:00, Ada is fine either way."""
    ada = invitee("Ada", {0: 2, 2: 2})
    options = rank_group_times(day_grid(3), 1, owner({0: 1, 2: 3}), [ada])
    assert [(option.slot.start_index, option.level_total) for option in options] == [(2, 5), (0, 3)]


def test_adjacent_starts_with_the_same_people_at_the_same_levels_are_one_window():
    """Ada and the owner can start an hour's meeting at 08:00, 08:30 or 09:00: one window, not three
    tied rows (issue 19)."""
    [option] = rank_group_times(day_grid(4), 2, owner(everywhere(4)), [invitee("Ada", everywhere(4))])
    assert (option.start, option.latest_start, option.window_end, option.is_window) == (
        MONDAY_8AM,
        MONDAY_8AM + timedelta(hours=1),
        MONDAY_8AM + timedelta(hours=2),
        True,
    )


def test_a_window_breaks_where_someone_changes_level():
    ada = invitee("Ada", {0: 2, 1: 2, 2: 3, 3: 3})
    options = rank_group_times(day_grid(4), 1, owner(everywhere(4)), [ada])
    assert [(option.slot.start_index, option.last_slot.start_index) for option in options] == [(2, 3), (0, 1)]


def test_a_window_breaks_where_someone_else_can_come():
    ada, bo = invitee("Ada", everywhere(4)), invitee("Bo", {2: 2, 3: 2})
    options = rank_group_times(day_grid(4), 1, owner(everywhere(4)), [ada, bo])
    assert [(option.slot.start_index, option.last_slot.start_index) for option in options] == [(2, 3), (0, 1)]


def test_a_window_never_spans_the_night_between_two_days():
    options = rank_group_times(day_grid(2, days=2), 1, owner(everywhere(4)), [invitee("Ada", everywhere(4))])
    assert [(option.slot.start_index, option.last_slot.start_index) for option in options] == [(0, 1), (2, 3)]


def test_a_single_start_is_not_a_window():
    [option] = rank_group_times(day_grid(2), 2, owner(everywhere(2)), [invitee("Ada", everywhere(2))])
    assert (option.is_window, option.latest_start, option.window_end) == (False, option.start, option.end)


def test_fully_equal_group_times_are_listed_earliest_first_as_ties():
    options = rank_group_times(day_grid(3), 1, owner(everywhere(3)), [invitee("Ada", {2: 2, 0: 2, 1: 1})])
    assert [(option.slot.start_index, option.rank, option.tie_rank) for option in options] == [
        (0, 1, 1),
        (2, 2, 1),
        (1, 3, 3),
    ]


def test_group_option_marks_a_tie_with_the_previous_option():
    options = rank_group_times(day_grid(3), 1, owner(everywhere(3)), [invitee("Ada", {0: 2, 1: 1, 2: 2})])
    assert [option.tied_with_previous for option in options] == [False, True, False]


def test_group_option_lists_who_can_come_at_which_level_and_who_cannot():
    ada, bo, cy = invitee("Ada", {0: 3, 1: 2}), invitee("Bo"), invitee("Cy", {0: 1})
    [option] = rank_group_times(day_grid(2), 2, owner(everywhere(2)), [ada, bo, cy])
    assert (option.available, option.unavailable) == ((Attendee(ada, 2),), (bo, cy))


def test_group_option_spans_the_meeting_duration():
    [option] = rank_group_times(day_grid(2), 2, owner(everywhere(2)), [invitee("Ada", {0: 3, 1: 3})])
    assert (option.start, option.end) == (MONDAY_8AM, MONDAY_8AM + timedelta(hours=1))


def test_group_meeting_never_spans_the_night_between_two_days():
    options = rank_group_times(
        day_grid(2, days=2), 2, owner(everywhere(4)), [invitee("Ada", dict.fromkeys(range(4), 2))]
    )
    assert starts_of(options) == [0, 2]


def test_group_meeting_never_spans_a_missing_cell():
    grid = Grid([MONDAY_8AM, MONDAY_8AM + HALF_HOUR, MONDAY_8AM + 3 * HALF_HOUR, MONDAY_8AM + 4 * HALF_HOUR], HALF_HOUR)
    options = rank_group_times(grid, 2, owner(everywhere(4)), [invitee("Ada", dict.fromkeys(range(4), 2))])
    assert starts_of(options) == [0, 2]


def test_group_attendee_level_is_the_minimum_over_the_meeting():
    [option] = rank_group_times(day_grid(2), 2, owner(everywhere(2)), [invitee("Ada", {0: 3, 1: 1})])
    assert option.available[0].level == 1


def test_group_time_the_owner_cannot_attend_is_suggested_with_owner_level_zero():
    [option] = rank_group_times(day_grid(1), 1, owner({}), [invitee("Ada", {0: 2})])
    assert option.owner_level == 0


def test_group_times_nobody_can_attend_are_dropped_when_some_time_has_an_attendee():
    options = rank_group_times(day_grid(3), 1, owner({0: 3, 1: 3, 2: 3}), [invitee("Ada", {1: 1})])
    assert starts_of(options) == [1]


def test_owner_times_are_ranked_alone_when_there_are_no_invitees():
    options = rank_group_times(day_grid(3), 1, owner({0: 1, 2: 3}), [])
    assert starts_of(options) == [2, 0]


def test_owner_times_are_ranked_alone_when_no_invitee_has_answered():
    options = rank_group_times(day_grid(3), 1, owner({1: 2}), [invitee("Ada"), invitee("Bo")])
    assert [(option.slot.start_index, option.attendee_count) for option in options] == [(1, 0)]


def test_nothing_is_suggested_when_nobody_painted():
    assert rank_group_times(day_grid(3), 1, owner({}), [invitee("Ada")]) == []


def test_group_ranking_returns_the_top_limit():
    ada = invitee("Ada", {0: 3, 1: 2, 2: 3, 3: 2, 4: 3, 5: 2})
    options = rank_group_times(day_grid(6), 1, owner(everywhere(6)), [ada], limit=4)
    assert starts_of(options) == [0, 2, 4, 1]


# --- 1-on-1 series ------------------------------------------------------------------------------


def test_series_tiles_each_run_back_to_back_from_its_first_cell():
    tiling = series_slots(day_grid(5, days=2), 2)
    assert [slot.start_index for slot in tiling] == [0, 2, 5, 7]


def test_series_considers_only_the_tiling():
    # Owner and Ada share 08:30-09:30, which straddles the 08:00 and 09:00 tiles of a 60-minute series.
    suggestions = one_on_one_schedules(day_grid(4), 2, owner({1: 3, 2: 3}), [invitee("Ada", {1: 3, 2: 3})])
    assert unplaced_reasons(suggestions.best) == {"Ada": UnplacedReason.NO_SHARED_TIME}


def test_series_places_as_many_invitees_as_possible_before_preference():
    # Greedy by preference books Ada at 08:00 (6) and Bo at 08:30 (4), leaving Cy out (total 10).
    # Placing everyone needs Ada at 09:00 (2), Bo at 08:00 (4) and Cy at 08:30 (2): total 8.
    ada, bo, cy = invitee("Ada", {0: 3, 2: 1}), invitee("Bo", {0: 1, 1: 3}), invitee("Cy", {1: 1})
    best = one_on_one_schedules(day_grid(3), 1, owner({0: 3, 1: 1, 2: 1}), [ada, bo, cy]).best
    assert (best.placed, best.total_preference) == (3, 8)


def test_series_maximises_total_preference_among_schedules_placing_everyone():
    ada, bo = invitee("Ada", {0: 3, 1: 1}), invitee("Bo", {0: 2, 1: 3})
    best = one_on_one_schedules(day_grid(2), 1, owner(everywhere(2)), [ada, bo]).best
    assert {key: meeting.slot.start_index for key, meeting in best.assignments.items()} == {ada.key: 0, bo.key: 1}


def test_series_meeting_carries_both_levels_and_the_slot():
    [meeting] = one_on_one_schedules(day_grid(2), 2, owner({0: 3, 1: 2}), [invitee("Ada", {0: 1, 1: 3})]).best.meetings
    assert (meeting.slot.start, meeting.slot.end, meeting.owner_level, meeting.invitee_level) == (
        MONDAY_8AM,
        MONDAY_8AM + timedelta(hours=1),
        2,
        1,
    )


def test_unplaced_invitees_say_why():
    invitees = [
        invitee("Ada", {0: 3}),
        invitee("Bo"),
        invitee("Cy", {1: 3}),
        invitee("Di", {0: 1}),
    ]
    suggestions = one_on_one_schedules(day_grid(2), 1, owner({0: 2}), invitees)
    assert unplaced_reasons(suggestions.best) == {
        "Bo": UnplacedReason.NO_AVAILABILITY,
        "Cy": UnplacedReason.NO_SHARED_TIME,
        "Di": UnplacedReason.SHARED_TIMES_TAKEN,
    }


def test_series_with_no_invitees_places_nobody():
    suggestions = one_on_one_schedules(day_grid(2), 1, owner(everywhere(2)), [])
    assert (suggestions.best.placed, suggestions.alternatives) == (0, ())


def test_series_alternatives_are_distinct_valid_and_as_full_as_the_best():
    grid = day_grid(4)
    invitees = [invitee("Ada", {0: 3, 1: 2, 3: 1}), invitee("Bo", {0: 2, 1: 3, 2: 1}), invitee("Cy", {1: 1, 2: 3})]
    suggestions = one_on_one_schedules(grid, 1, owner(everywhere(4)), invitees, alternatives=3)
    schedules = [suggestions.best, *suggestions.alternatives]
    assert len({pairs_of(schedule) for schedule in schedules}) == 4
    assert all(schedule.placed == 3 for schedule in schedules)
    assert all(is_valid(grid, 1, owner(everywhere(4)), invitees, schedule) for schedule in schedules)
    totals = [schedule.total_preference for schedule in schedules]
    assert totals == sorted(totals, reverse=True)


def test_series_alternatives_never_leave_more_invitees_out():
    suggestions = one_on_one_schedules(day_grid(1), 1, owner(everywhere(1)), [invitee("Ada", {0: 3})], alternatives=3)
    assert suggestions.alternatives == ()


def test_series_alternative_may_place_a_different_invitee_who_then_is_not_unplaced():
    suggestions = one_on_one_schedules(
        day_grid(1), 1, owner(everywhere(1)), [invitee("Ada", {0: 3}), invitee("Bo", {0: 1})]
    )
    [alternative] = suggestions.alternatives
    assert unplaced_reasons(alternative) == {"Ada": UnplacedReason.SHARED_TIMES_TAKEN}


def test_series_without_alternatives_requested_returns_only_the_best():
    suggestions = one_on_one_schedules(
        day_grid(2), 1, owner(everywhere(2)), [invitee("Ada", {0: 3, 1: 3})], alternatives=0
    )
    assert (suggestions.best.placed, suggestions.alternatives) == (1, ())


# --- properties ---------------------------------------------------------------------------------


@st.composite
def polls(draw, *, max_invitees: int, max_run_cells: int, max_runs: int):
    """A grid of one to ``max_runs`` runs separated by gaps, an owner and invitees painting at random."""
    cell = timedelta(minutes=draw(st.sampled_from([15, 30, 60])))
    starts = []
    moment = MONDAY_8AM
    for length in draw(st.lists(st.integers(1, max_run_cells), min_size=1, max_size=max_runs)):
        starts.extend(moment + cell * index for index in range(length))
        moment += cell * (length + draw(st.integers(1, 40)))
    paintings = st.dictionaries(st.integers(0, len(starts) - 1), st.integers(1, 3))
    people = [
        Person(f"invitation:{index}", f"Invitee {index}", levels)
        for index, levels in enumerate(draw(st.lists(paintings, max_size=max_invitees)))
    ]
    return Grid(starts, cell), draw(st.integers(1, 3)), Person("owner", "Owner", draw(paintings)), people


def naive_level(grid: Grid, person: Person, start_index: int, duration_cells: int) -> int:
    """Level 1..3, or 0 when the person cannot attend; written without the module's helpers."""
    cells = range(start_index, start_index + duration_cells)
    if cells.stop > len(grid.starts):
        return 0
    if any(grid.starts[index + 1] - grid.starts[index] != grid.cell for index in cells[:-1]):
        return 0
    return min((person.levels.get(index, 0) for index in cells), default=0)


def is_valid(grid, duration_cells, owner_, invitees, schedule: Schedule) -> bool:
    people = {person.key: person for person in invitees}
    for meeting in schedule.meetings:
        start = meeting.slot.start_index
        if meeting.owner_level != naive_level(grid, owner_, start, duration_cells) or meeting.owner_level == 0:
            return False
        if meeting.invitee_level != naive_level(grid, people[meeting.invitee.key], start, duration_cells):
            return False
        if meeting.invitee_level == 0:
            return False
    ordered = sorted(schedule.meetings, key=lambda meeting: meeting.slot.start)
    no_overlap = all(first.slot.end <= second.slot.start for first, second in itertools.pairwise(ordered))
    keys = [meeting.invitee.key for meeting in schedule.meetings]
    return no_overlap and len(set(keys)) == len(keys) and len(keys) + len(schedule.unplaced) == len(invitees)


def all_schedule_values(grid, duration_cells, owner_, invitees) -> list[tuple[int, int]]:
    """(placed, total) of every injective partial assignment of invitees to shared tiles."""
    tiles = [slot.start_index for slot in series_slots(grid, duration_cells)]
    options = []
    for person in invitees:
        shared = []
        for tile in tiles:
            owner_level = naive_level(grid, owner_, tile, duration_cells)
            level = naive_level(grid, person, tile, duration_cells)
            if owner_level and level:
                shared.append((tile, owner_level + level))
        options.append(shared)
    values = []

    def extend(index: int, used: frozenset[int], placed: int, total: int) -> None:
        if index == len(options):
            values.append((placed, total))
            return
        extend(index + 1, used, placed, total)
        for tile, preference in options[index]:
            if tile not in used:
                extend(index + 1, used | {tile}, placed + 1, total + preference)

    extend(0, frozenset(), 0, 0)
    return values


@settings(deadline=None, max_examples=150)
@given(polls(max_invitees=12, max_run_cells=12, max_runs=4))
def test_series_meetings_respect_both_availabilities_and_never_overlap(poll):
    grid, duration_cells, owner_, invitees = poll
    suggestions = one_on_one_schedules(grid, duration_cells, owner_, invitees, alternatives=2)
    assert all(
        is_valid(grid, duration_cells, owner_, invitees, s) for s in [suggestions.best, *suggestions.alternatives]
    )


@settings(deadline=None, max_examples=150)
@given(polls(max_invitees=6, max_run_cells=5, max_runs=2))
def test_series_best_matches_the_brute_force_optimum(poll):
    grid, duration_cells, owner_, invitees = poll
    best = one_on_one_schedules(grid, duration_cells, owner_, invitees, alternatives=0).best
    assert (best.placed, best.total_preference) == max(all_schedule_values(grid, duration_cells, owner_, invitees))


@settings(deadline=None, max_examples=150)
@given(polls(max_invitees=4, max_run_cells=4, max_runs=2), st.integers(1, 4))
def test_series_alternatives_are_the_next_best_distinct_schedules(poll, alternatives):
    grid, duration_cells, owner_, invitees = poll
    suggestions = one_on_one_schedules(grid, duration_cells, owner_, invitees, alternatives=alternatives)
    values = sorted(all_schedule_values(grid, duration_cells, owner_, invitees), reverse=True)
    expected = [total for placed, total in values if placed == values[0][0]][: 1 + alternatives]
    schedules = [suggestions.best, *suggestions.alternatives]
    assert [schedule.total_preference for schedule in schedules] == expected
    assert len({pairs_of(schedule) for schedule in schedules}) == len(schedules)


@settings(deadline=None, max_examples=150)
@given(polls(max_invitees=12, max_run_cells=12, max_runs=4))
def test_series_unplaced_reasons_are_true(poll):
    grid, duration_cells, owner_, invitees = poll
    best = one_on_one_schedules(grid, duration_cells, owner_, invitees).best
    used = {meeting.slot.start_index for meeting in best.meetings}
    for unplaced in best.unplaced:
        shared = {
            slot.start_index
            for slot in series_slots(grid, duration_cells)
            if naive_level(grid, owner_, slot.start_index, duration_cells)
            and naive_level(grid, unplaced.invitee, slot.start_index, duration_cells)
        }
        expected = (
            UnplacedReason.NO_AVAILABILITY
            if not unplaced.invitee.levels
            else UnplacedReason.SHARED_TIMES_TAKEN
            if shared
            else UnplacedReason.NO_SHARED_TIME
        )
        assert unplaced.reason == expected
        assert shared <= used


def naive_windows(grid: Grid, duration_cells: int, owner_: Person, invitees: list[Person]) -> list[dict]:
    """Every start where the meeting fits, with everyone's levels, adjacent equal starts merged."""
    windows: list[dict] = []
    for start in range(len(grid.starts)):
        if not naive_level(grid, Person("x", "x", dict.fromkeys(range(len(grid.starts)), 1)), start, duration_cells):
            continue  # the meeting does not fit here
        owner_level = naive_level(grid, owner_, start, duration_cells)
        levels = [naive_level(grid, person, start, duration_cells) for person in invitees]
        previous = windows[-1] if windows else None
        if (
            previous
            and previous["last"] == start - 1
            and grid.starts[start] - grid.starts[start - 1] == grid.cell
            and (previous["owner_level"], previous["levels"]) == (owner_level, levels)
        ):
            previous["last"] = start
        else:
            windows.append({"first": start, "last": start, "owner_level": owner_level, "levels": levels})
    for window in windows:
        invitees_in = sum(1 for level in window["levels"] if level)
        window["invitees"] = invitees_in
        window["count"] = invitees_in + (1 if window["owner_level"] else 0)
        window["total"] = sum(window["levels"]) + window["owner_level"]
    return windows


@settings(deadline=None, max_examples=150)
@given(polls(max_invitees=8, max_run_cells=10, max_runs=3))
def test_group_ranking_matches_a_naive_ranking_of_every_window(poll):
    grid, duration_cells, owner_, invitees = poll
    windows = naive_windows(grid, duration_cells, owner_, invitees)
    if any(window["invitees"] for window in windows):
        windows = [window for window in windows if window["invitees"]]
    else:
        windows = [window for window in windows if window["owner_level"]]
    windows.sort(key=lambda window: (-window["count"], -window["total"], window["first"]))

    options = rank_group_times(grid, duration_cells, owner_, invitees, limit=None)

    assert [(o.slot.start_index, o.last_slot.start_index) for o in options] == [
        (w["first"], w["last"]) for w in windows
    ]
    for option, window in zip(options, windows, strict=True):
        levels = window["levels"]
        assert option.available == tuple(Attendee(p, level) for p, level in zip(invitees, levels, strict=True) if level)
        assert option.unavailable == tuple(p for p, level in zip(invitees, levels, strict=True) if not level)
        assert option.owner_level == window["owner_level"]
        assert option.participants == len(invitees) + (1 if owner_.levels else 0)


@settings(deadline=None, max_examples=100)
@given(polls(max_invitees=8, max_run_cells=10, max_runs=3))
def test_group_ranking_is_non_increasing_and_ties_share_a_rank(poll):
    grid, duration_cells, owner_, invitees = poll
    options = rank_group_times(grid, duration_cells, owner_, invitees, limit=None)
    keys = [(option.can_come, option.level_total) for option in options]
    assert keys == sorted(keys, reverse=True)
    for previous, option in itertools.pairwise(options):
        tied = (previous.can_come, previous.level_total) == (option.can_come, option.level_total)
        assert option.tie_rank == (previous.tie_rank if tied else option.rank)


@settings(deadline=None, max_examples=100)
@given(polls(max_invitees=8, max_run_cells=10, max_runs=3))
def test_no_two_suggestions_are_adjacent_starts_with_the_same_people(poll):
    grid, duration_cells, owner_, invitees = poll
    options = sorted(rank_group_times(grid, duration_cells, owner_, invitees, limit=None), key=lambda o: o.start)
    for earlier, later in itertools.pairwise(options):
        adjacent = (
            later.slot.start_index == earlier.last_slot.start_index + 1
            and later.start - earlier.latest_start == grid.cell
        )
        assert not adjacent or (earlier.owner_level, earlier.available) != (later.owner_level, later.available)
