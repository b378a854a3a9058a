from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = "Booking links"

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up

        from booking import dashboard, export, signals, webhooks  # noqa: F401  (dashboard panel, export sections)
        from booking.emails import BookingComposer
        from booking.schedules import ensure_default_schedule
        from scheduling import notices, outbox
        from scheduling.models import Event

        signals.connect()
        notices.register(Event.Origin.BOOKING, BookingComposer())
        outbox.register_webhooks(Event.Origin.BOOKING, webhooks.describe)
        user_signed_up.connect(
            lambda request, user, **kwargs: ensure_default_schedule(user),
            dispatch_uid="booking-default-schedule",
            weak=False,
        )
