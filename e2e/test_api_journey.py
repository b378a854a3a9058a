from __future__ import annotations

from playwright.sync_api import expect

from e2e.conftest import field
from tests.factories import UserFactory


def test_make_a_token_and_call_the_api_from_the_docs(page, login):
    owner = UserFactory(username="olivia", email="olivia@example.com", name="Olivia Owner")
    login(owner)
    page.goto("/profile/")
    page.get_by_role("link", name="API tokens").click()
    field(page, "Name").fill("Try it")
    page.get_by_label("Read only").check()
    page.get_by_role("button", name="Make token").click()
    secret = page.locator("#new-token-secret").inner_text().strip()
    assert secret.startswith("cvn_")
    expect(page.get_by_test_id("api-token")).to_contain_text("Read only")
    expect(page.get_by_test_id("api-token")).to_contain_text("never used")

    # The docs are Convene's own page (Swagger UI from its static files, under its CSP).
    page.get_by_role("link", name="Convene's API").click()
    expect(page.get_by_role("heading", name="Convene API")).to_be_visible()
    page.get_by_role("button", name="Authorize").first.click()
    page.locator(".modal-ux input[type=text]").fill(secret)
    page.locator(".modal-ux").get_by_role("button", name="Apply credentials").click()
    page.locator(".modal-ux").get_by_role("button", name="Close").click()
    operation = page.locator("#operations-Account_and_contacts-accounts_api_me")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table tr.response .response-col_status")).to_have_text("200")
    expect(operation.locator(".live-responses-table")).to_contain_text('"username": "olivia"')
    page.screenshot(path="/tmp/api-docs.png", full_page=False)

    page.goto("/profile/api-tokens/")
    expect(page.get_by_test_id("api-token")).to_contain_text("last used")
    page.get_by_role("button", name="Revoke Try it").click()
    expect(page.get_by_test_id("api-token")).to_contain_text("Revoked")
