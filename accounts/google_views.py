"""The Google Calendar settings page: connect, pick calendars, disconnect."""

from __future__ import annotations

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.base import AuthProcess
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import google
from accounts.forms import GoogleCalendarForm


@login_required
def google_calendar(request: HttpRequest) -> HttpResponse:
    connection = google.connection_for(request.user)
    if connection is not None and not connection.calendars and not connection.needs_reconnect:
        # First visit after connecting: read the calendar list so the pickers show real names.
        google.refresh_calendar_list(connection)
    form = GoogleCalendarForm(request.POST or None, instance=connection) if connection else None
    if request.method == "POST" and form is not None and form.is_valid():
        form.save()
        google.forget_busy(request.user.pk)
        messages.success(request, "Your Google Calendar settings were saved.")
        return redirect("accounts:google")
    context = {
        "connection": connection,
        "form": form,
        "configured": google.configured(),
        "google_email": connection.account.extra_data.get("email", "") if connection else "",
    }
    return render(request, "accounts/google_calendar.html", context)


@login_required
@require_POST
def google_connect(request: HttpRequest) -> HttpResponse:
    """Send the user to Google's consent screen for the calendar scopes, with offline access (a
    refresh token) and the consent screen shown even if granted before (Google only hands out a
    refresh token on consent)."""
    if not google.configured():
        messages.error(request, "Google sign-in is not set up on this server. Ask the administrator.")
        return redirect("accounts:google")
    provider = get_adapter().get_provider(request, google.PROVIDER)
    return provider.redirect(
        request,
        AuthProcess.CONNECT,
        next_url=reverse("accounts:google"),
        data=google.CONNECT_STATE,
        scope=google.connect_scopes(),
        auth_params={"access_type": "offline", "prompt": "select_account consent", "include_granted_scopes": "true"},
    )


@login_required
@require_POST
def google_refresh(request: HttpRequest) -> HttpResponse:
    connection = google.connection_for(request.user)
    if connection is not None:
        if google.refresh_calendar_list(connection):
            messages.success(request, "Your calendar list was updated from Google.")
        else:
            messages.error(request, "Google Calendar did not answer. Your settings are unchanged; try again later.")
    return redirect("accounts:google")


@login_required
@require_POST
def google_disconnect(request: HttpRequest) -> HttpResponse:
    connection = google.connection_for(request.user)
    if connection is not None:
        google.disconnect(connection)
        messages.success(
            request,
            "Google Calendar is disconnected. Convene no longer reads your busy times or adds meetings there.",
        )
    return redirect("accounts:google")
