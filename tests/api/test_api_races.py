"""The API under real concurrency: a gunicorn server with several worker processes, on SQLite
and on PostgreSQL, and clients sending at the same moment.

Booking through the API is the booking page's race-safe workflow (one booking per slot); one
``Idempotency-Key`` sent many times at once makes one booking; the per-token limit is shared by
every worker process.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from tests.gunicorn_server import Server, postgres_available

CLIENTS = 16
SECRET = "cvn_race-token-of-the-host-0123456789abcdefghijklmn"
SETUP = f"""
from datetime import time
from accounts.api_base import digest
from accounts.models import ApiToken, User
from booking.models import EventType, Schedule
host = User.objects.create_user("racehost", "host@example.com", "x-password-123", timezone="UTC")
schedule = Schedule.objects.create(owner=host, name="All week", timezone="UTC", is_default=True)
for day in range(7):
    schedule.weekly_hours.create(weekday=day, start=time(0), end=time(23, 30))
link = EventType.objects.create(owner=host, title="Solo", slug="solo", schedule=schedule, duration=30,
                                minimum_notice=0, location_kind="phone", location_detail="+1 555 0100")
ApiToken.objects.create(user=host, name="race", can_write=True, prefix="{SECRET[:10]}", digest=digest("{SECRET}"))
print(link.pk)
"""
COUNT = "from booking.models import Booking; print(Booking.objects.count())"
ENGINES = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not postgres_available(), reason="no PostgreSQL on 127.0.0.1")),
]


def _send(url: str, *, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {SECRET}", "Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def _all_at_once(send) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(CLIENTS)
    results: list[tuple[int, dict]] = []

    def client(index: int) -> None:
        barrier.wait()
        results.append(send(index))

    threads = [threading.Thread(target=client, args=(index,)) for index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _booking(link_id: int, index: int) -> dict:
    start = datetime.combine(datetime.now(UTC).date() + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    return {"event_type": link_id, "start": (start + timedelta(hours=10)).isoformat(), "name": f"Booker {index}",
            "email": f"booker{index}@example.org", "timezone": "UTC"}  # fmt: skip


@pytest.mark.race
@pytest.mark.parametrize("engine", ENGINES)
def test_concurrent_api_bookings_of_one_slot_make_exactly_one(engine, tmp_path):
    with Server(engine, tmp_path, setup=SETUP) as server:
        link_id = int(server.setup_output.split()[-1])
        results = _all_at_once(lambda index: _send(f"{server.url}/api/v1/bookings", body=_booking(link_id, index)))
        booked = int(server.manage("shell", "-c", COUNT).split()[-1])
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (CLIENTS - 1)
    assert booked == 1


@pytest.mark.race
@pytest.mark.parametrize("engine", ENGINES)
def test_one_idempotency_key_sent_many_times_at_once_books_once(engine, tmp_path):
    with Server(engine, tmp_path, setup=SETUP) as server:
        link_id = int(server.setup_output.split()[-1])
        results = _all_at_once(
            lambda index: _send(
                f"{server.url}/api/v1/bookings", body=_booking(link_id, 0), headers={"Idempotency-Key": "lead-812"}
            )
        )
        booked = int(server.manage("shell", "-c", COUNT).split()[-1])
    statuses = [status for status, _ in results]
    # One made it; the others were told it is under way (409) or given its answer again (201).
    assert set(statuses) <= {201, 409}
    assert [headers.get("Idempotent-Replayed") for status, headers in results if status == 201].count(None) == 1
    assert booked == 1


@pytest.mark.race
@pytest.mark.parametrize("engine", ENGINES)
def test_the_token_limit_holds_across_workers(engine, tmp_path):
    with Server(engine, tmp_path, setup=SETUP, env={"API_RATE_LIMIT": "10/m"}) as server:
        if time.time() % 60 > 50:  # all requests must fall in one clock minute
            time.sleep(61 - time.time() % 60)
        results = _all_at_once(lambda index: _send(f"{server.url}/api/v1/me"))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 10 + [429] * (CLIENTS - 10)
    assert all(1 <= int(headers["Retry-After"]) <= 60 for status, headers in results if status == 429)
