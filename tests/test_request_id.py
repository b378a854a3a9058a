"""Every response names its request, and so does every log line written for it: a person who
meets the 500 page quotes the reference shown, and the administrator finds its traceback."""

from __future__ import annotations

import io
import logging
import re

import pytest
from django.urls import include, path

pytestmark = pytest.mark.django_db


def test_every_response_has_a_request_id(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_proxys_request_id_is_kept_only_behind_a_trusted_proxy(client, settings):
    given = {"HTTP_X_REQUEST_ID": "edge-1234abcd"}
    assert client.get("/healthz", **given)["X-Request-ID"] != "edge-1234abcd"
    settings.BEHIND_PROXY = True
    assert client.get("/healthz", **given)["X-Request-ID"] == "edge-1234abcd"
    hostile = client.get("/healthz", HTTP_X_REQUEST_ID="x\u2028<script>")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", hostile)


def boom(request):
    raise RuntimeError("the disk is on fire")


urlpatterns = [path("boom/", boom)]
handler500 = "project.request_id.server_error"


@pytest.mark.urls("tests.test_request_id")
def test_a_500_shows_the_reference_and_its_log_lines_carry_it(client):
    client.raise_request_exception = False
    console = next(handler for handler in logging.getLogger().handlers if handler.name == "console")
    written = io.StringIO()
    stream = console.setStream(written)
    try:
        response = client.get("/boom/")
    finally:
        console.setStream(stream)
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert f'<code data-testid="request-id">{request_id}</code>' in response.content.decode()
    logged = written.getvalue()
    [line] = [line for line in logged.splitlines() if "Internal Server Error: /boom/" in line]
    assert f"ERROR [{request_id}] django.request: Internal Server Error: /boom/" in line
    assert "RuntimeError: the disk is on fire" in logged


def test_log_lines_outside_a_request_say_so():
    from project.request_id import RequestIdFilter

    record = logging.LogRecord("huey", logging.INFO, __file__, 1, "task ran", None, None)
    RequestIdFilter().filter(record)
    assert record.request_id == "-"


def locked(request):
    from django.db import OperationalError

    raise OperationalError("database is locked")


def deadlock(request):
    import psycopg
    from django.db import OperationalError

    try:
        raise psycopg.errors.DeadlockDetected("deadlock detected")
    except psycopg.Error as error:
        raise OperationalError(str(error)) from error


def broken_sql(request):
    from django.db import OperationalError

    raise OperationalError("no such column: nonsense")


urlpatterns = [
    path("locked/", locked),
    path("deadlock/", deadlock),
    path("broken/", broken_sql),
    *urlpatterns,
    path("", include("project.urls")),  # the pages' links (the 409 page's header) resolve
]


@pytest.mark.urls("tests.test_request_id")
@pytest.mark.parametrize("url", ["/locked/", "/deadlock/"])
def test_a_lost_database_race_is_the_friendly_409_not_a_500(client, url):
    response = client.get(url)
    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    assert "Someone changed this at the same moment" in response.content.decode()


@pytest.mark.urls("tests.test_request_id")
def test_other_database_errors_stay_500s(client):
    client.raise_request_exception = False
    assert client.get("/broken/").status_code == 500
