"""The calendar: month, week, day and agenda views, events, RSVP links, .ics and the feed."""

from __future__ import annotations

import calendar as monthcal
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from accounts.shortcuts import get_owned_or_404
from scheduling import events as workflows
from scheduling import occurrences
from scheduling.emails import event_invitation
from scheduling.forms import EventForm, RsvpForm
from scheduling.ics import Invitation, Person, build_calendar, feed_calendar
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
        saved = workflows.save_event(event=form.save(), attendees=form.attendees)
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
        build_calendar([event_invitation(event)]),
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
FEED_FUTURE = timedelta(days=365)


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """All the owner's events as an iCalendar feed (Google, Apple, Thunderbird subscribe to it).
    Recurring series are expanded over the past 3 months and the next year, each occurrence its
    own event, which every client shows the same way."""
    subscription = get_object_or_404(CalendarFeed.objects.select_related("owner"), token=token)
    owner = subscription.owner
    now = timezone.now()
    organizer = Person(email=owner.email, name=owner.display_name)
    found = occurrences.between(owner, now - FEED_PAST, now + FEED_FUTURE)
    entries = [
        Invitation(
            uid=occurrence.event.uid if not occurrence.event.rrule else f"{occurrence.event.uid}-{occurrence.original}",
            sequence=occurrence.event.sequence, start=occurrence.start, end=occurrence.end,
            summary=occurrence.event.title, organizer=organizer, description=occurrence.event.description,
            location=occurrence.event.location, timezone=occurrence.event.timezone, all_day=occurrence.event.all_day,
        )
        for occurrence in found
    ]  # fmt: skip
    return HttpResponse(
        feed_calendar(entries, name=f"Convene — {owner.display_name}"),
        content_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


@login_required
@require_POST
def feed_regenerate(request: HttpRequest) -> HttpResponse:
    CalendarFeed.objects.filter(owner=request.user).delete()
    CalendarFeed.objects.create(owner=request.user)
    messages.success(request, "New subscription link created; the old one no longer works.")
    return redirect(reverse("accounts:profile") + "#calendar-feed")


def feed_urls(request: HttpRequest, owner) -> dict[str, str]:
    subscription, _ = CalendarFeed.objects.get_or_create(owner=owner)
    https = request.build_absolute_uri(reverse("scheduling:feed", args=[subscription.token]))
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}
