"""Polls of options (Doodle style): creating and changing the options, answering yes / if need be /
no by token link and as the owner, ranking, and finalizing (incl. whole days, a custom length and a
custom 1-on-1 time, and participants without an email)."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling import options, polls, suggest
from scheduling.models import Event, Invitation, OptionAnswer, Poll, PollOption
from tests.factories import InvitationFactory, PollFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


# Berlin is UTC+1 in December: 10:00 there is 09:00 UTC.
MON_10 = datetime(2026, 12, 14, 9, tzinfo=UTC)
MON_14 = datetime(2026, 12, 14, 13, tzinfo=UTC)
TUE = date(2026, 12, 15)
WED_09 = datetime(2026, 12, 16, 8, tzinfo=UTC)


def options_poll(owner, kind=Poll.Kind.GROUP, **fields) -> Poll:
    poll = PollFactory(owner=owner, kind=kind, mode=Poll.Mode.OPTIONS, dates=[], **fields)
    options.add_options(
        poll=poll,
        choices=[options.Choice(start=MON_10), options.Choice(start=MON_14), options.Choice(day=TUE),
                 options.Choice(start=WED_09)],
    )  # fmt: skip
    return poll


@pytest.fixture
def guest():
    """A participant's browser: not signed in."""
    return Client()


@pytest.fixture
def poll(user):
    return options_poll(user)


@pytest.fixture
def people(poll):
    return {
        name: InvitationFactory(poll=poll, name=name, email=f"{name.lower()}@example.org")
        for name in ("Ann", "Ben", "Cy")
    }


def option(poll, *, start=None, day=None) -> PollOption:
    return poll.options.get(start=start) if start else poll.options.get(day=day)


def answers_of(poll, **levels) -> dict:
    """``mon10=2, tue=1`` as the form posts it; options not named are no."""
    named = {"mon10": {"start": MON_10}, "mon14": {"start": MON_14}, "tue": {"day": TUE}, "wed09": {"start": WED_09}}
    data = {f"answer_{option(poll, **named[key]).pk}": "0" for key in named}
    data.update({f"answer_{option(poll, **named[key]).pk}": str(level) for key, level in levels.items()})
    return data


def answer(client, invitation, **levels):
    return client.post(
        reverse("scheduling:option_answers", args=[invitation.token]), answers_of(invitation.poll, **levels)
    )


def create_data(**changes) -> dict:
    data = {
        "title": "Team dinner", "description": "", "kind": "group", "mode": "options", "duration": 60,
        "timezone": "Europe/Berlin", "deadline": "2026-12-10T17:00",
        "option_list": "2026-12-14 10:00\n2026-12-15\n2026-12-14 14:30",
    }  # fmt: skip
    data.update(changes)
    return data


# --- Creating ------------------------------------------------------------------------------------


def test_owner_creates_a_poll_of_options_without_grid_fields(owner_client):
    response = owner_client.post(reverse("scheduling:poll_create"), create_data())
    poll = Poll.objects.get()
    assert response["Location"] == poll.get_absolute_url()
    assert (poll.mode, poll.dates) == (Poll.Mode.OPTIONS, [])
    stored = {(o.start, o.day) for o in poll.options.all()}
    assert stored == {(MON_10, None), (datetime(2026, 12, 14, 13, 30, tzinfo=UTC), None), (None, TUE)}


def test_the_owner_starts_with_yes_to_every_option(owner_client):
    owner_client.post(reverse("scheduling:poll_create"), create_data())
    assert set(OptionAnswer.objects.values_list("invitation", "level")) == {(None, options.YES)}
    assert OptionAnswer.objects.count() == 3


def test_options_are_read_in_the_polls_timezone(owner_client):
    owner_client.post(
        reverse("scheduling:poll_create"), create_data(timezone="America/New_York", option_list="2026-12-14T10:00")
    )
    assert Poll.objects.get().options.get().start == datetime(2026, 12, 14, 15, tzinfo=UTC)


def test_a_time_the_clocks_pass_twice_is_its_first_occurrence(owner_client):
    owner_client.post(reverse("scheduling:poll_create"), create_data(option_list="2027-10-31 02:30"))
    assert Poll.objects.get().options.get().start == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # still summer time


@pytest.mark.parametrize(
    ("option_list", "message"),
    [
        ("14/12 10am", "“14/12 10am” is not a date and time: write 2026-12-14 10:00, or 2026-12-15 for a whole day."),
        ("2026-02-30", "“2026-02-30” is not a date and time"),
        ("2026-12-14 25:00", "“2026-12-14 25:00” is not a date and time"),
        ("2026-12-14 10:00\n2026-12-14T10:00", "“2026-12-14T10:00” is listed twice: keep it once."),
        ("2026-12-15\n2026-12-15", "“2026-12-15” is listed twice"),
        ("2026-11-30 10:00", "“2026-11-30 10:00” is in the past: remove it or pick a later time."),
        ("2026-12-01 08:30", "is in the past"),  # earlier today in Berlin
        ("2026-11-30", "“2026-11-30” is in the past: remove it or pick a later day."),
        ("2027-03-28 02:30", "“2027-03-28 02:30” does not exist in Europe/Berlin: the clocks go forward then."),
        ("", "List at least one option: a date and time such as 2026-12-14 10:00"),
        (
            "\n".join(f"2027-01-{1 + n // 24:02d} {n % 24:02d}:00" for n in range(101)),
            "A poll can offer at most 100 options; this list has 101. Remove 1.",
        ),
    ],
)
def test_bad_options_are_explained(owner_client, option_list, message):
    response = owner_client.post(reverse("scheduling:poll_create"), create_data(option_list=option_list))
    assert response.status_code == 200
    assert message in response.context["form"].errors["option_list"][0] or any(
        message in error for error in response.context["form"].errors["option_list"]
    )
    assert not Poll.objects.exists()


def test_every_bad_line_is_listed_at_once(owner_client):
    response = owner_client.post(
        reverse("scheduling:poll_create"), create_data(option_list="nope\n2026-11-30\n2026-12-20")
    )
    errors = response.context["form"].errors["option_list"]
    assert len(errors) == 2
    assert "“nope” is not a date and time" in errors[0]


def test_today_is_a_whole_day_option(owner_client):
    owner_client.post(reverse("scheduling:poll_create"), create_data(option_list="2026-12-01"))
    assert Poll.objects.get().options.get().day == date(2026, 12, 1)


def test_a_grid_poll_still_needs_its_hours(owner_client):
    data = create_data(mode="grid", date_mode="range", first_date="2026-12-07", last_date="2026-12-08")
    response = owner_client.post(reverse("scheduling:poll_create"), data)
    assert response.context["form"].errors["day_start"] == ["This field is required."]


def test_the_new_poll_form_offers_both_modes(owner_client):
    content = owner_client.get(reverse("scheduling:poll_create")).content.decode()
    assert re.search(r'<input type="radio"[^>]*name="mode"[^>]*value="options"', content)
    assert 'data-show-when="id_mode_1=options"' in content
    assert 'name="option_list"' in content


# --- Changing the options ------------------------------------------------------------------------


def options_url(poll):
    return reverse("scheduling:poll_options", args=[poll.pk])


def test_changing_options_keeps_the_answers_of_options_that_stay(owner_client, guest, poll, people):
    answer(guest, people["Ann"], mon10=2, mon14=1)
    data = {"option_list": "2026-12-14 10:00\n2026-12-15\n2026-12-16 09:00\n2026-12-17", "confirm_remove": "yes"}
    response = owner_client.post(options_url(poll), data, follow=True)
    assert (
        "Options saved: added 1 option (your answer: yes) and removed 1 with their answers."
        in response.content.decode()
    )
    assert "Answers to the options you kept are unchanged." in response.content.decode()
    assert dict(OptionAnswer.objects.filter(invitation=people["Ann"]).values_list("option__start", "level")) == {
        MON_10: 2
    }
    assert not poll.options.filter(start=MON_14).exists()
    assert poll.options.get(day=date(2026, 12, 17)).answers.get().invitation is None  # the owner's yes


def test_removing_answered_options_asks_first(owner_client, guest, poll, people):
    answer(guest, people["Ann"], mon14=1)
    response = owner_client.post(options_url(poll), {"option_list": "2026-12-14 10:00\n2026-12-15\n2026-12-16 09:00"})
    content = response.content.decode()
    assert "This removes 1 option people have answered" in content
    assert "Mon 14 Dec, 14:00–15:00: 1 answer" in content
    assert 'name="confirm_remove" value="yes"' in content
    assert poll.options.filter(start=MON_14).exists()


def test_options_already_in_the_past_may_stay(owner_client, user):
    poll = options_poll(user)
    PollOption.objects.create(poll=poll, start=datetime(2026, 11, 30, 9, tzinfo=UTC))
    text = "2026-11-30 10:00\n2026-12-14 10:00\n2026-12-14 14:00\n2026-12-15\n2026-12-16 09:00"
    response = owner_client.post(options_url(poll), {"option_list": text})
    assert response.status_code == 302
    assert poll.options.count() == 5


def test_the_options_page_lists_the_options_in_the_polls_timezone(owner_client, poll):
    content = owner_client.get(options_url(poll)).content.decode()
    assert "2026-12-14 10:00\n2026-12-14 14:00\n2026-12-15\n2026-12-16 09:00" in content


def test_a_finalized_polls_options_cannot_change(owner_client, poll):
    Poll.objects.filter(pk=poll.pk).update(status=Poll.Status.FINALIZED)
    response = owner_client.post(options_url(poll), {"option_list": "2026-12-20"}, follow=True)
    assert "its options can no longer change" in response.content.decode()
    assert poll.options.count() == 4


def test_editing_a_poll_of_options_needs_no_grid_fields(owner_client, poll):
    data = {"title": "Renamed", "description": "", "duration": 90, "timezone": "Europe/Berlin",
            "deadline": "2026-12-05T18:00"}  # fmt: skip
    response = owner_client.post(reverse("scheduling:poll_edit", args=[poll.pk]), data)
    assert response.status_code == 302
    poll.refresh_from_db()
    assert (poll.title, poll.duration, poll.mode, poll.options.count()) == ("Renamed", 90, Poll.Mode.OPTIONS, 4)


def test_the_edit_page_of_a_poll_of_options_links_to_its_options(owner_client, poll):
    content = owner_client.get(reverse("scheduling:poll_edit", args=[poll.pk])).content.decode()
    assert options_url(poll) in content
    assert 'name="first_date"' not in content


# --- Answering -----------------------------------------------------------------------------------


def test_a_participant_answers_by_their_link(client, poll, people):
    ann = people["Ann"]
    response = answer(client, ann, mon10=2, tue=1)
    assert response["Location"] == ann.get_absolute_url()
    assert set(OptionAnswer.objects.filter(invitation=ann).values_list("option__start", "option__day", "level")) == {
        (MON_10, None, 2),
        (None, TUE, 1),
    }
    ann.refresh_from_db()
    assert ann.status == Invitation.Status.RESPONDED
    assert ann.responded_at == datetime(2026, 12, 1, 8, tzinfo=UTC)


def test_saving_returns_to_the_page_as_it_was_shown(client, poll, people):
    url = reverse("scheduling:option_answers", args=[people["Ann"].token])
    response = client.post(f"{url}?tz=America/New_York&clock=12", answers_of(poll, mon10=2))
    assert response["Location"] == people["Ann"].get_absolute_url() + "?tz=America%2FNew_York&clock=12"


def test_answers_replace_the_earlier_ones(client, poll, people):
    answer(client, people["Ann"], mon10=2, tue=1)
    answer(client, people["Ann"], wed09=2)
    assert list(OptionAnswer.objects.filter(invitation=people["Ann"]).values_list("option__start", flat=True)) == [
        WED_09
    ]


def test_no_to_every_option_is_not_an_answer_yet(client, poll, people):
    response = answer(client, people["Ann"])
    people["Ann"].refresh_from_db()
    assert people["Ann"].status == Invitation.Status.PENDING
    page = client.get(response["Location"]).content.decode()
    assert "Saved, with no to every option. If none of these times works, decline below" in page


def test_answering_after_a_decline_is_refused_until_undone(client, poll, people):
    ann = people["Ann"]
    polls.decline(invitation=ann)
    answer(client, ann, mon10=2)
    assert not OptionAnswer.objects.filter(invitation=ann).exists()
    polls.undo_decline(invitation=ann)
    answer(client, ann, mon10=2)
    ann.refresh_from_db()
    assert ann.status == Invitation.Status.RESPONDED


def test_undoing_a_decline_after_answering_options_counts_as_answered(client, poll, people):
    ann = people["Ann"]
    answer(client, ann, mon10=2)
    polls.decline(invitation=ann)
    polls.undo_decline(invitation=ann)
    ann.refresh_from_db()
    assert ann.status == Invitation.Status.RESPONDED


def test_answers_after_the_deadline_are_refused(client, poll, people):
    with time_machine.travel("2026-12-06T08:00:00Z", tick=False):
        response = answer(client, people["Ann"], mon10=2)
        page = client.get(response["Location"]).content.decode()
    assert "This poll no longer takes answers." in page
    assert not OptionAnswer.objects.filter(invitation=people["Ann"]).exists()


def test_a_bad_answer_changes_nothing(client, poll, people):
    answer(client, people["Ann"], mon10=2)
    data = {**answers_of(poll, mon10=1), f"answer_{option(poll, start=MON_14).pk}": "7"}
    client.post(reverse("scheduling:option_answers", args=[people["Ann"].token]), data)
    assert list(OptionAnswer.objects.filter(invitation=people["Ann"]).values_list("level", flat=True)) == [2]


def test_a_link_changes_only_its_own_answers(client, user, poll, people):
    other_poll = options_poll(user, title="Another poll")
    foreign = other_poll.options.first()
    answer(client, people["Ben"], mon10=1)
    data = {**answers_of(poll, mon10=2), f"answer_{foreign.pk}": "2"}
    client.post(reverse("scheduling:option_answers", args=[people["Ann"].token]), data)
    assert not OptionAnswer.objects.filter(option=foreign, invitation__isnull=False).exists()
    assert list(OptionAnswer.objects.filter(invitation=people["Ben"]).values_list("level", flat=True)) == [1]
    assert OptionAnswer.objects.filter(invitation=people["Ann"]).count() == 1


def test_an_unknown_link_is_a_404(client, poll):
    assert client.post(reverse("scheduling:option_answers", args=["no-such-token"]), {}).status_code == 404


def test_a_grid_polls_link_does_not_take_option_answers(client, user):
    invitation = InvitationFactory(poll=PollFactory(owner=user))
    assert client.post(reverse("scheduling:option_answers", args=[invitation.token]), {}).status_code == 404


def test_with_htmx_only_the_saved_line_comes_back(client, poll, people):
    url = reverse("scheduling:option_answers", args=[people["Ann"].token])
    response = client.post(url, answers_of(poll, mon10=2), headers={"HX-Request": "true"})
    content = response.content.decode().strip()
    assert content.startswith('<p id="answer-status" role="status"')
    assert "Saved. Olivia Owner can see your answers" in content


def test_the_owner_answers_too(owner_client, poll):
    url = reverse("scheduling:owner_option_answers", args=[poll.pk])
    response = owner_client.post(url + "?tz=UTC", answers_of(poll, mon10=1, tue=2))
    assert response["Location"] == poll.get_absolute_url() + "?tz=UTC"
    assert set(OptionAnswer.objects.filter(invitation=None).values_list("option__start", "option__day", "level")) == {
        (MON_10, None, 1),
        (None, TUE, 2),
    }


def test_the_owner_cannot_answer_a_closed_poll(owner_client, poll):
    polls.close(poll=poll)
    response = owner_client.post(
        reverse("scheduling:owner_option_answers", args=[poll.pk]), answers_of(poll), follow=True
    )
    assert "This poll is closed" in response.content.decode()
    assert OptionAnswer.objects.filter(invitation=None).count() == 4


# --- The pages -----------------------------------------------------------------------------------


def test_the_participant_page_shows_times_in_their_timezone_and_clock(client, poll, people):
    content = client.get(people["Ann"].get_absolute_url(), {"tz": "America/New_York", "clock": "12"}).content.decode()
    assert "Mon 14 Dec <span" in content
    assert "4:00 AM–5:00 AM" in content  # 10:00 in Berlin
    assert 'Tue 15 Dec <span class="font-normal text-slate-600">All day</span>' in content  # a date for everyone


def test_the_participant_page_is_one_form_of_three_radios_per_option(client, poll, people):
    answer(client, people["Ann"], mon10=2, tue=1)
    content = client.get(people["Ann"].get_absolute_url(), {"tz": "Europe/Berlin"}).content.decode()
    for each in poll.options.all():
        radios = re.findall(rf'<input type="radio" name="answer_{each.pk}" value="(\d)"[^>]*?( checked)?>', content)
        assert [value for value, _ in radios] == ["2", "1", "0"]
    checked = re.findall(r'name="answer_(\d+)" value="(\d)"[^>]*? checked>', content)
    assert sorted((int(pk), int(v)) for pk, v in checked) == sorted(
        [(option(poll, start=MON_10).pk, 2), (option(poll, start=MON_14).pk, 0), (option(poll, day=TUE).pk, 1),
         (option(poll, start=WED_09).pk, 0)]
    )  # fmt: skip
    # Each radio says which option it answers, for screen readers and when the table is a list.
    assert 'value="2" aria-label="Yes: Mon 14 Dec, 10:00–11:00"' in content
    assert f'action="{reverse("scheduling:option_answers", args=[people["Ann"].token])}?tz=Europe%2FBerlin' in content


def test_on_phones_each_option_is_a_card_with_its_three_answers_side_by_side(client, poll, people):
    """At 375 px: the table and its body become blocks, each row a 3-column grid with the time
    across the top, the header row is hidden; nothing has a minimum width that would scroll."""
    content = client.get(people["Ann"].get_absolute_url()).content.decode()
    form = content[
        content.index('data-testid="option-answers"') : content.index(
            "</form>", content.index('data-testid="option-answers"')
        )
    ]
    assert '<table class="w-full text-sm max-sm:block">' in form
    assert '<thead class="max-sm:hidden">' in form
    assert form.count("max-sm:grid max-sm:grid-cols-3") == 4
    assert form.count("max-sm:col-span-3") == 4
    body = form[form.index("<tbody") :]
    assert [width for width in ("min-w-", "overflow-x", "whitespace-nowrap", "w-32") if width in body] == []


def test_the_participant_page_is_read_only_once_closed(client, poll, people):
    answer(client, people["Ann"], tue=1)
    polls.close(poll=poll)
    content = client.get(people["Ann"].get_absolute_url()).content.decode()
    assert 'type="radio"' not in content
    assert 'data-testid="option-answers-read-only"' in content
    assert "If need be" in content


def test_the_owner_sees_everyones_answers_with_counts(owner_client, guest, poll, people):
    answer(guest, people["Ann"], mon10=2, tue=1)
    answer(guest, people["Ben"], mon10=1)
    content = owner_client.get(poll.get_absolute_url(), {"tz": "Europe/Berlin"}).content.decode()
    row = content[content.index(f'data-option="{option(poll, start=MON_10).pk}"') :]
    row = row[: row.index("</tr>")]
    assert "2 yes</span>" in row
    assert "1 if need be</span>" in row
    assert "Olivia Owner (you), Ann" in row
    assert "If need be:</span> Ben" in row
    assert "3 of 4 people have answered, you included." in content


def test_the_owner_page_ranks_the_options_and_links_to_finalize(owner_client, guest, poll, people):
    answer(guest, people["Ann"], tue=2, mon10=1)
    answer(guest, people["Ben"], tue=1, mon10=2)
    answer(guest, people["Cy"], wed09=2)
    response = owner_client.get(poll.get_absolute_url())
    ranked = response.context["suggestions"].group
    # Tue and Mon 10:00: 3 can come (the owner included), 2 of them yes: a tie, listed in time order.
    assert [(str(s.label), s.ranked.tie_rank, s.tied) for s in ranked[:3]] == [
        ("Mon 14 Dec, 10:00–11:00", 1, True),
        ("Tue 15 Dec (all day)", 1, True),
        ("Wed 16 Dec, 09:00–10:00", 3, False),
    ]
    content = response.content.decode()
    assert content.count("#1 (tie)") == 2
    assert f'?option_id={option(poll, day=TUE).pk}"' in content
    assert content.count('data-testid="best"') == 2


def test_declined_people_do_not_count(owner_client, guest, poll, people):
    answer(guest, people["Ann"], wed09=2)
    polls.decline(invitation=people["Ann"])
    ranked = owner_client.get(poll.get_absolute_url()).context["suggestions"].group
    assert ranked[3].ranked.available_count == 1  # only the owner, for Wed 09:00


def test_page_queries_do_not_grow_with_people_or_options(owner_client, guest, user, django_assert_max_num_queries):
    poll = PollFactory(owner=user, mode=Poll.Mode.OPTIONS, dates=[])
    created = options.add_options(
        poll=poll, choices=[options.Choice(start=MON_10 + timedelta(hours=n)) for n in range(30)]
    )
    invitations = Invitation.objects.bulk_create(
        Invitation(poll=poll, name=f"P{n}", email=f"p{n}@example.org", status="responded") for n in range(40)
    )
    OptionAnswer.objects.bulk_create(
        OptionAnswer(option=o, invitation=i, level=1 + (n % 2))
        for n, (o, i) in enumerate(itertools.product(created, invitations))
        if n % 3
    )
    with django_assert_max_num_queries(13):
        assert owner_client.get(poll.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(5):
        assert guest.get(invitations[0].get_absolute_url()).status_code == 200


# --- Ranking and 1-on-1s (pure) ------------------------------------------------------------------


def person(key, **levels):
    return suggest.Person(key=key, name=key, levels={int(k[1:]): v for k, v in levels.items()})


def test_rank_options_by_people_then_yes_with_ties():
    ranked = suggest.rank_options(
        4, [person("a", o0=2, o1=1, o2=2), person("b", o0=1, o1=2, o2=2), person("c", o3=2, o2=1)]
    )
    assert [(r.index, r.available_count, r.yes_count, r.rank, r.tie_rank) for r in ranked] == [
        (2, 3, 2, 1, 1),
        (0, 2, 1, 2, 2),
        (1, 2, 1, 3, 2),
        (3, 1, 1, 4, 4),
    ]
    assert [r.tied_with_previous for r in ranked] == [False, False, True, False]


def test_rank_options_refuses_levels_it_does_not_know():
    with pytest.raises(ValueError, match="level outside"):
        suggest.rank_options(1, [person("a", o0=3)])


HOUR = timedelta(hours=1)


def slots_at(*hours: float) -> list[suggest.Slot]:
    return [suggest.Slot(i, MON_10 + h * HOUR, MON_10 + (h + 1) * HOUR) for i, h in enumerate(hours)]


def test_one_on_ones_take_distinct_options_people_can_make():
    best = suggest.one_on_ones_from_options(
        slots_at(0, 1, 2), person("owner", o0=2, o1=2, o2=1), [person("ann", o0=2, o1=1), person("ben", o0=2)]
    ).best
    assert {m.invitee.key: m.slot.start_index for m in best.meetings} == {"ann": 1, "ben": 0}


def test_one_on_ones_never_use_overlapping_options():
    # 10:00 and 10:30 overlap: Ann and Ben cannot both be placed, whatever they prefer.
    found = suggest.one_on_ones_from_options(
        slots_at(0, 0.5), person("owner", o0=2, o1=2), [person("ann", o0=2), person("ben", o1=2)], alternatives=1
    )
    assert found.best.placed == 1
    assert [u.reason for u in found.best.unplaced] == [suggest.UnplacedReason.SHARED_TIMES_TAKEN]
    assert found.alternatives[0].placed == 1


@settings(max_examples=60, deadline=None)
@given(
    starts=st.lists(st.sampled_from([0, 0.5, 1, 1.5, 2, 3]), min_size=1, max_size=5, unique=True),
    answers=st.lists(st.lists(st.sampled_from([0, 1, 2]), min_size=5, max_size=5), min_size=1, max_size=4),
    owner=st.lists(st.sampled_from([0, 1, 2]), min_size=5, max_size=5),
)
def test_one_on_ones_are_the_best_valid_schedule(starts, answers, owner):
    slots = slots_at(*starts)
    n = len(slots)
    owner_person = suggest.Person("owner", "o", {i: v for i, v in enumerate(owner[:n]) if v})
    invitees = [suggest.Person(str(k), str(k), {i: v for i, v in enumerate(a[:n]) if v}) for k, a in enumerate(answers)]
    best = suggest.one_on_ones_from_options(slots, owner_person, invitees).best

    def valid(assignment):
        used = [slots[o] for o in assignment.values()]
        return len(set(assignment.values())) == len(used) and all(
            a.end <= b.start or b.end <= a.start for a, b in itertools.combinations(used, 2)
        )

    def score(assignment):
        return len(assignment), sum(owner_person.levels[o] + invitees[i].levels[o] for i, o in assignment.items())

    choices = [[None, *(o for o in range(n) if o in p.levels and o in owner_person.levels)] for p in invitees]
    candidates = ({i: o for i, o in enumerate(pick) if o is not None} for pick in itertools.product(*choices))
    optimum = max(score(a) for a in candidates if valid(a))
    found = {int(m.invitee.key): m.slot.start_index for m in best.meetings}
    assert valid(found)
    assert score(found) == optimum


# --- Finalizing ----------------------------------------------------------------------------------


def finalize_url(poll):
    return reverse("scheduling:poll_finalize", args=[poll.pk])


def preview(client, poll, data):
    """The preview as htmx asks for it, as the page changes."""
    return client.post(finalize_url(poll), data, headers={"HX-Request": "true", "HX-Target": "preview"})


def checked(client, poll, data):
    """The preview's checks (the whole page, posted without htmx and without finalizing)."""
    return client.post(finalize_url(poll), data).context["preview"]


def key(option_):
    return f"o{option_.pk}"


def test_picking_a_ranked_option_previews_it_sent_to_everyone_invited(owner_client, guest, poll, people):
    """Cy cannot come but is still told the outcome, unless the owner unticks them (issue 19)."""
    answer(guest, people["Ann"], mon10=2)
    answer(guest, people["Ben"], mon10=1)
    answer(guest, people["Cy"], tue=2)
    response = owner_client.get(finalize_url(poll), {"option_id": option(poll, start=MON_10).pk})
    result = response.context["preview"]
    assert [(m.start, m.end, [i.name for i in m.invitations]) for m in result.meetings] == [
        (MON_10, MON_10 + HOUR, ["Ann", "Ben", "Cy"])
    ]
    assert result.errors == []
    assert [warning for warning in result.warnings if warning.startswith("Cy")] == [
        "Cy is not available at Mon 14 Dec, 10:00."
    ]


def test_finalizing_a_group_at_an_option_invites_everyone_chosen(owner_client, guest, poll, people, committed):
    answer(guest, people["Ann"], mon10=2)
    answer(guest, people["Ben"], mon10=1)
    data = {"start": key(option(poll, start=MON_10)), "attendees": [people["Ann"].pk, people["Ben"].pk],
            "action": "finalize"}  # fmt: skip
    with committed():
        response = owner_client.post(finalize_url(poll), data)
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.start, event.end, event.all_day, event.origin) == (MON_10, MON_10 + HOUR, False, "poll")
    assert sorted(event.attendees.values_list("email", flat=True)) == ["ann@example.org", "ben@example.org"]
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "ben@example.org", "owner@example.com"]


def test_a_whole_day_option_becomes_an_all_day_meeting(owner_client, guest, poll, people, committed):
    answer(guest, people["Ann"], tue=2)
    data = {"start": key(option(poll, day=TUE)), "attendees": [people["Ann"].pk], "action": "finalize"}
    with committed():
        owner_client.post(finalize_url(poll), data)
    event = Event.objects.get()
    assert event.all_day
    assert (event.start, event.end) == (datetime(2026, 12, 14, 23, tzinfo=UTC), datetime(2026, 12, 15, 23, tzinfo=UTC))
    message = next(m for m in mail.outbox if m.to == ["ann@example.org"])
    assert message.subject == "Invitation: Project kick-off — Tue 15 Dec 2026"
    assert "Tuesday 15 December 2026, all day" in message.body
    vevent = icalendar.Calendar.from_ical(
        next(a for a in message.attachments if a.filename == "invite.ics").content
    ).walk("VEVENT")[0]
    assert vevent.decoded("DTSTART") == TUE
    assert vevent.decoded("DTEND") == date(2026, 12, 16)
    assert vevent["DTSTART"].params.get("VALUE") == "DATE"
    summary = next(m for m in mail.outbox if m.to == ["owner@example.com"])
    assert "Tue 15 Dec 2026, all day" in summary.body


def test_a_whole_day_preview_says_all_day_and_ignores_the_length(owner_client, guest, poll, people):
    answer(guest, people["Ann"], tue=2)
    response = preview(owner_client, poll, {"start": key(option(poll, day=TUE)), "attendees": [people["Ann"].pk],
                                            "length": "30"})  # fmt: skip
    assert "Tue 15 Dec 2026, all day" in response.content.decode()


def test_a_custom_length_overrides_the_polls_for_this_finalize(owner_client, guest, poll, people, committed):
    answer(guest, people["Ann"], mon10=2)
    data = {"start": key(option(poll, start=MON_10)), "attendees": [people["Ann"].pk], "length": "90",
            "action": "finalize"}  # fmt: skip
    with committed():
        owner_client.post(finalize_url(poll), data)
    event = Event.objects.get()
    assert event.end - event.start == timedelta(minutes=90)
    poll.refresh_from_db()
    assert poll.duration == 60


@pytest.mark.parametrize("length", ["10", "241", "an hour"])
def test_a_length_outside_15_to_240_minutes_is_an_error(owner_client, poll, people, length):
    response = preview(owner_client, poll, {"start": key(option(poll, start=MON_10)),
                                            "attendees": [people["Ann"].pk], "length": length})  # fmt: skip
    assert "The meeting length must be between 15 and 240 minutes." in response.content.decode()


def test_a_custom_length_on_the_grid_warns_when_it_runs_past_the_hours(owner_client, user):
    grid_poll = PollFactory(owner=user)  # 09:00–12:00 Berlin, 30-minute cells
    ann = InvitationFactory(poll=grid_poll, name="Ann")
    response = preview(owner_client, grid_poll, {"start": "20261207T1000", "attendees": [ann.pk], "length": "120"})
    assert "Mon 07 Dec, 11:00 runs past the poll&#x27;s hours." in response.content.decode()
    meeting = checked(owner_client, grid_poll, {"start": "20261207T1000", "attendees": [ann.pk], "length": "120"})
    assert meeting.meetings[0].end == datetime(2026, 12, 7, 12, tzinfo=UTC)


def test_a_custom_length_on_the_grid_checks_everyone_over_the_whole_meeting(owner_client, guest, user):
    grid_poll = PollFactory(owner=user)
    ann = InvitationFactory(poll=grid_poll, name="Ann")
    cells = grid_poll.cells()
    polls.save_availability(poll=grid_poll, invitation=None, levels=dict.fromkeys(range(6), 3), cells=cells)
    polls.save_availability(poll=grid_poll, invitation=ann, levels=dict.fromkeys(range(2), 3), cells=cells)
    fits = checked(owner_client, grid_poll, {"start": "20261207T0800", "attendees": [ann.pk], "length": "60"})
    assert fits.warnings == []
    longer = checked(owner_client, grid_poll, {"start": "20261207T0800", "attendees": [ann.pk], "length": "75"})
    assert longer.warnings == ["Ann is not available at Mon 07 Dec, 09:00."]


@pytest.fixture
def series(user):
    poll = options_poll(user, kind=Poll.Kind.SERIES)
    return poll, {
        name: InvitationFactory(poll=poll, name=name, email=f"{name.lower()}@example.org")
        for name in ("Ann", "Ben", "Cy")
    }


def test_series_suggestion_gives_each_person_a_distinct_option(owner_client, guest, series):
    poll, people_ = series
    answer(guest, people_["Ann"], mon10=2, mon14=1)
    answer(guest, people_["Ben"], mon10=2)
    answer(guest, people_["Cy"], tue=1, wed09=2)
    response = owner_client.get(finalize_url(poll), {"alternative": 0})
    meetings = response.context["preview"].meetings
    assert [(m.invitations[0].name, m.start, m.all_day) for m in meetings] == [
        ("Ben", MON_10, False),
        ("Ann", MON_14, False),
        ("Cy", WED_09, False),
    ]
    assert "Best schedule · 3 placed" in owner_client.get(poll.get_absolute_url()).content.decode()


def test_finalizing_a_series_of_options_creates_a_meeting_each(owner_client, guest, series, committed):
    poll, people_ = series
    answer(guest, people_["Ann"], mon14=2)
    answer(guest, people_["Ben"], mon10=2)
    data = {f"slot_{people_['Ann'].pk}": key(option(poll, start=MON_14)),
            f"slot_{people_['Ben'].pk}": key(option(poll, start=MON_10)), "action": "finalize"}  # fmt: skip
    with committed():
        owner_client.post(finalize_url(poll), data)
    assert [(e.title, e.start) for e in Event.objects.order_by("start")] == [
        ("Project kick-off — Ben", MON_10),
        ("Project kick-off — Ann", MON_14),
    ]
    assert len([m for m in mail.outbox if m.to != ["owner@example.com"]]) == 2


def test_a_custom_time_for_one_person_outside_the_options(owner_client, guest, series, committed):
    poll, people_ = series
    answer(guest, people_["Ann"], mon10=2)
    answer(guest, people_["Ben"], mon10=2)
    data = {f"slot_{people_['Ann'].pk}": key(option(poll, start=MON_10)), f"slot_{people_['Ben'].pk}": "custom",
            f"custom_{people_['Ben'].pk}": "2026-12-17T16:00"}  # fmt: skip
    result = checked(owner_client, poll, data)
    assert result.errors == []
    assert result.warnings == [
        "Thu 17 Dec, 16:00 is not one of the poll's options.",
        "Ben is not available at Thu 17 Dec, 16:00.",
    ]
    with committed():
        owner_client.post(finalize_url(poll), {**data, "action": "finalize", "accept_warnings": "on"})
    ben = Event.objects.get(title="Project kick-off — Ben")
    assert (ben.start, ben.end) == (datetime(2026, 12, 17, 15, tzinfo=UTC), datetime(2026, 12, 17, 16, tzinfo=UTC))


def test_a_custom_time_for_one_person_on_a_grid_series(owner_client, user):
    grid_poll = PollFactory(owner=user, kind=Poll.Kind.SERIES)
    ann = InvitationFactory(poll=grid_poll, name="Ann")
    data = {f"slot_{ann.pk}": "custom", f"custom_{ann.pk}": "2026-12-14T15:00", "length": "45"}
    result = checked(owner_client, grid_poll, data)
    assert result.warnings == ["Mon 14 Dec, 15:00 is outside the poll's dates and hours.", "Ann has not answered yet."]
    assert result.meetings[0].end - result.meetings[0].start == timedelta(minutes=45)


@pytest.mark.parametrize(
    ("custom", "message"),
    [("", "This field is required: give the other time for Ann."), ("soon", "Give the other time for Ann as a date")],
)
def test_a_custom_time_must_be_a_time(owner_client, series, custom, message):
    poll, people_ = series
    response = preview(
        owner_client, poll, {f"slot_{people_['Ann'].pk}": "custom", f"custom_{people_['Ann'].pk}": custom}
    )
    assert message in response.content.decode()


def test_overlapping_options_in_a_series_are_an_error(owner_client, series):
    poll, people_ = series
    data = {f"slot_{people_['Ann'].pk}": key(option(poll, day=TUE)), f"slot_{people_['Ben'].pk}": "custom",
            f"custom_{people_['Ben'].pk}": "2026-12-15T11:00"}  # fmt: skip
    result = checked(owner_client, poll, data)
    assert result.errors == ["Meeting times overlap: Tue 15 Dec (all day) and Tue 15 Dec, 11:00."]


def test_people_without_an_email_are_no_attendees_but_see_the_time(owner_client, guest, poll, people, committed):
    sam = Invitation.objects.create(poll=poll, name="Sam", email="", joined_by_link=True)
    answer(guest, sam, mon10=2)
    answer(guest, people["Ann"], mon10=2)
    data = {"start": key(option(poll, start=MON_10)), "attendees": [sam.pk, people["Ann"].pk]}
    content = preview(owner_client, poll, data).content.decode()
    assert "Sam (no email)" in content
    assert "Sam joined without an email, so gets no invitation: they see the time on their poll page." in content
    with committed():
        response = owner_client.post(finalize_url(poll), {**data, "action": "finalize"})
    assert response.status_code == 302
    assert list(Event.objects.get().attendees.values_list("name", flat=True)) == ["Ann"]
    assert "" not in [m.to[0] for m in mail.outbox]
    page = guest.get(sam.get_absolute_url(), {"tz": "Europe/Berlin"}).content.decode()
    assert "Your meeting: Monday 14 December 2026, 10:00–11:00</p>" in page
    assert '<option value="Europe/Berlin" selected' in page  # "Times shown in", the page's one zone


def test_a_series_1_on_1_with_someone_without_an_email(owner_client, guest, series, committed):
    poll, _ = series
    sam = Invitation.objects.create(poll=poll, name="Sam", email="", joined_by_link=True)
    answer(guest, sam, wed09=2)
    with committed():
        owner_client.post(finalize_url(poll), {f"slot_{sam.pk}": key(option(poll, start=WED_09)), "action": "finalize"})
    event = Event.objects.get()
    assert (event.title, event.attendees.count()) == ("Project kick-off — Sam", 0)
    page = guest.get(sam.get_absolute_url(), {"tz": "Europe/Berlin"}).content.decode()
    assert "Your meeting: Wednesday 16 December 2026, 09:00–10:00" in page


def test_a_time_that_is_not_an_option_key_is_refused(owner_client, poll, people):
    response = preview(owner_client, poll, {"start": "o999999", "attendees": [people["Ann"].pk]})
    assert "Invalid meeting time for contact: pick one of the listed times." in response.content.decode()


# --- Who may do what -----------------------------------------------------------------------------

OWNER_URLS = [
    ("scheduling:poll_options", "get"),
    ("scheduling:poll_options", "post"),
    ("scheduling:owner_option_answers", "post"),
    ("scheduling:poll_finalize", "get"),
]


@pytest.mark.parametrize(("name", "method"), OWNER_URLS)
def test_the_owner_may(owner_client, poll, name, method):
    response = getattr(owner_client, method)(reverse(name, args=[poll.pk]))
    assert response.status_code in (200, 302)
    assert not response.get("Location", "").startswith(reverse("account_login"))


@pytest.mark.parametrize(("name", "method"), OWNER_URLS)
def test_another_user_gets_a_404(client, poll, other_user, name, method):
    client.force_login(other_user)
    assert getattr(client, method)(reverse(name, args=[poll.pk]), answers_of(poll, mon10=1)).status_code == 404
    assert OptionAnswer.objects.filter(invitation=None, level=1).count() == 0


@pytest.mark.parametrize(("name", "method"), OWNER_URLS)
def test_an_anonymous_visitor_is_sent_to_log_in(client, poll, name, method):
    response = getattr(client, method)(reverse(name, args=[poll.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_options_pages_of_a_grid_poll_are_404(owner_client, user):
    grid_poll = PollFactory(owner=user)
    assert owner_client.get(options_url(grid_poll)).status_code == 404
    assert owner_client.post(reverse("scheduling:owner_option_answers", args=[grid_poll.pk])).status_code == 404


def test_options_of_another_owner_stay_theirs(client, poll):
    stranger = UserFactory()
    client.force_login(stranger)
    client.post(options_url(poll), {"option_list": "2026-12-20"})
    assert poll.options.count() == 4


# --- Who sees whose answers, and the organiser hearing of them ------------------------------------


def test_participants_see_everyones_answers_when_the_poll_shows_them(guest, poll, people):
    Poll.objects.filter(pk=poll.pk).update(visibility=Poll.Visibility.ALWAYS)
    answer(guest, people["Ann"], mon10=2)
    answer(guest, people["Ben"], mon10=1)
    content = guest.get(people["Ann"].get_absolute_url()).content.decode()
    assert "3 can come" in content
    assert "Yes:</span> Olivia Owner (organiser), Ann (you)" in content
    assert "If need be:</span> Ben" in content


def test_participants_do_not_see_others_answers_by_default(guest, poll, people):
    answer(guest, people["Ben"], mon10=1)
    content = guest.get(people["Ann"].get_absolute_url()).content.decode()
    assert 'data-testid="who"' not in content
    assert "Ben" not in re.sub(r"<select.*?</select>", "", content, flags=re.S)  # a zone's label may say "Benin"


def test_the_organiser_hears_of_an_answer_but_not_of_no_to_everything(guest, poll, people):
    answer(guest, people["Ann"])
    assert not poll.activities.exists()
    answer(guest, people["Ann"], tue=1)
    assert list(poll.activities.values_list("kind", "who")) == [("answered", "Ann")]
