"""Text people type that becomes a form's label elsewhere (a booking question on the public
page, a member's name on a team link's form) is shown as text, never run: crispy-tailwind writes
labels with ``|safe``, so such labels are escaped where they are made (accounts/text.py)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from urllib.parse import quote

from playwright.sync_api import expect

from accounts.models import Membership, Team
from booking import availability, links
from booking.models import EventType, TeamHost
from tests.factories import EventTypeFactory, ScheduleFactory, UserFactory

PAYLOAD = '<img src=x onerror="window.__xss=1;alert(document.domain)">'


def no_script_ran(page) -> None:
    assert page.evaluate("window.__xss === undefined")


def test_a_question_label_and_a_members_name_are_text_on_every_page(page, live_server, login):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    owner = UserFactory(username="hanna", name="Hanna", timezone="UTC")
    ScheduleFactory(
        owner=owner,
        is_default=True,
        hours=[(day, time(0), time(23)) for day in range(7)],
    )
    link = EventTypeFactory(
        owner=owner, slug="intro", schedule=owner.schedules.get(),
        questions=[{"label": PAYLOAD, "kind": "short", "required": True}],
    )  # fmt: skip
    found = links.from_event_type(links.fresh(link.pk))
    now = datetime.now(UTC)
    start = availability.free_slots(found, start=now, end=now + timedelta(days=7), now=now)[0].start
    for embed in ("", "&embed=1"):
        page.goto(f"/hanna/intro/book/?start={quote(start.isoformat())}&tz=UTC{embed}")
        expect(page.get_by_text(PAYLOAD)).to_be_visible()
        no_script_ran(page)

    # A member whose name is a payload, on the team link form their admin opens.
    mallory = UserFactory(username="mallory", name=PAYLOAD, timezone="UTC")
    team = Team.objects.create(name="Sales", slug="sales")
    Membership.objects.create(team=team, user=owner, role=Membership.Role.OWNER)
    Membership.objects.create(team=team, user=mallory)
    demo = EventTypeFactory(owner=owner, team=team, hosting="round_robin", slug="demo", schedule=owner.schedules.get())
    TeamHost.objects.create(event_type=demo, user=mallory)
    login(owner)
    for path in (f"/teams/sales/links/{demo.pk}/edit/", "/teams/sales/links/", "/teams/sales/", "/team/sales/"):
        page.goto(path)
        no_script_ran(page)
    assert dialogs == []
    assert EventType.objects.count() == 2
