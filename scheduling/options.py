"""Polls that ask "which of these times?" (Poll.Mode.OPTIONS), Doodle/Rallly style.

The owner offers options: start times (the meeting lasts the poll's length) or whole days (dates in
the poll's timezone, shown as dates to everyone). Everyone, the owner too, answers each option yes,
if need be or no; no is stored as no row. The owner's answers start as yes to every option they
offer (they chose them) and can be lowered like anyone's.

This module reads a poll's options and answers in a fixed number of queries whatever the number of
people or options, lays them out for the owner's page and the participant's page, writes answers
and options, and gives the finalize page what it needs. Ranking and the 1-on-1 assignment are
pure, in ``scheduling/suggest.py``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from accounts import clock
from scheduling import activity, finalize, participants, polls, suggest
from scheduling.models import Invitation, OptionAnswer, Poll, PollOption

YES, IF_NEED_BE, NO = 2, 1, 0
ANSWERS = ((YES, "Yes"), (IF_NEED_BE, "If need be"), (NO, "No"))
MAX_OPTIONS = 100
OWNER_KEY = "owner"


@dataclass(frozen=True)
class Choice:
    """An option as the owner writes it: a start (aware) or a whole day."""

    start: datetime | None = None
    day: date | None = None

    def matches(self, option: PollOption) -> bool:
        return option.day == self.day if self.day else option.start == self.start

    def sort_key(self) -> tuple[int, datetime | date]:
        """Whole days first, then times (the order the poll lists its options in)."""
        return (0, self.day) if self.day is not None else (1, self.start)


# --- Reading -------------------------------------------------------------------------------------


@dataclass
class OptionData:
    """A poll's options, people and answers, in three queries. ``brief``: the people as plain
    rows (pk, name, status, email) for pages, which need no more and show a hundred of them."""

    poll: Poll
    options: list[PollOption]
    invitations: list[Invitation]
    levels: dict[int | None, dict[int, int]] = field(default_factory=dict)  # person -> option id -> level

    @classmethod
    def load(cls, poll: Poll, *, brief: bool = False) -> OptionData:
        options = in_order(poll.options.all(), poll.tzinfo)
        people = poll.invitations.all()
        invitations = list(people.values_list("pk", "name", "status", "email", named=True) if brief else people)
        levels: dict[int | None, dict[int, int]] = defaultdict(dict)
        answers = OptionAnswer.objects.filter(option__poll=poll).values_list("invitation_id", "option_id", "level")
        for person, option_id, level in answers:
            levels[person][option_id] = level
        return cls(poll=poll, options=options, invitations=invitations, levels=dict(levels))

    def of(self, invitation: Invitation | None) -> dict[int, int]:
        """Option id -> level (1 or 2) of the owner (None) or one participant."""
        return self.levels.get(invitation.pk if invitation else None, {})

    @property
    def answering(self) -> list[Invitation]:
        """The participants whose answers count: everyone but those who declined."""
        return [i for i in self.invitations if i.status != Invitation.Status.DECLINED]

    def person(self, invitation: Invitation | None) -> suggest.Person:
        """Someone as suggest.py sees them: levels by option position."""
        if not hasattr(self, "_positions"):
            self._positions = {option.pk: index for index, option in enumerate(self.options)}
        position = self._positions
        levels = {position[option_id]: level for option_id, level in self.of(invitation).items()}
        if invitation is None:
            return suggest.Person(key=OWNER_KEY, name=self.poll.owner.display_name, levels=levels)
        return suggest.Person(key=str(invitation.pk), name=invitation.name, levels=levels)


def in_order(options: Iterable[PollOption], zone: ZoneInfo) -> list[PollOption]:
    """Options by time; a whole day comes before the times on its date (in the poll's timezone)."""
    return sorted(
        options, key=lambda o: (o.day, 0, o.pk) if o.day is not None else (o.start.astimezone(zone).date(), 1, o.start)
    )


def span(option: PollOption, poll: Poll) -> tuple[datetime, datetime]:
    """When the option is, as a meeting there would be: the poll's length from its start, or
    midnight to midnight of its day in the poll's timezone."""
    if option.day is not None:
        return finalize.whole_day(option.day, poll.tzinfo)
    return option.start, option.start + timedelta(minutes=poll.duration)


@dataclass(frozen=True)
class Label:
    """An option in words for one viewer: ``day`` "Mon 14 Dec", ``time`` "10:00–11:00" on their
    clock in their timezone, or "All day" (a whole day is the same date for everyone)."""

    day: str
    time: str
    all_day: bool

    def __str__(self) -> str:
        return f"{self.day}, {self.time}" if not self.all_day else f"{self.day} (all day)"


def label(option: PollOption, poll: Poll, zone: ZoneInfo) -> Label:
    if option.day is not None:
        return Label(day=_day(option.day), time="All day", all_day=True)
    start, end = span(option, poll)
    local = start.astimezone(zone)
    return Label(day=_day(local), time=clock.active().span(local, end.astimezone(zone)), all_day=False)


def _day(moment: date) -> str:
    return f"{moment:%a} {moment.day} {moment:%b}"


def choice_text(option: PollOption, zone: ZoneInfo) -> str:
    """The option as the owner's list writes it: ``2026-12-14 10:00`` (in the poll's timezone) or
    ``2026-12-15`` for a whole day."""
    if option.day is not None:
        return option.day.isoformat()
    return f"{option.start.astimezone(zone):%Y-%m-%d %H:%M}"


# --- The pages -----------------------------------------------------------------------------------


@dataclass
class Row:
    """One option on a page: its words, the viewer's answer, and (owner) who can come."""

    option: PollOption
    label: Label
    level: int = NO
    yes: list[str] = field(default_factory=list)
    if_need_be: list[str] = field(default_factory=list)
    best: bool = False
    owner_html: SafeString | str = ""  # the row on the owner's page (owner_row)

    @property
    def field(self) -> str:
        return f"answer_{self.option.pk}"

    @property
    def yes_names(self) -> str:
        return ", ".join(self.yes)

    @property
    def if_need_be_names(self) -> str:
        return ", ".join(self.if_need_be)

    @property
    def available(self) -> int:
        return len(self.yes) + len(self.if_need_be)


def _rows(data: OptionData, zone: ZoneInfo, mine: Mapping[int, int]) -> list[Row]:
    return [Row(option, label(option, data.poll, zone), mine.get(option.pk, NO)) for option in data.options]


def _with_names(data: OptionData, rows: list[Row], viewer: Invitation | None) -> list[Row]:
    """Fill in who said yes and if need be to each option: the owner first, then the participants
    who have not declined; the viewer (None: the owner) is "(you)"."""
    by_option = {row.option.pk: row for row in rows}
    for invitation in [None, *data.answering]:
        if invitation is None:
            name = f"{data.poll.owner.display_name} ({'you' if viewer is None else 'organiser'})"
        else:
            name = f"{invitation.name} (you)" if viewer is not None and invitation.pk == viewer.pk else invitation.name
        for option_id, level in data.of(invitation).items():
            row = by_option.get(option_id)
            if row is not None:
                (row.yes if level == YES else row.if_need_be).append(name)
    return rows


_ANSWER_WORDS = {
    YES: ("Yes", "text-emerald-700"),
    IF_NEED_BE: ("If need be", "text-amber-800"),
    NO: ("No", "text-slate-500"),
}
_SELECT_CLASSES = {YES: " border-emerald-400 bg-emerald-50", IF_NEED_BE: " border-amber-400 bg-amber-50", NO: ""}
_BEST = mark_safe(
    '<span class="mt-0.5 inline-block rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800" '
    'data-testid="best">Best</span>'
)


def owner_row(row: Row, *, editable: bool) -> SafeString:
    """One option on the owner's table: when, who can come (counts and names), and the owner's
    own answer (a select while the poll is open). Written in Python rather than in the template,
    as scheduling/html.py writes the grids: a hundred options cost the template language ~0.15 ms
    each. Every value goes through ``format_html``, so names are escaped."""
    if editable:
        choices = format_html_join(
            "", '<option value="{}"{}>{}</option>', ((v, " selected" if row.level == v else "", n) for v, n in ANSWERS)
        )
        mine = format_html(
            '<select name="{}" aria-label="Your answer: {}" class="input py-1 text-sm max-sm:w-auto{}">{}</select>',
            row.field, row.label, _SELECT_CLASSES[row.level], choices,
        )  # fmt: skip
    else:
        words, classes = _ANSWER_WORDS[row.level]
        mine = format_html('<span class="{}">{}</span>', classes, words)
    names = format_html(
        "{}{}",
        format_html('<p class="text-xs text-slate-600"><span class="font-medium text-emerald-800">Yes:</span> {}</p>',
                    row.yes_names) if row.yes else "",
        format_html('<p class="text-xs text-slate-600"><span class="font-medium text-amber-800">If need be:</span> '
                    "{}</p>", row.if_need_be_names) if row.if_need_be else "",
    )  # fmt: skip
    return format_html(
        '<tr class="border-t border-slate-100 align-top max-sm:block max-sm:py-3{}" data-option="{}">'
        '<th scope="row" class="py-2 pr-3 text-left font-medium text-slate-900 max-sm:block max-sm:py-0 sm:w-32">'
        '{} <span class="font-normal text-slate-600 sm:block">{}</span>{}</th>'
        '<td class="py-2 pr-3 max-sm:block max-sm:py-1"><p data-testid="counts">'
        '<span class="font-semibold text-emerald-800">{} yes</span> <span class="text-slate-500">·</span> '
        '<span class="font-semibold text-amber-800">{} if need be</span></p>{}</td>'
        '<td class="py-2 max-sm:block max-sm:py-1 sm:w-32">{}</td></tr>',
        " bg-emerald-50/60" if row.best else "", row.option.pk, row.label.day, row.label.time,
        _BEST if row.best else "",
        len(row.yes), len(row.if_need_be), names, mine,
    )  # fmt: skip


def owner_context(poll: Poll, viewer_tz: str) -> dict:
    """The owner's page of an options poll: a row per option with everyone's answers (names and
    counts), the owner's own answers to edit, and the options ranked."""
    data = OptionData.load(poll, brief=True)
    zone = ZoneInfo(viewer_tz)
    rows = _with_names(data, _rows(data, zone, data.of(None)), viewer=None)
    found = suggestions(data, zone, limit=5) if poll.status != Poll.Status.FINALIZED else None
    if found is not None:
        best = {s.option.pk for s in found.group if s.ranked.tie_rank == 1 and s.ranked.available_count}
        for row in rows:
            row.best = row.option.pk in best
    for row in rows:
        row.owner_html = owner_row(row, editable=poll.is_open)
    return {
        "option_rows": rows,
        "answer_choices": ANSWERS,
        "people_answered": 1 + sum(1 for invitation in data.answering if data.of(invitation)),
        "owner_answers_url": reverse("scheduling:owner_option_answers", args=[poll.pk])
        + "?"
        + urlencode({"tz": viewer_tz}),
        "edit_options_url": reverse("scheduling:poll_options", args=[poll.pk]),
        "suggestions": found,
    }


def participant_context(invitation: Invitation, viewer_tz: str) -> dict:
    """The participant's page: their answer to each option, in their timezone and on their clock;
    and everyone's answers when the poll shows them to this participant."""
    poll = invitation.poll
    zone = ZoneInfo(viewer_tz)
    others_shown = participants.sees_answers(poll, invitation)
    if others_shown:
        data = OptionData.load(poll, brief=True)
        rows = _with_names(data, _rows(data, zone, data.of(invitation)), viewer=invitation)
    else:
        options = in_order(poll.options.all(), poll.tzinfo)
        mine = dict(OptionAnswer.objects.filter(invitation=invitation).values_list("option_id", "level"))
        rows = [Row(option, label(option, poll, zone), mine.get(option.pk, NO)) for option in options]
    return {
        "option_rows": rows,
        "others_shown": others_shown,
        "answer_choices": ANSWERS,
        "answered_some": any(row.level for row in rows),
        # Back to the page as it was shown: in the viewer's timezone, on their clock.
        "answers_url": reverse("scheduling:option_answers", args=[invitation.token])
        + "?"
        + urlencode({"tz": viewer_tz, "clock": "12" if clock.active().hour12 else "24"}),
    }


# --- Writing -------------------------------------------------------------------------------------


def add_options(*, poll: Poll, choices: Iterable[Choice]) -> list[PollOption]:
    """Offer more options; the owner's answer to each starts as yes."""
    with transaction.atomic():
        created = PollOption.objects.bulk_create(
            PollOption(poll=poll, start=choice.start, day=choice.day) for choice in choices
        )
        OptionAnswer.objects.bulk_create(OptionAnswer(option=option, invitation=None, level=YES) for option in created)
    return created


def removed_by(poll: Poll, choices: Iterable[Choice]) -> list[PollOption]:
    """The options a new list leaves out, with ``answered`` set: how many participants answered
    yes or if need be to each (their answers go with the option)."""
    choices = list(choices)
    removed = [option for option in poll.options.all() if not any(choice.matches(option) for choice in choices)]
    counts: dict[int, int] = defaultdict(int)
    for option_id in OptionAnswer.objects.filter(option__in=removed, invitation__isnull=False).values_list(
        "option_id", flat=True
    ):
        counts[option_id] += 1
    for option in removed:
        option.answered = counts[option.pk]
    return removed


def replace_options(*, poll: Poll, choices: Iterable[Choice]) -> tuple[int, int]:
    """The poll offers exactly ``choices`` from now on: answers to the options that stay are kept;
    options left out go, with their answers. Returns (added, removed)."""
    choices = sorted(set(choices), key=Choice.sort_key)
    with transaction.atomic():
        existing = list(PollOption.objects.select_for_update().filter(poll=poll))
        removed = [option.pk for option in existing if not any(choice.matches(option) for choice in choices)]
        new = [choice for choice in choices if not any(choice.matches(option) for option in existing)]
        PollOption.objects.filter(pk__in=removed).delete()
        add_options(poll=poll, choices=new)
    return len(new), len(removed)


def save_answers(*, poll: Poll, invitation: Invitation | None, levels: Mapping[int, int]) -> int:
    """Replace one person's answers with ``levels`` (option id -> 2 yes, 1 if need be, 0 no);
    options of other polls are ignored. A participant who says yes or if need be to something has
    responded, as one who paints the grid has. Returns how many options they can make."""
    kept = {option_id: level for option_id, level in levels.items() if level in (YES, IF_NEED_BE)}
    with transaction.atomic():
        own = set(poll.options.filter(pk__in=kept).values_list("pk", flat=True))
        OptionAnswer.objects.filter(option__poll=poll, invitation=invitation).delete()
        OptionAnswer.objects.bulk_create(
            OptionAnswer(option_id=option_id, invitation=invitation, level=level)
            for option_id, level in kept.items()
            if option_id in own
        )
        if invitation is not None and own:
            polls.mark_responded(invitation)
        if invitation is not None:
            activity.poll_answered(invitation=invitation)  # the organiser hears of it (folded there)
            polls.answered(invitation)
    return len(own)


# --- Finalizing ----------------------------------------------------------------------------------


@dataclass
class SuggestedOption:
    """A ranked option with its words, for the owner's page and the finalize page; ``tied``: it
    ranks equal with another one listed."""

    option: PollOption
    label: Label
    ranked: suggest.RankedOption
    owner_level: int
    tied: bool = False

    @property
    def yes_names(self) -> str:
        return ", ".join(person.name for person in self.ranked.yes)

    @property
    def if_need_be_names(self) -> str:
        return ", ".join(person.name for person in self.ranked.if_need_be)


@dataclass
class ScheduleView:
    """One 1-on-1 schedule in words: (option words, invitee name) by time."""

    index: int
    title: str
    placed: int
    preference: int
    meetings: list[tuple[str, str]]


@dataclass
class OptionSuggestions:
    """What ``_suggestions.html`` shows for an options poll (``kind`` as for the grid's)."""

    kind: str
    group: list[SuggestedOption] = field(default_factory=list)
    series: suggest.SeriesSuggestions | None = None
    schedules: list[ScheduleView] = field(default_factory=list)
    unplaced: list[suggest.Unplaced] = field(default_factory=list)
    missing: list[Invitation] = field(default_factory=list)  # invited, have not answered
    declined: list[Invitation] = field(default_factory=list)


def suggestions(data: OptionData, zone: ZoneInfo, *, limit: int | None = 8) -> OptionSuggestions:
    """The options ranked (group), or the best 1-on-1 schedules (series), from everyone's answers
    so far; says who is missing rather than waiting for them."""
    poll = data.poll
    result = OptionSuggestions(
        kind=poll.kind,
        missing=[i for i in data.invitations if i.status == Invitation.Status.PENDING and not data.of(i)],
        declined=[i for i in data.invitations if i.status == Invitation.Status.DECLINED],
    )
    if not data.options:
        return result
    owner = data.person(None)
    invitees = [data.person(invitation) for invitation in data.answering if data.of(invitation)]
    if poll.kind == Poll.Kind.GROUP:
        ranked = suggest.rank_options(len(data.options), [owner, *invitees], limit=limit)
        result.group = [
            SuggestedOption(
                data.options[r.index], label(data.options[r.index], poll, zone), r, owner.levels.get(r.index, NO)
            )
            for r in ranked
        ]
        tie_ranks = Counter(r.tie_rank for r in ranked)
        for suggested in result.group:
            suggested.tied = tie_ranks[suggested.ranked.tie_rank] > 1
        return result
    slots = []
    for index, option in enumerate(data.options):
        start, end = span(option, poll)
        slots.append(suggest.Slot(index, start, end))
    series = suggest.one_on_ones_from_options(slots, owner, invitees, alternatives=3)
    result.series = series
    result.unplaced = list(series.unplaced)
    for index, schedule in enumerate([series.best, *series.alternatives]):
        meetings = [
            (str(label(data.options[m.slot.start_index], poll, zone)), m.invitee.name) for m in schedule.meetings
        ]
        title = "Best schedule" if index == 0 else "Alternative"
        result.schedules.append(ScheduleView(index, title, schedule.placed, schedule.total_preference, meetings))
    return result


class OptionAnswers:
    """The checks' view of an options poll: a meeting is "at" an option when it starts when the
    option does (whatever its length) or is the whole day of a whole-day option."""

    def __init__(self, data: OptionData) -> None:
        self.poll, self.data = data.poll, data
        self.timed = {option.start: option.pk for option in data.options if option.start is not None}
        self.days = {option.day: option.pk for option in data.options if option.day is not None}

    def _option(self, meeting: finalize.PlannedMeeting) -> int | None:
        if meeting.all_day:
            return self.days.get(meeting.start.astimezone(self.poll.tzinfo).date())
        return self.timed.get(meeting.start)

    def outside(self, meeting: finalize.PlannedMeeting) -> str:
        return "" if self._option(meeting) is not None else "is not one of the poll's options"

    def owner_can(self, meeting: finalize.PlannedMeeting) -> bool:
        return self.data.of(None).get(self._option(meeting), NO) > NO

    def answered(self, invitation: Invitation) -> bool:
        return bool(self.data.of(invitation))

    def can(self, invitation: Invitation, meeting: finalize.PlannedMeeting) -> bool:
        return self.data.of(invitation).get(self._option(meeting), NO) > NO


class Planning:
    """What the finalize page needs from an options poll (``finalize.GridPlanning`` for grids)."""

    def __init__(self, poll: Poll) -> None:
        self.poll = poll
        self.data = OptionData.load(poll)
        self.invitations = self.data.invitations
        self.keys = {option.pk: f"o{option.pk}" for option in self.data.options}

    def suggestions(self) -> OptionSuggestions:
        return suggestions(self.data, self.poll.tzinfo)

    def times(self) -> list[finalize.PlanTime]:
        zone = self.poll.tzinfo
        return [
            finalize.PlanTime(
                self.keys[option.pk], str(label(option, self.poll, zone)), span(option, self.poll)[0], option.day
            )
            for option in self.data.options
        ]

    def initial(self, params, found: OptionSuggestions) -> dict:
        """The plan of the suggestion picked: ``?option_id=`` (group), ``?alternative=K`` (series)."""
        if found.kind == Poll.Kind.GROUP:
            try:
                option_id = int(params.get("option_id", ""))
            except ValueError:
                return {}
            if option_id not in self.keys:
                return {}
            return {"start": self.keys[option_id], "attendees": finalize.everyone(self.invitations)}
        return finalize.initial_series(
            params, found.series, key=lambda slot: self.keys[self.data.options[slot.start_index].pk]
        )

    def check(self, meetings: list[finalize.PlannedMeeting], errors: list[str]) -> finalize.Preview:
        return finalize.check(OptionAnswers(self.data), meetings, errors)
