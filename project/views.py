from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from huey.contrib.djhuey import HUEY

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and uptime checks: 200 when the database, the shared cache and the task
    queue all answer; 503 naming the one that does not (pages need all three: with the cache down
    they fail, with the queue down no email leaves)."""
    report = {"status": "ok", "database": "ok", "database_engine": connection.vendor, "cache": "ok", "queue": "ok"}
    checks = {"database": _database, "cache": _cache, "queue": _queue}
    for name, check in checks.items():
        try:
            check()
        except Exception:
            logger.exception("Health check: the %s is unreachable", name)
            report[name], report["status"] = "unreachable", "error"
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("the cache did not keep a value")


def _queue() -> None:
    HUEY.pending_count()
