"""Keep cached booking pages in step with the owner's changes (booking/links.py)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from accounts.models import CalDAVAccount, GoogleCalendarConnection, ICSSubscription, Membership, Team
from accounts.signals import deleting_account
from booking import links
from booking.models import DateOverride, EventType, OfferedSlot, Schedule, TeamHost, WeeklyHours


def _owner_id(instance) -> int | None:
    if isinstance(instance, get_user_model()):
        return instance.pk
    if isinstance(instance, GoogleCalendarConnection | CalDAVAccount | ICSSubscription):
        return instance.user_id
    if isinstance(instance, EventType | Schedule):
        return instance.owner_id
    if isinstance(instance, OfferedSlot):
        return EventType.objects.filter(pk=instance.event_type_id).values_list("owner_id", flat=True).first()
    return Schedule.objects.filter(pk=instance.schedule_id).values_list("owner_id", flat=True).first()


# What a booking page shows of its owner; a save that touches none of it (a login's last_login)
# leaves the cached pages alone.
SHOWN_USER_FIELDS = frozenset({"username", "name", "first_name", "last_name", "email", "timezone", "is_active"})


def _changed(sender, instance, update_fields=None, **kwargs) -> None:
    if (
        isinstance(instance, get_user_model())
        and update_fields is not None
        and SHOWN_USER_FIELDS.isdisjoint(update_fields)
    ):
        return
    owner_id = _owner_id(instance)
    if owner_id is not None:
        links.forget(owner_id)


def _team_changed(sender, instance, **kwargs) -> None:
    """A team's pages show its links, their hosts and its members' hours."""
    if isinstance(instance, Team):
        team_id = instance.pk
    elif isinstance(instance, TeamHost):
        team_id = EventType.objects.filter(pk=instance.event_type_id).values_list("team_id", flat=True).first()
    else:
        team_id = getattr(instance, "team_id", None)
    if team_id is not None:
        links.forget_team(team_id)


def _left_team(sender, instance: Membership, **kwargs) -> None:
    """Someone who leaves a team (or is removed) no longer hosts its links."""
    TeamHost.objects.filter(event_type__team_id=instance.team_id, user_id=instance.user_id).delete()


def _keep_team_links(sender, user, **kwargs) -> None:
    """An account about to be deleted (accounts.signals.deleting_account): the team links it made
    pass to another member of their team (an owner, else an admin, else anyone) instead of going
    with it."""
    from booking.schedules import ensure_default_schedule

    order = {Membership.Role.OWNER: 0, Membership.Role.ADMIN: 1, Membership.Role.MEMBER: 2}
    for event_type in EventType.objects.filter(owner=user, team__isnull=False):
        others = Membership.objects.filter(team_id=event_type.team_id).exclude(user=user).select_related("user")
        heir = min(others, key=lambda membership: (order[membership.role], membership.pk), default=None)
        if heir is None:
            continue  # nobody left in the team: the link goes with it
        event_type.owner, event_type.schedule = heir.user, ensure_default_schedule(heir.user)
        event_type.save(update_fields=["owner", "schedule"])


def connect() -> None:
    deleting_account.connect(_keep_team_links, dispatch_uid="team-links-outlive-their-maker")
    post_delete.connect(_left_team, sender=Membership, dispatch_uid="team-hosts-leave-with-membership")
    for model in (Team, Membership, TeamHost, EventType):
        post_save.connect(_team_changed, sender=model, dispatch_uid=f"team-page-cache-save-{model.__name__}")
        post_delete.connect(_team_changed, sender=model, dispatch_uid=f"team-page-cache-delete-{model.__name__}")
    # Booking pages keep which of the owner's calendars count as busy with the cached event type;
    # an ICS link's busy times are Convene's copy, refreshed by the worker.
    models = (
        EventType, Schedule, WeeklyHours, DateOverride, OfferedSlot, GoogleCalendarConnection, CalDAVAccount,
        ICSSubscription, get_user_model(),
    )  # fmt: skip
    for model in models:
        post_save.connect(_changed, sender=model, dispatch_uid=f"booking-page-cache-save-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"booking-page-cache-delete-{model.__name__}")
