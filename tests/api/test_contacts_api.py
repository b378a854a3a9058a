from __future__ import annotations

import pytest
import time_machine

from accounts.models import ApiUsage, Contact
from accounts.tasks import forget_old_api_usage

pytestmark = pytest.mark.django_db


def test_owner_adds_a_contact_and_lists_it(api, user):
    made = api.post("/contacts", {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org"})
    assert made.status_code == 201
    listed = api.get("/contacts").json()
    assert [item["email"] for item in listed["items"]] == ["ada@example.org"]
    assert Contact.objects.get().owner == user


def test_duplicate_email_gives_the_forms_message_as_a_problem(api, contact):
    response = api.post("/contacts", {"first_name": "Ada", "email": contact.email.upper()})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": "email", "message": "A contact with this email already exists."}]


def test_patch_changes_only_what_is_sent(api, contact):
    response = api.patch(f"/contacts/{contact.pk}", {"last_name": "King"})
    assert response.status_code == 200
    contact.refresh_from_db()
    assert (contact.first_name, contact.last_name, contact.email) == ("Ada", "King", "ada@example.org")


def test_another_users_contact_is_not_found(intruder, contact):
    assert intruder.get(f"/contacts/{contact.pk}").status_code == 404
    assert intruder.delete(f"/contacts/{contact.pk}").status_code == 404
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_list_pages_link_to_the_next_page(api, user):
    for number in range(5):
        Contact.objects.create(owner=user, first_name=f"P{number}", email=f"p{number}@example.org")
    first = api.get("/contacts", per_page=2).json()
    assert first["count"] == 5
    assert len(first["items"]) == 2
    assert first["next"].startswith("http://testserver/api/v1/contacts?")
    seen = [item["email"] for item in first["items"]]
    page = first
    while page["next"]:
        page = api.client.get(page["next"], HTTP_AUTHORIZATION=f"Bearer {api.secret}").json()
        seen += [item["email"] for item in page["items"]]
    assert sorted(seen) == [f"p{number}@example.org" for number in range(5)]


def test_a_token_over_its_limit_gets_429_until_the_next_window(api, settings):
    settings.API_RATE_LIMIT = "3/m"
    with time_machine.travel("2026-12-06 12:00:15Z", tick=False):
        assert [api.get("/contacts").status_code for _ in range(4)] == [200, 200, 200, 429]
        refused = api.get("/contacts")
    assert refused["Retry-After"] == "45"
    assert refused.json()["title"] == "Too many requests"
    with time_machine.travel("2026-12-06 12:01:00Z", tick=False):
        assert api.get("/contacts").status_code == 200


def test_each_token_has_its_own_allowance(api, reader, settings):
    settings.API_RATE_LIMIT = "2/m"
    with time_machine.travel("2026-12-06 12:00:15Z", tick=False):
        assert [api.get("/contacts").status_code for _ in range(3)] == [200, 200, 429]
        assert reader.get("/contacts").status_code == 200


def test_old_windows_are_forgotten(api):
    with time_machine.travel("2026-12-04 12:00:00Z", tick=False):
        api.get("/contacts")
    with time_machine.travel("2026-12-06 12:00:00Z", tick=False):
        api.get("/contacts")
        assert forget_old_api_usage.call_local() == 1
    assert ApiUsage.objects.count() == 1


def test_a_page_past_the_end_is_empty_and_points_back_to_the_last(api, contact):
    found = api.get("/contacts", page=10**25).json()
    assert found["items"] == []
    assert found["next"] is None
    assert "page=1" in found["previous"]
