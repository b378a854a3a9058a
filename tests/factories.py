from __future__ import annotations

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
        from datetime import time

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
