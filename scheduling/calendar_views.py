"""The calendar: month, week, day and agenda views, events, RSVP links, .ics and the feed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Max, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_GET, require_POST, require_safe

from accounts import clock
from accounts.clock import Clock
from accounts.inputs import parse_date, parse_moment
from accounts.shortcuts import get_owned_or_404
from accounts.timezones import timezone_options, zone_from_query
from scheduling import events as workflows
from scheduling import ical, ics, layout, occurrences, recipients
from scheduling.forms import EventForm, RsvpForm
from scheduling.models import Attendee, CalendarFeed, Event, TimeProposal

VIEWS = ("month", "week", "day", "agenda")
HOUR_HEIGHT_REM = 3  # week and day views: one hour is this tall
MONTH_CELL_ENTRIES = 3  # month view on wide screens: entries listed in a day, then "+2 more"
MIN_ENTRY_MINUTES = 25  # ... and an entry at least this long (1.25rem), so its title shows
# The owner's occurrences in [start, end) that the page's filters let through.
Finder = Callable[[datetime, datetime], list[occurrences.Occurrence]]


def _today(request) -> date:
    return timezone.now().astimezone(request.user.tzinfo).date()


def _parse_day(value: str | None, fallback: date) -> date:
    return parse_date(value) or fallback


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _entry(occurrence: occurrences.Occurrence, zone: ZoneInfo) -> dict:
    """An occurrence as the views link to it: its event, its address, its times as text."""
    start, end, on_clock = occurrence.start.astimezone(zone), occurrence.end.astimezone(zone), clock.active()
    return {
        "event": occurrence.event,
        "url": f"{occurrence.event.get_absolute_url()}?occurrence={occurrence.original}",
        "start": on_clock.time(start),
        "times": on_clock.span(start, end),
    }


def _timed_entries(items: list[occurrences.Occurrence], day: date, zone: ZoneInfo) -> list[dict]:
    """The timed occurrences of one day column (week and day views) with their boxes: top and
    height in rem from midnight, left and width in % of the column. Ones whose boxes overlap sit
    side by side (scheduling/layout.py); a short one is drawn taller than its time, so its drawn
    box, not its time, decides what it overlaps."""
    midnight, next_midnight = _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
    boxes = []
    for occurrence in items:
        start = max(occurrence.start.astimezone(zone), midnight)
        end = min(occurrence.end.astimezone(zone), next_midnight)
        top = start.hour * 60 + start.minute  # minutes on the clock face, as the hour labels are
        boxes.append((top, top + max((end - start).total_seconds() / 60, MIN_ENTRY_MINUTES)))
    placed = layout.lanes(boxes)
    return [
        {
            **_entry(occurrence, zone),
            "occurrence": occurrence,
            "top": f"{top * HOUR_HEIGHT_REM / 60:.2f}",
            "height": f"{(bottom - top) * HOUR_HEIGHT_REM / 60:.2f}",
            "left": f"{lane.left * 100:.2f}",
            "width": f"{lane.width * 100:.2f}",
        }
        for occurrence, (top, bottom), lane in zip(items, boxes, placed, strict=True)
    ]


def _month(day: date, zone: ZoneInfo, found_between: Finder) -> dict:
    """The month around ``day`` as weeks of day cells, and ``day``'s own occurrences (phones show
    the month as day numbers with dots and the picked day's list below)."""
    weeks = clock.active().weeks(day.year, day.month)
    found = found_between(_midnight(weeks[0][0], zone), _midnight(weeks[-1][-1] + timedelta(days=1), zone))
    by_day: dict[date, list[occurrences.Occurrence]] = {}
    for occurrence in found:
        first = occurrence.start.astimezone(zone).date()
        last = (occurrence.end - timedelta(microseconds=1)).astimezone(zone).date()
        for offset in range((last - first).days + 1):
            by_day.setdefault(first + timedelta(days=offset), []).append(occurrence)
    # Wide screens show three entries a day; dates and entries are made text here, not through
    # template filters, as the 42 cells name each several times.
    cells = [
        [
            {"date": d, "iso": d.isoformat(), "label": f"{d:%A} {d.day} {d:%B}", "in_month": d.month == day.month,
             "shown": [_entry(occ, zone) for occ in by_day.get(d, ())[:MONTH_CELL_ENTRIES]],
             "count": len(by_day.get(d, ())), "more": len(by_day.get(d, ())) - MONTH_CELL_ENTRIES}
            for d in week
        ]
        for week in weeks
    ]  # fmt: skip
    return {
        "weeks": cells,
        "weekday_names": [(name[:3], name) for _, name in clock.active().weekdays],  # the viewer's first
        "day_items": [_entry(occurrence, zone) for occurrence in by_day.get(day, ())],
        "previous": (day.replace(day=1) - timedelta(days=1)).replace(day=1),
        "following": (day.replace(day=28) + timedelta(days=4)).replace(day=1),
        "title": f"{day:%B %Y}",
    }


def _columns(view: str, day: date, zone: ZoneInfo, found_between: Finder) -> dict:
    """The week (or the day) as day columns: all-day occurrences on top, timed ones placed on
    the hours, and the hours themselves as links to a new event there."""
    on_clock = clock.active()
    first = day - timedelta(days=(day.weekday() - on_clock.week_start) % 7) if view == "week" else day
    days = [first + timedelta(days=offset) for offset in range(7 if view == "week" else 1)]
    found = found_between(_midnight(days[0], zone), _midnight(days[-1] + timedelta(days=1), zone))
    columns = []
    for column_day in days:
        lo, hi = _midnight(column_day, zone), _midnight(column_day + timedelta(days=1), zone)
        items = [occ for occ in found if occ.start < hi and occ.end > lo]
        iso = column_day.isoformat()
        columns.append({
            "date": column_day,
            "iso": iso,
            "label": f"{column_day:%A} {column_day.day} {column_day:%B}",
            # Each hour links to a new event there: (start, "HH:00"). Made here as text because
            # the template draws 168 of them a week.
            "slots": [(f"{iso}T{hour:02d}:00", on_clock.time(time(hour))) for hour in range(24)],
            "all_day": [occ for occ in items if occ.event.all_day],
            "timed": _timed_entries([occ for occ in items if not occ.event.all_day], column_day, zone),
        })  # fmt: skip
    step = timedelta(days=7 if view == "week" else 1)
    now = timezone.now().astimezone(zone)
    return {
        "columns": columns,
        "hours": [(hour, on_clock.time(time(hour))) for hour in range(24)],
        "hour_height": HOUR_HEIGHT_REM,
        "previous": day - step,
        "following": day + step,
        "title": f"{days[0]:%d %b} – {days[-1]:%d %b %Y}" if view == "week" else f"{day:%A %d %B %Y}",
        "now_top": f"{(now.hour + now.minute / 60) * HOUR_HEIGHT_REM:.2f}",
    }


def _agenda(request: HttpRequest, day: date, zone: ZoneInfo, found_between: Finder) -> dict:
    until = _parse_day(request.GET.get("until"), day + timedelta(days=30))
    found = found_between(_midnight(day, zone), _midnight(max(until, day) + timedelta(days=1), zone))
    groups: dict[date, list] = {}
    for occurrence in found:
        groups.setdefault(occurrence.start.astimezone(zone).date(), []).append(occurrence)
    return {
        "groups": sorted(groups.items()),
        "until": until,
        "title": "Agenda",
        "previous": day - timedelta(days=30),
        "following": day + timedelta(days=30),
    }


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

    def found_between(start: datetime, end: datetime) -> list[occurrences.Occurrence]:
        return occurrences.between(request.user, start, end, kinds=kinds, text=text)

    context = {"view": view, "day": day, "today": today, "kinds": kinds, "q": text, "kind_choices": Event.Kind.choices}
    if view == "month":
        context.update(_month(day, zone, found_between))
    elif view in ("week", "day"):
        context.update(_columns(view, day, zone, found_between), new_url=reverse("scheduling:event_create"))
    else:
        context.update(_agenda(request, day, zone, found_between))
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
        moment = parse_moment(start, aware=False)
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
        return _occurrence_form_page(request, event, original)
    return _form_page(request, event)


def _occurrence_form_page(request: HttpRequest, series: Event, original: datetime) -> HttpResponse:
    """One occurrence of a series edited on its own. The form shows the occurrence; only saving it
    splits it off the series (it becomes its own event, linked to the series): opening the form
    and leaving writes nothing."""
    edited = series.exceptions.filter(original_start=original).exclude(status=Event.Status.CANCELLED).first()
    if edited is not None:  # already its own event
        return redirect("scheduling:event_edit", pk=edited.pk)
    if not any(found.start == original for found in occurrences.expand(series, original, original + timedelta(1))):
        raise Http404("This repeating event has no occurrence at that time.")
    length, zone = series.end - series.start, series.tzinfo
    occurrence = Event(
        owner=series.owner, title=series.title, description=series.description, location=series.location,
        kind=series.kind, origin=series.origin, start=original, end=original + length, all_day=series.all_day,
        timezone=series.timezone, reminders=series.reminders, remind_attendees=series.remind_attendees,
    )  # fmt: skip
    initial = {
        "start": original.astimezone(zone).replace(tzinfo=None),
        "end": (original + length).astimezone(zone).replace(tzinfo=None),
        "reminder_choices": series.reminders,
        "other_attendees": ", ".join(attendee.email for attendee in series.attendees.all()),
    }
    form = EventForm(request.POST or None, instance=occurrence, owner=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                single = workflows.detach_occurrence(series=series, original=original)
                bound = EventForm(request.POST, instance=single, owner=request.user)
                bound.is_valid()  # the same answers, now about the event the occurrence became
                saved = workflows.save_event(event=bound.save(), attendees=bound.attendees)
        except workflows.MeetingOverlaps:
            form.add_error(
                "start", "This booked meeting would overlap another booking. Pick a time when you have no booking."
            )
        else:
            messages.success(request, f"Saved “{saved.title}” on its own; the rest of the series stays.")
            return redirect(saved)
    context = {"form": form, "event": series, "occurrence_of": series, "occurrence": original}
    return render(request, "scheduling/event_form.html", context)


@login_required
@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cohost = Attendee.objects.filter(event_id=pk, host=request.user).exclude(event__owner=request.user).first()
    if cohost is not None:
        # A team meeting another host organises: theirs to see and answer as an attendee.
        return redirect(cohost.get_absolute_url())
    event = _owned_event(request, pk)
    attendees = list(event.attendees.prefetch_related("proposals"))
    shown = _occurrence_of(event, request.GET.get("occurrence"))
    context = {
        "event": event,
        "attendees": attendees,
        # The occurrence opened from the calendar: its own date and time, not the series' first.
        "occurrence": shown.original if shown else "",
        "shown_start": shown.start if shown else event.start,
        "shown_end": shown.end if shown else event.end,
        "proposals": TimeProposal.objects.filter(
            attendee__event=event, status=TimeProposal.Status.PENDING
        ).select_related("attendee"),
        "repeats": _describe(event),
    }
    if request.htmx and request.htmx.target == "attendee-status":
        return render(request, "scheduling/event_detail.html#attendees", context)
    return render(request, "scheduling/event_detail.html", context)


def _occurrence_of(event: Event, value: str | None) -> occurrences.Occurrence | None:
    """The occurrence of a series a URL names (``?occurrence=20261224T090000Z``), if it is one."""
    original = occurrences.parse_original(value) if event.rrule else None
    if original is None:
        return None
    found = occurrences.expand(event, original, original + timedelta(minutes=1))
    return next((occurrence for occurrence in found if occurrence.start == original), None)


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
    with clock.override(Clock.from_query(request.GET, clock.of_user(attendee.event.owner))):
        return _rsvp(request, attendee)


UNDO_TO = {status.value for status in Attendee.Status}
ONE_CLICK = {"accepted", "tentative", "declined"}


def _rsvp(request: HttpRequest, attendee: Attendee) -> HttpResponse:
    """The attendee's page, in their zone and on their clock (their browser's, switchable; the
    meeting's until it is known). A Yes/No/Maybe link from the email is answered at once by the
    page's script (a POST: mail scanners that open links answer nothing), with an undo."""
    token, event = attendee.token, attendee.event
    viewer_tz = zone_from_query(request.GET.get("tz"), event.timezone)
    keep = {key: request.GET[key] for key in ("tz", "clock") if key in request.GET}
    here = reverse("scheduling:rsvp", args=[token]) + (f"?{urlencode(keep)}" if keep else "")
    context = {
        "attendee": attendee, "event": event, "viewer_tz": viewer_tz, "repeats": _describe(event),
        "tz_from_url": "tz" in request.GET, "clock_from_url": "clock" in request.GET,
        "viewer_clock": clock.active(), "timezone_options": timezone_options(viewer_tz), "keep": keep,
        # An answer from the email's Yes/No/Maybe link is still sent after a switch of zone.
        "keep_fields": [("response", request.GET["response"])] if request.GET.get("response") else [],
    }  # fmt: skip
    if event.is_cancelled:
        return render(request, "scheduling/rsvp.html", {**context, "cancelled": True})
    if request.method == "POST":  # an answer, from a page in their zone: their emails will be too
        recipients.remember(attendee, recipients.seen_in(request.GET))
    if request.method == "POST" and request.POST.get("undo_to") in UNDO_TO:
        try:
            workflows.respond(attendee=attendee, status=request.POST["undo_to"])
        except workflows.MeetingOverlaps:
            messages.error(
                request, "You have another booked meeting at this time now, so you cannot take this one back."
            )
        else:
            messages.info(request, "Undone: your earlier answer stands.")
        return redirect(here)
    asked = request.GET.get("response")
    form = RsvpForm(request.POST or None, initial={"response": asked or attendee.status}, zone=ZoneInfo(viewer_tz))
    if request.method == "POST" and form.is_valid():
        before = attendee.status
        proposal = None
        start = form.cleaned_data.get("propose_start")
        if form.cleaned_data["response"] == "declined" and start:
            proposal = (start, start + (event.end - event.start), form.cleaned_data["note"])
        try:
            workflows.respond(attendee=attendee, status=form.cleaned_data["response"], proposal=proposal)
        except workflows.MeetingOverlaps:
            attendee.refresh_from_db()
            form.add_error(None, "You have another booked meeting at this time now, so you cannot take this one back.")
        else:
            messages.success(
                request, "Thanks, your answer was sent." + (" Your proposed time too." if proposal else "")
            )
            return redirect(here + ("&" if keep else "?") + urlencode({"answered": before}))
    context.update(
        form=form,
        # From the email's one-click link: answered by the page's script unless already so.
        answer_now=request.method == "GET" and asked in ONE_CLICK and asked != attendee.status,
        undo_to=request.GET.get("answered") if request.GET.get("answered") in UNDO_TO else "",
    )
    return render(request, "scheduling/rsvp.html", context)


# --- Subscription feed ---------------------------------------------------------------------------

FEED_PAST = timedelta(days=90)
FEED_SERIES_HORIZON = timedelta(days=5 * 365)
FEED_REFRESH = timedelta(hours=1)


def _feed_events(owner, now: datetime) -> list[Event]:
    """The owner's meetings from three months ago on: one-off ones, and series (with their edited
    occurrences) that still have an occurrence in that span; team meetings they co-host too."""
    since = now - FEED_PAST
    found = (
        Event.objects.filter(Q(owner=owner) | Q(pk__in=occurrences.cohosted(owner)))
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
    state = Event.objects.filter(Q(owner=owner) | Q(pk__in=occurrences.cohosted(owner))).aggregate(
        changed=Max("updated_at"), count=Count("pk")
    )
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
