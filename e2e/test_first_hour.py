"""A new user's first hour, as the README starts it: ``ADDR=127.0.0.1:<port> make run`` on a fresh
data directory (SQLite, Huey worker, console email), on a port that is not the default. The
journey follows only links taken from the pages and from the emails the worker prints, never a
URL typed or rewritten by the test: sign up and confirm the email, make a booking link on its
defaults, an anonymous booker in Kolkata books it and manages it from their email; a poll, its
invitee in New York answers from their email and is told the outcome in their own time."""

from __future__ import annotations

import email
import os
import re
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from e2e.conftest import field
from tests.gunicorn_server import ROOT, _free_port

# What is checked here does not depend on the database engine: CI runs it once, on SQLite.
pytestmark = pytest.mark.engine_neutral

SEPARATOR = "\n" + "-" * 79 + "\n"  # what Django's console email backend writes after each message
KOLKATA, NEW_YORK = ZoneInfo("Asia/Kolkata"), ZoneInfo("America/New_York")


@dataclass
class App:
    url: str
    stdout: Path

    def emails(self, to: str) -> list[Message]:
        """The messages to ``to`` the worker has printed so far, oldest first."""
        found = []
        for chunk in self.stdout.read_text(encoding="utf-8", errors="replace").split(SEPARATOR):
            start = chunk.find("Content-Type:")
            if start == -1:
                continue
            message = email.message_from_string(chunk[start:])
            if to in (message.get("To") or ""):
                found.append(message)
        return found

    def email(self, to: str, subject: str, *, newer_than: Message | None = None, timeout: float = 30) -> Message:
        """The latest message to ``to`` whose subject contains ``subject`` (sent after ``newer_than``),
        waiting for the worker to print it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.emails(to)
            if newer_than is not None:
                found = found[[m.get("Message-ID") for m in found].index(newer_than.get("Message-ID")) + 1 :]
            matching = [message for message in found if subject in _header(message, "Subject")]
            if matching:
                return matching[-1]
            time.sleep(0.25)
        raise AssertionError(
            f"no email to {to} about {subject!r}; got {[_header(m, 'Subject') for m in self.emails(to)]}"
        )

    def links(self, message: Message) -> list[str]:
        """The message's links to Convene, each checked to point at the server we started (not at
        another port or host); links to other services (add to Google Calendar) are left out."""
        found = re.findall(r"https?://[^\s<>\"')]+", _text(message))
        ours = [link for link in found if urlsplit(link).hostname in ("127.0.0.1", "localhost", "testserver")]
        assert ours, _text(message)
        for link in ours:
            assert link.startswith(self.url + "/"), f"{link} does not point at {self.url}"
        return ours


def _header(message: Message, name: str) -> str:
    return str(email.header.make_header(email.header.decode_header(message.get(name, ""))))


def _text(message: Message) -> str:
    part = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


@pytest.fixture
def app(tmp_path):
    """``make run`` on a free port and an empty data directory, stopped (web server and worker) after."""
    port = _free_port()
    inherited = ("DJANGO_", "DATABASE_URL", "REDIS_URL", "SITE_URL", "DEBUG", "SECRET_KEY", "ADDR")
    env = {key: value for key, value in os.environ.items() if not key.startswith(inherited)}
    env["DATA_DIR"] = str(tmp_path / "data")
    stdout = tmp_path / "stdout.txt"
    with stdout.open("w") as out, (tmp_path / "stderr.txt").open("w") as err:
        process = subprocess.Popen(
            ["make", "run", f"ADDR=127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=out, stderr=err,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert process.poll() is None, (tmp_path / "stderr.txt").read_text()
            assert time.monotonic() < deadline, "make run did not answer in time"
            time.sleep(0.5)
        yield App(url, stdout)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_a_new_owners_first_hour_from_sign_up_to_a_booking_and_a_finalized_poll(app, browser):
    owner = browser.new_context(timezone_id="Europe/Berlin", locale="en-GB").new_page()
    sign_up_and_share_a_booking_link(app, browser, owner)
    run_a_poll_with_an_invitee_in_new_york(app, browser, owner)


def sign_up_and_share_a_booking_link(app, browser, owner) -> None:
    owner.goto(app.url + "/")
    owner.get_by_role("link", name="Create your free account").click()
    field(owner, "Your name").fill("Nora Owner")
    field(owner, "Email").fill("nora@example.com")
    field(owner, "Username").fill("nora")
    field(owner, "Password").fill("a-long-and-unusual-pass-2026")
    field(owner, "Password (again)").fill("a-long-and-unusual-pass-2026")
    owner.get_by_role("button", name="Sign Up").click()
    owner.wait_for_url("**/dashboard/")
    expect(owner.get_by_text("Confirmation email sent to nora@example.com.")).to_be_visible()
    expect(owner.get_by_text("Successfully signed in")).to_have_count(0)
    steps = owner.get_by_test_id("setup-steps")
    expect(steps).to_contain_text("Confirm your email address")

    # The confirmation link from the email, on the port the server runs on.
    confirm = app.links(app.email("nora@example.com", "Please Confirm Your Email Address"))[0]
    owner.goto(confirm)
    owner.get_by_role("button", name="Confirm").click()
    owner.get_by_role("link", name="Dashboard").first.click()
    expect(steps).not_to_contain_text("Confirm your email address")

    # The first booking link, on its defaults: a title alone.
    steps.get_by_role("link", name="New booking link").click()
    field(owner, "Title").fill("Intro call")
    owner.get_by_role("button", name="Save booking link").click()
    expect(owner.get_by_text("Saved “Intro call”")).to_be_visible()
    owner.get_by_role("link", name="Dashboard").first.click()
    booking_page = owner.get_by_label("Your booking page's address").input_value()
    assert booking_page == f"{app.url}/nora/"

    # An anonymous booker in Kolkata opens the shared page and books the first free time.
    booker = browser.new_context(timezone_id="Asia/Kolkata", locale="en-IN").new_page()
    booker.goto(booking_page)
    booker.get_by_role("link", name=re.compile("Intro call")).first.click()
    booker.wait_for_url(re.compile(r"[?&]tz=Asia"))
    booker.wait_for_load_state("networkidle")
    booker.locator("a[data-day]").first.click()
    slot = booker.get_by_test_id("slot-list").locator("a, button").first
    slot.click()
    chosen = booker.get_by_test_id("chosen-time").inner_text()
    field(booker, "Your name").fill("Bea Booker")
    field(booker, "Email").fill("bea@example.org")
    booker.get_by_role("button", name="Confirm booking").click()
    expect(booker.get_by_role("heading", name=re.compile("You are booked"))).to_be_visible()

    # Her confirmation is in Kolkata time, names the zone, and its links work on this server.
    confirmation = app.email("bea@example.org", "Confirmed")
    subject = " ".join(_header(confirmation, "Subject").split())
    assert "(Asia/Kolkata)" in subject, subject
    assert chosen.splitlines()[-1].split("–")[0].strip() in subject, (chosen, subject)  # as her page showed it
    manage = next(link for link in app.links(confirmation) if "/booking/" in link)
    booker.goto(manage)
    expect(booker.get_by_text("Intro call").first).to_be_visible()
    expect(booker.get_by_label("Times shown in")).to_have_value("Asia/Kolkata")

    # The owner hears of it, in their own zone, with a link that works here too.
    notice = app.email("nora@example.com", "Intro call")
    assert "Europe/Berlin" in _text(notice) or "CET" in _text(notice)
    owner.goto(app.links(notice)[0])
    expect(owner.locator("body")).not_to_contain_text("Page not found")


def run_a_poll_with_an_invitee_in_new_york(app, browser, owner) -> None:
    from e2e.test_poll_journey import cell, drag, saved

    first = (datetime.now(NEW_YORK) + timedelta(days=7)).date()
    owner.get_by_role("link", name="Polls").first.click()
    owner.get_by_role("link", name="New poll").first.click()
    field(owner, "Title").fill("Team lunch")
    field(owner, "From").fill(first.isoformat())
    field(owner, "To").fill((first + timedelta(days=1)).isoformat())
    field(owner, "Each day from").fill("12:00")
    field(owner, "until").fill("14:00")
    field(owner, "Answer by").fill(f"{first - timedelta(days=1)}T18:00")
    owner.get_by_role("button", name="Create poll").click()
    expect(owner.get_by_role("heading", name="Team lunch")).to_be_visible()
    mine = owner.locator("[data-poll-grid][data-editable]")
    drag(owner, cell(mine, 0, 0), cell(mine, 3, 0))  # 12:00-14:00 Berlin on the first day
    saved(mine)
    field(owner, "Or someone new: name").fill("Ian Invitee")
    field(owner, "Email").fill("ian@example.org")
    owner.get_by_role("button", name="Send invitations").click()
    expect(owner.get_by_text("Invitation sent to")).to_be_visible()

    # Ian, in New York, answers from the link in his invitation.
    invitation = app.email("ian@example.org", "Team lunch")
    ian = browser.new_context(timezone_id="America/New_York", locale="en-US").new_page()
    ian.goto(next(link for link in app.links(invitation) if "/p/" in link))
    theirs = ian.locator("[data-poll-grid][data-editable]")
    drag(ian, cell(theirs, 0, 0), cell(theirs, 1, 0))  # 06:00-07:00 in New York: 12:00-13:00 in Berlin
    saved(theirs)
    ian.get_by_test_id("done").click()
    expect(ian.get_by_test_id("thanks")).to_contain_text("Thanks!")

    # The owner picks the time; everyone invited is told by default.
    owner.reload()
    owner.get_by_role("link", name="Pick the time…").click()
    expect(owner.get_by_label(re.compile("Ian Invitee"))).to_be_checked()
    chosen = owner.locator("#id_start option:checked").inner_text()
    owner.get_by_role("button", name="Finalize and send invitations").click()
    expect(owner.get_by_test_id("scheduled")).to_contain_text("Team lunch")

    # Ian's email states the time in New York and names the zone; its link shows the same.
    told = app.email("ian@example.org", "Team lunch", newer_than=invitation)
    berlin = datetime.combine(first, datetime.strptime(re.search(r"\d{1,2}:\d{2}", chosen).group(0), "%H:%M").time(),
                              ZoneInfo("Europe/Berlin"))  # fmt: skip
    local = berlin.astimezone(NEW_YORK)
    text = _header(told, "Subject") + "\n" + _text(told)
    assert "America/New_York" in text, text
    assert local.strftime("%-I:%M") in text or local.strftime("%H:%M") in text, (local, text)
    ian.goto(next(link for link in app.links(told) if "/rsvp/" in link))
    expect(ian.locator("main")).to_contain_text(local.strftime("%-I:%M"))
    expect(ian.get_by_label("Times shown in")).to_have_value("America/New_York")
