"""Profile → API tokens: make a token (its secret is shown once), see when each was last used,
revoke one. The API itself is ``/api/v1/`` (``project/api.py``)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.api_base import issue_token, revoke
from accounts.models import ApiToken
from accounts.shortcuts import get_owned_or_404
from accounts.text import PlainTextForm

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


def _page(request: HttpRequest, form: ApiTokenForm, *, secret: str = "", made: ApiToken | None = None, status=200):
    context = {
        "form": form,
        "tokens": ApiToken.objects.for_owner(request.user),
        "now": timezone.now(),
        "secret": secret,
        "made": made,
    }
    return render(request, "accounts/api_tokens.html", context, status=status)


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    token, secret = issue_token(
        user=request.user,
        name=form.cleaned_data["name"],
        can_write=form.cleaned_data["can_write"],
        expires_at=form.expires_at(),
    )
    # Rendered, not redirected: the secret exists only in this response.
    return _page(request, ApiTokenForm(), secret=secret, made=token)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_owned_or_404(ApiToken, request.user, pk=pk, owner_field="user")
    revoke(token)
    messages.success(request, f"Revoked “{token.name}”. Programs using it can no longer reach your account.")
    return redirect("accounts:api_tokens")
