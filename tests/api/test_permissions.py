"""Who may call what, for every operation the OpenAPI document lists (so an endpoint added later
is covered without a line here): the owner's token, another user's token (their ids are not
found), a revoked or expired token and no token (401), a read-only token on a write (403)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.api_base import revoke
from accounts.models import ApiToken
from project.api import api as convene_api
from tests.api.conftest import ApiClient, token_for

pytestmark = pytest.mark.django_db

OPERATIONS = sorted(
    (method.upper(), path.removeprefix("/api/v1"))
    for path, operations in convene_api.get_openapi_schema(path_prefix="/api/v1/")["paths"].items()
    for method in operations
)
WRITES = [(method, path) for method, path in OPERATIONS if method != "GET"]
WITH_IDS = [(method, path) for method, path in OPERATIONS if "{" in path]
PARAMETER = re.compile(r"{(\w+)}")


def _call(client: ApiClient, method: str, path: str, ids: dict[str, int]):
    url = PARAMETER.sub(lambda found: str(ids.get(found.group(1), "2026-12-08")), path)
    if method == "GET":
        return client.get(url)
    return getattr(client, method.lower())(url) if method == "DELETE" else getattr(client, method.lower())(url, {})


def test_the_document_lists_the_api():
    assert len(OPERATIONS) >= 30
    assert ("GET", "/contacts") in OPERATIONS


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_token_is_401(anonymous, world, method, path):
    response = _call(anonymous, method, path, world)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_revoked_and_expired_tokens_are_401(client, user, world, method, path):
    revoked = token_for(user)
    revoke(ApiToken.objects.get(prefix=revoked[:10]))
    expired = token_for(user, expires_at=timezone.now() - timedelta(minutes=1))
    for secret in (revoked, expired):
        assert _call(ApiClient(client, secret), method, path, world).status_code == 401


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_read_only_token_cannot_write(reader, world, method, path):
    response = _call(reader, method, path, world)
    assert response.status_code == 403
    assert response.json()["title"] == "Read-only token"


@pytest.mark.parametrize(("method", "path"), WITH_IDS)
def test_another_users_ids_are_not_found(intruder, api, world, method, path):
    theirs = _call(intruder, method, path, world)
    if theirs.status_code == 422:
        # The request itself is incomplete (an empty body, no date range): refused before any
        # lookup, exactly as the owner's own request is, so it tells nothing of the id.
        assert _call(api, method, path, world).json()["errors"] == theirs.json()["errors"]
    else:
        assert theirs.status_code == 404


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p in OPERATIONS if m == "GET"])
def test_owner_reads_everything_and_another_user_sees_none_of_it(api, intruder, world, method, path):
    mine = _call(api, method, path, world)
    assert mine.status_code in (200, 422), mine.content  # 422: a required query (a date range) is missing
    if "{" not in path and mine.status_code == 200 and "items" in mine.json():
        theirs = _call(intruder, method, path, world).json()
        assert not {item.get("id") for item in theirs["items"]} & {item.get("id") for item in mine.json()["items"]}
