"""Booking links as plain data: what the public pages show and the slot engine needs.

An event type is read once with its schedule's rules, offered times and the owner's calendar
connection, turned into a frozen ``BookingLink``, and kept in this process's cache under the
owner's version (accounts/versions.py): any change to the owner's links, hours or calendar choice
sets a new version, which every web process sees at its next request. Plain dataclasses rather than
pickled model instances: nothing lazy can run a query from a cached copy, and the cache key
carries a digest of these classes' fields, so a deploy that changes them never reads an entry
the old code wrote.

Booking itself never trusts a cached copy: it re-reads the event type under the host's lock
(``fresh``).
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime, timedelta
from typing import NamedTuple, get_type_hints

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from accounts import calendars, versions
from accounts.models import Membership, Team
from booking import slots
from booking.models import EventType, OfferedSlot, Schedule, TeamHost, public_location
from scheduling import outbox

# A miss costs a handful of queries; an entry is replaced as soon as the owner's version moves,
# and otherwise only refreshed now and then (the rolling window's "today" is computed per request).
CACHE_SECONDS = 300
PAGES = "booking-pages"
TEAM = "booking-team"  # a team's links, their hosts and its members, by team id


@dataclasses.dataclass(frozen=True)
class Host:
    id: int
    username: str
    display_name: str
    url: str  # the public profile
    hour12: bool  # their clock and week, until a booker's browser says otherwise
    week_start: int


@dataclasses.dataclass(frozen=True)
class TeamInfo:
    id: int
    slug: str
    name: str
    url: str  # the team's public page


@dataclasses.dataclass(frozen=True)
class TeamMember:
    """A host of a team link, with what their free times come from: their default schedule in
    their own timezone and their own connected calendars."""

    id: int
    name: str
    email: str
    is_fixed: bool
    priority: int
    weight: int
    timezone: str
    availability: slots.Availability
    busy_sources: tuple[calendars.Source, ...]


@dataclasses.dataclass(frozen=True)
class BookingLink:
    """An event type as its public pages and the slot engine read it."""

    id: int
    host: Host
    slug: str
    url: str  # the public booking page
    book_url: str  # where a chosen time is confirmed
    title: str
    description: str
    color: str
    kind: str
    duration: int
    durations: tuple[int, ...]
    location_kind: str
    location_label: str
    location_detail: str
    seats: int
    is_active: bool
    expires_at: datetime | None
    allow_recurring: bool
    max_occurrences: int
    # The schedule, in its timezone, and the booking rules (minutes, dates).
    timezone: str
    availability: slots.Availability
    window: str
    rolling_days: int
    window_start: date | None
    window_end: date | None
    window_dates: frozenset[date]
    minimum_notice: int
    buffer_before: int
    buffer_after: int
    increment: int
    max_per_day: int | None
    offered: tuple[datetime, ...]
    busy_sources: tuple[calendars.Source, ...]  # the owner's connected calendars that count as busy
    # A team's link: every host is free (collective), or the fixed hosts and one of the others
    # (round-robin). ``host`` is then the team as bookers see it.
    hosting: str = EventType.Hosting.SOLO
    team: TeamInfo | None = None
    members: tuple[TeamMember, ...] = ()
    show_hosts: bool = True  # the booker sees who they will meet

    @property
    def public_location(self) -> str:
        return public_location(self.location_kind, self.location_label, self.location_detail)

    @property
    def is_team(self) -> bool:
        return self.team is not None

    @property
    def is_round_robin(self) -> bool:
        return self.hosting == EventType.Hosting.ROUND_ROBIN

    @property
    def required(self) -> frozenset[int]:
        """The hosts who must all be free: every host of a collective link, the fixed ones of a
        round-robin link."""
        if self.is_round_robin:
            return frozenset(member.id for member in self.members if member.is_fixed)
        return frozenset(member.id for member in self.members)

    @property
    def pool(self) -> frozenset[int]:
        """Round-robin: the hosts one of whom is picked (empty: only fixed hosts)."""
        if not self.is_round_robin:
            return frozenset()
        return frozenset(member.id for member in self.members if not member.is_fixed)

    def member(self, user_id: int) -> TeamMember | None:
        return next((member for member in self.members if member.id == user_id), None)

    def as_member(self, member: TeamMember) -> BookingLink:
        """This link as if ``member`` alone hosted it: their hours, zone and calendars."""
        return dataclasses.replace(
            self,
            host=dataclasses.replace(self.host, id=member.id, display_name=member.name),
            timezone=member.timezone,
            availability=member.availability,
            busy_sources=member.busy_sources,
            hosting=EventType.Hosting.SOLO,
            team=None,
            members=(),
        )

    @property
    def is_group(self) -> bool:
        return self.kind == EventType.Kind.GROUP

    @property
    def is_one_off(self) -> bool:
        return self.kind == EventType.Kind.ONE_OFF

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def slot_rules(self, duration: int | None = None, *, today: date) -> slots.SlotRules:
        """The rules for ``duration`` minutes (the default length if None); ``today`` is the host's."""
        minutes = duration or self.duration
        first, last, dates = None, None, None
        if self.window == EventType.Window.ROLLING:
            first, last = today, today + timedelta(days=self.rolling_days)
        elif self.window == EventType.Window.RANGE:
            first, last = self.window_start, self.window_end
        else:
            dates = self.window_dates
        return slots.SlotRules(
            duration=timedelta(minutes=minutes),
            increment=timedelta(minutes=self.increment or minutes),
            buffer_before=timedelta(minutes=self.buffer_before),
            buffer_after=timedelta(minutes=self.buffer_after),
            minimum_notice=timedelta(minutes=self.minimum_notice),
            first_date=first,
            last_date=last,
            dates=dates,
            max_per_day=self.max_per_day,
            seats=self.seats if self.is_group else 1,
        )


@dataclasses.dataclass(frozen=True)
class PublicProfile:
    """A host's public page: who they are and their listed links."""

    host: Host
    links: tuple[BookingLink, ...]


def _shape(cls: type) -> str:
    """The fields and types of a dataclass and of every dataclass its fields can hold."""
    shapes: dict[type, str] = {}
    todo = [cls]
    while todo:
        current = todo.pop()
        if current in shapes:
            continue
        hints = get_type_hints(current)
        shapes[current] = ",".join(f"{field.name}:{hints[field.name]}" for field in dataclasses.fields(current))
        inside = list(hints.values())
        while inside:
            hint = inside.pop()
            if dataclasses.is_dataclass(hint):
                todo.append(hint)
            inside.extend(getattr(hint, "__args__", ()))
    return ";".join(sorted(f"{kind.__module__}.{kind.__qualname__}({fields})" for kind, fields in shapes.items()))


# Part of every key: entries written by code with other fields are never read.
FORMAT = hashlib.sha1(_shape(PublicProfile).encode()).hexdigest()[:10]


# --- Reading --------------------------------------------------------------------------------------


def _host(user) -> Host:
    url = reverse("booking:public_profile", args=[user.username])
    return Host(
        id=user.pk, username=user.username, display_name=user.display_name, url=url, hour12=user.hour12,
        week_start=user.week_start,
    )  # fmt: skip


def _members(event_type: EventType) -> tuple[TeamMember, ...]:
    """The hosts of a team link with their default schedules and calendars (a few queries,
    whatever the number of hosts). A host without a default schedule is never free."""
    rows = TeamHost.objects.filter(event_type=event_type).select_related("user__google_calendar__account")
    rows = rows.prefetch_related(
        "user__caldav_accounts",
        "user__ics_subscriptions",
        Prefetch(
            "user__schedules",
            queryset=Schedule.objects.filter(is_default=True).prefetch_related("weekly_hours", "overrides"),
            to_attr="default_schedules",
        ),
    )
    members = []
    for row in rows:
        user = row.user
        schedule = user.default_schedules[0] if user.default_schedules else None
        members.append(
            TeamMember(
                id=user.pk, name=user.display_name, email=user.email, is_fixed=row.is_fixed, priority=row.priority,
                weight=row.weight, timezone=schedule.timezone if schedule else user.timezone,
                availability=schedule.to_availability() if schedule
                else slots.Availability(timezone=user.timezone, weekly={}),
                busy_sources=calendars.sources_of(user),
            )
        )  # fmt: skip
    return tuple(members)


def from_event_type(event_type: EventType) -> BookingLink:
    """The link of an event type read with ``_with_rules`` (schedule, rules, offered times and
    owner loaded; the owner's calendar connections are read here, and a team link's hosts)."""
    schedule, owner = event_type.schedule, event_type.owner
    host, team, members = _host(owner), None, ()
    is_team = event_type.team_id is not None
    url = reverse("booking:public_event_type", args=[owner.username, event_type.slug])
    book_url = reverse("booking:book", args=[owner.username, event_type.slug])
    if event_type.team_id is not None:
        found = event_type.team
        team = TeamInfo(
            id=found.pk, slug=found.slug, name=found.name, url=reverse("booking:team_page", args=[found.slug])
        )
        host = dataclasses.replace(host, display_name=found.name, url=team.url)
        members = _members(event_type)
        url = reverse("booking:team_event_type", args=[found.slug, event_type.slug])
        book_url = reverse("booking:team_book", args=[found.slug, event_type.slug])
    return BookingLink(
        id=event_type.pk,
        host=host,
        slug=event_type.slug,
        url=url,
        book_url=book_url,
        hosting=event_type.hosting,
        team=team,
        members=members,
        show_hosts=event_type.show_hosts,
        title=event_type.title,
        description=event_type.description,
        color=event_type.color,
        kind=event_type.kind,
        duration=event_type.duration,
        durations=tuple(event_type.durations),
        location_kind=event_type.location_kind,
        location_label=event_type.get_location_kind_display(),
        location_detail=event_type.location_detail,
        seats=event_type.seats,
        is_active=event_type.is_active,
        expires_at=event_type.expires_at,
        allow_recurring=event_type.allow_recurring,
        max_occurrences=event_type.max_occurrences,
        timezone=schedule.timezone,
        # A team link's hours and calendars are its hosts' (``members``), not its maker's.
        availability=slots.Availability(timezone=schedule.timezone, weekly={})
        if is_team
        else schedule.to_availability(),
        window=event_type.window,
        rolling_days=event_type.rolling_days,
        window_start=event_type.window_start,
        window_end=event_type.window_end,
        window_dates=frozenset(date.fromisoformat(value) for value in event_type.window_dates),
        minimum_notice=event_type.minimum_notice,
        buffer_before=event_type.buffer_before,
        buffer_after=event_type.buffer_after,
        increment=event_type.increment,
        max_per_day=event_type.max_per_day,
        offered=() if is_team else tuple(offered.start for offered in event_type.offered_slots.all()),
        busy_sources=() if is_team else calendars.sources_of(owner),
    )


def _with_rules():
    return EventType.objects.select_related("owner__google_calendar", "schedule", "team").prefetch_related(
        "schedule__weekly_hours",
        "schedule__overrides",
        Prefetch("offered_slots", queryset=OfferedSlot.objects.order_by("start")),
        # The owner's calendars that count as busy (accounts/calendars.py reads them from here).
        "owner__caldav_accounts",
        "owner__ics_subscriptions",
    )


def fresh(pk: int) -> EventType | None:
    """The event type as the database has it now, with everything ``from_event_type`` reads
    (booking re-reads it under its lock)."""
    return _with_rules().filter(pk=pk).first()


def _team_rules():
    """A team link as ``from_event_type`` reads it: its hosts' hours and calendars (``_members``)
    stand for its maker's, which are not read."""
    return EventType.objects.select_related("owner", "schedule", "team")


def fresh_team(pk: int) -> EventType | None:
    return _team_rules().filter(pk=pk, team__isnull=False).first()


class Owner(NamedTuple):
    """The owner behind a public URL's username, with the versions everything cached about their
    pages is keyed by: of their links and rules (``PAGES``) and of their meetings (``CALENDAR``).
    For a team (``team_owner``): the team's version, then every member's two."""

    id: int
    stamp: tuple[str, ...]


def owner(username: str) -> Owner | None:
    """The active owner at ``/<username>/``, or None. The versions are read before anything
    keyed by them is (re)computed, so a change committed in between leaves an entry stale for one
    read at most, never for good."""
    key = _owner_key(username)
    owner_id = versions.local.get(key)
    if owner_id is None:
        users = get_user_model().objects.filter(username__iexact=username, is_active=True)
        owner_id = users.values_list("pk", flat=True).first()
        if owner_id is None:
            return None
        versions.local.set(key, owner_id, CACHE_SECONDS)
    return Owner(owner_id, versions.current_many((PAGES, owner_id), (outbox.CALENDAR, owner_id)))


def _owner_key(username: str) -> str:
    return f"booking-owner:{username.lower()}"


def _user(found: Owner, username: str):
    """The owner's account, unless renamed or deactivated since ``owner()`` read it."""
    user = get_user_model().objects.filter(pk=found.id, username__iexact=username, is_active=True).first()
    if user is None:
        versions.local.delete(_owner_key(username))  # the name may be someone else's now
    return user


def published(found: Owner, username: str, slug: str) -> BookingLink | None:
    """The link at ``/<username>/<slug>/`` (active or not), from the cache while the owner's links
    stand."""

    def compute() -> tuple[BookingLink | None, None]:
        event_type = (
            _with_rules()
            .filter(
                owner_id=found.id,
                owner__username__iexact=username,
                owner__is_active=True,
                slug=slug,
                team__isnull=True,
            )
            .first()
        )
        if event_type is None and _user(found, username) is None:
            return None, None  # renamed or deactivated since owner() read it
        return (from_event_type(event_type) if event_type is not None else None), None

    key = f"booking-link:{FORMAT}:{found.id}:{username.lower()}:{slug}"
    return versions.reuse(key, found.stamp[:1], timezone.now(), compute, timeout=CACHE_SECONDS)


def profile(found: Owner, username: str) -> PublicProfile | None:
    """The host at ``/<username>/`` with their public links (read now: the page is what is cached)."""
    user = _user(found, username)
    if user is None:
        return None
    event_types = _with_rules().filter(owner=user, team__isnull=True).public()
    return PublicProfile(host=_host(user), links=tuple(from_event_type(event_type) for event_type in event_types))


# --- Teams -----------------------------------------------------------------------------------------


def team_owner(slug: str) -> Owner | None:
    """The team at ``/team/<slug>/`` with its members' versions (one query: a team always has an
    owner): a member's new hours or meeting changes the team's pages as it changes their own."""
    rows = list(Membership.objects.filter(team__slug=slug).values_list("team_id", "user_id"))
    if not rows:
        return None
    team_id = rows[0][0]
    return Owner(team_id, team_stamp(team_id, [user_id for _, user_id in rows]))


def team_stamp(team_id: int, member_ids) -> tuple[str, ...]:
    pairs = [(TEAM, team_id)]
    for member_id in sorted(member_ids):
        pairs += [(PAGES, member_id), (outbox.CALENDAR, member_id)]
    return versions.current_many(*pairs)


def team_published(found: Owner, slug: str, link_slug: str) -> BookingLink | None:
    """The link at ``/team/<slug>/<link_slug>/`` (active or not), cached while the team's links
    and its members' hours stand."""

    def compute() -> tuple[BookingLink | None, None]:
        event_type = _team_rules().filter(team_id=found.id, team__slug=slug, slug=link_slug).first()
        return (from_event_type(event_type) if event_type is not None else None), None

    key = f"booking-team-link:{FORMAT}:{found.id}:{link_slug}"
    return versions.reuse(key, found.stamp, timezone.now(), compute, timeout=CACHE_SECONDS)


def team_profile(found: Owner) -> tuple[TeamInfo, tuple[BookingLink, ...]] | None:
    """The team at ``/team/<slug>/`` and its active links, cached while they and its members'
    hours stand."""

    def compute() -> tuple[tuple[TeamInfo, tuple[BookingLink, ...]] | None, None]:
        team = Team.objects.filter(pk=found.id).first()
        if team is None:
            return None, None
        info = TeamInfo(id=team.pk, slug=team.slug, name=team.name, url=reverse("booking:team_page", args=[team.slug]))
        event_types = _team_rules().filter(team=team, is_active=True)
        return (info, tuple(from_event_type(event_type) for event_type in event_types)), None

    key = f"booking-team-profile:{FORMAT}:{found.id}"
    return versions.reuse(key, found.stamp, timezone.now(), compute, timeout=CACHE_SECONDS)


def forget_team(team_id: int) -> None:
    """A new version for a team's cached pages (its links, hosts or members changed)."""
    versions.bump(TEAM, team_id)
    transaction.on_commit(lambda: versions.bump(TEAM, team_id))


def forget(owner_id: int) -> None:
    """A new version for an owner's cached pages after a change to their links, hours or calendar
    choice: now, and again once the change commits (a request in between may have cached the old
    rules)."""
    versions.bump(PAGES, owner_id)
    transaction.on_commit(lambda: versions.bump(PAGES, owner_id))
