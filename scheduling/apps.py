from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Calendar and polls"

    def ready(self) -> None:
        from scheduling import dashboard, export  # noqa: F401  (dashboard panel, export sections)
