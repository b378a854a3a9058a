"""The REST API, version 1, at ``/api/v1/``: each app's router (``<app>/api.py``) under one
NinjaAPI with token auth, per-token rate limits and problem-details errors
(``accounts/api_base.py``). The OpenAPI document is ``/api/v1/openapi.json``; interactive docs at
``/api/v1/docs`` use the Swagger UI files django-ninja ships (no CDN)."""

from __future__ import annotations

from ninja import NinjaAPI

from accounts import api as accounts_api
from accounts.api_base import TokenAuth, TokenThrottle, install_problem_handlers
from booking import api as booking_api
from scheduling import api as scheduling_api

api = NinjaAPI(
    title="Convene API",
    version="1",
    description=(
        "Booking links, bookings, availability polls, calendar events and contacts of the account a "
        "personal token belongs to. Times are ISO 8601 with their offset; errors are RFC 9457 problem "
        "details (`application/problem+json`), with the same messages the pages give. Lists are "
        "paginated: follow `next`."
    ),
    auth=TokenAuth(),
    throttle=[TokenThrottle()],
    urls_namespace="api",
    docs_url="/docs",
)
install_problem_handlers(api)
api.add_router("/", accounts_api.router)
api.add_router("/", booking_api.router)
api.add_router("/", scheduling_api.router)
