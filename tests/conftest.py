from __future__ import annotations

import pytest

from tests.factories import ContactFactory, UserFactory


@pytest.fixture
def user(db):
    return UserFactory(username="owner", email="owner@example.com", name="Olivia Owner")


@pytest.fixture
def other_user(db):
    return UserFactory(username="intruder", email="intruder@example.com")


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def contact(user):
    return ContactFactory(owner=user, first_name="Ada", last_name="Lovelace", email="ada@example.org")


@pytest.fixture
def htmx_headers():
    def make(target: str | None = None) -> dict[str, str]:
        headers = {"HX-Request": "true"}
        if target:
            headers["HX-Target"] = target
        return headers

    return make


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed(): ...`` runs the on-commit callbacks (emails, tasks) when the block ends,
    as a real transaction's commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def worker_backlog():
    """Tasks wait in a queue, as behind a busy worker, instead of running at once (the test
    settings' immediate mode); ``worker_backlog()`` works the queue off and says how many ran.
    Each task commits as in the worker, so what it hands on (emails to deliver) is queued too."""
    from django.test import TestCase
    from huey.contrib.djhuey import HUEY
    from huey.storage import MemoryStorage

    storage = HUEY.storage
    HUEY._immediate = False
    HUEY.storage = MemoryStorage(HUEY.name)

    def work_off() -> int:
        done = 0
        while (task := HUEY.dequeue()) is not None:
            with TestCase.captureOnCommitCallbacks(execute=True):
                HUEY._immediate = True  # djhuey closes the connection after a task unless immediate
                try:
                    HUEY.execute(task)
                finally:
                    HUEY._immediate = False
            done += 1
        return done

    yield work_off
    HUEY.storage = storage
    HUEY._immediate = True
