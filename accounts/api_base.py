"""What every part of the REST API (``/api/v1/``) shares: token authentication, errors as
RFC 9457 problem details, pagination with a ``next`` link, per-token rate limits.

Each app writes its endpoints in its own ``api.py`` with these pieces; ``project/api.py``
assembles them. Handlers call the same workflows and validate with the same forms as the pages,
so an API client gets the messages a person gets (``form_problem``).

Tokens (``ApiToken``) are ``cvn_`` + 43 random URL-safe characters; only their SHA-256 is stored,
which is enough for a secret of 256 random bits (no salt or slow hash is needed, as GitHub does
for its tokens). A read-only token may only read: any other method is a 403.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import threading
import time as clock
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Generic, TypeVar

from django import forms
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Schema, Status
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle
from pydantic import WithJsonSchema

from accounts.models import API_TOKEN_PREFIX, ApiToken, ApiUsage, IdempotentRequest, User

PROBLEM = "application/problem+json"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# How often a token's "last used" is written: often enough to be useful, not a write per request.
LAST_USED_EVERY = timedelta(minutes=1)
PER_PAGE = 50
MAX_PER_PAGE = 200


# --- Tokens --------------------------------------------------------------------------------------


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(*, user: User, name: str, can_write: bool, expires_at: datetime | None) -> tuple[ApiToken, str]:
    """A new token and its secret: the only time the secret exists outside the request."""
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        can_write=can_write,
        expires_at=expires_at,
        prefix=secret[: len(API_TOKEN_PREFIX) + 6],
        digest=digest(secret),
    )
    return token, secret


def revoke(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


class Problem(HttpError):
    """An error the client can act on, sent as ``application/problem+json`` (RFC 9457)."""

    def __init__(self, status: int, title: str, detail: str = "", *, errors: list[dict] | None = None, **extra):
        super().__init__(status, detail or title)
        self.title = title
        self.detail = detail
        self.errors = errors
        self.extra = extra


class TokenAuth(HttpBearer):
    openapi_description = (
        "A personal API token from Profile → API tokens: `Authorization: Bearer cvn_…`. "
        "Read-only tokens get 403 on anything but GET."
    )

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        found = None
        if token.startswith(API_TOKEN_PREFIX):  # unordered: ``first()`` would sort a unique match
            found = next(iter(ApiToken.objects.select_related("user").filter(digest=digest(token)).order_by()), None)
        now = timezone.now()
        if found is None or not found.user.is_active:
            raise Problem(401, "Unknown token", "This API token is not valid. Make one in Profile → API tokens.")
        if found.revoked_at is not None:
            raise Problem(401, "Token revoked", "This API token was revoked. Make a new one in Profile → API tokens.")
        if found.expires_at is not None and found.expires_at <= now:
            raise Problem(401, "Token expired", "This API token has expired. Make a new one in Profile → API tokens.")
        if request.method not in SAFE_METHODS and not found.can_write:
            raise Problem(
                403, "Read-only token", "This API token can only read. Use a read-and-write token to make changes."
            )
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_EVERY:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found


PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _rate() -> tuple[int, int]:
    count, period = settings.API_RATE_LIMIT.split("/")
    return int(count), PERIODS[period]


def count_request(token_id: int, *, now: float, period: int) -> int:
    """This request counted in the token's current window; the window's count so far.

    One statement (an upsert: SQLite 3.35+ and PostgreSQL), so two processes counting at once
    both count, and a request costs one write instead of the shared cache's read-modify-writes."""
    window = int(now // period * period)
    table = connection.ops.quote_name(ApiUsage._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (token_id, window_start, count) VALUES (%s, %s, 1) "
            f"ON CONFLICT (token_id, window_start) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [token_id, window],
        )
        return cursor.fetchone()[0]


def forget_old_usage(now: float) -> int:
    """The counts of windows long over (a periodic task)."""
    return ApiUsage.objects.filter(window_start__lt=now - PERIODS["d"] - 1).delete()[0]


class TokenThrottle(BaseThrottle):
    """``API_RATE_LIMIT`` requests per token and window (``600/m``: 600 in each clock minute),
    counted in the database (``count_request``) so every web process shares the allowance."""

    def __init__(self) -> None:
        self._last = threading.local()  # one instance serves every thread of the process

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "auth", None)
        if token is None:
            return True
        limit, period = _rate()
        now = clock.time()
        if count_request(token.pk, now=now, period=period) <= limit:
            return True
        self._last.wait = max(1, math.ceil(period - now % period))
        return False

    def wait(self) -> float | None:
        return getattr(self._last, "wait", None)


class ObjectParser(Parser):
    """Request bodies are JSON objects: anything else (a bare number or string) is a 400, not
    a request whose fields all fall back to their defaults."""

    def parse_body(self, request: HttpRequest) -> dict:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data


# --- Problems ------------------------------------------------------------------------------------


def problem_response(request: HttpRequest, status: int, title: str, detail: str = "", **members: Any) -> HttpResponse:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    body.update({name: value for name, value in members.items() if value is not None})
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM)


def _where(loc: Iterable) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "payload", "data")]
    return ".".join(parts) or "__all__"


def install_problem_handlers(api) -> None:
    """Every error the API sends is a problem document."""

    @api.exception_handler(Problem)
    def _problem(request, exc: Problem):
        response = problem_response(request, exc.status_code, exc.title, exc.detail, errors=exc.errors, **exc.extra)
        if exc.status_code == 401:
            response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @api.exception_handler(ValidationError)
    def _invalid(request, exc: ValidationError):
        errors = [{"field": _where(error.get("loc", ())), "message": error.get("msg", "")} for error in exc.errors]
        return problem_response(request, 422, "Invalid request", SEE_ERRORS, errors=errors)

    @api.exception_handler(Throttled)
    def _throttled(request, exc: Throttled):
        seconds = int(exc.wait or 1)
        return problem_response(
            request, 429, "Too many requests", f"This token made too many requests. Try again in {seconds} seconds."
        )

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        response = problem_response(
            request, 401, "Not signed in", "Send an API token: Authorization: Bearer cvn_… (Profile → API tokens)."
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        if exc.status_code == 400:  # django-ninja's words for a body it cannot read
            return problem_response(request, 400, "Cannot read the body", "Send the body as a JSON object.")
        return problem_response(request, exc.status_code, str(exc.message))

    @api.exception_handler(OverflowError)
    def _too_large(request, exc):
        # An id or count beyond what the database stores (SQLite refuses integers over 2**63).
        return problem_response(request, 422, "Invalid request", "A number in the request is too large.")

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return problem_response(request, 404, "Not found", "There is nothing with that id among what you own.")


SEE_ERRORS = "Some values are missing or not valid; see errors."


def invalid(errors: list[dict[str, str]]) -> Problem:
    """A 422 listing what is wrong, ``[{"field": ..., "message": ...}]``."""
    return Problem(422, "Invalid request", SEE_ERRORS, errors=errors)


def invalid_field(field: str, message: str) -> Problem:
    return invalid([{"field": field, "message": message}])


def form_problem(form: forms.BaseForm, *, title: str = "Invalid request") -> Problem:
    """The form's own messages, field by field, as a 422 problem."""
    errors = [
        {"field": field if field != "__all__" else "__all__", "message": message}
        for field, messages in form.errors.items()
        for message in messages
    ]
    return Problem(422, title, SEE_ERRORS, errors=errors)


def conflict(detail: str, **extra) -> Problem:
    return Problem(409, "Conflict", detail, **extra)


# --- Ownership and pages -------------------------------------------------------------------------


def owned(queryset: QuerySet, pk: int):
    """One object from an owner-scoped queryset (``Contact.objects.for_owner(user)``), else 404:
    another user's id is not found (``get_owned_or_404``'s rule, for querysets already scoped)."""
    return get_object_or_404(queryset, pk=pk)


T = TypeVar("T")


class Page(Schema, Generic[T]):
    items: list[T]
    count: int
    next: str | None = None
    previous: str | None = None


def _page_url(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def paginate(
    request: HttpRequest,
    rows: QuerySet | Sequence,
    to_item: Callable[[Any], Any],
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> dict:
    """A page of ``rows`` (a queryset, or a list already made) with links to the pages around
    it. A page past the end is empty, and its ``previous`` is the last page."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    count = rows.count() if isinstance(rows, QuerySet) else len(rows)
    last = max(1, -(-count // per_page))
    offset = (page - 1) * per_page
    shown = list(rows[offset : offset + per_page]) if page <= last else []
    return {
        "items": [to_item(row) for row in shown],
        "count": count,
        "next": _page_url(request, page + 1) if page < last else None,
        "previous": _page_url(request, min(page - 1, last)) if page > 1 else None,
    }


# --- Idempotency ---------------------------------------------------------------------------------

IDEMPOTENCY_KEPT = timedelta(days=1)
# Longer than any request takes: a claim with no answer after this was left by a process that died.
IDEMPOTENCY_IN_FLIGHT = timedelta(minutes=2)


def idempotent(request: HttpRequest, make: Callable[[], tuple[int, dict]]) -> HttpResponse | Status:
    """Run ``make`` (which returns ``(status, JSON-ready body)``) once per ``Idempotency-Key``;
    the handler returns what this returns.

    Without the header, ``make`` just runs. With it, the first request claims the key in its own
    committed row, so a duplicate sent at the same moment gets 409 instead of a second booking; a
    finished request's answer is stored and a retry with the same key and body gets it again
    (``Idempotent-Replayed: true``); the same key with another body is a 422. A request that fails
    releases its key, so the client may retry it, and so does one that died mid-way (its claim is
    taken over after :data:`IDEMPOTENCY_IN_FLIGHT`). Keys are kept for a day (Stripe's model)."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return Status(*make())
    if len(key) > 255:
        raise Problem(400, "Idempotency-Key too long", "Use an Idempotency-Key of at most 255 characters.")
    fingerprint = _fingerprint(request)
    user = request.user
    now = timezone.now()
    abandoned = Q(status__isnull=True, created_at__lt=now - IDEMPOTENCY_IN_FLIGHT)
    IdempotentRequest.objects.filter(Q(created_at__lt=now - IDEMPOTENCY_KEPT) | abandoned, user=user).delete()
    try:
        with transaction.atomic():
            claim = IdempotentRequest.objects.create(user=user, key=key, fingerprint=fingerprint)
    except IntegrityError:
        earlier = IdempotentRequest.objects.filter(user=user, key=key).first()
        if earlier is None:  # released meanwhile: the first attempt failed
            raise Problem(
                409, "Try again", "An earlier request with this Idempotency-Key just failed; send it again."
            ) from None
        if earlier.status is None:
            raise Problem(
                409, "Request in progress", "A request with this Idempotency-Key is still being processed."
            ) from None
        if earlier.fingerprint != fingerprint:
            raise Problem(
                422,
                "Idempotency-Key reused",
                "This Idempotency-Key was used for a different request. Use a new key for a new request.",
            ) from None
        response = HttpResponse(earlier.body, status=earlier.status, content_type="application/json")
        response["Idempotent-Replayed"] = "true"
        return response
    try:
        status, body = make()
    except BaseException:
        claim.delete()
        raise
    claim.status, claim.body = status, json.dumps(body, cls=DjangoJSONEncoder)
    claim.save(update_fields=["status", "body"])
    return Status(status, body)


def _fingerprint(request: HttpRequest) -> str:
    """The request as its meaning: the same JSON sent with other spacing or key order is the same."""
    try:
        body = json.dumps(json.loads(request.body or b"null"), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = request.body
    return hashlib.sha256(b"\n".join([request.method.encode(), request.path.encode(), body])).hexdigest()


def forget_old_idempotency_keys(now: datetime) -> int:
    """Keys past their day, for everyone (a periodic task)."""
    return IdempotentRequest.objects.filter(created_at__lt=now - IDEMPOTENCY_KEPT).delete()[0]


# --- Shared field types --------------------------------------------------------------------------

# A wall-clock time in a named zone (weekly hours, a poll's day): JSON Schema's "time" format is
# RFC 3339's, which needs an offset, so it is documented as what it is.
LocalTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$",
            "description": "Local wall-clock time, HH:MM[:SS], in the object's timezone.",
            "examples": ["09:00:00"],
        }
    ),
]
