from django.http import HttpResponse
from django.urls import path

from project.urls import urlpatterns as project_urlpatterns


def bare(request):
    """The cheapest Django response: the yardstick for every other figure."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("__bare__/", bare), *project_urlpatterns]
