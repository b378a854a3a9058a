"""Who is asking: the client's address, seen through the proxies Convene is told to trust.

Behind a reverse proxy every request comes from the proxy's address, so limits keyed by it would
count all visitors together. Each trusted proxy appends the address it saw to X-Forwarded-For,
so with ``TRUSTED_PROXY_COUNT`` proxies in front the client is that many entries from the right;
anything further left was written by the client and proves nothing. allauth reads its own limits
the same way (``ALLAUTH_TRUSTED_PROXY_COUNT`` is set from the same variable).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
    if count and len(forwarded) >= count:
        return forwarded[-count]
    # Not through the proxies (or none configured): the connection's own address.
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"
