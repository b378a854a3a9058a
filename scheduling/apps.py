from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Calendar and polls"

    def ready(self) -> None:
        from scheduling import dashboard, export, signals  # noqa: F401  (dashboard panel, export sections)

        signals.connect()
