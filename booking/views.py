"""The owner's pages: event types (booking links), availability schedules, bookings."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, ProtectedError, Q, RestrictedError, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts import clock
from accounts.shortcuts import IdsFirstPaginator, get_owned_or_404
from booking import links
from booking.book import SlotUnavailable, cancel_booking
from booking.forms import CancelBookingForm, DateOverrideForm, EventTypeForm, ScheduleForm
from booking.models import Booking, DateOverride, EventType, Schedule
from booking.schedules import ensure_default_schedule
from scheduling.models import Event

# --- Event types -------------------------------------------------------------------------------


@login_required
@require_GET
def event_type_list(request: HttpRequest) -> HttpResponse:
    ensure_default_schedule(request.user)
    now = timezone.now()
    # Counted per link in a subquery: a join grouped by every column of the link sorted one wide
    # row per booking.
    upcoming = (
        Booking.objects.confirmed().filter(event_type=OuterRef("pk"), event__start__gte=now)
        .order_by().values("event_type").annotate(count=Count("pk")).values("count")
    )  # fmt: skip
    event_types = (
        EventType.objects.for_owner(request.user)
        .select_related("schedule", "owner")
        .annotate(upcoming=Coalesce(Subquery(upcoming), 0),
                  taken=Exists(Booking.objects.confirmed().filter(event_type=OuterRef("pk"))))
    )  # fmt: skip
    for event_type in event_types:
        # A one-off link serves one booking, until its date: say when it no longer does.
        used = event_type.is_one_off and event_type.taken
        expired = event_type.is_one_off and event_type.expires_at is not None and now >= event_type.expires_at
        event_type.one_off_state = "Used" if used else "Expired" if expired else ""
    profile_url = settings.SITE_URL + reverse("booking:public_profile", args=[request.user.username])
    return render(request, "booking/event_type_list.html", {"event_types": event_types, "profile_url": profile_url})


def _event_type_form_page(request: HttpRequest, event_type: EventType | None) -> HttpResponse:
    schedule = ensure_default_schedule(request.user)
    initial = {} if event_type else {"schedule": schedule}
    form = EventTypeForm(request.POST or None, instance=event_type, owner=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
        messages.success(request, f"Saved “{saved.title}”. Share {settings.SITE_URL}{saved.get_absolute_url()}")
        return redirect("booking:event_type_list")
    return render(request, "booking/event_type_form.html", {"form": form, "event_type": event_type})


@login_required
def event_type_create(request: HttpRequest) -> HttpResponse:
    return _event_type_form_page(request, None)


@login_required
def event_type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _event_type_form_page(
        request, get_owned_or_404(EventType.objects.for_owner(request.user), request.user, pk=pk)
    )


@login_required
@require_POST
def event_type_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    event_type = get_owned_or_404(EventType.objects.for_owner(request.user), request.user, pk=pk)
    event_type.is_active = not event_type.is_active
    event_type.save(update_fields=["is_active"])
    if request.htmx:
        return render(request, "booking/event_type_list.html#card", {"event_type": event_type})
    state = "on" if event_type.is_active else "off"
    messages.success(request, f"“{event_type.title}” is now {state}.")
    return redirect("booking:event_type_list")


@login_required
def event_type_delete(request: HttpRequest, pk: int) -> HttpResponse:
    event_type = get_owned_or_404(EventType.objects.for_owner(request.user), request.user, pk=pk)
    if request.method == "POST":
        event_type.delete()
        messages.success(request, f"Deleted “{event_type.title}”. Existing bookings stay in your calendar.")
        return redirect("booking:event_type_list")
    return render(
        request,
        "booking/confirm_delete.html",
        {"object": event_type, "kind": "booking link", "back": reverse("booking:event_type_list")},
    )


# --- Schedules -----------------------------------------------------------------------------------


@login_required
@require_GET
def schedule_list(request: HttpRequest) -> HttpResponse:
    ensure_default_schedule(request.user)
    schedules = Schedule.objects.for_owner(request.user).prefetch_related("weekly_hours", "event_types")
    return render(request, "booking/schedule_list.html", {"schedules": schedules})


def _schedule_form_page(request: HttpRequest, schedule: Schedule | None) -> HttpResponse:
    initial = {} if schedule else {"timezone": request.user.timezone}
    form = ScheduleForm(request.POST or None, instance=schedule, owner=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        form.instance.hours_saved_at = timezone.now()
        with transaction.atomic():
            saved = form.save()
        messages.success(request, f"Saved the “{saved.name}” hours.")
        return redirect("booking:schedule_edit", pk=saved.pk)
    context = {"form": form, "schedule": schedule}
    if schedule:
        context["override_form"] = DateOverrideForm(schedule=schedule)
        context["overrides"] = schedule.overrides.filter(date__gte=timezone.now().date())
    return render(request, "booking/schedule_form.html", context)


@login_required
def schedule_create(request: HttpRequest) -> HttpResponse:
    return _schedule_form_page(request, None)


@login_required
def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _schedule_form_page(request, get_owned_or_404(Schedule, request.user, pk=pk))


@login_required
@require_POST
def schedule_make_default(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_owned_or_404(Schedule, request.user, pk=pk)
    with transaction.atomic():
        Schedule.objects.for_owner(request.user).filter(is_default=True).update(is_default=False)
        schedule.is_default = True
        schedule.save(update_fields=["is_default"])
    messages.success(request, f"“{schedule.name}” is now your default schedule.")
    return redirect("booking:schedule_list")


@login_required
def schedule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_owned_or_404(Schedule, request.user, pk=pk)
    if request.method == "POST":
        if schedule.is_default:
            messages.error(request, "This is your default schedule. Make another one the default first.")
            return redirect("booking:schedule_list")
        try:
            schedule.delete()
        except (ProtectedError, RestrictedError):
            messages.error(request, f"“{schedule.name}” is used by booking links. Move them to another schedule first.")
        else:
            messages.success(request, f"Deleted “{schedule.name}”.")
        return redirect("booking:schedule_list")
    return render(
        request,
        "booking/confirm_delete.html",
        {"object": schedule, "kind": "schedule", "back": reverse("booking:schedule_list")},
    )


@login_required
@require_POST
def override_add(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_owned_or_404(Schedule, request.user, pk=pk)
    form = DateOverrideForm(request.POST, schedule=schedule)
    if form.is_valid():
        with transaction.atomic():
            form.save()
            links.forget(request.user.pk)
        messages.success(request, f"Saved the hours for {form.cleaned_data['date']:%A %d %B %Y}.")
        return redirect("booking:schedule_edit", pk=pk)
    context = {
        "form": ScheduleForm(instance=schedule, owner=request.user),
        "schedule": schedule,
        "override_form": form,
        "overrides": schedule.overrides.filter(date__gte=timezone.now().date()),
    }
    return render(request, "booking/schedule_form.html", context)


@login_required
@require_POST
def override_delete(request: HttpRequest, pk: int, override_pk: int) -> HttpResponse:
    override = get_owned_or_404(DateOverride, request.user, owner_field="schedule__owner", pk=override_pk, schedule=pk)
    DateOverride.objects.filter(schedule_id=pk, date=override.date).delete()
    messages.success(request, f"Removed the override for {override.date:%A %d %B %Y}.")
    return redirect("booking:schedule_edit", pk=pk)


# --- Bookings ------------------------------------------------------------------------------------

BOOKING_TABS = {"upcoming": "Upcoming", "past": "Past", "cancelled": "Cancelled"}
BOOKINGS_PER_PAGE = 25


class BookingFilters(forms.Form):
    """The bookings list's filters, read from the URL (they work without JavaScript)."""

    tab = forms.ChoiceField(choices=list(BOOKING_TABS.items()), required=False)
    link = forms.TypedChoiceField(label="Booking link", coerce=int, required=False, empty_value=None)
    q = forms.CharField(label="Search", required=False, max_length=200)

    def __init__(self, data, *, links: list[tuple[int, str]]):
        super().__init__(data)
        self.fields["link"].choices = [("", "All booking links"), *links]

    def value(self, name: str, default=None):
        """A filter's value, each on its own: one stale or hand-made value falls back alone."""
        try:
            return self.fields[name].clean(self.data.get(name)) or default
        except forms.ValidationError:
            return default


def _booking_rows(bookings, user, tab: str) -> list[dict]:
    """What each row shows, built here once: its strings and links (a template spent more on a
    row's filters and ``{% url %}`` tags than the query cost for the whole page)."""
    zone, on_clock = user.tzinfo, clock.active()
    reschedule = reverse("booking:reschedule", args=["TOKEN"])
    cancel = reverse("booking:booking_cancel", args=[0]).replace("/0/", "/{}/")
    rows = []
    for booking in bookings:
        event = booking.event
        start, end = event.start.astimezone(zone), event.end.astimezone(zone)
        cancellation = booking.cancellation
        rows.append({
            "when": f"{start:%a} {start.day} {start:%b %Y}, {on_clock.span(start, end)}",
            "title": booking.event_type.title if booking.event_type else event.title,
            "name": booking.name, "email": booking.email, "timezone": booking.timezone,
            "guests": ", ".join(booking.guests), "location": event.location, "answers": booking.answers,
            "cancelled_by": None if cancellation is None else ("you" if cancellation.by_host else booking.name),
            "cancel_reason": cancellation.reason if cancellation else "",
            "reschedule_url": reschedule.replace("TOKEN", booking.token) if tab == "upcoming" else "",
            "cancel_url": cancel.format(booking.pk) if tab == "upcoming" else "",
        })  # fmt: skip
    return rows


@login_required
@require_GET
def booking_list(request: HttpRequest) -> HttpResponse:
    """The owner's bookings: upcoming first, or past or cancelled, by booking link and by a search
    on the booker's name or email; a page at a time. Filters live in the URL."""
    own_links = list(EventType.objects.for_owner(request.user).values_list("pk", "title"))
    filters = BookingFilters(request.GET, links=own_links)
    tab, link, query = filters.value("tab", "upcoming"), filters.value("link"), filters.value("q", "").strip()
    now = timezone.now()
    bookings = Booking.objects.for_host(request.user).select_related("event", "event_type")
    bookings = {
        "upcoming": lambda: bookings.upcoming(now).order_by("event__start", "pk"),
        "past": lambda: bookings.past(now).order_by("-event__start", "-pk"),
        "cancelled": lambda: bookings.cancelled().latest_cancelled_first(),
    }[tab]()
    if link is not None:
        bookings = bookings.filter(event_type_id=link)
    for word in query.split()[:5]:
        bookings = bookings.filter(Q(name__icontains=word) | Q(email__icontains=word))
    page = IdsFirstPaginator(bookings, BOOKINGS_PER_PAGE).get_page(request.GET.get("page"))
    keep = {key: value for key, value in (("tab", tab), ("link", link), ("q", query)) if value}
    context = {
        "rows": _booking_rows(page.object_list, request.user, tab),
        "page": page,
        "tab": tab,
        "tabs": [(key, label, "?" + urlencode({**keep, "tab": key})) for key, label in BOOKING_TABS.items()],
        "filters": filters,
        "query": query,
        "filtered": bool(link or query),
        "page_query": urlencode(keep),
    }
    template = "booking/booking_list.html#list" if request.htmx and request.htmx.target == "booking-list" else None
    return render(request, template or "booking/booking_list.html", context)


@login_required
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_owned_or_404(
        Booking.objects.select_related("event__owner", "event_type"), request.user, owner_field="event__owner", pk=pk
    )
    form = CancelBookingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancel_booking(booking=booking, reason=form.cleaned_data["reason"], by=Event.By.OWNER)
        except SlotUnavailable as problem:
            messages.error(request, problem.message)
        else:
            messages.success(request, f"Cancelled the booking with {booking.name}. They have been emailed.")
        return redirect("booking:booking_list")
    return render(request, "booking/booking_cancel.html", {"booking": booking, "form": form})
