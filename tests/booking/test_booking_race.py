"""Many people book the same slot at the same moment, against a real gunicorn server with several
worker processes and a real database (SQLite file, and PostgreSQL when one answers on 127.0.0.1).

Exactly one booking wins (N for a group with N seats); everyone else gets the friendly 409 page,
and nobody gets a server error.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOKERS = 24
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

SETUP = """
from datetime import time
from accounts.models import User
from booking.models import EventType, Schedule
host = User.objects.create_user("racehost", "host@example.com", "x-password-123", timezone="UTC")
schedule = Schedule.objects.create(owner=host, name="All week", timezone="UTC", is_default=True)
for day in range(7):
    schedule.weekly_hours.create(weekday=day, start=time(0), end=time(23, 30))
EventType.objects.create(owner=host, title="Solo", slug="solo", schedule=schedule, duration=30, minimum_notice=0,
                         location_kind="phone", location_detail="+1 555 0100")
EventType.objects.create(owner=host, title="Group", slug="group", kind="group", seats=5, schedule=schedule,
                         duration=30, minimum_notice=0, location_kind="phone", location_detail="+1 555 0100")
"""

COUNT = "from booking.models import Booking; print(Booking.objects.filter(event_type__slug='{slug}').count())"


def _postgres_available() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_ADMIN_URL, connect_timeout=2).close()
    except Exception:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, engine: str, tmp_path: Path):
        self.engine = engine
        self.port = _free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))},
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DEBUG": "1",
            "DATA_DIR": str(tmp_path),
            "BOOKING_SUBMISSIONS_PER_HOUR": "1000",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        }
        self.database = None
        if engine == "postgresql":
            self.database = f"convene_race_{secrets.token_hex(4)}"
            self._admin(f'CREATE DATABASE "{self.database}"')
            self.env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{self.database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(sql)

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def __enter__(self) -> Server:
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("shell", "-c", SETUP)
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn), "project.wsgi", "--workers", "4", "--threads", "2", "--graceful-timeout", "3"]
        self.process = subprocess.Popen(
            [*command, "--bind", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1)
                return self
            except OSError:
                time.sleep(0.2)
        self.process.kill()
        raise RuntimeError("gunicorn did not start: " + self.process.stderr.read().decode())

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()
        if self.database:
            self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _race(server: Server, slug: str) -> list[int]:
    """Every booker loads the form, then all submit at once. Returns the HTTP statuses."""
    day = datetime.now(UTC).date() + timedelta(days=2)
    start = datetime.combine(day, datetime.min.time().replace(hour=10), tzinfo=UTC).isoformat()
    url = f"{server.url}/racehost/{slug}/book/?" + urllib.parse.urlencode({"start": start, "tz": "UTC"})
    barrier = threading.Barrier(BOOKERS)
    statuses: list[int] = []

    def book(index: int) -> None:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        try:
            page = opener.open(url, timeout=30).read().decode()
        except urllib.error.HTTPError as error:
            statuses.append(-error.code)  # the form itself did not load: a failed test setup
            barrier.abort()
            return
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "name": f"Booker {index}", "email": f"booker{index}@example.org"}
        ).encode()
        request = urllib.request.Request(url, data=data, headers={"Referer": url})
        barrier.wait()
        try:
            response = opener.open(request, timeout=60)
            statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=book, args=(index,)) for index in range(BOOKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not _postgres_available(), reason="no PG"))]


@pytest.mark.parametrize("engine", ENGINES)
def test_concurrent_bookings_of_one_slot_make_exactly_one_booking(engine, tmp_path):
    with Server(engine, tmp_path) as server:
        statuses = _race(server, "solo")
        booked = int(server.manage("shell", "-c", COUNT.format(slug="solo")).split()[-1])
    assert len(statuses) == BOOKERS
    assert statuses.count(302) == 1, statuses
    assert statuses.count(409) == BOOKERS - 1, statuses
    assert booked == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_concurrent_bookings_of_a_group_slot_fill_exactly_its_seats(engine, tmp_path):
    with Server(engine, tmp_path) as server:
        statuses = _race(server, "group")
        booked = int(server.manage("shell", "-c", COUNT.format(slug="group")).split()[-1])
    assert statuses.count(302) == 5, statuses
    assert statuses.count(409) == BOOKERS - 5, statuses
    assert booked == 5
