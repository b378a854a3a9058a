"""A real gunicorn server on a throwaway database, for tests and benchmarks that need separate
processes hammering the app (the booking race, HTTP throughput)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_available() -> bool:
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


class Project:
    """Convene in processes of its own, on a throwaway database (a SQLite file in ``tmp_path``, or
    a PostgreSQL database made here and dropped by ``close``): the environment they run with, and
    ``manage.py`` commands run against it."""

    def __init__(self, engine: str, tmp_path: Path, *, settings: str = "project.settings",
                 env: dict[str, str] | None = None):  # fmt: skip
        self.engine = engine
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "SITE_URL"))
            },
            "DJANGO_SETTINGS_MODULE": settings,
            "DEBUG": "1",
            "DATA_DIR": str(tmp_path),
            **(env or {}),
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

    def close(self) -> None:
        if self.database:
            self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


class Server(Project):
    """``with Server("sqlite", tmp_path, setup=CODE) as server:`` migrates, runs ``setup`` in
    ``manage.py shell``, and serves on ``server.url`` until the block ends."""

    def __init__(self, engine: str, tmp_path: Path, *, setup: str = "", workers: int = 4, threads: int = 2,
                 settings: str = "project.settings", production: bool = False,
                 env: dict[str, str] | None = None):  # fmt: skip
        defaults = {
            "BOOKING_SUBMISSIONS_PER_HOUR": "1000",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        }
        super().__init__(engine, tmp_path, settings=settings, env={**defaults, **(env or {})})
        self.setup = setup
        self.workers, self.threads = workers, threads
        self.port = _free_port()
        self.production = production
        if production:
            # DEBUG off, as deployed (hashed static files from collectstatic), over plain HTTP.
            self.env.update({
                "DEBUG": "0",
                "SECRET_KEY": "server-for-tests-" + secrets.token_hex(32),
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SITE_URL": f"http://127.0.0.1:{self.port}",
                "STATIC_ROOT": str(tmp_path / "static"),
                "SECURE_SSL_REDIRECT": "0",
                "SESSION_COOKIE_SECURE": "0",
                "CSRF_COOKIE_SECURE": "0",
            })  # fmt: skip

    def __enter__(self) -> Server:
        self.manage("migrate", "--noinput", "-v", "0")
        if self.production:
            self.manage("collectstatic", "--noinput", "-v", "0")
        self.setup_output = self.manage("shell", "-v", "0", "-c", self.setup) if self.setup else ""
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn), "project.wsgi", "--workers", str(self.workers), "--threads", str(self.threads)]
        command += ["--graceful-timeout", "3"]
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
        self.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
