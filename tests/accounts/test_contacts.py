from __future__ import annotations

import json

import pytest
from django.db import IntegrityError
from django.urls import reverse

from accounts.forms import ContactForm
from accounts.models import Contact
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def add(client, headers=None, **data):
    payload = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.org", **data}
    return client.post(reverse("contacts:create"), payload, headers=headers or {})


# --- Access -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("contacts:list", "get"),
        ("contacts:create", "post"),
        ("contacts:detail", "get"),
        ("contacts:edit", "get"),
        ("contacts:edit", "post"),
        ("contacts:delete", "get"),
        ("contacts:delete", "post"),
    ],
)
def test_anonymous_visitor_is_sent_to_login(client, contact, name, method):
    url = reverse(name, args=[contact.pk]) if name not in {"contacts:list", "contacts:create"} else reverse(name)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("contacts:detail", "get"),
        ("contacts:edit", "get"),
        ("contacts:edit", "post"),
        ("contacts:delete", "get"),
        ("contacts:delete", "post"),
    ],
)
def test_another_users_contact_is_a_404(client, contact, other_user, name, method):
    client.force_login(other_user)
    response = getattr(client, method)(reverse(name, args=[contact.pk]), {"first_name": "X", "email": "x@example.org"})
    assert response.status_code == 404
    contact.refresh_from_db()
    assert contact.first_name == "Ada"


def test_list_shows_only_the_owners_contacts(owner_client, contact, other_user):
    ContactFactory(owner=other_user, first_name="Secret", email="secret@example.org")
    response = owner_client.get(reverse("contacts:list"))
    assert response.status_code == 200
    assert b"ada@example.org" in response.content
    assert b"secret@example.org" not in response.content


# --- List and search ------------------------------------------------------------------------


def test_search_matches_name_and_email_case_insensitively(owner_client, user, contact):
    ContactFactory(owner=user, first_name="Alan", last_name="Turing", email="alan@example.org")
    response = owner_client.get(reverse("contacts:list"), {"q": "LOVE"})
    assert list(response.context["page"]) == [contact]


def test_search_with_several_words_needs_all_of_them(owner_client, user, contact):
    ContactFactory(owner=user, first_name="Ada", last_name="Byron", email="byron@example.org")
    response = owner_client.get(reverse("contacts:list"), {"q": "ada lovelace"})
    assert list(response.context["page"]) == [contact]


def test_htmx_search_returns_only_the_list_partial(owner_client, contact, htmx_headers):
    response = owner_client.get(reverse("contacts:list"), {"q": "ada"}, headers=htmx_headers("contact-list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="contact-list"')
    assert "<html" not in content
    assert "ada@example.org" in content


def test_list_is_paginated(owner_client, user):
    ContactFactory.create_batch(55, owner=user)
    first = owner_client.get(reverse("contacts:list"))
    second = owner_client.get(reverse("contacts:list"), {"page": 2})
    assert len(first.context["page"]) == 50
    assert len(second.context["page"]) == 5


def test_list_query_count_does_not_grow_with_contacts(owner_client, user, django_assert_max_num_queries):
    ContactFactory.create_batch(40, owner=user)
    with django_assert_max_num_queries(6):
        owner_client.get(reverse("contacts:list"))


# --- Create ---------------------------------------------------------------------------------


def test_owner_adds_a_contact(owner_client, user):
    response = add(owner_client)
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:list")
    contact = Contact.objects.get()
    assert (contact.owner, contact.full_name, contact.email) == (user, "Grace Hopper", "grace@example.org")


def test_htmx_add_returns_a_fresh_form_and_asks_the_list_to_refresh(owner_client, htmx_headers):
    response = add(owner_client, headers=htmx_headers("contact-add"))
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"contactsChanged": {}}
    content = response.content.decode()
    assert content.lstrip().startswith('<form id="contact-add"')
    assert "Added Grace Hopper to your contacts." in content  # the flash message, swapped out of band
    assert 'value="grace@example.org"' not in content


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"first_name": ""}, "first_name", "This field is required."),
        ({"email": ""}, "email", "This field is required."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"first_name": "x" * 151}, "first_name", "Ensure this value has at most 150 characters (it has 151)."),
        ({"last_name": "x" * 151}, "last_name", "Ensure this value has at most 150 characters (it has 151)."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(owner_client, data, field, message):
    response = add(owner_client, **data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not Contact.objects.exists()


def test_bad_input_keeps_what_was_typed(owner_client):
    response = add(owner_client, email="not-an-email", first_name="Grace")
    assert b'value="Grace"' in response.content
    assert b'value="not-an-email"' in response.content


def test_duplicate_email_is_refused_case_insensitively(owner_client, contact):
    response = add(owner_client, email="ADA@Example.org")
    assert response.context["form"].errors["email"] == ["A contact with this email already exists."]
    assert Contact.objects.count() == 1


def test_htmx_add_with_errors_rerenders_the_form_without_refreshing_the_list(owner_client, contact, htmx_headers):
    response = add(owner_client, headers=htmx_headers("contact-add"), email="ada@example.org")
    assert "HX-Trigger" not in response
    assert "A contact with this email already exists." in response.content.decode()


def test_two_owners_may_have_the_same_contact_email(owner_client, other_user):
    ContactFactory(owner=other_user, email="grace@example.org")
    add(owner_client)
    assert Contact.objects.filter(email="grace@example.org").count() == 2


def test_database_refuses_a_case_insensitive_duplicate(contact):
    with pytest.raises(IntegrityError):
        Contact.objects.create(owner=contact.owner, first_name="Again", email="ADA@EXAMPLE.ORG")


def test_a_lost_race_becomes_a_form_error(user, contact, monkeypatch):
    form = ContactForm({"first_name": "Ada", "email": "ada2@example.org"}, owner=user)
    assert form.is_valid()
    # Another request saved the same address between validation and save.
    form.instance.email = "ada@example.org"
    from accounts.forms import save_contact

    assert save_contact(form) is None
    assert form.errors["email"] == ["A contact with this email already exists."]


# --- Edit -----------------------------------------------------------------------------------


def test_owner_edits_a_contact(owner_client, contact):
    response = owner_client.post(
        reverse("contacts:edit", args=[contact.pk]),
        {"first_name": "Augusta Ada", "last_name": "King", "email": "ada@example.org"},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.full_name == "Augusta Ada King"


def test_htmx_edit_form_replaces_the_row(owner_client, contact, htmx_headers):
    response = owner_client.get(reverse("contacts:edit", args=[contact.pk]), headers=htmx_headers())
    content = response.content.decode()
    assert content.lstrip().startswith(f'<li id="contact-{contact.pk}"')
    assert 'name="first_name"' in content


def test_htmx_edit_save_returns_the_updated_row(owner_client, contact, htmx_headers):
    response = owner_client.post(
        reverse("contacts:edit", args=[contact.pk]),
        {"first_name": "Augusta", "last_name": "King", "email": "ada@example.org"},
        headers=htmx_headers(),
    )
    content = response.content.decode()
    assert content.lstrip().startswith(f'<li id="contact-{contact.pk}"')
    assert "Augusta King" in content
    assert 'name="first_name"' not in content


def test_edit_to_another_contacts_email_is_refused(owner_client, user, contact):
    ContactFactory(owner=user, email="other@example.org")
    response = owner_client.post(
        reverse("contacts:edit", args=[contact.pk]), {"first_name": "Ada", "email": "OTHER@example.org"}
    )
    assert response.context["form"].errors["email"] == ["A contact with this email already exists."]
    contact.refresh_from_db()
    assert contact.email == "ada@example.org"


def test_edit_keeping_the_same_email_is_allowed(owner_client, contact):
    response = owner_client.post(
        reverse("contacts:edit", args=[contact.pk]), {"first_name": "Ada", "email": "ADA@example.org"}
    )
    assert response.status_code == 302


def test_htmx_cancel_returns_the_plain_row(owner_client, contact, htmx_headers):
    response = owner_client.get(reverse("contacts:detail", args=[contact.pk]), headers=htmx_headers())
    assert response.content.decode().lstrip().startswith(f'<li id="contact-{contact.pk}"')
    assert b"Ada Lovelace" in response.content


# --- Delete ---------------------------------------------------------------------------------


def test_delete_asks_for_confirmation_without_javascript(owner_client, contact):
    response = owner_client.get(reverse("contacts:delete", args=[contact.pk]))
    assert response.status_code == 200
    assert b"Delete Ada Lovelace?" in response.content
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_owner_deletes_a_contact(owner_client, contact):
    response = owner_client.post(reverse("contacts:delete", args=[contact.pk]))
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_htmx_delete_removes_the_row_and_refreshes_the_list(owner_client, contact, htmx_headers):
    response = owner_client.post(reverse("contacts:delete", args=[contact.pk]), headers=htmx_headers())
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"contactsChanged": {}}
    assert f'id="contact-{contact.pk}"' not in response.content.decode()
    assert not Contact.objects.filter(pk=contact.pk).exists()
