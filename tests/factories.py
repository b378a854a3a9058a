from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import factory
from allauth.account.models import EmailAddress

from accounts.models import Contact, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    name = factory.Faker("name")
    timezone = "Europe/Berlin"

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def email_address(self, create, extracted, **kwargs):
        if create and self.email:
            EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=True)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    owner = factory.SubFactory(UserFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"contact{n}@example.org")


class ScheduleFactory(factory.django.DjangoModelFactory):
    """Mon–Fri 09:00–17:00 in the owner's timezone, like the default made at sign-up."""

    class Meta:
        model = "booking.Schedule"
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Hours {n}")
    timezone = factory.LazyAttribute(lambda schedule: schedule.owner.timezone)
    is_default = False

    @factory.post_generation
    def hours(self, create, extracted, **kwargs):
        if create:
            for weekday, start, end in extracted or [(day, time(9), time(17)) for day in range(5)]:
                self.weekly_hours.create(weekday=weekday, start=start, end=end)


class EventTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "booking.EventType"

    owner = factory.SubFactory(UserFactory)
    title = "30-minute call"
    slug = factory.Sequence(lambda n: f"call-{n}")
    duration = 30
    minimum_notice = 0
    location_kind = "video"
    location_detail = "https://meet.example.com/room"
    schedule = factory.LazyAttribute(lambda event_type: ScheduleFactory(owner=event_type.owner))


class PollFactory(factory.django.DjangoModelFactory):
    """Mon 7 – Fri 11 December 2026, 09:00–12:00 in Berlin, 30-minute cells, answers by the 5th."""

    class Meta:
        model = "scheduling.Poll"

    owner = factory.SubFactory(UserFactory)
    title = "Project kick-off"
    duration = 60
    timezone = "Europe/Berlin"
    dates = ["2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11"]
    day_start = time(9)
    day_end = time(12)
    cell_minutes = 30
    deadline = datetime(2026, 12, 5, 17, tzinfo=UTC)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scheduling.Invitation"

    poll = factory.SubFactory(PollFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")


def connect_google(user, *, busy_calendars=None, target_calendar=None, **fields):
    """``user`` as if they had connected Google Calendar (with the ``fake_google`` calendars)."""
    from allauth.socialaccount.models import SocialAccount, SocialToken
    from django.utils import timezone

    from accounts.google_calendar import WRITABLE_ACCESS_ROLES
    from accounts.models import GoogleCalendarConnection
    from tests.google_fake import PRIMARY, FakeGoogle

    account = SocialAccount.objects.create(
        user=user, provider="google", uid=f"10{user.pk:08d}", extra_data={"email": PRIMARY, "name": user.name}
    )
    SocialToken.objects.create(
        account=account,
        token="ya29.stored-access-token",
        token_secret="1//stored-refresh-token",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    calendars = [  # as accounts.google.refresh_calendar_list stores the fake Google's list
        {
            "id": entry["id"],
            "summary": entry["summary"],
            "primary": entry.get("primary", False),
            "writable": entry["accessRole"] in WRITABLE_ACCESS_ROLES,
        }
        for entry in FakeGoogle().calendars
    ]
    return GoogleCalendarConnection.objects.create(
        user=user,
        account=account,
        calendars=calendars,
        busy_calendars=[PRIMARY] if busy_calendars is None else busy_calendars,
        target_calendar=PRIMARY if target_calendar is None else target_calendar,
        **fields,
    )


def booked(event_type, start, *, name: str = "Bea Booker", email: str = "bea@example.org", minutes: int = 30):
    """A confirmed one-on-one booking of ``event_type`` at ``start``, as book_slot leaves it (its
    Event, the booker's seat, the Booking), without the checks or the emails."""
    from booking.models import Booking
    from scheduling.models import Attendee, Event

    event = Event.objects.create(
        owner=event_type.owner, title=f"{event_type.title} with {name}", origin=Event.Origin.BOOKING,
        start=start, end=start + timedelta(minutes=minutes), timezone=event_type.schedule.timezone,
        location=event_type.location_text, reminders=event_type.reminders, remind_attendees=True,
    )  # fmt: skip
    seat = Attendee.objects.create(event=event, name=name, email=email, status=Attendee.Status.ACCEPTED)
    return Booking.objects.create(
        event_type=event_type, event=event, attendee=seat, name=name, email=email, timezone="UTC"
    )


def bulk_booked(event_type, events, *, email: str = "x@example.org"):
    """Bookings of ``event_type`` on existing ``events`` (benchmarks, query-count pins)."""
    from booking.models import Booking
    from scheduling.models import Attendee

    seats = Attendee.objects.bulk_create(
        Attendee(event=event, name="X", email=email, status=Attendee.Status.ACCEPTED) for event in events
    )
    return Booking.objects.bulk_create(
        Booking(event_type=event_type, event=event, attendee=seat, name="X", email=email, timezone="UTC")
        for event, seat in zip(events, seats, strict=True)
    )
