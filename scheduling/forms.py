from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Contact
from accounts.text import PlainTextForm
from accounts.timezones import TimezoneField, WallClockField, on_the_clock
from scheduling import options
from scheduling.models import MAX_INVITEES, Event, Invitation, Poll

MAX_POLL_DAYS = 56  # eight weeks


OPTION_LINE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2}))?")
OPTIONS_HELP = (
    "One per line, in the poll's timezone: a date and time (2026-12-14 10:00) or a date alone for the "
    "whole day (2026-12-15). At most 100."
)
OPTIONS_WIDGET = forms.Textarea(
    attrs={"rows": 6, "placeholder": "2026-12-14 10:00\n2026-12-14 14:30\n2026-12-15", "data-option-list": ""}
)


def parse_options(text: str, zone: zoneinfo.ZoneInfo, *, keep: list[options.Choice] = ()) -> list[options.Choice]:
    """The options a person listed, one per line (or separated by commas): ``2026-12-14 10:00``
    (local to ``zone``) or ``2026-12-15`` (a whole day). Times already offered (``keep``) may be
    in the past; new ones may not. Raises a ValidationError listing every problem."""
    now = timezone.now()
    today = now.astimezone(zone).date()
    errors: list[str] = []
    choices: list[options.Choice] = []
    for line in filter(None, (part.strip() for part in re.split(r"[\n,;]", text))):
        choice = _option(line, zone, errors)
        if choice is None:
            continue
        past = choice.day < today if choice.day is not None else choice.start <= now
        if choice in choices:
            errors.append(f"“{line}” is listed twice: keep it once.")
        elif past and choice not in keep:
            errors.append(f"“{line}” is in the past: remove it or pick a later {'day' if choice.day else 'time'}.")
        else:
            choices.append(choice)
    if len(choices) > options.MAX_OPTIONS:
        errors.append(
            f"A poll can offer at most {options.MAX_OPTIONS} options; this list has {len(choices)}. "
            f"Remove {len(choices) - options.MAX_OPTIONS}."
        )
    if not choices and not errors:
        errors.append(
            "List at least one option: a date and time such as 2026-12-14 10:00, or a date such as "
            "2026-12-15 for the whole day."
        )
    if errors:
        raise ValidationError(errors[:10])
    return sorted(
        choices, key=lambda choice: (choice.day or date.min, choice.start or datetime.min.replace(tzinfo=UTC))
    )


def _option(line: str, zone: zoneinfo.ZoneInfo, errors: list[str]) -> options.Choice | None:
    found = OPTION_LINE.fullmatch(line)
    try:
        if found is None:
            raise ValueError
        year, month, day, hour, minute = found.groups()
        if hour is None:
            return options.Choice(day=date(int(year), int(month), int(day)))
        local = datetime(int(year), int(month), int(day), int(hour), int(minute))
    except ValueError:
        errors.append(f"“{line[:40]}” is not a date and time: write 2026-12-14 10:00, or 2026-12-15 for a whole day.")
        return None
    start = local.replace(tzinfo=zone)  # a time the clocks pass twice: its first occurrence
    if start.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:
        errors.append(f"“{line}” does not exist in {zone.key}: the clocks go forward then. Pick another time.")
        return None
    return options.Choice(start=start.astimezone(UTC))


class PollForm(PlainTextForm, forms.ModelForm):
    """Create or edit a poll. A grid poll has dates (a range of one day to eight weeks, or a list)
    and daily hours; a poll of options has the times or days listed (edited on their own page
    afterwards, so answers to the options that stay are kept)."""

    date_mode = forms.ChoiceField(
        label="Dates",
        choices=[("range", "A range of days"), ("list", "Chosen dates")],
        initial="range",
        required=False,
        widget=forms.RadioSelect,
    )
    first_date = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    last_date = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    chosen_dates = forms.CharField(
        label="Chosen dates",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-01\n2026-12-03"}),
        help_text="One date per line (YYYY-MM-DD).",
    )
    option_list = forms.CharField(
        label="Options", required=False, max_length=4000, widget=OPTIONS_WIDGET, help_text=OPTIONS_HELP
    )
    timezone = TimezoneField(help_text="The poll's days and hours are in this timezone.")
    deadline = WallClockField(
        label="Answer by",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In the poll's timezone. Invitees can answer until then.",
    )

    GRID_FIELDS = ("day_start", "day_end", "cell_minutes")

    class Meta:
        model = Poll
        fields = ["title", "description", "kind", "mode", "duration", "timezone", "day_start", "day_end",
                  "cell_minutes", "deadline"]  # fmt: skip
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "kind": forms.RadioSelect,
            "mode": forms.RadioSelect,
            "day_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "day_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "cell_minutes": forms.Select(choices=[(15, "15 minutes"), (30, "30 minutes"), (60, "1 hour")]),
            "duration": forms.NumberInput(attrs={"min": 15, "max": 240, "step": 15}),
        }
        labels = {
            "kind": "What it will become",
            "day_start": "Each day from",
            "day_end": "until",
            "cell_minutes": "Grid cells of",
        }

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.choices: list[options.Choice] = []
        for name in self.GRID_FIELDS:
            self.fields[name].required = False  # required of grid polls only (clean)
        self.fields["mode"].required = False  # a grid unless asked
        poll = self.instance
        if poll.pk:
            self.fields["kind"].disabled = True  # suggestions are built for the kind chosen
            self.fields["mode"].disabled = True  # answers are given one way or the other
            del self.fields["option_list"]  # edited on their own page (scheduling/option_views.py)
            dates = poll.date_list
            if dates:
                contiguous = len(dates) == (dates[-1] - dates[0]).days + 1
                self.initial.update(
                    date_mode="range" if contiguous else "list",
                    first_date=dates[0],
                    last_date=dates[-1],
                    chosen_dates="\n".join(day.isoformat() for day in dates),
                )
            self.initial["deadline"] = poll.deadline.astimezone(poll.tzinfo).replace(tzinfo=None)
        else:
            self.initial.setdefault("timezone", owner.timezone)

    @property
    def is_options(self) -> bool:
        mode = self.cleaned_data.get("mode") if hasattr(self, "cleaned_data") else None
        return (mode or self.instance.mode) == Poll.Mode.OPTIONS

    def clean_duration(self) -> int:
        duration = self.cleaned_data["duration"]
        if not 15 <= duration <= 240:
            raise ValidationError("The meeting length must be between 15 and 240 minutes.")
        return duration

    def _dates(self, cleaned) -> list[date]:
        if cleaned.get("date_mode") == "list":
            dates = []
            for line in filter(None, (part.strip() for part in re.split(r"[\n,]", cleaned.get("chosen_dates", "")))):
                try:
                    dates.append(date.fromisoformat(line))
                except ValueError:
                    self.add_error("chosen_dates", f"Date must be in a valid date format YYYY-MM-DD (not “{line}”).")
                    return []
            if not dates:
                self.add_error("chosen_dates", "List at least one date.")
            return sorted(set(dates))
        first, last = cleaned.get("first_date"), cleaned.get("last_date")
        if not first:
            self.add_error("first_date", "This field is required.")
            return []
        last = last or first
        if last < first:
            self.add_error("last_date", "The last day must be on or after the first day.")
            return []
        return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]

    def clean(self):
        cleaned = super().clean()
        zone_name = cleaned.get("timezone") or self.owner.timezone
        zone = zoneinfo.ZoneInfo(zone_name)
        if self.is_options:
            self.dates = []
            for name in self.GRID_FIELDS:  # unused, but stored: keep what the poll has
                if cleaned.get(name) is None:
                    cleaned[name] = getattr(self.instance, name)
            if "option_list" in self.fields and "option_list" not in self.errors:
                try:
                    self.choices = parse_options(cleaned.get("option_list", ""), zone)
                except ValidationError as error:
                    self.add_error("option_list", error)
        else:
            self._clean_grid(cleaned, zone)
        deadline = cleaned.get("deadline")
        if deadline is not None:
            try:
                deadline = cleaned["deadline"] = on_the_clock(deadline, zone)
            except ValidationError as error:
                self.add_error("deadline", error)
            else:
                self._check_deadline(deadline)
        return cleaned

    def _check_deadline(self, deadline: datetime) -> None:
        if deadline <= timezone.now() and (not self.instance.pk or "deadline" in self.changed_data):
            self.add_error("deadline", "Deadline cannot be in the past.")

    def _clean_grid(self, cleaned, zone: zoneinfo.ZoneInfo) -> None:
        today = timezone.now().astimezone(zone).date()
        dates = self._dates(cleaned)
        if dates:
            if len(dates) > MAX_POLL_DAYS or (dates[-1] - dates[0]).days >= MAX_POLL_DAYS:
                self.add_error("last_date" if cleaned.get("date_mode") != "list" else "chosen_dates",
                               "A poll can span at most eight weeks.")  # fmt: skip
            elif dates[0] < today and not self._keeps_past_dates(dates, today):
                field = "first_date" if cleaned.get("date_mode") != "list" else "chosen_dates"
                self.add_error(field, "Available date cannot be in the past.")
        self.dates = dates
        for name in self.GRID_FIELDS:
            if cleaned.get(name) is None and name not in self.errors:
                self.add_error(name, "This field is required.")
        start, end = cleaned.get("day_start"), cleaned.get("day_end")
        cell = cleaned.get("cell_minutes") or 30
        if start is not None and end is not None:
            span = (datetime.combine(date.min, end) - datetime.combine(date.min, start)).total_seconds() / 60
            if end != time(0) and span <= 0:
                self.add_error("day_end", "End time must be after start time.")
            elif end != time(0) and span < cell:
                self.add_error("day_end", "The daily window is empty: make it at least one grid cell long.")
            elif start.minute % cell or end.minute % cell:
                self.add_error("day_start", f"Start and end the day on a {cell}-minute boundary, e.g. 08:00.")
        duration = cleaned.get("duration")
        if duration and duration % cell:
            self.add_error("duration", f"Make the meeting a multiple of the {cell}-minute grid cells.")

    def _keeps_past_dates(self, dates: list[date], today: date) -> bool:
        """Editing a running poll may keep the days already behind it."""
        return bool(self.instance.pk) and {day for day in dates if day < today} <= set(self.instance.date_list)

    def dropped_dates(self) -> list[date]:
        """Dates the edit removes (their painted availability goes with them)."""
        if not self.instance.pk:
            return []
        return sorted(set(self.instance.date_list) - set(self.dates))

    def save(self, commit: bool = True) -> Poll:
        poll = super().save(commit=False)
        poll.owner = self.owner
        poll.dates = [day.isoformat() for day in self.dates]
        if commit:
            with transaction.atomic():
                poll.save()
                if self.choices:
                    options.add_options(poll=poll, choices=self.choices)
        return poll


class OptionsForm(PlainTextForm, forms.Form):
    """The options of a poll, changed after it started: answers to the options kept stay."""

    option_list = forms.CharField(label="Options", max_length=4000, widget=OPTIONS_WIDGET, help_text=OPTIONS_HELP)

    def __init__(self, *args, poll: Poll, **kwargs):
        super().__init__(*args, **kwargs)
        self.poll = poll
        self.existing = options.in_order(poll.options.all(), poll.tzinfo)
        self.initial.setdefault("option_list", "\n".join(options.choice_text(o, poll.tzinfo) for o in self.existing))

    def clean_option_list(self) -> list[options.Choice]:
        keep = [options.Choice(start=option.start, day=option.day) for option in self.existing]
        return parse_options(self.cleaned_data["option_list"], self.poll.tzinfo, keep=keep)


class AnswersForm(forms.Form):
    """Yes (2), if need be (1) or no (0) to each option; an option left out is no."""

    def __init__(self, *args, option_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        for option_id in option_ids:
            self.fields[f"answer_{option_id}"] = forms.TypedChoiceField(
                choices=options.ANSWERS, coerce=int, required=False, empty_value=options.NO,
                error_messages={"invalid_choice": "Answer yes, if need be or no to each option."},
            )  # fmt: skip

    @property
    def levels(self) -> dict[int, int]:
        return {int(name.removeprefix("answer_")): level for name, level in self.cleaned_data.items()}


class InviteForm(PlainTextForm, forms.Form):
    """Invite people from the address book, or type a new name and email (added as a contact)."""

    contacts = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="From your contacts"
    )
    name = forms.CharField(label="Or someone new: name", max_length=150, required=False)
    email = forms.EmailField(label="Email", required=False)

    def __init__(self, *args, poll: Poll, invited: set[str] | None = None, **kwargs):
        """``invited``: the lower-cased addresses that count as invited already (the poll's, when
        not given; the API passes them in, with those listed before in the same request)."""
        super().__init__(*args, **kwargs)
        self.poll = poll
        if invited is None:
            invited = {email.lower() for email in poll.invitations.values_list("email", flat=True)}
        self.fields["contacts"].queryset = Contact.objects.for_owner(poll.owner)
        self.invited = invited

    def clean(self):
        cleaned = super().clean()
        name, email = cleaned.get("name", ""), cleaned.get("email", "")
        if bool(name) != bool(email) and not self.errors:
            self.add_error("email" if name else "name", "This field is required.")
        people = [(contact.full_name, contact.email, contact) for contact in cleaned.get("contacts", [])]
        if name and email:
            people.append((name, email, None))
        if not people and not self.errors:
            raise ValidationError("Pick at least one contact, or type a name and email.")
        for person_name, person_email, _ in people:
            if person_email.lower() in self.invited:
                raise ValidationError(f"Invitation already sent to {person_name} ({person_email}).")
        emails = [person_email.lower() for _, person_email, _ in people]
        if len(set(emails)) != len(emails):
            raise ValidationError("The same person is listed twice.")
        if len(self.invited) + len(people) > MAX_INVITEES:
            raise ValidationError(
                f"A poll can have at most {MAX_INVITEES} invitees; it has {len(self.invited)} already."
            )
        self.people = people
        return cleaned


class DeclineForm(PlainTextForm, forms.Form):
    note = forms.CharField(
        label="Note for the organiser (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "input", "placeholder": "Sorry, I'm away that week."}),
    )


def invitation_summary(invitations: list[Invitation]) -> dict[str, int]:
    counts = dict.fromkeys(Invitation.Status.values, 0)
    for invitation in invitations:
        counts[invitation.status] += 1
    return counts


class PlanForm(forms.Form):
    """The meetings the owner is about to create: one time for the group (one the poll offers, or
    any time), or a time per invitee for a 1-on-1 series (the same), and how long they last
    (the poll's length unless changed; a whole day lasts the day). Choices and times are plain
    text fields checked here, so a tampered value gets the specific message people know
    ("Contact not invited", "Invalid meeting time for contact", ...), not a generic "Select a
    valid choice", and every problem shows in the preview."""

    start = forms.CharField(required=False)
    custom_start = forms.CharField(required=False)
    length = forms.CharField(required=False)
    accept_warnings = forms.BooleanField(
        required=False, label="I have read the warnings and want to send these invitations anyway"
    )

    def __init__(self, *args, poll: Poll, times: list, invitations: list[Invitation], **kwargs):
        super().__init__(*args, **kwargs)
        self.poll = poll
        self.invitations = {str(invitation.pk): invitation for invitation in invitations}
        self.start_choices = [(time.key, time.label) for time in times]
        self.times = {time.key: time for time in times}
        for key in self.invitations:
            self.fields[f"slot_{key}"] = forms.CharField(required=False)
            self.fields[f"custom_{key}"] = forms.CharField(required=False)

    def chosen_attendees(self) -> list[str]:
        """The people ticked: as sent, or everyone invited before the owner has changed anything
        (``finalize.everyone``)."""
        if self.is_bound:
            return self.data.getlist("attendees")
        return self.initial.get("attendees", list(self.invitations))

    def clean(self):
        cleaned = super().clean()
        errors: list[str] = []
        self.minutes = self._length(cleaned.get("length", ""), errors)
        meetings = (self._group if self.poll.kind == Poll.Kind.GROUP else self._series)(cleaned, errors)
        self.meetings = sorted(meetings, key=lambda meeting: meeting.start)
        self.plan_errors = errors
        return cleaned

    def _length(self, value: str, errors: list[str]) -> int:
        if not value.strip():
            return self.poll.duration
        try:
            minutes = int(value)
        except ValueError:
            minutes = 0
        if not 15 <= minutes <= 240:
            errors.append("The meeting length must be between 15 and 240 minutes.")
            return self.poll.duration
        return minutes

    def _meeting(self, key: str, custom: str, people: tuple, errors: list[str], name: str = ""):
        """The meeting at a listed time (``key``) or at another time (``custom``), or None; ``name``:
        whose 1-on-1 it is."""
        from scheduling.finalize import PlannedMeeting, whole_day

        who = f" for {name}" if name else ""
        if key == "custom":
            try:
                moment = WallClockField().clean(custom.strip()) if custom.strip() else None
            except ValidationError:
                moment = None
                errors.append(f"Give the other time{who} as a date and time, e.g. 2026-12-14 15:00.")
            else:
                if moment is None:
                    errors.append(f"This field is required: give the other time{who}.")
            if moment is None:
                return None
            try:
                start = on_the_clock(moment, self.poll.tzinfo)
            except ValidationError as error:
                errors.extend(error.messages)
                return None
            return PlannedMeeting(start=start, end=start + timedelta(minutes=self.minutes), invitations=people)
        time = self.times.get(key)
        if time is None:
            errors.append(f"Invalid meeting time for contact: {name or 'pick one of the listed times'}.")
            return None
        if time.day is not None:
            start, end = whole_day(time.day, self.poll.tzinfo)
            return PlannedMeeting(start=start, end=end, invitations=people, all_day=True)
        return PlannedMeeting(start=time.start, end=time.start + timedelta(minutes=self.minutes), invitations=people)

    def _group(self, cleaned, errors: list[str]) -> list:
        chosen = self.chosen_attendees()
        if any(key not in self.invitations for key in chosen):
            errors.append("Contact not invited: that person is not an invitee of this poll.")
        people = tuple(self.invitations[key] for key in chosen if key in self.invitations)
        key = cleaned.get("start", "")
        meeting = None
        if key:
            meeting = self._meeting(key, cleaned.get("custom_start", ""), people, errors)
        else:
            errors.append("This field is required: choose a meeting time.")
        if not people:
            errors.append("Availability not selected for a user: choose at least one person to invite.")
        return [meeting] if meeting is not None and people else []

    def _series(self, cleaned, errors: list[str]) -> list:
        meetings = []
        for key, invitation in self.invitations.items():
            value = cleaned.get(f"slot_{key}") or ""
            if value:
                meeting = self._meeting(
                    value, cleaned.get(f"custom_{key}", ""), (invitation,), errors, name=invitation.name
                )
                if meeting is not None:
                    meetings.append(meeting)
        if any(name.startswith("slot_") and name[5:] not in self.invitations for name in self.data):
            errors.append("Contact not invited: that person is not an invitee of this poll.")
        if not meetings and not errors:
            errors.append("Availability not selected for a user: pick a time for at least one invitee.")
        return meetings


REMINDER_CHOICES = [(10, "10 minutes before"), (60, "1 hour before"), (1440, "1 day before"), (10080, "1 week before")]
WEEKDAY_CHOICES = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]
MAX_EVENT_LENGTH = timedelta(days=14)


class EventForm(PlainTextForm, forms.ModelForm):
    """A calendar event: times are entered in the event's timezone; attendees come from the
    address book or any email; a recurrence is built from a few plain choices."""

    start = WallClockField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    end = WallClockField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    timezone = TimezoneField()
    contacts = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="Invite contacts"
    )
    other_attendees = forms.CharField(
        label="Other attendees",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "ana@example.org, ben@example.org"}),
        help_text="Email addresses, separated by commas or new lines.",
    )
    reminder_choices = forms.TypedMultipleChoiceField(
        label="Reminders by email", choices=REMINDER_CHOICES, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    repeat = forms.ChoiceField(
        label="Repeat",
        choices=[
            ("", "Does not repeat"),
            ("daily", "Daily"),
            ("weekly", "Weekly"),
            ("monthly", "Monthly"),
            ("yearly", "Yearly"),
        ],
        required=False,
        # Choosing "Weekly" with no day ticked ticks the start's weekday (static/js/behaviours.js).
        widget=forms.Select(attrs={"data-weekly-from": "id_start", "data-weekdays": "weekdays"}),
    )
    interval = forms.IntegerField(label="Every", min_value=1, max_value=99, initial=1, required=False)
    weekdays = forms.TypedMultipleChoiceField(
        label="On", choices=WEEKDAY_CHOICES, coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    ends = forms.ChoiceField(
        label="Ends", choices=[("never", "Never"), ("on", "On a date"), ("after", "After a number of times")],
        initial="never", required=False, widget=forms.RadioSelect,
    )  # fmt: skip
    until = forms.DateField(label="Last date", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    count = forms.IntegerField(label="Times", min_value=1, max_value=999, required=False)

    class Meta:
        model = Event
        fields = ["title", "kind", "all_day", "start", "end", "timezone", "location", "description",
                  "remind_attendees"]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        labels = {"kind": "Type", "remind_attendees": "Remind the attendees too"}

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.fields["contacts"].queryset = Contact.objects.for_owner(owner)
        event = self.instance
        if event.pk:
            # A reminder set elsewhere (a booking link's "2 hours before") stays a choice, ticked.
            offered = {minutes for minutes, _ in REMINDER_CHOICES}
            self.fields["reminder_choices"].choices = [
                *REMINDER_CHOICES,
                *((minutes, f"{minutes} minutes before") for minutes in event.reminders if minutes not in offered),
            ]
            zone = event.tzinfo
            self.initial.update(
                start=event.start.astimezone(zone).replace(tzinfo=None),
                end=event.end.astimezone(zone).replace(tzinfo=None),
                reminder_choices=event.reminders,
                other_attendees=", ".join(attendee.email for attendee in event.attendees.all()),
            )
            if event.rrule:
                from scheduling.recurrence import Recurrence

                rule = Recurrence.from_rrule(event.rrule, event.timezone)
                self.initial.update(
                    repeat=rule.frequency, interval=rule.interval, weekdays=list(rule.weekdays),
                    ends="on" if rule.until else "after" if rule.count else "never",
                    until=rule.until, count=rule.count,
                )  # fmt: skip
        else:
            self.initial.setdefault("timezone", owner.timezone)

    def clean_other_attendees(self) -> list[str]:
        emails = []
        for part in filter(
            None, (piece.strip() for piece in re.split(r"[,\s;]+", self.cleaned_data["other_attendees"]))
        ):
            try:
                forms.EmailField().clean(part)
            except ValidationError:
                raise ValidationError(f"“{part}” is not a valid email address.") from None
            emails.append(part)
        return emails

    def clean(self):
        cleaned = super().clean()
        zone = zoneinfo.ZoneInfo(cleaned.get("timezone") or self.owner.timezone)
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and cleaned.get("all_day"):
            start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)  # only their dates count
        elif start and end:
            start, end = self._on_the_clock("start", start, zone), self._on_the_clock("end", end, zone)
        if start and end:
            if cleaned.get("all_day"):
                start = datetime.combine(start.date(), time(0), tzinfo=zone)
                end = datetime.combine(max(end.date(), start.date()) + timedelta(days=1), time(0), tzinfo=zone)
            if end <= start:
                self.add_error("end", "End time must be after start time.")
            elif end - start > MAX_EVENT_LENGTH and not cleaned.get("all_day"):
                self.add_error("end", "An event can last at most 14 days. Use an all-day event for longer stretches.")
            cleaned["start"], cleaned["end"] = start, end
        attendees = [contact.email for contact in cleaned.get("contacts", [])] + cleaned.get("other_attendees", [])
        seen: set[str] = set()
        for email in attendees:
            if email.lower() in seen:
                self.add_error("other_attendees", f"{email} is listed twice.")
            seen.add(email.lower())
        if self.owner.email and self.owner.email.lower() in seen:
            self.add_error("other_attendees", "You are the organiser; you don't need to invite yourself.")
        self.attendees = [(contact.full_name, contact.email) for contact in cleaned.get("contacts", [])]
        self.attendees += [("", email) for email in cleaned.get("other_attendees", [])]
        self.rule = self._rule(cleaned)
        return cleaned

    def _on_the_clock(self, name: str, local: datetime, zone: zoneinfo.ZoneInfo) -> datetime | None:
        try:
            return on_the_clock(local, zone)
        except ValidationError as error:
            self.add_error(name, error)
            return None

    def _rule(self, cleaned) -> str:
        from scheduling.recurrence import Recurrence

        frequency = cleaned.get("repeat")
        if not frequency:
            return ""
        ends = cleaned.get("ends") or "never"
        if ends == "on" and not cleaned.get("until"):
            self.add_error("until", "Give the last date, or choose another ending.")
            return ""
        if ends == "after" and not cleaned.get("count"):
            self.add_error("count", "Give the number of times, or choose another ending.")
            return ""
        if ends == "on" and cleaned.get("start") and cleaned["until"] < cleaned["start"].date():
            self.add_error("until", "The last date must be on or after the first one.")
            return ""
        rule = Recurrence(
            frequency=frequency,
            interval=cleaned.get("interval") or 1,
            weekdays=tuple(sorted(cleaned.get("weekdays") or ())) if frequency == "weekly" else (),
            until=cleaned.get("until") if ends == "on" else None,
            count=cleaned.get("count") if ends == "after" else None,
        )
        return rule.to_rrule(cleaned.get("timezone") or self.owner.timezone)

    def save(self, commit: bool = True) -> Event:
        event = super().save(commit=False)
        event.owner = self.owner
        event.start, event.end = self.cleaned_data["start"], self.cleaned_data["end"]
        event.reminders = sorted(set(self.cleaned_data.get("reminder_choices") or []))
        event.rrule = self.rule
        return event


class RsvpForm(PlainTextForm, forms.Form):
    response = forms.ChoiceField(choices=[("accepted", "Yes"), ("tentative", "Maybe"), ("declined", "No")])
    propose_start = WallClockField(
        label="Propose another time", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    note = forms.CharField(label="Note", required=False, max_length=500)

    def __init__(self, *args, zone: zoneinfo.ZoneInfo, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone  # the zone the page shows times in

    def clean_propose_start(self) -> datetime | None:
        proposed = self.cleaned_data.get("propose_start")
        return on_the_clock(proposed, self.zone) if proposed else None
