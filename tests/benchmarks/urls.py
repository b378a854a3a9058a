from django.http import HttpResponse
from django.urls import path

from accounts import google
from project.urls import urlpatterns as project_urlpatterns
from tests.google_fake import PRIMARY, FakeGoogle


def bare(request):
    """The cheapest Django response: the yardstick for every other figure."""
    return HttpResponse("ok", content_type="text/plain")


def _fake_google() -> FakeGoogle:
    """Google for hosts with a connected calendar, in this worker process: 300 busy times over the
    next 60 days, answered without the network. Pages cache the answer, as with the real one."""
    from datetime import UTC, datetime, timedelta

    fake = FakeGoogle()
    start = datetime.now(UTC).replace(hour=8, minute=20, second=0, microsecond=0)
    for n in range(300):
        moment = start + timedelta(days=n // 5, hours=2 * (n % 5))
        fake.add_busy(PRIMARY, moment, moment + timedelta(minutes=45))
    return fake


_google = _fake_google()
google.http_for_google = lambda timeout: _google

urlpatterns = [path("__bare__/", bare), *project_urlpatterns]
