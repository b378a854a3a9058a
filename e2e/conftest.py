from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
# itself (fixtures, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SYSTEM_CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_collection_modifyitems(items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(item.fspath).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = {**browser_type_launch_args}
    if os.path.exists(SYSTEM_CHROMIUM):
        args["executable_path"] = SYSTEM_CHROMIUM
    args["args"] = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    return args


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


@pytest.fixture(autouse=True)
def _default_timeout(page):
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(15_000)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A timezone that is neither the server's (UTC) nor the factories' default (Europe/Berlin),
    # so the tests can tell where a timezone came from.
    return {**browser_context_args, "timezone_id": "America/Chicago", "locale": "en-US"}


@pytest.fixture
def login(page):
    return functools.partial(log_in, page)


def log_in(page, user, password: str | None = None) -> None:
    """Sign ``user`` in on ``page`` through the sign-in form; lands on the dashboard."""
    from tests.factories import PASSWORD

    page.goto("/accounts/login/")
    field(page, "Username or email").fill(user.username)
    field(page, "Password").fill(password or PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/dashboard/")


@pytest.fixture
def world(live_server, fake_google):
    """One owner's whole account, every text in it hostile (e2e/everything.py)."""
    from e2e.everything import seed_world

    return seed_world()


def field(scope, label: str):
    """The form control labelled ``label``, whether or not crispy marks it required with "*"."""
    return scope.get_by_label(re.compile(rf"^\s*{re.escape(label)}\*?\s*$"))


@pytest.fixture(autouse=True)
def _site_url(settings, live_server):
    # Links in emails point at the live server, so tests can follow them like a person would.
    settings.SITE_URL = live_server.url


@pytest.fixture(autouse=True)
def _no_csp_violations(page):
    """Every journey runs under the Content-Security-Policy (project/csp.py): anything the policy
    blocks (an inline script or handler, a script from elsewhere) fails the test."""
    blocked = []
    page.on(
        "console",
        lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield
    assert blocked == [], blocked
