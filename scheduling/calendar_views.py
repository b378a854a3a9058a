"""The calendar: month, week, day and agenda views, events, RSVP links, .ics and the feed."""

from __future__ import annotations

import calendar as monthcal
import hashlib
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST, require_safe

from accounts.shortcuts import get_owned_or_404
from scheduling import events as workflows
from scheduling import ical, ics, occurrences
from scheduling.forms import EventForm, RsvpForm
from scheduling.models import Attendee, CalendarFeed, Event, TimeProposal

VIEWS = ("month", "week", "day", "agenda")
HOUR_HEIGHT_REM = 3  # week and day views: one hour is this tall


def _today(request) -> date:
    return timezone.now().astimezone(request.user.tzinfo).date()


def _parse_day(value: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat(value) if value else fallback
    except ValueError:
        return fallback


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _place(occurrence: occurrences.Occurrence, day: date, zone: ZoneInfo) -> dict:
    """Position of an occurrence in a day column (week/day views), in rem from midnight."""
    start = max(occurrence.start.astimezone(zone), _midnight(day, zone))
    end = min(occurrence.end.astimezone(zone), _midnight(day + timedelta(days=1), zone))
    top = (start.hour + start.minute / 60) * HOUR_HEIGHT_REM
    height = max((end - start).total_seconds() / 3600 * HOUR_HEIGHT_REM, 1.25)
    return {"occurrence": occurrence, "top": f"{top:.2f}", "height": f"{height:.2f}"}


def _empty_slots(day: date, new_url: str) -> SafeString:
    """The clickable hours of a day column ("new event here"), built in one go: 168 of them per
    week cost more through the template language than the rest of the page."""
    label_day = f"{day:%A} {day.day} {day:%B}"
    style = "absolute inset-x-0 block border-t border-slate-100 hover:bg-brand-50"
    return mark_safe(
        "".join(
            f'<a href="{new_url}?start={day.isoformat()}T{hour:02d}:00" class="{style}" '
            f'style="top: {hour * HOUR_HEIGHT_REM}rem; height: {HOUR_HEIGHT_REM}rem" '
            f'aria-label="New event on {label_day} at {hour:02d}:00" data-slot="{day.isoformat()}T{hour:02d}"></a>'
            for hour in range(24)
        )
    )


@login_required
@require_GET
def calendar_page(request: HttpRequest, view: str = "week") -> HttpResponse:
    if view not in VIEWS:
        raise Http404
    zone = request.user.tzinfo
    today = _today(request)
    day = _parse_day(request.GET.get("date"), today)
    kinds = [kind for kind in request.GET.getlist("kind") if kind in Event.Kind.values]
    text = request.GET.get("q", "").strip()[:100]
    context = {"view": view, "day": day, "today": today, "kinds": kinds, "q": text, "kind_choices": Event.Kind.choices}
    if view == "month":
        weeks = monthcal.Calendar(firstweekday=0).monthdatescalendar(day.year, day.month)
        start, end = _midnight(weeks[0][0], zone), _midnight(weeks[-1][-1] + timedelta(days=1), zone)
        found = occurrences.between(request.user, start, end, kinds=kinds, text=text)
        by_day: dict[date, list] = {}
        for occurrence in found:
            first = occurrence.start.astimezone(zone).date()
            last = (occurrence.end - timedelta(microseconds=1)).astimezone(zone).date()
            for offset in range((last - first).days + 1):
                by_day.setdefault(first + timedelta(days=offset), []).append(occurrence)
        context["weeks"] = [[{"date": d, "items": by_day.get(d, []), "in_month": d.month == day.month} for d in week]
                            for week in weeks]  # fmt: skip
        previous, following = (
            (day.replace(day=1) - timedelta(days=1)).replace(day=1),
            (day.replace(day=28) + timedelta(days=4)).replace(day=1),
        )
        context["title"] = f"{day:%B %Y}"
    elif view in ("week", "day"):
        first = day - timedelta(days=day.weekday()) if view == "week" else day
        days = [first + timedelta(days=offset) for offset in range(7 if view == "week" else 1)]
        start, end = _midnight(days[0], zone), _midnight(days[-1] + timedelta(days=1), zone)
        found = occurrences.between(request.user, start, end, kinds=kinds, text=text)
        columns = []
        new_url = reverse("scheduling:event_create")
        for column_day in days:
            lo, hi = _midnight(column_day, zone), _midnight(column_day + timedelta(days=1), zone)
            items = [occ for occ in found if occ.start < hi and occ.end > lo]
            columns.append({
                "date": column_day,
                "all_day": [occ for occ in items if occ.event.all_day],
                "timed": [_place(occ, column_day, zone) for occ in items if not occ.event.all_day],
                "slots": _empty_slots(column_day, new_url),
            })  # fmt: skip
        context.update(columns=columns, hours=range(24), hour_height=HOUR_HEIGHT_REM)
        step = timedelta(days=7 if view == "week" else 1)
        previous, following = day - step, day + step
        context["title"] = f"{days[0]:%d %b} – {days[-1]:%d %b %Y}" if view == "week" else f"{day:%A %d %B %Y}"
        now = timezone.now().astimezone(zone)
        context["now_top"] = f"{(now.hour + now.minute / 60) * HOUR_HEIGHT_REM:.2f}"
    else:
        until = _parse_day(request.GET.get("until"), day + timedelta(days=30))
        start, end = _midnight(day, zone), _midnight(max(until, day) + timedelta(days=1), zone)
        found = occurrences.between(request.user, start, end, kinds=kinds, text=text)
        groups: dict[date, list] = {}
        for occurrence in found:
            groups.setdefault(occurrence.start.astimezone(zone).date(), []).append(occurrence)
        context.update(groups=sorted(groups.items()), until=until, title="Agenda")
        previous, following = day - timedelta(days=30), day + timedelta(days=30)
    context.update(previous=previous, following=following)
    template = (
        "scheduling/calendar.html#calendar"
        if request.htmx and request.htmx.target == "calendar"
        else "scheduling/calendar.html"
    )
    return render(request, template, context)


# --- Events --------------------------------------------------------------------------------------


def _form_page(request: HttpRequest, event: Event | None, *, initial: dict | None = None) -> HttpResponse:
    form = EventForm(request.POST or None, instance=event, owner=request.user, initial=initial or {})
    if request.method == "POST" and form.is_valid():
        try:
            saved = workflows.save_event(event=form.save(), attendees=form.attendees)
        except workflows.MeetingOverlaps:
            form.add_error(
                "start", "This booked meeting would overlap another booking. Pick a time when you have no booking."
            )
        else:
            messages.success(
                request, f"Saved “{saved.title}”." + (" Invitations are on their way." if form.attendees else "")
            )
            return redirect(saved)
    return render(request, "scheduling/event_form.html", {"form": form, "event": event})


@login_required
def event_create(request: HttpRequest) -> HttpResponse:
    zone = request.user.tzinfo
    initial = {}
    start = request.GET.get("start")
    if start:
        try:
            moment = datetime.fromisoformat(start)
        except ValueError:
            moment = None
        if moment is not None:
            local = (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(zone).replace(tzinfo=None)
            initial = {"start": local, "end": local + timedelta(hours=1)}
    return _form_page(request, None, initial=initial)


def _owned_event(request: HttpRequest, pk: int) -> Event:
    return get_owned_or_404(Event.objects.select_related("owner", "series"), request.user, pk=pk)


@login_required
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = _owned_event(request, pk)
    if event.is_cancelled:
        raise Http404("This event was deleted.")
    original = occurrences.parse_original(request.GET.get("occurrence"))
    if event.rrule and original is not None and request.GET.get("scope") == "this":
        # Editing one occurrence: it becomes its own event, linked to the series.
        single = workflows.detach_occurrence(series=event, original=original)
        return redirect("scheduling:event_edit", pk=single.pk)
    return _form_page(request, event)


@login_required
@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = _owned_event(request, pk)
    attendees = list(event.attendees.prefetch_related("proposals"))
    context = {
        "event": event,
        "attendees": attendees,
        "occurrence": request.GET.get("occurrence", ""),
        "proposals": TimeProposal.objects.filter(
            attendee__event=event, status=TimeProposal.Status.PENDING
        ).select_related("attendee"),
        "repeats": _describe(event),
    }
    if request.htmx and request.htmx.target == "attendee-status":
        return render(request, "scheduling/event_detail.html#attendees", context)
    return render(request, "scheduling/event_detail.html", context)


def _describe(event: Event) -> str:
    if not event.rrule:
        return ""
    from scheduling.recurrence import Recurrence

    return Recurrence.from_rrule(event.rrule, event.timezone).describe(event.start.astimezone(event.tzinfo))


@login_required
def event_delete(request: HttpRequest, pk: int) -> HttpResponse:
    event = _owned_event(request, pk)
    original = occurrences.parse_original(request.GET.get("occurrence") or request.POST.get("occurrence"))
    if request.method == "POST":
        if event.rrule and original is not None and request.POST.get("scope") == "this":
            workflows.cancel_occurrence(event=event, original=original)
            messages.success(request, "Deleted that occurrence; the rest of the series stays.")
        else:
            workflows.cancel_event(event=event)
            messages.success(
                request, f"Deleted “{event.title}”." + (" Attendees were told." if event.attendees.exists() else "")
            )
        return redirect("scheduling:calendar")
    return render(
        request, "scheduling/event_confirm_delete.html", {"event": event, "original": request.GET.get("occurrence", "")}
    )


@login_required
@require_GET
def event_ics(request: HttpRequest, pk: int) -> HttpResponse:
    event = _owned_event(request, pk)
    return HttpResponse(
        ical.download(event),
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="event-{event.pk}.ics"'},
    )


@login_required
@require_POST
def proposal_decide(request: HttpRequest, pk: int, proposal_pk: int) -> HttpResponse:
    event = _owned_event(request, pk)
    proposal = get_object_or_404(
        TimeProposal, pk=proposal_pk, attendee__event=event, status=TimeProposal.Status.PENDING
    )
    if request.POST.get("decision") == "accept":
        workflows.accept_proposal(proposal=proposal)
        messages.success(
            request,
            f"Moved to the time {proposal.attendee.name or proposal.attendee.email} proposed. Everyone was told.",
        )
    else:
        proposal.status = TimeProposal.Status.DISMISSED
        proposal.save(update_fields=["status"])
        messages.info(request, "Proposal dismissed.")
    return redirect(event)


# --- RSVP (token link, no account) --------------------------------------------------------------


def rsvp(request: HttpRequest, token: str) -> HttpResponse:
    attendee = get_object_or_404(Attendee.objects.select_related("event__owner"), token=token)
    event = attendee.event
    if event.is_cancelled:
        return render(request, "scheduling/rsvp.html", {"attendee": attendee, "event": event, "cancelled": True})
    form = RsvpForm(request.POST or None, initial={"response": request.GET.get("response", attendee.status)})
    if request.method == "POST" and form.is_valid():
        proposal = None
        proposed = form.cleaned_data.get("propose_start")
        if form.cleaned_data["response"] == "declined" and proposed:
            start = proposed.replace(tzinfo=None).replace(tzinfo=event.tzinfo)
            proposal = (start, start + (event.end - event.start), form.cleaned_data["note"])
        workflows.respond(attendee=attendee, status=form.cleaned_data["response"], proposal=proposal)
        messages.success(request, "Thanks, your answer was sent." + (" Your proposed time too." if proposal else ""))
        return redirect("scheduling:rsvp", token=token)
    return render(request, "scheduling/rsvp.html", {"attendee": attendee, "event": event, "form": form,
                                                   "repeats": _describe(event)})  # fmt: skip


# --- Subscription feed ---------------------------------------------------------------------------

FEED_PAST = timedelta(days=90)
FEED_SERIES_HORIZON = timedelta(days=5 * 365)
FEED_REFRESH = timedelta(hours=1)


def _feed_events(owner, now: datetime) -> list[Event]:
    """The owner's meetings from three months ago on: one-off ones, and series (with their edited
    occurrences) that still have an occurrence in that span."""
    since = now - FEED_PAST
    found = (
        Event.objects.for_owner(owner)
        .active()
        .filter(series__isnull=True)
        .filter(Q(rrule="", end__gte=since) | ~Q(rrule=""))
        .select_related("owner")
        .prefetch_related("exceptions")
    )
    return [event for event in found if not event.rrule or occurrences.expand(event, since, now + FEED_SERIES_HORIZON)]


def _feed_etag(owner, now: datetime) -> tuple[str, datetime | None]:
    """Changes whenever a meeting of the owner changes (cancelled ones included) or the window
    moves on a day, so clients asking with If-None-Match get 304 until then."""
    state = Event.objects.filter(owner=owner).aggregate(changed=Max("updated_at"), count=Count("pk"))
    fingerprint = f"{owner.pk}:{owner.display_name}:{state['changed']}:{state['count']}:{now.date()}"
    return f'"{hashlib.sha256(fingerprint.encode()).hexdigest()[:32]}"', state["changed"]


@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """All the owner's meetings as an iCalendar feed (Google, Apple, Thunderbird subscribe to it):
    series as RRULE with their overrides, in their own zones, with no attendees (PUBLISH)."""
    subscription = get_object_or_404(CalendarFeed.objects.select_related("owner"), token=token)
    owner = subscription.owner
    now = timezone.now()
    etag, last_modified = _feed_etag(owner, now)
    headers = {"Cache-Control": "private, max-age=300", "ETag": etag}
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified.timestamp())
    not_modified = get_conditional_response(
        request, etag=etag, last_modified=last_modified and last_modified.timestamp()
    )
    if not_modified is not None:
        for name, value in headers.items():
            not_modified[name] = value
        return not_modified
    body = ics.build(
        [part for event in _feed_events(owner, now) for part in ical.components(event, with_attendees=False)],
        method="PUBLISH",
        name=f"Convene — {owner.display_name}",
        refresh=FEED_REFRESH,
    )
    response = HttpResponse(
        b"" if request.method == "HEAD" else body, content_type="text/calendar; charset=utf-8", headers=headers
    )
    response["Content-Length"] = str(len(body))
    return response


@login_required
@require_POST
def feed_regenerate(request: HttpRequest) -> HttpResponse:
    CalendarFeed.objects.filter(owner=request.user).delete()
    CalendarFeed.objects.create(owner=request.user)
    messages.success(request, "New subscription link created; the old one no longer works.")
    return redirect(reverse("accounts:profile") + "#calendar-feed")


def feed_urls(owner) -> dict[str, str]:
    """The subscription link in both forms, on ``SITE_URL`` (the address people reach us at)."""
    subscription, _ = CalendarFeed.objects.get_or_create(owner=owner)
    https = settings.SITE_URL + reverse("scheduling:feed", args=[subscription.token])
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}
