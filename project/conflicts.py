"""A request that lost a race inside the database gets the friendly 409, never a 500.

Workflows serialise on row locks, so such races are rare; but when PostgreSQL breaks a deadlock,
refuses a serialisation or times out waiting for a lock, or SQLite stays busy past its timeout,
the transaction has been rolled back and nothing was changed. The person is told that someone
changed the same thing at the same moment and asked to try again; the event is logged at WARNING.
"""

from __future__ import annotations

import logging

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

# serialization_failure, deadlock_detected, lock_not_available, query_canceled (lock_timeout)
CONFLICT_STATES = {"40001", "40P01", "55P03", "57014"}
SQLITE_BUSY = ("database is locked", "database table is locked")


def is_conflict(error: BaseException) -> bool:
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return state in CONFLICT_STATES or any(text in str(error) for text in SQLITE_BUSY)


class ConflictMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_conflict(exception):
            return None
        logger.warning("Conflict on %s %s, answered 409: %s", request.method, request.path, exception)
        response = render(request, "409.html", status=409)
        response["Retry-After"] = "1"
        return response
