"""Profile → API tokens: make a token (its secret is shown once), see when each was last used,
revoke one. The API itself is ``/api/v1/`` (``project/api.py``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.api_base import issue_token, revoke
from accounts.forms import ApiTokenForm
from accounts.models import ApiToken
from accounts.shortcuts import get_owned_or_404


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
@never_cache  # the page that shows a new secret must not be kept by the browser or a proxy
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
