"""Stored XSS (issue 21): whatever an owner or an outsider types (names, titles, descriptions,
notes, answers, comments) is shown as text on every page that shows it, to the owner, to a team
member and to outsiders, and in every email; it never runs.

Every free-text field is seeded through the app's own workflows with one of three payloads:
markup with a handler, text that closes an attribute (either quote) and opens an element, and a
``javascript:`` URL where a field may be written as a link. The site's Content-Security-Policy
would block an inline handler, so a page is checked for what the browser *parsed*, not only for
what ran: no dialog, no ``window.__xss``, no element with an ``on…`` handler or a ``javascript:``
link, and the payload visible as text (so a page cannot pass by not showing it).
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.utils.html import escape

from e2e.everything import REVEAL, TEXT, VISITS

# What is checked here does not depend on the database engine: CI runs it once, on SQLite.
pytestmark = pytest.mark.engine_neutral

# What a page or an email holds only if someone's text was written into it unescaped.
RAW_MARKUP = re.compile(r"<(img|svg)[\s/]|href=[\"']?\s*javascript:", re.IGNORECASE)


# --- What every page must (not) do ----------------------------------------------------------------


def injected(page) -> list[str]:
    """Elements the browser parsed with an event handler or a ``javascript:`` link: markup that
    came from someone's text (the site's own pages have neither, the CSP forbids them)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('*')]
            .filter(el => [...el.attributes].some(a => a.name.startsWith('on')
                || (['href', 'src', 'action', 'formaction'].includes(a.name) && /^\\s*javascript:/i.test(a.value))))
            .map(el => el.outerHTML.slice(0, 200))"""
    )


def shows(page, text: str) -> bool:
    """``text`` is on the page as visible text, or as what a form field holds (an edit form)."""
    if page.get_by_text(text).filter(visible=True).count():
        return True
    return page.locator("input, textarea, select").evaluate_all(
        "(fields, text) => fields.some(f => f.value === text"
        " || [...(f.selectedOptions || [])].some(option => option.text === text))",
        text,
    )


def assert_harmless(page, dialogs: list[str], where: str) -> None:
    assert dialogs == [], f"{where}: {dialogs}"
    assert page.evaluate("window.__xss === undefined"), where
    assert injected(page) == [], where


@pytest.mark.parametrize("visitor", VISITS)
def test_hostile_text_is_shown_as_text_on_every_page(page, login, world, visitor):
    """Each page the visitor can open shows the payloads it should, as text, and runs none."""
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    if visitor == "owner":
        login(world.owner)
    elif visitor == "team member":
        login(world.mallory)
    missing = []
    for visit in VISITS[visitor](world):
        response = page.goto(visit.path)
        assert response.status == visit.status, visit.path
        assert_harmless(page, dialogs, visit.path)
        missing += [(visit.path, field) for field in visit.fields if not shows(page, TEXT[field])]
        if visit.reveal:
            REVEAL[visit.reveal](page)
            assert_harmless(page, dialogs, f"{visit.path} ({visit.reveal})")
    assert missing == [], missing


def test_emails_carry_hostile_text_escaped(page, world):
    """Everything above sent emails (invitations, confirmations, the owner's notices): their HTML
    shows the text escaped, and a browser opening them runs nothing."""
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    htmls = [(message.subject, content) for message in mail.outbox
             for content, mimetype in message.alternatives if mimetype == "text/html"]  # fmt: skip
    assert len(htmls) == len(mail.outbox) > 30
    assert [subject for subject, html in htmls if RAW_MARKUP.search(html)] == []
    for subject, html in htmls:
        page.set_content(html)
        assert_harmless(page, dialogs, subject)
    # The texts are in them, escaped: the emails were not made safe by leaving them out.
    everything = "".join(html for _, html in htmls)
    fields = "booker name, guest email, poll title, invitee name, link participant name, decline note, "
    fields += "participant comment, event title, event location, location detail, proposal note, team name"
    for field in fields.split(", "):
        assert escape(TEXT[field]) in everything, field
