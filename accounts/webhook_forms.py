"""Profile → Webhooks: the form that adds or edits an endpoint."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.conf import settings

from accounts import outbound
from accounts.models import User, WebhookEndpoint
from accounts.text import PlainTextForm

# Names that always lead to this machine; other names are checked when a delivery connects.
LOCAL_NAMES = ("localhost", "localhost.localdomain")


def plain_http_allowed() -> bool:
    """http:// only where nothing crosses the internet in the clear: development and tests."""
    return settings.DEBUG or settings.OUTBOUND_ALLOW_PRIVATE


class WebhookEndpointForm(PlainTextForm, forms.ModelForm):
    url = forms.CharField(
        label="URL",
        max_length=500,
        help_text="Where Convene POSTs the events, e.g. https://example.com/convene/webhooks",
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
    )
    events = forms.MultipleChoiceField(
        label="Events to send",
        choices=WebhookEndpoint.Events.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one event to send."},
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events"]
        labels = {"description": "Description (optional)"}
        help_texts = {"description": "What receives them, e.g. “CRM sync”."}

    def __init__(self, *args, owner: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.owner = owner

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        allowed = ("https", "http") if plain_http_allowed() else ("https",)
        if scheme not in allowed or not parts.hostname or "://" not in url:
            raise forms.ValidationError("Use an https:// address, e.g. https://example.com/convene/webhooks.")
        try:
            parts.port  # noqa: B018  (raises on a port that is not a number)
        except ValueError:
            raise forms.ValidationError("The port in this address is not a number: check the address.") from None
        if not settings.OUTBOUND_ALLOW_PRIVATE and parts.hostname.lower().rstrip(".") in LOCAL_NAMES:
            raise forms.ValidationError(
                "That address leads to this server itself; Convene only sends webhooks to addresses on the internet."
            )
        try:
            outbound.check_url(url)
        except outbound.Refused as refused:
            raise forms.ValidationError(refused.message) from None
        return url

    def clean_events(self) -> list[str]:
        chosen = set(self.cleaned_data["events"])
        return [value for value in WebhookEndpoint.Events.values if value in chosen]
