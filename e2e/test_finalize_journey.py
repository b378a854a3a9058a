from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar
from django.core import mail
from playwright.sync_api import expect

from scheduling import grid, polls
from scheduling.models import Event, Invitation, Poll
from tests.factories import PollFactory, UserFactory


def test_finalize_a_series_of_one_on_ones_through_the_preview(page, browser, live_server, login):
    owner = UserFactory(username="olivia", email="olivia@example.com", name="Olivia Owner", timezone="UTC")
    day = date.today() + timedelta(days=3)
    poll = PollFactory(owner=owner, kind=Poll.Kind.SERIES, timezone="UTC", dates=[day.isoformat()],
                       deadline=datetime.now(UTC) + timedelta(days=1))  # fmt: skip
    cells = poll.cells()  # 09:00 ... 11:30, 30-minute cells; meetings last an hour
    polls.save_availability(poll=poll, invitation=None, levels=dict.fromkeys(range(6), 3), cells=cells)
    wishes = {"Ann": [0, 1], "Ben": [0, 1, 2, 3], "Cy": [4, 5]}
    people = {}
    for name, indices in wishes.items():
        people[name] = Invitation.objects.create(poll=poll, name=name, email=f"{name.lower()}@example.org")
        polls.save_availability(poll=poll, invitation=people[name], levels=dict.fromkeys(indices, 2), cells=cells)

    login(owner)
    page.goto(poll.get_absolute_url())
    suggestions = page.get_by_test_id("series-suggestions")
    expect(suggestions).to_contain_text("Best schedule · 3 placed")
    suggestions.get_by_role("link", name="Use this schedule").first.click()

    preview = page.locator("#preview")
    expect(preview.get_by_test_id("preview-meetings")).to_contain_text("Ann <ann@example.org>")
    expect(preview.get_by_test_id("preview-meetings").locator("li")).to_have_count(3)
    # Changing a time updates the preview in place: give Cy Ben's slot and see the overlap. (Wait for
    # the page to finish loading, so htmx listens to the form before the first change.)
    page.wait_for_load_state("load")
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Cy").select_option(label=f"{day:%a %d %b}, 10:00")
    expect(preview.get_by_test_id("preview-errors")).to_contain_text("Meeting times overlap")
    page.get_by_label("Cy").select_option(label=f"{day:%a %d %b}, 11:00")
    expect(preview.get_by_test_id("preview-errors")).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True

    page.get_by_role("button", name="Finalize and send invitations").click()
    expect(page.get_by_text("Finalized: 3 meetings created and invitations sent.")).to_be_visible()
    expect(page.get_by_test_id("scheduled")).to_contain_text("Cy")
    assert Event.objects.filter(poll=poll).count() == 3

    starts = {}
    for name in wishes:
        message = next(m for m in mail.outbox if m.to == [f"{name.lower()}@example.org"])
        attachment = next(a for a in message.attachments if a.filename == "invite.ics")
        calendar = icalendar.Calendar.from_ical(attachment.content)
        assert calendar["METHOD"] == "REQUEST"
        event = calendar.walk("VEVENT")[0]
        assert f"mailto:{name.lower()}@example.org" in str(event["ATTENDEE"])
        starts[name] = event.decoded("DTSTART")
    expected = {name: cells[index] for name, index in {"Ann": 0, "Ben": 2, "Cy": 4}.items()}
    assert starts == expected

    ann = browser.new_context(timezone_id="UTC").new_page()
    ann.goto(live_server.url + people["Ann"].get_absolute_url() + "?tz=UTC")
    expect(ann.get_by_test_id("final-time")).to_contain_text(f"{day:%A} {day.day} {day:%B %Y}, 9:00 AM–10:00 AM")
    expect(ann.locator("[data-poll-grid][data-editable]")).to_have_count(0)
    assert grid.cell_key(cells[0]).endswith("0900")


def test_a_time_with_warnings_can_be_sent_once_the_box_is_ticked(page, live_server, login):
    """Ticking "send anyway" redraws the preview (htmx); the tick survives the redraw, so the
    poll can be finalized at a time someone cannot make (issue 20)."""
    import re

    owner = UserFactory(username="wanda", email="wanda@example.com", timezone="UTC")
    day = date.today() + timedelta(days=3)
    poll = PollFactory(owner=owner, timezone="UTC", dates=[day.isoformat()],
                       deadline=datetime.now(UTC) + timedelta(days=1))  # fmt: skip
    Invitation.objects.create(poll=poll, name="Ann", email="ann@example.org")  # never answered: a warning
    login(owner)
    page.goto(f"/polls/{poll.pk}/finalize/")
    page.wait_for_load_state("load")
    with page.expect_response(re.compile(r"/finalize/")):
        page.get_by_label("Meeting time", exact=True).select_option(label=f"{day:%a %d %b}, 09:00")
    expect(page.get_by_role("checkbox", name="Ann")).to_be_checked()  # everyone invited is told by default
    preview = page.locator("#preview")
    expect(preview.get_by_test_id("preview-warnings")).to_be_visible()
    with page.expect_response(re.compile(r"/finalize/")):
        preview.get_by_test_id("accept-warnings").check()
    expect(preview.get_by_test_id("accept-warnings")).to_be_checked()  # still ticked after the redraw
    page.get_by_role("button", name="Finalize and send invitations").click()
    expect(page.get_by_text("Finalized: 1 meeting created and invitations sent.")).to_be_visible()
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.FINALIZED


def test_a_window_of_equal_times_is_one_suggestion_and_everyone_invited_is_told(page, live_server, login):
    """Issue 19: the owner and Ann can both start anywhere from 09:00 to 10:00, so the suggestions
    show one window instead of three tied rows, with the owner counted; finalizing it ticks
    everyone invited, Ben who never answered and Dan who declined included, and the owner can
    untick."""
    import re

    owner = UserFactory(username="wren", email="wren@example.com", name="Wren Owner", timezone="UTC")
    day = date.today() + timedelta(days=3)
    poll = PollFactory(owner=owner, timezone="UTC", dates=[day.isoformat()],
                       deadline=datetime.now(UTC) + timedelta(days=1))  # fmt: skip
    cells = poll.cells()  # 09:00 ... 11:30, 30-minute cells; meetings last an hour
    polls.save_availability(poll=poll, invitation=None, levels=dict.fromkeys(range(4), 3), cells=cells)
    ann = Invitation.objects.create(poll=poll, name="Ann", email="ann@example.org")
    polls.save_availability(poll=poll, invitation=ann, levels=dict.fromkeys(range(4), 2), cells=cells)
    Invitation.objects.create(poll=poll, name="Ben", email="ben@example.org")
    Invitation.objects.create(poll=poll, name="Dan", email="dan@example.org", status=Invitation.Status.DECLINED)

    login(owner)
    page.goto(poll.get_absolute_url())
    rows = page.get_by_test_id("group-suggestion")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"#1 {day:%a} {day.day} {day:%b}, any 60 minutes between 09:00 and 11:00")
    expect(rows.first.get_by_test_id("window-starts")).to_have_text("Start at 09:00 or any time up to 10:00.")
    expect(rows.first).to_contain_text("2 of 2 can come: you (preferred), Ann (fine)")
    expect(rows.first).not_to_contain_text("(tie)")
    rows.first.get_by_role("link", name="Use this time").click()

    expect(page.get_by_label("Meeting time", exact=True)).to_have_value(f"{day:%Y%m%d}T0900")  # the earliest start
    for name in ("Ann", "Ben", "Dan"):
        expect(page.get_by_role("checkbox", name=name)).to_be_checked()
    preview = page.locator("#preview")
    expect(preview.get_by_test_id("preview-meetings")).to_contain_text("Dan <dan@example.org>")
    expect(preview.get_by_test_id("preview-warnings")).to_contain_text("Ben has not answered yet.")
    page.wait_for_load_state("load")
    with page.expect_response(re.compile(r"/finalize/")):
        page.get_by_role("checkbox", name="Dan").uncheck()
    expect(preview.get_by_test_id("preview-meetings")).not_to_contain_text("Dan")
    with page.expect_response(re.compile(r"/finalize/")):
        page.get_by_label("Meeting time", exact=True).select_option(label=f"{day:%a %d %b}, 10:00")  # a later start
    expect(preview.get_by_test_id("preview-meetings")).to_contain_text("10:00–11:00")
    with page.expect_response(re.compile(r"/finalize/")):
        preview.get_by_test_id("accept-warnings").check()
    page.get_by_role("button", name="Finalize and send invitations").click()
    expect(page.get_by_text("Finalized: 1 meeting created and invitations sent.")).to_be_visible()

    told = {address for message in mail.outbox for address in message.to}
    assert {"ann@example.org", "ben@example.org"} <= told
    assert "dan@example.org" not in told
    assert Event.objects.get(poll=poll).start == cells[2]
