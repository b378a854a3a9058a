"""The public pages a booker opens: the profile ``/<username>/`` and the booking page with its
picker (what the booker has chosen, the month with its free days, the chosen day's times).

They are what strangers open and click through, so their HTML is built once and reused: cached
under the owner's versions (their links, and their meetings: booking/links.py) with everything the
booker chose in the key, and valid until time alone could change it (the first free time falls
within the notice, a new day starts). Nothing in them depends on who opens them: no CSRF token,
no flash messages, nothing of a signed-in visitor's. Labels and links are built here as plain
strings: a template filter per day or time cost more than the rest of the page.
"""

from __future__ import annotations

import zoneinfo
from collections import Counter
from datetime import date, datetime, timedelta

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import urlencode

from accounts import versions
from accounts.clock import WEEK_STARTS, Clock
from accounts.inputs import parse_date
from accounts.timezones import timezone_options, zone_from_query
from booking import availability, links
from booking.links import BookingLink
from booking.models import Booking
from booking.slots import Slot

TEMPLATE = "booking/public/event_type.html"
# Bounds what a change outside every workflow (the admin) can leave behind; entries are checked
# against the versions at every read.
CACHE_SECONDS = 300


class BookingChoice:
    """What the booker has chosen so far, read leniently from the query string."""

    def __init__(self, request: HttpRequest, link: BookingLink, now: datetime):
        self.tz_name = zone_from_query(request.GET.get("tz"), link.timezone)
        self.tz_from_url = "tz" in request.GET
        self.tz = zoneinfo.ZoneInfo(self.tz_name)
        self.today = now.astimezone(self.tz).date()
        try:
            self.duration = int(request.GET.get("duration", link.duration))
        except ValueError:
            self.duration = link.duration
        if self.duration not in link.durations:
            self.duration = link.duration
        self.day = self._date(request.GET.get("date"))
        month = self._date((request.GET.get("month") or "") + "-01") or self.day or self.today
        self.month = month.replace(day=1)
        if self.day is not None and self.day.replace(day=1) != self.month:
            self.day = None  # a day chosen outside the month shown (a hand-made URL): choose again
        self.embed = request.GET.get("embed") == "1"
        # The booker's clock and week: their browser's (static/js/booking.js), or as they switched.
        self.clock = Clock.from_query(request.GET, Clock(link.host.hour12, link.host.week_start))
        self.clock_from_url = "clock" in request.GET

    @staticmethod
    def _date(value: str | None) -> date | None:
        return parse_date(value)

    @property
    def next_month(self) -> date:
        return (self.month + timedelta(days=32)).replace(day=1)

    @property
    def month_value(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def month_label(self) -> str:
        return f"{self.month:%B %Y}"

    @property
    def day_label(self) -> str:
        return day_label(self.day) if self.day else ""

    @property
    def key(self) -> str:
        """Everything chosen that the picker's HTML depends on."""
        return f"{self.tz_name}:{self.duration}:{self.month}:{self.day}:{self.embed:d}:{self.today}:{self.clock.key}"

    def query(self, **changes) -> str:
        params = {"tz": self.tz_name, **self.clock.query(), "duration": self.duration, "month": self.month_value}
        if self.day:
            params["date"] = self.day.isoformat()
        if self.embed:
            params["embed"] = "1"
        params.update(changes)
        return urlencode({key: value for key, value in params.items() if value is not None})

    def local_midnight(self, day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), tzinfo=self.tz)


def day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def booking_page(
    request: HttpRequest,
    link: BookingLink,
    owner: links.Owner | None,
    choice: BookingChoice,
    now: datetime,
    *,
    part: str,
    moving: Booking | None = None,
    error: str = "",
) -> str:
    """The HTML of the whole booking page (``part="page"``), of its picker (``"widget"``: the month
    and the day) or of the chosen day's times (``"slots"``). What a booker opens is cached under
    the ``owner``'s versions; a booker moving a booking, or shown an error, gets a fresh page."""
    if moving is not None or error:
        return _render(request, link, choice, now, part, _free_slots(link, choice, now, moving), moving, error)

    def compute() -> tuple[str, datetime]:
        start, end = choice.local_midnight(choice.month), choice.local_midnight(choice.next_month)
        published = availability.published_free_slots(
            link, start=start, end=end, now=now, duration=choice.duration, stamp=owner.stamp
        )
        return _render(request, link, choice, now, part, published.slots), published.valid_until

    key = f"booking-page:{links.FORMAT}:{link.id}:{part}:{choice.key}"
    return versions.reuse(key, owner.stamp, now, compute, timeout=CACHE_SECONDS)


def profile_page(request: HttpRequest, owner: links.Owner, username: str, *, embed: bool) -> str | None:
    """The HTML of the public profile ``/<username>/`` (None if there is none), cached while the
    owner's links stand."""

    def compute() -> tuple[str | None, None]:
        found = links.profile(owner, username)
        if found is None:
            return None, None
        context = {"host": found.host, "links": found.links, "embed": embed}
        return render_to_string("booking/public/profile.html", context, request), None

    key = f"booking-profile-page:{links.FORMAT}:{owner.id}:{username.lower()}:{embed:d}"
    return versions.reuse(key, owner.stamp[:1], timezone.now(), compute, timeout=CACHE_SECONDS)


def _render(request, link, choice, now, part, month, moving=None, error="") -> str:
    context = {**_context(link, choice, now, part, month, moving=moving), "error": error}
    if part == "slots":
        return render_to_string(f"{TEMPLATE}#slots", context, request)
    picker = render_to_string(f"{TEMPLATE}#widget", context, request)
    if part == "widget":
        return picker
    return render_to_string(TEMPLATE, {**context, "picker": picker, "embed": choice.embed}, request)


def _free_slots(link: BookingLink, choice: BookingChoice, now: datetime, moving: Booking | None) -> list[Slot]:
    start, end = choice.local_midnight(choice.month), choice.local_midnight(choice.next_month)
    return availability.free_slots(link, start=start, end=end, now=now, duration=choice.duration, moving=moving)


def _context(
    link: BookingLink, choice: BookingChoice, now: datetime, part: str, month: list[Slot], *, moving=None
) -> dict:
    """What the picker's template shows; ``month`` holds the free slots of the month shown."""
    day = [slot for slot in month if slot.start.astimezone(choice.tz).date() == choice.day]
    context = {
        "link": link,
        "host": link.host,
        "choice": choice,
        "moving": moving,
        "expired": link.is_one_off and availability.one_off_used(link, now, moving),
        "day_slots": _slot_choices(link, choice, day),
    }
    if part != "slots":
        context.update(
            _month(choice, month), timezone_options=timezone_options(choice.tz_name), week_starts=WEEK_STARTS
        )
    return context


def _slot_choices(link: BookingLink, choice: BookingChoice, found: list[Slot]) -> list[dict]:
    """The start times of one day as the booker sees them, with their labels and where each leads."""
    book_query = choice.query(month=None, date=None)
    return [
        {
            "label": choice.clock.time(slot.start.astimezone(choice.tz)),
            "value": slot.start.isoformat(),
            "seats_left": slot.seats_left if link.is_group else None,
            "href": f"{link.book_url}?{book_query}&{urlencode({'start': slot.start.isoformat()})}",
        }
        for slot in found
    ]


def _month(choice: BookingChoice, found: list[Slot]) -> dict:
    """The month grid: a week per row, each day with its label, free times and link."""
    free_per_day = Counter(slot.start.astimezone(choice.tz).date() for slot in found)
    day_query = choice.query(date=None)
    weeks = [
        [
            {
                "day": day.day,
                "iso": day.isoformat(),
                "label": day_label(day),
                "in_month": day.month == choice.month.month,
                "free": free_per_day[day],
                "query": f"{day_query}&date={day.isoformat()}",
                "selected": day == choice.day,
                "today": day == choice.today,
            }
            for day in week
        ]
        for week in choice.clock.weeks(choice.month.year, choice.month.month)
    ]
    previous_month = (choice.month - timedelta(days=1)).replace(day=1)
    return {
        "weekdays": choice.clock.weekdays,
        "weeks": weeks,
        "free_days": len(free_per_day),
        "previous_query": choice.query(month=f"{previous_month:%Y-%m}", date=None)
        if previous_month >= choice.today.replace(day=1)
        else None,
        "next_query": choice.query(month=f"{choice.next_month:%Y-%m}", date=None),
    }
