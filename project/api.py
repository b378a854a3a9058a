"""The REST API, version 1, at ``/api/v1/``: each app's router (``<app>/api.py``) under one
NinjaAPI with token auth, per-token rate limits and problem-details errors
(``accounts/api_base.py``). The OpenAPI document is ``/api/v1/openapi.json``; interactive docs at
``/api/v1/docs`` use the Swagger UI files django-ninja ships (no CDN)."""

from __future__ import annotations

from ninja import NinjaAPI

from accounts import api as accounts_api
from accounts.api_base import PROBLEM, ObjectParser, TokenAuth, TokenThrottle, install_problem_handlers
from booking import api as booking_api
from scheduling import api as scheduling_api

PROBLEM_SCHEMA = {
    "title": "Problem",
    "description": "RFC 9457 problem details.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "What is wrong with which field (`__all__`: the request as a whole).",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
# What any operation may answer besides its own responses.
COMMON_PROBLEMS = {
    "400": "The request cannot be read.",
    "401": "No token, or a token that is unknown, revoked or expired.",
    "403": "A read-only token tried to change something.",
    "404": "Nothing with that id among what the token's user owns.",
    "422": "A value is missing or not valid; `errors` says which, in the pages' words.",
    "429": "Too many requests for this token; `Retry-After` says when to try again.",
}

CONFLICT = (
    "The object is not in a state that allows this (a slot just taken, a meeting already cancelled, "
    "a poll already finalized, a booking link turned off), or another request with the same "
    "`Idempotency-Key` is under way."
)


class ConveneAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """django-ninja's document, plus the problem responses every operation can give."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        problem = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation["responses"] = {
                    str(status): response for status, response in operation.get("responses", {}).items()
                }
                for status, description in COMMON_PROBLEMS.items():
                    responses.setdefault(status, {"description": description, "content": problem})
                    if status == "429":
                        responses[status]["headers"] = {
                            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
                        }
                responses.setdefault("409", {"description": CONFLICT})
                for status, response in responses.items():
                    if status == "409" and "content" not in response:
                        response["content"] = problem
        return schema


api = ConveneAPI(
    title="Convene API",
    version="1",
    description=(
        "Booking links, bookings, availability polls, calendar events and contacts of the account a "
        "personal token belongs to. Times are ISO 8601 with their offset; errors are RFC 9457 problem "
        "details (`application/problem+json`), with the same messages the pages give. Lists are "
        "paginated: follow `next`. POSTs that create bookings honour `Idempotency-Key`."
    ),
    auth=TokenAuth(),
    throttle=[TokenThrottle()],
    urls_namespace="api",
    docs_url="/docs",
    parser=ObjectParser(),
)
install_problem_handlers(api)
api.add_router("/", accounts_api.router)
api.add_router("/", booking_api.router)
api.add_router("/", scheduling_api.router)
