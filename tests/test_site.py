from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_landing_page_explains_the_product(client):
    response = client.get(reverse("landing"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Booking links" in content
    assert "Availability polls" in content
    assert reverse("account_signup") in content


def test_landing_sends_a_signed_in_user_to_the_dashboard(owner_client):
    response = owner_client.get(reverse("landing"))
    assert response["Location"] == reverse("dashboard")


def test_app_shell_loads_htmx_and_sends_csrf_on_htmx_requests(owner_client):
    content = owner_client.get(reverse("dashboard")).content.decode()
    assert "django_htmx/htmx-2.min.js" in content
    assert 'hx-headers=\'{"X-CSRFToken": "' in content


def test_navigation_lists_only_sections_that_exist(owner_client):
    labels = [item["label"] for item in owner_client.get(reverse("dashboard")).context["navigation"]]
    assert labels[0] == "Dashboard"
    assert {"Contacts", "Profile"} <= set(labels)


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_healthz_reports_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


def test_healthz_reports_503_when_the_database_is_unreachable(client):
    with mock.patch("project.views.connection.cursor", side_effect=OperationalError("connection refused")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["database"] == "unreachable"


def test_healthz_reports_503_when_the_cache_is_unreachable(client, settings):
    """With REDIS_URL at a closed port every page fails; the health check must say so (issue 21)."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["cache"] == "unreachable"
    assert response.json()["database"] == "ok"


def test_healthz_reports_503_when_the_task_queue_is_unreachable(client):
    with mock.patch("project.views.HUEY.pending_count", side_effect=ConnectionError("queue down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["queue"] == "unreachable"


def test_healthz_is_not_cached(client):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]


def test_server_error_page_renders_without_a_request_context():
    from django.template.loader import render_to_string

    assert "Something went wrong on our side" in render_to_string("500.html")


def test_403_page_is_friendly(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.views.defaults import permission_denied

    request = rf.get("/")
    request.user = AnonymousUser()
    response = permission_denied(request, exception=None)
    assert response.status_code == 403
    assert b"You can't do that here" in response.content


def test_a_host_not_allowed_is_a_400_page_not_a_500(client, settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["convene.example.com"]
    client.raise_request_exception = False
    response = client.get("/accounts/login/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
