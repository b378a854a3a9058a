"""A fixed-window request limit per client IP, kept in the cache (shared through Redis when
REDIS_URL is set, so the limit holds across web processes)."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    # Behind a proxy (BEHIND_PROXY=1) the proxy must set REMOTE_ADDR correctly (e.g. gunicorn's
    # --forwarded-allow-ips); X-Forwarded-For from clients is not trusted here.
    return request.META.get("REMOTE_ADDR", "unknown")


def rate_limited(request: HttpRequest, action: str, *, limit: int, period: int) -> bool:
    """Count this request; True once more than ``limit`` happened in the current window."""
    window = int(time.time() // period)
    key = f"ratelimit:{action}:{client_ip(request)}:{window}"
    cache.add(key, 0, timeout=period)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period)
        count = 1
    return count > limit
