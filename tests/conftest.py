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
