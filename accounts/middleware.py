from __future__ import annotations

from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import clock


class HtmxMessagesMiddleware:
    """Flash messages added during an HTMX request reach the page as an out-of-band swap of
    ``#messages``, so views use ``messages.success()`` the same way with or without JavaScript."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not getattr(request, "htmx", False)
            or response.streaming
            or not 200 <= response.status_code < 300
            or "HX-Redirect" in response
            or "HX-Location" in response
            or not response.get("Content-Type", "").startswith("text/html")
        ):
            return response
        storage = get_messages(request)
        if not storage:
            return response
        response.write(render_to_string("_fragments/_messages.html", {"messages": storage, "oob": True}))
        return response


class UserPreferencesMiddleware:
    """Render every page in the signed-in user's timezone and on their clock (templates convert
    aware datetimes to the active timezone and write times with ``|hm``). Public pages set the
    visitor's own in their views."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            with timezone.override(user.tzinfo), clock.override(clock.of_user(user)):
                return self.get_response(request)
        return self.get_response(request)
