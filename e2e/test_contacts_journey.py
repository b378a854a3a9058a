from __future__ import annotations

from playwright.sync_api import expect

from accounts.models import Contact
from e2e.conftest import field
from tests.factories import UserFactory


def test_add_edit_and_delete_a_contact_without_reloading_the_page(page, login):
    user = UserFactory(username="owner", email="owner@example.com")
    login(user)
    page.get_by_role("link", name="Contacts").first.click()
    page.wait_for_url("**/contacts/")
    # Survives only while the page is not reloaded: every step below must be an HTMX swap.
    page.evaluate("window.__sameDocument = true")

    add_form = page.locator("#contact-add")
    field(add_form, "First name").fill("Grace")
    field(add_form, "Last name").fill("Hopper")
    field(add_form, "Email").fill("not-an-email")
    add_form.get_by_role("button", name="Add contact").click()
    expect(add_form.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(field(add_form, "First name")).to_have_value("Grace")

    field(add_form, "Email").fill("grace@example.org")
    add_form.get_by_role("button", name="Add contact").click()
    row = page.locator("#contact-list li[data-contact]", has_text="grace@example.org")
    expect(row).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Added Grace Hopper")).to_be_visible()
    expect(field(add_form, "First name")).to_have_value("")

    row.get_by_role("link", name="Edit Grace Hopper").click()
    editing = page.locator("li[data-contact-editing]")
    field(editing, "Last name").fill("Brewster Hopper")
    editing.get_by_role("button", name="Save").click()
    expect(page.locator("#contact-list li[data-contact]", has_text="Grace Brewster Hopper")).to_be_visible()
    assert Contact.objects.get().last_name == "Brewster Hopper"

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("link", name="Delete Grace Brewster Hopper").click()
    expect(page.locator("#contact-list li[data-contact]")).to_have_count(0)
    expect(page.get_by_test_id("contact-count")).to_have_text("0 contacts.")
    assert not Contact.objects.exists()

    assert page.evaluate("window.__sameDocument") is True


def test_search_filters_as_you_type_and_updates_the_url(page, login):
    user = UserFactory(username="owner", email="owner@example.com")
    Contact.objects.create(owner=user, first_name="Ada", last_name="Lovelace", email="ada@example.org")
    Contact.objects.create(owner=user, first_name="Alan", last_name="Turing", email="alan@example.org")
    login(user)
    page.goto("/contacts/")
    page.evaluate("window.__sameDocument = true")

    page.get_by_role("searchbox", name="Search contacts").fill("turing")
    expect(page.locator("#contact-list li[data-contact]")).to_have_count(1)
    expect(page.locator("#contact-list")).to_contain_text("alan@example.org")
    page.wait_for_url("**/contacts/?q=turing")
    assert page.evaluate("window.__sameDocument") is True
