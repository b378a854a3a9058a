"""Forms of the Calendars page: connect a CalDAV account, subscribe to an ICS link, pick the busy
calendars and the one calendar that receives new meetings."""

from __future__ import annotations

from django import forms

from accounts import caldav_gateway, calendars, ics_feed
from accounts.models import CalDAVAccount, ICSSubscription, User
from accounts.text import PlainTextForm


class Preset:
    def __init__(self, key: str, name: str, url: str, hint: str):
        self.key, self.name, self.url, self.hint = key, name, url, hint


PRESETS = [
    Preset(
        "icloud",
        "iCloud",
        "https://caldav.icloud.com/",
        "Your Apple ID email, and an app-specific password: account.apple.com → Sign-In and Security → "
        "App-Specific Passwords. Your Apple ID password will not work.",
    ),
    Preset(
        "fastmail",
        "Fastmail",
        "https://caldav.fastmail.com/",
        "Your Fastmail address, and an app password with access to calendars (CalDAV): Settings → "
        "Privacy & Security → Integrations → App passwords.",
    ),
    Preset(
        "nextcloud",
        "Nextcloud",
        "https://YOUR-NEXTCLOUD/remote.php/dav/",
        "Your Nextcloud user name, and an app password: Settings → Security → Devices & sessions → "
        "Create new app password. Put your Nextcloud's address in place of YOUR-NEXTCLOUD.",
    ),
    Preset(
        "other",
        "Another CalDAV server",
        "",
        "Radicale, Baïkal, SOGo, Zimbra, Synology, mailbox.org and others: the server's CalDAV address "
        "(or just its host name: Convene looks for /.well-known/caldav), your user name and password.",
    ),
]


class CalDAVConnectForm(PlainTextForm, forms.Form):
    """Connecting checks the account at once: the server is asked for the calendars (discovery),
    and whatever goes wrong is said here, in words."""

    preset = forms.ChoiceField(
        label="Provider", choices=[(preset.key, preset.name) for preset in PRESETS], initial="other",
        widget=forms.Select(attrs={"data-caldav-preset": ""}),
    )  # fmt: skip
    server_url = forms.CharField(
        label="Server address", max_length=500, required=False,
        help_text="e.g. https://cloud.example.org/remote.php/dav/ or just cloud.example.org",
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "url", "spellcheck": "false"}),
    )  # fmt: skip
    username = forms.CharField(label="User name", max_length=254, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    password = forms.CharField(
        label="App password", max_length=500, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted; Convene uses it only to read your busy times and write your meetings.",
    )  # fmt: skip
    name = forms.CharField(label="Name on this page (optional)", max_length=100, required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.discovery: caldav_gateway.Discovery | None = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        preset = next(item for item in PRESETS if item.key == data["preset"])
        url = (data.get("server_url") or "").strip() or preset.url
        if not url or "YOUR-" in url:
            self.add_error("server_url", "Type your server's address (the provider shows it in its settings).")
            return data
        if "://" not in url:
            url = f"https://{url}"
        data["server_url"] = url
        try:
            self.discovery = caldav_gateway.CalDAVAccount(url, data["username"], data["password"]).discover()
        except caldav_gateway.CalDAVError as error:
            field = "password" if isinstance(error, caldav_gateway.CalDAVAuthError) else "server_url"
            self.add_error(field, error.message)
            return data
        if not self.discovery.calendars:
            self.add_error(None, "The account answers, but it has no calendar that holds events. Create one first.")
        return data

    def save(self) -> CalDAVAccount:
        return calendars.connect_caldav(
            self.user,
            name=self.cleaned_data["name"]
            or _default_name(self.cleaned_data["preset"], self.cleaned_data["server_url"]),
            server_url=self.cleaned_data["server_url"],
            username=self.cleaned_data["username"],
            password=self.cleaned_data["password"],
            discovery=self.discovery,
        )


def _default_name(preset: str, url: str) -> str:
    from urllib.parse import urlsplit

    if preset != "other":
        return next(item.name for item in PRESETS if item.key == preset)
    return (urlsplit(url).hostname or "CalDAV")[:100]


class BusyCalendarsForm(forms.Form):
    """Which calendars of one CalDAV account count as busy."""

    busy_calendars = forms.MultipleChoiceField(
        label="Check these calendars for conflicts", widget=forms.CheckboxSelectMultiple, required=False,
        error_messages={"invalid_choice": "That calendar is no longer in this account. Read the list again and pick."},
    )  # fmt: skip

    def __init__(self, *args, account: CalDAVAccount, **kwargs):
        kwargs.setdefault("initial", {"busy_calendars": account.busy_calendars})
        super().__init__(*args, prefix=f"caldav-{account.pk}", **kwargs)
        self.account = account
        self.fields["busy_calendars"].choices = [(calendar["url"], calendar["name"]) for calendar in account.calendars]

    def save(self) -> None:
        calendars.set_busy_calendars(self.account, self.cleaned_data["busy_calendars"])


class ICSSubscribeForm(PlainTextForm, forms.Form):
    url = forms.CharField(
        label="Calendar link", max_length=2000,
        help_text="The published (“ICS” or “webcal”) link of an Outlook, Proton, Yahoo or work calendar.",
        widget=forms.TextInput(attrs={"inputmode": "url", "spellcheck": "false", "placeholder": "webcal://…"}),
    )  # fmt: skip
    name = forms.CharField(label="Name (optional)", max_length=100, required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_url(self) -> str:
        try:
            url = ics_feed.normalize_url(self.cleaned_data["url"])
        except ics_feed.FeedError as error:
            raise forms.ValidationError(error.message) from None
        if ICSSubscription.objects.filter(user=self.user, url=url).exists():
            raise forms.ValidationError("You already subscribe to this calendar link.")
        return url

    def save(self) -> ICSSubscription | None:
        """Fetch the link now; None (with the reason on the form) when that fails."""
        try:
            return calendars.subscribe(self.user, self.cleaned_data["url"], self.cleaned_data["name"])
        except ics_feed.FeedError as error:
            self.add_error("url", error.message)
            return None


class MeetingCalendarForm(forms.Form):
    """The one calendar, across every connection, that receives new meetings."""

    meeting_calendar = forms.ChoiceField(
        label="Add new meetings to", widget=forms.RadioSelect, required=False,
        help_text="Bookings, finalized polls and events you create in Convene are copied there, and kept in step.",
        error_messages={"invalid_choice": "Convene can only add meetings to a calendar you can edit. Pick one."},
    )  # fmt: skip

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.options = {option.choice: option for option in calendars.writable_calendars(user)}
        current = calendars.meeting_calendar(user)
        self.fields["meeting_calendar"].choices = [
            ("", "None: keep meetings in Convene only"),
            *((choice, option.name) for choice, option in self.options.items()),
        ]
        self.fields["meeting_calendar"].initial = current.choice if current else ""

    def save(self) -> calendars.MeetingCalendar | None:
        chosen = self.options.get(self.cleaned_data["meeting_calendar"])
        calendars.set_meeting_calendar(self.user, chosen)
        return chosen
