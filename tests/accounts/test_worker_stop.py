"""The real worker (``manage.py run_huey``, two threads) delivering to a slow SMTP server, stopped
as systemd, Docker and Kubernetes stop it (SIGTERM), and killed (SIGKILL): every email arrives,
exactly once. On SQLite (Huey on SQLite) and on PostgreSQL + Redis when they answer."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.gunicorn_server import ROOT, Project, postgres_available
from tests.smtp_server import SlowSMTPServer

pytestmark = pytest.mark.race

MESSAGES = 12
LEASE = 5  # seconds before a delivery cut off by SIGKILL may be tried again

QUEUE = """
from django.core.mail import send_mail
for number in range({count}):
    send_mail(f"Message {{number}}", "Hello", None, ["bea@example.org"])
"""
ROWS = "from accounts.models import OutgoingEmail; print(OutgoingEmail.objects.count())"
SWEEP = "from accounts.tasks import deliver_due_emails; print(deliver_due_emails.call_local())"


def redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=2).ping()
    except Exception:
        return False
    return True


class Worker(Project):
    """A throwaway database and queue, and the worker consuming them."""

    def __init__(self, engine: str, tmp_path: Path, smtp_port: int) -> None:
        super().__init__(engine, tmp_path, env={
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_DELIVERY_LEASE": str(LEASE),
            "HUEY_WORKERS": "2",
        })  # fmt: skip
        if engine == "postgresql":
            import redis

            self.env["REDIS_URL"] = "redis://127.0.0.1:6379/13"
            redis.Redis.from_url(self.env["REDIS_URL"]).flushdb()
        self.process: subprocess.Popen | None = None

    def shell(self, code: str) -> str:
        return self.manage("shell", "-v", "0", "-c", code).strip()

    def start(self) -> None:
        # Without the periodic tasks: the test runs the minutely sweep itself, when it means to.
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", "--no-periodic"], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def stop(self, signum: int, timeout: float = 30) -> float:
        """Send ``signum``; how long the worker took to exit."""
        began = time.monotonic()
        self.process.send_signal(signum)
        self.process.wait(timeout=timeout)
        return time.monotonic() - began

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        super().close()


ENGINES = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not (postgres_available() and redis_available()), reason="PostgreSQL or Redis not running"
        ),
    ),
]


@pytest.fixture(params=ENGINES)
def setup(request, tmp_path):
    with SlowSMTPServer(delay=0.5) as smtp:
        worker = Worker(request.param, tmp_path, smtp.port)
        try:
            worker.manage("migrate", "--noinput", "-v", "0")
            worker.shell(QUEUE.format(count=MESSAGES))
            assert worker.shell(ROWS) == str(MESSAGES)
            yield worker, smtp
        finally:
            worker.close()


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def expected() -> list[str]:
    return sorted(f"Message {number}" for number in range(MESSAGES))


def test_stopped_and_killed_mid_delivery_every_email_arrives_exactly_once(setup):
    worker, smtp = setup
    # SIGTERM: the worker finishes what it is delivering, and exits.
    worker.start()
    wait_for(smtp.receiving.is_set)
    took = worker.stop(signal.SIGTERM)
    assert smtp.dropped == []  # nothing cut off mid-delivery
    delivered = len(smtp.accepted)
    assert 1 <= delivered < MESSAGES
    assert took < 5  # the deliveries under way (0.5 s each), not the whole queue
    assert int(worker.shell(ROWS)) == MESSAGES - delivered  # the rest still queued, none lost

    # SIGKILL: what it was delivering is cut off; the server never answered those.
    smtp.receiving.clear()
    worker.start()
    wait_for(smtp.receiving.is_set)
    worker.stop(signal.SIGKILL)
    killed_at = time.monotonic()
    wait_for(lambda: smtp.dropped)

    # Started again: the queued ones go at once; the ones cut off wait for their lease to run out,
    # then the minutely sweep sends them.
    worker.start()
    wait_for(lambda: len(smtp.accepted) + len(smtp.dropped) >= MESSAGES)
    cut_off = set(smtp.dropped)
    assert cut_off.isdisjoint(smtp.accepted)  # nobody sent them again while their lease lasted
    time.sleep(max(0, killed_at + LEASE + 0.5 - time.monotonic()))
    assert int(worker.shell(SWEEP)) == len(cut_off)
    wait_for(lambda: worker.shell(ROWS) == "0")
    worker.stop(signal.SIGTERM)
    assert sorted(smtp.accepted) == expected()  # each exactly once
