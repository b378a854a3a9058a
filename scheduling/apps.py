from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Calendar and polls"

    def ready(self) -> None:
        from scheduling import dashboard, export, notices, signals  # noqa: F401  (dashboard panel, export sections)
        from scheduling.emails import CalendarComposer

        signals.connect()
        notices.register(self.get_model("Event").Origin.MANUAL, CalendarComposer())
        notices.register(self.get_model("Event").Origin.POLL, CalendarComposer())
