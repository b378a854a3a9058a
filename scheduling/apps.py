from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Calendar and polls"

    def ready(self) -> None:
        from anymail import signals as anymail_signals

        from scheduling import dashboard, export, inbound, notices, signals  # noqa: F401  (dashboard panel, export sections)
        from scheduling.emails import CalendarComposer

        signals.connect()
        anymail_signals.inbound.connect(inbound.receive, dispatch_uid="calendar-replies")
        notices.register(self.get_model("Event").Origin.MANUAL, CalendarComposer())
        notices.register(self.get_model("Event").Origin.POLL, CalendarComposer())
