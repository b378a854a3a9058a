from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Contact
from accounts.timezones import timezone_choices
from scheduling.models import MAX_INVITEES, Invitation, Poll

MAX_POLL_DAYS = 56  # eight weeks


class PollForm(forms.ModelForm):
    """Create or edit a poll. Dates are a range (one day to eight weeks) or a list of dates."""

    date_mode = forms.ChoiceField(
        label="Dates",
        choices=[("range", "A range of days"), ("list", "Chosen dates")],
        initial="range",
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
    timezone = forms.ChoiceField(choices=timezone_choices, help_text="The poll's days and hours are in this timezone.")
    deadline = forms.DateTimeField(
        label="Answer by",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In the poll's timezone. Invitees can answer until then.",
    )

    class Meta:
        model = Poll
        fields = ["title", "description", "kind", "duration", "timezone", "day_start", "day_end", "cell_minutes",
                  "deadline"]  # fmt: skip
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "kind": forms.RadioSelect,
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
        poll = self.instance
        if poll.pk:
            self.fields["kind"].disabled = True  # suggestions are built for the kind chosen
            dates = poll.date_list
            contiguous = len(dates) == (dates[-1] - dates[0]).days + 1
            self.initial.update(
                date_mode="range" if contiguous else "list",
                first_date=dates[0],
                last_date=dates[-1],
                chosen_dates="\n".join(day.isoformat() for day in dates),
                deadline=poll.deadline.astimezone(poll.tzinfo).replace(tzinfo=None),
            )
        else:
            self.initial.setdefault("timezone", owner.timezone)

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
        today = timezone.now().astimezone(zone).date()
        dates = self._dates(cleaned)
        if dates:
            if len(dates) > MAX_POLL_DAYS or (dates[-1] - dates[0]).days >= MAX_POLL_DAYS:
                self.add_error("last_date" if cleaned.get("date_mode") == "range" else "chosen_dates",
                               "A poll can span at most eight weeks.")  # fmt: skip
            elif dates[0] < today and not self._keeps_past_dates(dates, today):
                field = "first_date" if cleaned.get("date_mode") == "range" else "chosen_dates"
                self.add_error(field, "Available date cannot be in the past.")
        self.dates = dates
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
        deadline = cleaned.get("deadline")
        if deadline is not None:
            deadline = deadline.replace(tzinfo=None).replace(tzinfo=zone)
            cleaned["deadline"] = deadline
            if deadline <= timezone.now() and (not self.instance.pk or "deadline" in self.changed_data):
                self.add_error("deadline", "Deadline cannot be in the past.")
        return cleaned

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
            poll.save()
        return poll


class InviteForm(forms.Form):
    """Invite people from the address book, or type a new name and email (added as a contact)."""

    contacts = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="From your contacts"
    )
    name = forms.CharField(label="Or someone new: name", max_length=150, required=False)
    email = forms.EmailField(label="Email", required=False)

    def __init__(self, *args, poll: Poll, **kwargs):
        super().__init__(*args, **kwargs)
        self.poll = poll
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


class DeclineForm(forms.Form):
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
    """The meetings the owner is about to create: one time for the group (from the grid, or any
    time), or a time per invitee for a 1-on-1 series. Choices are plain text fields checked here,
    so a tampered value gets the specific message people know ("Contact not invited",
    "Invalid meeting time for contact", ...), not a generic "Select a valid choice"."""

    start = forms.CharField(required=False)
    custom_start = forms.DateTimeField(required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    accept_warnings = forms.BooleanField(
        required=False, label="I have read the warnings and want to send these invitations anyway"
    )

    def __init__(self, *args, poll: Poll, starts: list[datetime], invitations: list[Invitation], **kwargs):
        super().__init__(*args, **kwargs)
        self.poll = poll
        self.invitations = {str(invitation.pk): invitation for invitation in invitations}
        zone = poll.tzinfo
        self.start_choices = [
            (moment.strftime("%Y%m%dT%H%M"), f"{moment.astimezone(zone):%a %d %b, %H:%M}") for moment in starts
        ]
        self.valid_starts = {key: moment for (key, _), moment in zip(self.start_choices, starts, strict=True)}
        for key in self.invitations:
            self.fields[f"slot_{key}"] = forms.CharField(required=False)

    def value_of(self, name: str) -> str:
        return (self.data.get(name) if self.is_bound else self.initial.get(name)) or ""

    def chosen_attendees(self) -> list[str]:
        if self.is_bound:
            return self.data.getlist("attendees")
        return self.initial.get("attendees", [])

    def clean(self):
        from scheduling.finalize import PlannedMeeting

        cleaned = super().clean()
        length = timedelta(minutes=self.poll.duration)
        meetings, errors = [], []
        if self.poll.kind == Poll.Kind.GROUP:
            chosen = self.chosen_attendees()
            if any(key not in self.invitations for key in chosen):
                errors.append("Contact not invited: that person is not an invitee of this poll.")
            people = tuple(self.invitations[key] for key in chosen if key in self.invitations)
            key, start = cleaned.get("start", ""), None
            if key == "custom":
                custom = cleaned.get("custom_start")
                if custom is None:
                    errors.append("This field is required: give the other time.")
                else:
                    start = custom.replace(tzinfo=None).replace(tzinfo=self.poll.tzinfo)
            elif key:
                start = self.valid_starts.get(key)
                if start is None:
                    errors.append("Invalid meeting time for contact: pick one of the listed times.")
            else:
                errors.append("This field is required: choose a meeting time.")
            if not people:
                errors.append("Availability not selected for a user: choose at least one person to invite.")
            if start is not None and people:
                meetings.append(PlannedMeeting(start=start, end=start + length, invitations=people))
        else:
            for key, invitation in self.invitations.items():
                value = cleaned.get(f"slot_{key}") or ""
                if not value:
                    continue
                start = self.valid_starts.get(value)
                if start is None:
                    errors.append(f"Invalid meeting time for contact: {invitation.name}.")
                    continue
                meetings.append(PlannedMeeting(start=start, end=start + length, invitations=(invitation,)))
            if any(name.startswith("slot_") and name[5:] not in self.invitations for name in self.data):
                errors.append("Contact not invited: that person is not an invitee of this poll.")
            if not meetings and not errors:
                errors.append("Availability not selected for a user: pick a time for at least one invitee.")
        self.meetings = sorted(meetings, key=lambda meeting: meeting.start)
        self.plan_errors = errors
        return cleaned
