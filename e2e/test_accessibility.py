"""axe-core finds no serious or critical issue on any page a person can reach (issue 18).

The pages of e2e/everything.py's world that an outsider and its owner open (booking pages with a
day picked, the poll, RSVP and booking-management pages, every owner page), the sign-in, sign-up,
password and email-address pages, the error pages, and every page an email links to; each at a
phone's width and a desktop's. A finding prints its rule, impact, element and page.

axe-core comes from npm (package.json pins the version) and is vendored, with its licences, in
e2e/vendor/axe-core, so `make test` needs no Node; `make axe` refreshes the copy.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core import mail
from django.urls import reverse

from e2e.conftest import log_in
from e2e.everything import REVEAL, Visit, outsider_visits, owner_visits

# What is checked here does not depend on the database engine: CI runs it once, on SQLite.
pytestmark = pytest.mark.engine_neutral

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WIDTHS = (375, 1280)
BLOCKING = ["serious", "critical"]

# Started in the page and left running (only the violations: axe's lists of passes take as long
# again to build); READ waits for it and returns what it found.
START_AXE = """(blocking) => {
    window.axeFound = axe.run(document, {resultTypes: ["violations"]}).then((results) => results.violations
        .filter((rule) => blocking.includes(rule.impact))
        .map((rule) => ({
            rule: rule.id,
            impact: rule.impact,
            nodes: rule.nodes.map((node) => ({
                target: node.target.join(" "),
                why: [...node.any, ...node.all, ...node.none].map((check) => check.message).join("; "),
            })),
        })));
}"""
READ = "() => window.axeFound"


def serious_issues(page, where: str, found: list[str]) -> Iterator[None]:
    """Adds to ``found`` what axe finds serious or critical on the page as it stands, at each width,
    one line per element. Yields while axe runs, so that another page can load meanwhile."""
    for width in sorted(WIDTHS, key=lambda width: width != page.viewport_size["width"]):
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate(START_AXE, BLOCKING)
        yield
        found += [
            f"{where} at {width} px: {rule['rule']} ({rule['impact']}) at {node['target']}: {node['why']}"
            for rule in page.evaluate(READ)
            for node in rule["nodes"]
        ]


def account_pages(w) -> list[Visit]:
    """allauth's pages for someone signed out, with the links its emails would carry."""
    owner = w.owner
    reset = {"uidb36": user_pk_to_url_str(owner), "key": default_token_generator.make_token(owner)}
    address = EmailAddress.objects.create(user=owner, email="olivia.new@example.com", verified=False)
    return [
        Visit("/", ""),
        Visit(reverse("account_login"), ""),
        Visit(reverse("account_signup"), ""),
        Visit(reverse("account_reset_password"), ""),
        Visit(reverse("account_reset_password_done"), ""),
        Visit(reverse("account_reset_password_from_key", kwargs={**reset, "key": "stale-key"}), ""),
        Visit(reverse("account_reset_password_from_key", kwargs=reset), ""),  # the new-password form
        Visit(reverse("account_reset_password_from_key_done"), ""),
        Visit(reverse("account_email_verification_sent"), ""),
        Visit(reverse("account_confirm_email", args=[EmailConfirmationHMAC(address).key]), ""),
        Visit(reverse("account_confirm_email", args=["no-such-key"]), ""),
        Visit(reverse("socialaccount_login_cancelled"), ""),
        Visit(reverse("socialaccount_login_error"), "", status=401),
        Visit("/no-such-person-here/", "", status=404),
    ]


def signed_in_pages() -> list[Visit]:
    """Owner pages the world's list leaves out (it lists the pages that show someone's text)."""
    return [
        Visit("/calendar/", ""),
        Visit("/polls/new/", ""),
        Visit("/teams/new/", ""),
        Visit("/booking-links/schedules/new/", ""),
        Visit(reverse("account_email"), ""),
        Visit(reverse("account_change_password"), ""),
        Visit(reverse("socialaccount_connections"), ""),
    ]


TOKEN = re.compile(r"[A-Za-z0-9_:-]{16,}|\d+")


def kind(path: str) -> str:
    """A page's kind: its path without ids and tokens (and whether it answers an RSVP)."""
    url = urlsplit(path)
    return TOKEN.sub("*", url.path) + ("?response" if "response=" in url.query else "")


def emailed_pages(seen: list[Visit]) -> list[Visit]:
    """One page of each kind that the emails sent so far link to, unless one is on the list."""
    kinds = {kind(visit.path) for visit in seen}
    site = urlsplit(settings.SITE_URL).netloc
    found = []
    for message in mail.outbox:
        for content, _ in message.alternatives:
            for link in re.findall(r'href="([^"]+)"', html.unescape(content)):
                url = urlsplit(link)
                path = (url.path or "/") + (f"?{url.query}" if url.query else "")
                if url.netloc == site and kind(path) not in kinds:
                    kinds.add(kind(path))
                    # An answer in an RSVP link is sent by the page's script, which then reloads it.
                    found.append(Visit(path, "", reveal="answered" if "response=" in url.query else ""))
    return found


def read_once(w, visits: list[Visit]) -> list[Visit]:
    """The world's visits less those that show a page again: for the text in its URL (a search, a
    parameter that is not a zone), with another of the same records (a second booking, attendee,
    participant or meeting; an embedded copy of a page that has no picker), or a saved form. And
    less the status fragment the poll page polls, which is not a page."""
    again = {
        "/olivia/?embed=1", "/team/sales/?embed=1", f"/booking/{w.asked.token}/", f"/booking/{w.team_booking.token}/",
        f"/p/{w.joined.token}/?tz=UTC", f"/rsvp/{w.meeting.attendees.get().token}/",
        f"/rsvp/{w.booking.attendee.token}/", f"/calendar/events/{w.asked.event_id}/",
        f"/calendar/events/{w.meeting.pk}/",
    }  # fmt: skip
    return [
        Visit(visit.path, "", reveal="" if visit.reveal.startswith("save") else visit.reveal, status=visit.status)
        for visit in visits
        if visit.path not in again
        and not ("/book/?" in visit.path and "embed=1" in visit.path)
        and "%3C" not in visit.path
        and "?q=" not in visit.path
        and not visit.path.endswith("/status/")
    ]


ACTIONS = {**REVEAL, "answered": lambda page: page.wait_for_url(re.compile(r"[?&]answered="))}


def reading(page, visits: list[Visit], found: list[str]) -> Iterator[None]:
    for visit in visits:
        response = page.goto(visit.path)
        assert response.status == visit.status, (visit.path, response.status)
        yield from serious_issues(page, visit.path, found)
        if visit.reveal:
            ACTIONS[visit.reveal](page)
            yield from serious_issues(page, f"{visit.path} ({visit.reveal})", found)


def take_turns(pages: list, visits: list[Visit]) -> list[str]:
    """Each page (a browser context, a renderer of its own) reads every other visit; they take
    turns, one loading a page while axe reads the other's, which about halves the time."""
    found: list[str] = []
    readers = [reading(page, visits[start :: len(pages)], found) for start, page in enumerate(pages)]
    while readers:
        for reader in list(readers):
            if next(reader, StopIteration) is StopIteration:
                readers.remove(reader)
    return found


# The world's times are in UTC on a 24-hour clock: a browser reading them the same way has its
# pages shown as they are (no script reloads them in its own zone or clock while axe reads them).
@pytest.mark.browser_context_args(timezone_id="UTC", locale="en-GB")
def test_no_serious_accessibility_issue_on_any_page(new_context, world):
    outsider = account_pages(world) + read_once(world, outsider_visits(world))
    owner = read_once(world, owner_visits(world)) + signed_in_pages()
    emailed = emailed_pages(outsider + owner)
    # Each page is loaded once and read at a phone's width and at a desktop's (nothing on them
    # looks at the width but CSS). axe comes with every page the test opens, as a script of the
    # test's that the site's Content-Security-Policy does not apply to.
    pages = []
    for _ in range(2):
        context = new_context(viewport={"width": WIDTHS[0], "height": 900}, bypass_csp=True)
        context.add_init_script(path=AXE)
        pages.append(context.new_page())
    found = take_turns(pages, outsider)
    for page in pages:
        log_in(page, world.owner)
    found += take_turns(pages, owner + emailed)
    assert found == [], json.dumps(found, indent=1, ensure_ascii=False)
