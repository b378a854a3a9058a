from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from project.env import env_bool, env_choice, env_int, env_list, env_prefixed

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False)])
def test_env_bool_parses_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", not expected) is expected


def test_env_bool_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG must be one of"):
        env_bool("FLAG", False)


def test_env_int_refuses_nonsense_and_values_below_the_minimum(monkeypatch):
    monkeypatch.setenv("NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="NUMBER must be a whole number"):
        env_int("NUMBER", 1)
    monkeypatch.setenv("NUMBER", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("NUMBER", 1, minimum=0)


def test_env_list_and_choice(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]
    monkeypatch.setenv("MODE", "sometimes")
    with pytest.raises(ImproperlyConfigured, match="MODE must be one of"):
        env_choice("MODE", "optional", {"optional", "mandatory"})


def test_anymail_settings_come_from_prefixed_variables(monkeypatch):
    monkeypatch.setenv("ANYMAIL_MAILGUN_API_KEY", "key-123")
    assert env_prefixed("ANYMAIL_") == {"MAILGUN_API_KEY": "key-123"}


# The test run sets these; a subprocess checking production settings must not inherit them.
CONFIGURED_BY_TESTS = {
    "DEBUG", "SECRET_KEY", "SITE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL",
    "REDIS_URL",
}  # fmt: skip


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIGURED_BY_TESTS}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "project.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_requires_a_secret_key():
    result = run_manage("check", DEBUG="0", SECRET_KEY="")
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_production_requires_the_site_url(tmp_path):
    result = run_manage("check", DEBUG="0", SECRET_KEY="k3y-" + "9fT2xQ7vLp0mZ8rB4nW6sY1cH5jD3gK" * 2,
                        ALLOWED_HOSTS="convene.example.com", DATA_DIR=str(tmp_path))  # fmt: skip
    assert result.returncode != 0
    assert "Set the SITE_URL environment variable: the address people reach Convene at" in result.stderr


@pytest.mark.parametrize(
    ("addr", "site_url"),
    [
        ("127.0.0.1:8701", "http://127.0.0.1:8701"),
        ("8702", "http://127.0.0.1:8702"),
        ("0.0.0.0:8703", "http://127.0.0.1:8703"),
        ("localhost:8704", "http://localhost:8704"),
        ("", "http://127.0.0.1:8000"),
    ],
)
def test_in_development_links_follow_the_address_the_server_runs_on(tmp_path, addr, site_url):
    code = "from django.conf import settings as s; print(s.SITE_URL)"
    result = run_manage("shell", "--no-imports", "-c", code, DEBUG="1", ADDR=addr, DATA_DIR=str(tmp_path))
    assert result.stdout.split()[-1] == site_url


def test_an_address_that_is_no_port_stops_start_up(tmp_path):
    result = run_manage("check", DEBUG="1", ADDR="127.0.0.1:http", DATA_DIR=str(tmp_path))
    assert "ADDR must be a port or host:port" in result.stderr


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="k3y-" + "9fT2xQ7vLp0mZ8rB4nW6sY1cH5jD3gK" * 2,
        ALLOWED_HOSTS="convene.example.com",
        SITE_URL="https://convene.example.com",
        DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr


def test_collectstatic_as_deployed_hashes_our_imports_and_keeps_packages_files(tmp_path):
    """The deploy step: every static file hashed and compressed. A package's file that mentions an
    import its own build never ships (django-htmx's extensions) must not stop it."""
    result = run_manage(
        "collectstatic", "--noinput",
        DEBUG="0", SECRET_KEY="k3y-" + "9fT2xQ7vLp0mZ8rB4nW6sY1cH5jD3gK" * 2, ALLOWED_HOSTS="convene.example.com",
        SITE_URL="https://convene.example.com", DATA_DIR=str(tmp_path), STATIC_ROOT=str(tmp_path / "static"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    booking = next((tmp_path / "static" / "js").glob("booking.*.js"))
    assert re.search(r'from "\./locale\.[0-9a-f]{12}\.js"', booking.read_text())
    assert (tmp_path / "static" / "staticfiles.json").exists()


def test_huey_and_cache_use_redis_when_redis_url_is_set():
    code = "from django.conf import settings as s; print(s.HUEY['huey_class'], s.CACHES['default']['BACKEND'])"
    result = run_manage("shell", "--no-imports", "-c", code, DEBUG="1", REDIS_URL="redis://127.0.0.1:6379/9")
    assert result.stdout.split()[-2:] == ["huey.RedisHuey", "django.core.cache.backends.redis.RedisCache"]


def test_without_redis_every_process_shares_a_cache_in_the_database(tmp_path):
    code = "from django.conf import settings as s; print(s.CACHES['default']['BACKEND'], s.CACHES['local']['BACKEND'])"
    result = run_manage("shell", "--no-imports", "-c", code, DEBUG="1", DATA_DIR=str(tmp_path))
    assert result.stdout.split()[-2:] == [
        "project.cache.DatabaseCache",
        "django.core.cache.backends.locmem.LocMemCache",
    ]


def test_cache_versions_live_where_every_process_of_the_deployment_reads_them(tmp_path):
    """On SQLite (one machine) in files beside the database: one process's bump is the next
    process's version, read without a query. With PostgreSQL (maybe several machines) in the
    database cache table, with Redis in Redis."""
    bump = "from accounts import versions; versions.bump('calendar', 7); print(versions.current('calendar', 7))"
    read = (
        "from django.db import connection; from django.test.utils import CaptureQueriesContext; "
        "from accounts import versions\n"
        "with CaptureQueriesContext(connection) as queries: found = versions.current('calendar', 7)\n"
        "print(found, len(queries))"
    )
    written = run_manage("shell", "--no-imports", "-c", bump, DEBUG="1", DATA_DIR=str(tmp_path))
    assert written.returncode == 0, written.stderr
    version = written.stdout.split()[-1]
    assert run_manage("shell", "--no-imports", "-c", read, DEBUG="1", DATA_DIR=str(tmp_path)).stdout.split() == [
        version,
        "0",
    ]
    assert list((tmp_path / "versions").iterdir())

    code = "from django.conf import settings as s; print(s.CACHES['versions']['BACKEND'])"
    postgres = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused", "DATA_DIR": str(tmp_path)}
    assert run_manage("shell", "--no-imports", "-c", code, DEBUG="1", **postgres).stdout.split()[-1] == (
        "project.cache.DatabaseCache"
    )
    redis = {"REDIS_URL": "redis://127.0.0.1:6379/9", "DATA_DIR": str(tmp_path)}
    assert run_manage("shell", "--no-imports", "-c", code, DEBUG="1", **redis).stdout.split()[-1] == (
        "django.core.cache.backends.redis.RedisCache"
    )


def test_a_proxy_makes_one_trusted_hop_unless_told_otherwise(tmp_path):
    code = "from django.conf import settings as s; print(s.TRUSTED_PROXY_COUNT, s.ALLAUTH_TRUSTED_PROXY_COUNT)"
    assert run_manage("shell", "--no-imports", "-c", code, DEBUG="1", BEHIND_PROXY="1").stdout.split() == ["1", "1"]
    result = run_manage("shell", "--no-imports", "-c", code, DEBUG="1", BEHIND_PROXY="1", TRUSTED_PROXY_COUNT="2")
    assert result.stdout.split() == ["2", "2"]


def test_huey_runs_on_sqlite_by_default(tmp_path):
    code = "from django.conf import settings as s; print(s.HUEY['huey_class'], s.HUEY['filename'])"
    result = run_manage("shell", "--no-imports", "-c", code, DEBUG="1", DATA_DIR=str(tmp_path))
    assert result.stdout.split()[-2:] == ["huey.SqliteHuey", str(tmp_path / "huey.sqlite3")]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LOG_LEVEL", "verbose", "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL; got 'verbose'."),
        ("SITE_URL", "example.com", "SITE_URL must be an absolute address starting with https:// or http://"),
        ("SITE_URL", "https://convene.example.com/?next=1", "SITE_URL must be an absolute address"),
        ("SITE_URL", "https://convene.example.com:80a", "SITE_URL has a port that is not a number"),
        ("EMAIL_BACKEND", "anymail.backends.mailgn.EmailBackend", "EMAIL_BACKEND must be the dotted path of an email"),
        ("DATA_DIR", "/proc/convene", "DATA_DIR must be a directory Convene can create and write"),
        ("TRUSTED_PROXY_COUNT", "two", "TRUSTED_PROXY_COUNT must be a whole number"),
        ("BOOKING_SUBMISSIONS_PER_HOUR", "0", "BOOKING_SUBMISSIONS_PER_HOUR must be at least 1"),
        ("CREDENTIALS_KEYS", "not-a-key", "CREDENTIALS_KEYS must be comma-separated Fernet keys"),
        ("OUTBOUND_ALLOW_PRIVATE", "perhaps", "OUTBOUND_ALLOW_PRIVATE must be one of"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_the_variable(variable, value, message):
    result = run_manage("check", DEBUG="1", **{variable: value})
    assert result.returncode != 0
    assert "Traceback" in result.stderr  # manage.py's own; the last line is the message itself
    assert message in result.stderr.strip().splitlines()[-1]


def test_good_spellings_of_the_same_settings_start(tmp_path):
    result = run_manage(
        "check", DEBUG="1", LOG_LEVEL="warning", SITE_URL="https://convene.example.com:8443/",
        EMAIL_BACKEND="anymail.backends.mailgun.EmailBackend", DATA_DIR=str(tmp_path / "data"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data").is_dir()


def test_data_dir_is_not_made_when_postgresql_and_redis_hold_everything(tmp_path):
    code = "from django.conf import settings as s; print(s.SITE_URL)"
    result = run_manage(
        "shell", "--no-imports", "-c", code, DEBUG="1", DATA_DIR=str(tmp_path / "unused"),
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/convene", REDIS_URL="redis://127.0.0.1:6379/9",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "unused").exists()
