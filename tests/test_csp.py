"""The Content-Security-Policy header (project/csp.py); browser journeys run under it (e2e/conftest.py)."""

from __future__ import annotations

import re

import pytest

from tests.factories import EventTypeFactory

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))


def test_pages_allow_scripts_only_from_the_site_and_cannot_be_framed(client):
    policy = directives(client.get("/accounts/login/"))
    assert policy["script-src"] == "'self'"
    assert "unsafe" not in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"


def test_the_embeddable_booking_page_may_be_framed_by_any_site(client, user):
    EventTypeFactory(owner=user, slug="intro")
    response = client.get(f"/{user.username}/intro/?embed=1")
    assert response.status_code == 200
    assert directives(response)["frame-ancestors"] == "*"
    assert directives(client.get(f"/{user.username}/intro/"))["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/", "/admin/login/"])
def test_no_inline_scripts_or_handlers_in_public_pages(client, path):
    html = client.get(path).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+=\"", html), "inline event handler"
