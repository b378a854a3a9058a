from __future__ import annotations

from datetime import timedelta

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.clock import WEEK_STARTS
from accounts.models import CalDAVAccount, Contact, GoogleCalendarConnection, User
from accounts.text import PlainTextForm
from accounts.timezones import TimezoneField

TIMEZONE_HELP = "Times are shown to you in this timezone."


def timezone_field() -> TimezoneField:
    return TimezoneField(initial="UTC", help_text=TIMEZONE_HELP)


class LoginForm(AllauthLoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Username or email"
        self.fields["remember"].label = "Keep me signed in on this device"


class SignupForm(PlainTextForm, AllauthSignupForm):
    name = forms.CharField(label="Your name", max_length=150, required=False)
    timezone = timezone_field()
    # Filled in from the browser's locale by static/js/locale.js; changed on the profile.
    hour12 = forms.TypedChoiceField(
        choices=[("0", "24-hour"), ("1", "12-hour")], coerce=lambda value: value == "1", required=False,
        empty_value=False, widget=forms.HiddenInput(attrs={"data-detect-clock": ""}),
    )  # fmt: skip
    week_start = forms.TypedChoiceField(
        choices=WEEK_STARTS, coerce=int, required=False, empty_value=0,
        widget=forms.HiddenInput(attrs={"data-detect-week-start": ""}),
    )  # fmt: skip

    field_order = ["name", "email", "username", "password1", "password2", "timezone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = (
            f"Your public booking page will be {settings.SITE_URL}/<username>/. "
            "Letters, digits, dots, hyphens and underscores."
        )
        if not self.is_bound:
            # static/js/timezone.js selects the browser's timezone; a re-shown form keeps the
            # choice the person made.
            self.fields["timezone"].widget.attrs["data-detect-timezone"] = ""

    def save(self, request):
        user = super().save(request)
        user.name = self.cleaned_data["name"]
        user.timezone = self.cleaned_data["timezone"]
        user.hour12, user.week_start = self.cleaned_data["hour12"], self.cleaned_data["week_start"]
        user.save(update_fields=["name", "timezone", "hour12", "week_start"])
        return user


class ProfileForm(PlainTextForm, forms.ModelForm):
    timezone = timezone_field()

    class Meta:
        model = User
        fields = ["name", "username", "timezone", "hour12", "week_start", "answer_notices"]
        labels = {"name": "Your name"}
        help_texts = {"hour12": "How times are written on your pages and in your emails."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # static/js/timezone.js offers the browser's timezone when it differs from the saved one.
        self.fields["timezone"].widget.attrs["data-suggest-timezone"] = ""

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].lower()
        if User.objects.exclude(pk=self.instance.pk).filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken. Please choose another.")
        return username


class DeleteAccountForm(forms.Form):
    """Asks for the password; an account made through Google (no password) types its username."""

    confirmation = forms.CharField(strip=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        field = self.fields["confirmation"]
        if user.has_usable_password():
            field.label = "Your password"
            field.widget = forms.PasswordInput(attrs={"autocomplete": "current-password"})
        else:
            field.label = f"Type your username ({user.username}) to confirm"

    def clean_confirmation(self) -> str:
        value = self.cleaned_data["confirmation"]
        if self.user.has_usable_password():
            if not self.user.check_password(value):
                raise forms.ValidationError("That password is not correct. Your account was not deleted.")
        elif value.strip().lower() != self.user.username.lower():
            raise forms.ValidationError("That is not your username. Your account was not deleted.")
        return value


class ContactForm(PlainTextForm, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["first_name", "last_name", "email"]
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args, owner: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        duplicates = Contact.objects.for_owner(self.owner).filter(email__iexact=email).exclude(pk=self.instance.pk)
        if duplicates.exists():
            raise forms.ValidationError("A contact with this email already exists.")
        return email

    def save(self, commit: bool = True) -> Contact:
        self.instance.owner = self.owner
        return super().save(commit)


def save_contact(form: ContactForm) -> Contact | None:
    """Save, turning a lost race against the database's unique constraint into a form error."""
    try:
        with transaction.atomic():
            return form.save()
    except IntegrityError:
        form.add_error("email", "A contact with this email already exists.")
        return None


class ContactSearchForm(forms.Form):
    q = forms.CharField(label="Search contacts", required=False, max_length=200)


class GoogleCalendarForm(forms.ModelForm):
    """Which Google calendars block bookings and poll times, and which one receives new meetings."""

    busy_calendars = forms.MultipleChoiceField(
        label="Check these calendars for conflicts",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Times you are busy in these calendars are never offered on your booking pages.",
        error_messages={
            "invalid_choice": "That calendar is not in your Google calendar list. Refresh the list and pick again."
        },
    )
    target_calendar = forms.ChoiceField(
        label="Add new meetings to",
        required=False,
        help_text="Bookings, finalized polls and events you create in Convene are copied there.",
        error_messages={
            "invalid_choice": "Convene can only add meetings to a calendar you can edit. Pick one from the list."
        },
    )

    class Meta:
        model = GoogleCalendarConnection
        fields = ["busy_calendars", "target_calendar"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        connection = self.instance
        known = connection.calendars or [{"id": "primary", "summary": "Your main calendar", "writable": True}]
        # Keep a chosen calendar selectable even if it vanished from the list (e.g. unshared).
        known_ids = {calendar["id"] for calendar in known}
        chosen = [*connection.busy_calendars, connection.target_calendar]
        extra = [{"id": item, "summary": item, "writable": True} for item in chosen if item and item not in known_ids]
        calendars = [*known, *extra]
        names = {
            calendar["id"]: f"{calendar['summary']} (main calendar)" if calendar.get("primary") else calendar["summary"]
            for calendar in calendars
        }
        self.fields["busy_calendars"].choices = list(names.items())
        self.fields["target_calendar"].choices = [
            ("", "Don't add meetings to Google Calendar"),
            *(
                (calendar["id"], names[calendar["id"]])
                for calendar in calendars
                # The current choice stays selectable, so saving other settings never drops it.
                if calendar["writable"] or calendar["id"] == connection.target_calendar
            ),
        ]

    def save(self, commit: bool = True) -> GoogleCalendarConnection:
        connection = super().save(commit)
        if commit and connection.target_calendar:
            # One calendar across every connection receives meetings (accounts/calendars.py).
            for account in CalDAVAccount.objects.filter(user_id=connection.user_id).exclude(target_calendar=""):
                account.target_calendar = ""
                account.save(update_fields=["target_calendar"])
        return connection


EXPIRY_CHOICES = [("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year"), ("", "Never")]


class ApiTokenForm(PlainTextForm, forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What will use it, e.g. “CRM sync” or “Zapier”.",
        error_messages={"required": "Give the token a name, so you know what uses it."},
    )
    can_write = forms.TypedChoiceField(
        label="Access",
        choices=[("false", "Read only"), ("true", "Read and write")],
        coerce=lambda value: value == "true",
        initial="false",
        widget=forms.RadioSelect,
        help_text="Read-only tokens can look but not create, change or cancel anything.",
    )
    expires = forms.ChoiceField(label="Expires", choices=EXPIRY_CHOICES, initial="90", required=False)

    def expires_at(self):
        days = self.cleaned_data.get("expires")
        return timezone.now() + timedelta(days=int(days)) if days else None
