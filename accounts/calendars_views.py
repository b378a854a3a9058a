"""Profile → Calendars: every connected calendar (Google, CalDAV accounts, ICS links), which of
them count as busy, and the one that receives new meetings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import caldav_gateway, calendars, google
from accounts.calendar_forms import PRESETS, BusyCalendarsForm, CalDAVConnectForm, ICSSubscribeForm, MeetingCalendarForm
from accounts.models import CalDAVAccount, ICSSubscription
from accounts.shortcuts import get_owned_or_404


def _page(request: HttpRequest, *, caldav_form=None, ics_form=None, meeting_form=None, status: int = 200):
    user = request.user
    accounts = list(CalDAVAccount.objects.filter(user=user))
    context = {
        "google_connection": google.connection_for(user),
        "google_configured": google.configured(),
        "caldav_accounts": [(account, BusyCalendarsForm(account=account)) for account in accounts],
        "subscriptions": ICSSubscription.objects.filter(user=user),
        "meeting_form": meeting_form or MeetingCalendarForm(user=user),
        "caldav_form": caldav_form or CalDAVConnectForm(user=user),
        "ics_form": ics_form or ICSSubscribeForm(user=user),
        "presets": PRESETS,
    }
    return render(request, "accounts/calendars.html", context, status=status)


@login_required
def calendars_page(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    form = MeetingCalendarForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, meeting_form=form, status=400)
    chosen = form.save()
    messages.success(request, f"New meetings go to {chosen.name}." if chosen else "New meetings stay in Convene only.")
    return redirect("accounts:calendars")


@login_required
@require_POST
def caldav_connect(request: HttpRequest) -> HttpResponse:
    form = CalDAVConnectForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, caldav_form=form, status=400)
    account = form.save()
    messages.success(
        request,
        f"Connected {account.name}: {len(account.calendars)} calendar{'s' if len(account.calendars) != 1 else ''} "
        "found. Tick the ones that count as busy.",
    )
    return redirect("accounts:calendars")


@login_required
@require_POST
def caldav_busy(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_owned_or_404(CalDAVAccount, request.user, pk=pk, owner_field="user")
    form = BusyCalendarsForm(request.POST, account=account)
    if form.is_valid():
        form.save()
        messages.success(request, f"Saved which calendars of {account.name} count as busy.")
    else:
        messages.error(request, " ".join(form.errors["busy_calendars"]))
    return redirect("accounts:calendars")


@login_required
@require_POST
def caldav_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_owned_or_404(CalDAVAccount, request.user, pk=pk, owner_field="user")
    try:
        calendars.refresh_caldav_calendars(account)
    except caldav_gateway.CalDAVError as error:
        messages.error(request, f"{account.name}: {error.message}")
    else:
        messages.success(request, f"The calendar list of {account.name} was read again.")
    return redirect("accounts:calendars")


@login_required
@require_POST
def caldav_reconnect(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_owned_or_404(CalDAVAccount, request.user, pk=pk, owner_field="user")
    password = request.POST.get("password", "")
    if not password:
        messages.error(request, "Type the new app password to reconnect.")
        return redirect("accounts:calendars")
    try:
        calendars.reconnect_caldav(account, password)
    except caldav_gateway.CalDAVError as error:
        messages.error(request, f"{account.name}: {error.message}")
    else:
        messages.success(request, f"{account.name} is connected again.")
    return redirect("accounts:calendars")


@login_required
@require_POST
def caldav_disconnect(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_owned_or_404(CalDAVAccount, request.user, pk=pk, owner_field="user")
    calendars.disconnect_caldav(account)
    messages.success(
        request, f"{account.name} is disconnected and its password forgotten. Meetings already copied there stay there."
    )
    return redirect("accounts:calendars")


@login_required
@require_POST
def ics_subscribe(request: HttpRequest) -> HttpResponse:
    form = ICSSubscribeForm(request.POST, user=request.user)
    subscription = form.save() if form.is_valid() else None
    if subscription is None:
        return _page(request, ics_form=form, status=400)
    messages.success(request, f"Subscribed to {subscription.name}: its busy times now count.")
    return redirect("accounts:calendars")


@login_required
@require_POST
def ics_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_owned_or_404(ICSSubscription, request.user, pk=pk, owner_field="user")
    subscription.busy = request.POST.get("busy") == "on"
    subscription.save(update_fields=["busy"])
    messages.success(request, f"{subscription.name} {'counts' if subscription.busy else 'no longer counts'} as busy.")
    return redirect("accounts:calendars")


@login_required
@require_POST
def ics_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_owned_or_404(ICSSubscription, request.user, pk=pk, owner_field="user")
    calendars.refresh(subscription)
    if subscription.last_error:
        messages.error(request, f"{subscription.name}: {subscription.last_error}")
    else:
        messages.success(request, f"{subscription.name} was read again.")
    return redirect("accounts:calendars")


@login_required
@require_POST
def ics_remove(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_owned_or_404(ICSSubscription, request.user, pk=pk, owner_field="user")
    subscription.delete()
    messages.success(request, f"Unsubscribed from {subscription.name}.")
    return redirect("accounts:calendars")
