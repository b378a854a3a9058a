"""Every request has an id: in the ``X-Request-ID`` response header, on every log line written
while it is served, and on the 500 page, so a person who reports an error can quote it and the
administrator finds its log lines (the traceback among them).

Behind a trusted proxy (``BEHIND_PROXY``) a well-formed ``X-Request-ID`` it sent is kept, so the
proxy's access log and Convene's share the id; otherwise, or when it is malformed, a new one is
made. Log records outside a request (the worker) carry ``-``.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader

HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{8,128}")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("convene_request_id", default="-")


def current() -> str:
    return _current.get()


def _incoming(request: HttpRequest) -> str | None:
    if not settings.BEHIND_PROXY:
        return None
    value = request.headers.get(HEADER, "")
    return value if _WELL_FORMED.fullmatch(value) else None


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _incoming(request) or uuid.uuid4().hex
        request.request_id = request_id
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (the logging config's formatter shows it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, with the id to quote (handler500: plain, no context processors, since what
    failed may be one of them)."""
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"request_id": getattr(request, "request_id", current())}))
