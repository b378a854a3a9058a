from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime, time
from itertools import pairwise

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.text import slugify

from accounts.text import PlainTextForm, as_label
from accounts.timezones import TimezoneField
from booking.models import END_OF_DAY, WEEKDAYS, DateOverride, EventType, Schedule, TeamHost
from booking.schedules import ensure_default_schedule

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})\s*$")


def parse_time(hours: str, minutes: str) -> time | None:
    hour, minute = int(hours), int(minutes)
    if hour == 24 and minute == 0:
        return END_OF_DAY
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_ranges(text: str) -> list[tuple[time, time]]:
    """``"09:00-12:00, 13:00-17:00"`` -> [(09:00, 12:00), (13:00, 17:00)], sorted, not overlapping."""
    ranges = []
    for part in filter(None, (piece.strip() for piece in text.replace(";", ",").split(","))):
        match = _RANGE.match(part)
        if not match:
            raise ValidationError(f"“{part}” is not a time range. Write it like 09:00-17:00.")
        start, end = parse_time(*match.group(1, 2)), parse_time(*match.group(3, 4))
        if start is None or end is None:
            raise ValidationError(f"“{part}” has a time that does not exist. Use 00:00 to 24:00.")
        if end <= start:
            raise ValidationError(f"End time must be after start time ({part}).")
        ranges.append((start, end))
    ranges.sort()
    for (_, previous_end), (next_start, _) in pairwise(ranges):
        if next_start < previous_end:
            raise ValidationError("These time ranges overlap. Merge them into one.")
    return ranges


def format_ranges(ranges) -> str:
    def label(moment: time) -> str:
        return "24:00" if moment >= END_OF_DAY else f"{moment:%H:%M}"

    return ", ".join(f"{label(start)}-{label(end)}" for start, end in ranges)


class ScheduleForm(PlainTextForm, forms.ModelForm):
    """Name, timezone and one "hours" field per weekday (empty = unavailable that day)."""

    timezone = TimezoneField()

    class Meta:
        model = Schedule
        fields = ["name", "timezone"]

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        current: dict[int, list[tuple[time, time]]] = {}
        if self.instance.pk:
            for rule in self.instance.weekly_hours.all():
                current.setdefault(rule.weekday, []).append((rule.start, rule.end))
        for weekday, label in WEEKDAYS:
            self.fields[f"day_{weekday}"] = forms.CharField(
                label=label,
                required=False,
                initial=format_ranges(current.get(weekday, [])),
                widget=forms.TextInput(attrs={"placeholder": "Unavailable", "inputmode": "numeric"}),
                help_text="e.g. 09:00-12:00, 13:00-17:00" if weekday == 0 else "",
            )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = Schedule.objects.for_owner(self.owner).filter(name__iexact=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError("You already have a schedule with this name.")
        return name

    def clean(self):
        cleaned = super().clean()
        self.weekly: dict[int, list[tuple[time, time]]] = {}
        for weekday, _ in WEEKDAYS:
            name = f"day_{weekday}"
            try:
                self.weekly[weekday] = parse_ranges(cleaned.get(name, ""))
            except ValidationError as error:
                self.add_error(name, error)
        return cleaned

    def save(self, commit: bool = True) -> Schedule:
        self.instance.owner = self.owner
        schedule = super().save()
        schedule.weekly_hours.all().delete()
        schedule.weekly_hours.bulk_create(
            schedule.weekly_hours.model(schedule=schedule, weekday=weekday, start=start, end=end)
            for weekday, ranges in self.weekly.items()
            for start, end in ranges
        )
        return schedule


class DateOverrideForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.CharField(
        required=False,
        label="Hours that day",
        help_text="Leave empty to be unavailable all day, or write e.g. 10:00-14:00.",
    )

    def __init__(self, *args, schedule: Schedule, **kwargs):
        super().__init__(*args, **kwargs)
        self.schedule = schedule

    def clean_date(self) -> date:
        value = self.cleaned_data["date"]
        if value < timezone.now().astimezone(zoneinfo.ZoneInfo(self.schedule.timezone)).date():
            raise ValidationError("That date is in the past. Pick today or a later date.")
        return value

    def clean_hours(self) -> list[tuple[time, time]]:
        return parse_ranges(self.cleaned_data["hours"])

    def save(self) -> None:
        day = self.cleaned_data["date"]
        self.schedule.overrides.filter(date=day).delete()
        ranges = self.cleaned_data["hours"] or [(None, None)]
        DateOverride.objects.bulk_create(
            DateOverride(schedule=self.schedule, date=day, start=start, end=end) for start, end in ranges
        )


def _parse_minutes_list(text: str) -> list[int]:
    values = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        if not part.isdigit() or not 5 <= int(part) <= 720:
            raise ValidationError(f"“{part}” is not a length in minutes between 5 and 720.")
        values.append(int(part))
    return sorted(set(values))


MAX_SLUG = EventType._meta.get_field("slug").max_length
LOCATION_NEEDED = {
    EventType.Location.IN_PERSON: "Give the address bookers should come to.",
    EventType.Location.PHONE: "Give the phone number bookers should call (or choose “Ask the booker”).",
    EventType.Location.VIDEO: "Paste the video meeting link; bookers get it with their confirmation.",
}


class EventTypeForm(PlainTextForm, forms.ModelForm):
    extra_durations_text = forms.CharField(
        label="Other durations the booker may choose (minutes)",
        required=False,
        help_text="Comma-separated, e.g. 15, 60. Leave empty for one fixed length.",
    )
    window_dates_text = forms.CharField(
        label="Bookable dates",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-01\n2026-12-03"}),
        help_text="For “Only on chosen dates”: one date per line (YYYY-MM-DD).",
    )
    offered_slots_text = forms.CharField(
        label="Offered times (one-off links)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-01 14:00\n2026-12-02 09:30"}),
        help_text="One start time per line, in the schedule's timezone.",
    )
    questions_text = forms.CharField(
        label="Questions for the booker",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "What would you like to discuss? *\nlong: Anything else?"}
        ),
        help_text="One per line. End with * to make it required; start with “long:” for a paragraph answer.",
    )

    class Meta:
        model = EventType
        fields = [
            "title", "slug", "description", "kind", "duration", "location_kind", "location_detail", "schedule",
            "window", "rolling_days", "window_start", "window_end", "minimum_notice", "buffer_before",
            "buffer_after", "increment", "max_per_day", "seats", "allow_recurring", "max_occurrences",
            "reminder_minutes", "expires_at", "color", "is_active",
        ]  # fmt: skip
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "window_start": forms.DateInput(attrs={"type": "date"}),
            "window_end": forms.DateInput(attrs={"type": "date"}),
            "expires_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "color": forms.TextInput(attrs={"type": "color", "class": "h-10 w-20 cursor-pointer"}),
            "increment": forms.Select(
                choices=[(0, "Every duration"), (15, "Every 15 minutes"), (30, "Every 30 minutes"), (60, "Every hour")]
            ),
        }
        help_texts = {
            "slug": "The last part of the link, e.g. 30-minute-call. Leave it empty to make one from the title.",
            "location_detail": "Bookers see an address or phone number on the booking page; a video link only "
            "with their confirmation.",
        }

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        # A title is enough: the address is made from it, and the length is the usual 30 minutes.
        self.fields["slug"].required = False
        self.fields["duration"].required = False
        self.fields["location_detail"].label = "Address, phone number or video link"
        self.fields["schedule"].queryset = Schedule.objects.for_owner(owner)
        self.fields["schedule"].empty_label = None
        instance = self.instance
        if instance.pk:
            self.fields["extra_durations_text"].initial = ", ".join(map(str, instance.extra_durations))
            self.fields["window_dates_text"].initial = "\n".join(instance.window_dates)
            tz = zoneinfo.ZoneInfo(instance.schedule.timezone)
            self.fields["offered_slots_text"].initial = "\n".join(
                f"{slot.start.astimezone(tz):%Y-%m-%d %H:%M}" for slot in instance.offered_slots.all()
            )
            self.fields["questions_text"].initial = "\n".join(
                ("long: " if q["kind"] == "long" else "") + q["label"] + (" *" if q["required"] else "")
                for q in instance.questions
            )

    # What the form shows before "More settings" (templates/booking/event_type_form.html).
    FIRST_FIELDS = frozenset({"title", "slug", "duration", "location_kind", "location_detail"})

    @property
    def more_settings_have_errors(self) -> bool:
        """Whether "More settings" must start open: an error is waiting in it."""
        return any(name not in self.FIRST_FIELDS for name in self.errors if name != NON_FIELD_ERRORS)

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].lower()
        if slug and self._taken_slugs().filter(slug=slug).exists():
            raise ValidationError("You already have an event type with this URL.")
        return slug

    def _taken_slugs(self):
        return EventType.objects.for_owner(self.owner).exclude(pk=self.instance.pk)

    def _slug_from_title(self, title: str) -> str:
        """A link address made from the title (``Intro call`` -> ``intro-call``), numbered when the
        owner already has one (``intro-call-2``)."""
        base = slugify(title)[: MAX_SLUG - 4].strip("-") or "meeting"
        taken = set(self._taken_slugs().filter(slug__startswith=base).values_list("slug", flat=True))
        return next(slug for n in range(1, len(taken) + 2) if (slug := base if n == 1 else f"{base}-{n}") not in taken)

    def clean_extra_durations_text(self) -> list[int]:
        return _parse_minutes_list(self.cleaned_data["extra_durations_text"])

    def clean_window_dates_text(self) -> list[str]:
        dates = []
        for line in filter(
            None, (piece.strip() for piece in re.split(r"[\n,]", self.cleaned_data["window_dates_text"]))
        ):
            try:
                dates.append(date.fromisoformat(line))
            except ValueError:
                raise ValidationError(f"“{line}” is not a date. Use YYYY-MM-DD, e.g. 2026-12-01.") from None
        return [day.isoformat() for day in sorted(set(dates))]

    def clean_questions_text(self) -> list[dict]:
        questions = []
        for line in filter(None, (piece.strip() for piece in self.cleaned_data["questions_text"].splitlines())):
            kind = "long" if line.lower().startswith("long:") else "short"
            label = line[5:].strip() if kind == "long" else line
            required = label.endswith("*")
            label = label.rstrip("*").strip()
            if not label:
                raise ValidationError("A question needs some text.")
            if len(label) > 200:
                raise ValidationError("Keep each question under 200 characters.")
            questions.append({"label": label, "kind": kind, "required": required})
        return questions

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("slug") and cleaned.get("title") and "slug" not in self.errors:
            cleaned["slug"] = self.instance.slug or self._slug_from_title(cleaned["title"])
        if cleaned.get("duration") is None and "duration" not in self.errors:
            cleaned["duration"] = EventType._meta.get_field("duration").default
        window = cleaned.get("window")
        if window == EventType.Window.RANGE:
            start, end = cleaned.get("window_start"), cleaned.get("window_end")
            if not start or not end:
                self.add_error("window_end", "Give both the first and the last bookable date.")
            elif end < start:
                self.add_error("window_end", "The last date must be on or after the first date.")
        if window == EventType.Window.DATES and not cleaned.get("window_dates_text"):
            self.add_error("window_dates_text", "List at least one date, or choose another booking window.")
        if cleaned.get("kind") == EventType.Kind.GROUP and (cleaned.get("seats") or 1) < 2:
            self.add_error("seats", "A group event needs at least 2 seats.")
        needs_detail = {EventType.Location.IN_PERSON, EventType.Location.PHONE, EventType.Location.VIDEO}
        kind = cleaned.get("location_kind")
        if kind in needs_detail and not cleaned.get("location_detail"):
            self.add_error("location_detail", LOCATION_NEEDED[kind])
        self._clean_offered_slots(cleaned)
        return cleaned

    def _clean_offered_slots(self, cleaned) -> None:
        self.offered: list[datetime] = []
        text = cleaned.get("offered_slots_text", "")
        schedule = cleaned.get("schedule")
        if cleaned.get("kind") != EventType.Kind.ONE_OFF or schedule is None:
            return
        tz = zoneinfo.ZoneInfo(schedule.timezone)
        for line in filter(None, (piece.strip() for piece in text.splitlines())):
            try:
                naive = datetime.fromisoformat(line.replace(" ", "T"))
            except ValueError:
                self.add_error(
                    "offered_slots_text", f"“{line}” is not a date and time. Write it like 2026-12-01 14:00."
                )
                return
            moment = naive.replace(tzinfo=tz)
            if moment <= timezone.now():
                self.add_error("offered_slots_text", f"{line} is in the past. Offer only future times.")
                return
            self.offered.append(moment)
        if not self.offered:
            self.add_error("offered_slots_text", "A one-off link needs at least one offered time.")

    def save(self, commit: bool = True) -> EventType:
        event_type = super().save(commit=False)
        event_type.owner = self.owner
        event_type.extra_durations = [m for m in self.cleaned_data["extra_durations_text"] if m != event_type.duration]
        event_type.window_dates = self.cleaned_data["window_dates_text"]
        event_type.questions = self.cleaned_data["questions_text"]
        event_type.save()
        if event_type.is_one_off:
            event_type.offered_slots.all().delete()
            event_type.offered_slots.bulk_create(
                event_type.offered_slots.model(event_type=event_type, start=start) for start in self.offered
            )
        return event_type


class BookingForm(PlainTextForm, forms.Form):
    """The booker's details. Custom questions become fields ``question_<n>``."""

    name = forms.CharField(label="Your name", max_length=200)
    email = forms.EmailField(label="Email")
    guests = forms.CharField(
        label="Guests (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "guest@example.com, other@example.com"}),
        help_text="Email addresses of others to invite, separated by commas.",
    )
    location = forms.CharField(label="Where should we meet?", max_length=500, required=False)

    def __init__(self, *args, event_type: EventType, **kwargs):
        super().__init__(*args, **kwargs)
        self.event_type = event_type
        if event_type.location_kind != EventType.Location.ASK:
            del self.fields["location"]
        else:
            self.fields["location"].required = True
        for index, question in enumerate(event_type.questions):
            widget = forms.Textarea(attrs={"rows": 3}) if question["kind"] == "long" else forms.TextInput
            self.fields[f"question_{index}"] = forms.CharField(
                label=as_label(question["label"]), required=question["required"], max_length=5000, widget=widget
            )
        if event_type.allow_recurring:
            self.fields["occurrences"] = forms.TypedChoiceField(
                label="Repeat weekly",
                coerce=int,
                required=False,
                empty_value=1,
                choices=[(1, "Just once")]
                + [(n, f"{n} weeks in a row") for n in range(2, event_type.max_occurrences + 1)],
                initial=1,
            )

    def clean_guests(self) -> list[str]:
        guests = []
        for part in filter(None, (piece.strip() for piece in re.split(r"[,\s;]+", self.cleaned_data["guests"]))):
            try:
                validate_email(part)
            except ValidationError:
                raise ValidationError(f"“{part}” is not a valid email address.") from None
            if part.lower() not in {guest.lower() for guest in guests}:
                guests.append(part)
        if len(guests) > 10:
            raise ValidationError("Invite at most 10 guests.")
        return guests

    def answers(self) -> list[dict[str, str]]:
        return [
            {"question": question["label"], "answer": self.cleaned_data.get(f"question_{index}", "")}
            for index, question in enumerate(self.event_type.questions)
        ]


class CancelBookingForm(PlainTextForm, forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Let them know why"}),
    )


class TeamLinkForm(EventTypeForm):
    """A team's booking link: who hosts it and how (collective or round-robin), with each host's
    part as fields ``host_<id>``, ``fixed_<id>``, ``priority_<id>`` and ``weight_<id>``. Each host's
    free times come from their own default schedule; the link keeps the team's rules."""

    class Meta(EventTypeForm.Meta):
        fields = [
            "title", "slug", "description", "hosting", "show_hosts", "duration", "location_kind", "location_detail",
            "schedule", "window", "rolling_days", "window_start", "window_end", "minimum_notice", "buffer_before",
            "buffer_after", "increment", "max_per_day", "reminder_minutes", "color", "is_active",
        ]  # fmt: skip
        widgets = {**EventTypeForm.Meta.widgets, "hosting": forms.RadioSelect}

    def __init__(self, *args, team, members, owner, **kwargs):
        self.team, self.members = team, list(members)
        super().__init__(*args, owner=owner, **kwargs)
        del self.fields["schedule"]
        self.fields["hosting"].choices = [
            choice for choice in EventType.Hosting.choices if choice[0] != EventType.Hosting.SOLO
        ]
        existing = {host.user_id: host for host in self.instance.hosts.all()} if self.instance.pk else {}
        for user in self.members:
            row = existing.get(user.pk)
            self.fields[f"host_{user.pk}"] = forms.BooleanField(
                label=as_label(f"{user.display_name} hosts"), required=False, initial=row is not None
            )
            self.fields[f"fixed_{user.pk}"] = forms.BooleanField(
                label=as_label(f"{user.display_name} is always in the meeting"), required=False,
                initial=bool(row and row.is_fixed),
            )  # fmt: skip
            self.fields[f"priority_{user.pk}"] = forms.TypedChoiceField(
                label=as_label(f"Priority of {user.display_name}"), choices=TeamHost.Priority.choices, coerce=int,
                initial=row.priority if row else TeamHost.Priority.MEDIUM,
            )  # fmt: skip
            self.fields[f"weight_{user.pk}"] = forms.IntegerField(
                label=as_label(f"Weight of {user.display_name}"), min_value=1, max_value=1000,
                initial=row.weight if row else 100,
            )  # fmt: skip

    @property
    def host_rows(self) -> list[dict]:
        """Each member's fields, for the template's table."""
        return [
            {
                "user": user,
                "host": self[f"host_{user.pk}"],
                "fixed": self[f"fixed_{user.pk}"],
                "priority": self[f"priority_{user.pk}"],
                "weight": self[f"weight_{user.pk}"],
            }
            for user in self.members
        ]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].lower()
        if EventType.objects.for_team(self.team).filter(slug=slug).exclude(pk=self.instance.pk).exists():
            raise ValidationError("The team already has a link with this URL.")
        return slug

    def clean(self):
        cleaned = super().clean()
        chosen = [user for user in self.members if cleaned.get(f"host_{user.pk}")]
        if not chosen:
            raise ValidationError("Choose at least one host.")
        if cleaned.get("hosting") == EventType.Hosting.ROUND_ROBIN:
            fixed = [user for user in chosen if cleaned.get(f"fixed_{user.pk}")]
            if len(fixed) == len(chosen) and len(chosen) > 1:
                raise ValidationError(
                    "Leave at least one host out of “always in the meeting”: round-robin picks among the others."
                )
        self.chosen_hosts = chosen
        return cleaned

    def save(self, commit: bool = True) -> EventType:
        event_type = forms.ModelForm.save(self, commit=False)
        event_type.owner = self.instance.owner if self.instance.pk else self.owner
        event_type.team = self.team
        event_type.kind = EventType.Kind.ONE_ON_ONE
        event_type.allow_recurring = False
        event_type.schedule = (
            self.instance.schedule if self.instance.schedule_id else ensure_default_schedule(self.owner)
        )
        event_type.extra_durations = [m for m in self.cleaned_data["extra_durations_text"] if m != event_type.duration]
        event_type.window_dates = self.cleaned_data["window_dates_text"]
        event_type.questions = self.cleaned_data["questions_text"]
        event_type.save()
        round_robin = event_type.hosting == EventType.Hosting.ROUND_ROBIN
        event_type.hosts.exclude(user__in=self.chosen_hosts).delete()
        for user in self.chosen_hosts:
            TeamHost.objects.update_or_create(
                event_type=event_type, user=user,
                defaults={
                    "is_fixed": round_robin and self.cleaned_data[f"fixed_{user.pk}"],
                    "priority": self.cleaned_data[f"priority_{user.pk}"],
                    "weight": self.cleaned_data[f"weight_{user.pk}"],
                },
            )  # fmt: skip
        return event_type
