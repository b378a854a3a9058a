"""Fixtures for every test, unit and end-to-end alike."""

from __future__ import annotations

import pytest
from django.core.cache import caches


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits, versions and cached pages live in the caches; each test starts with a clean slate.
    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def _queued_email(settings):
    # Django's test set-up swaps EMAIL_BACKEND for locmem; keep the real path (queue, then the
    # worker delivers to locmem) so tests see what production does.
    settings.EMAIL_BACKEND = "accounts.emails.QueuedEmailBackend"


@pytest.fixture
def fake_google(monkeypatch, settings):
    """A configured Google OAuth client and a fake Google behind every Google call (tests/google_fake.py)."""
    from tests.google_fake import FakeGoogle

    google_settings = {**settings.SOCIALACCOUNT_PROVIDERS["google"]}
    google_settings["APPS"] = [
        {"client_id": "convene-test.apps.googleusercontent.com", "secret": "test-secret", "key": ""}
    ]
    settings.SOCIALACCOUNT_PROVIDERS = {**settings.SOCIALACCOUNT_PROVIDERS, "google": google_settings}
    fake = FakeGoogle()
    monkeypatch.setattr("accounts.google.http_for_google", lambda timeout: fake)
    monkeypatch.setattr("accounts.google.pause", lambda seconds: None)  # retries without the waits
    return fake
