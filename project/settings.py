"""Convene settings, read from the environment (see README "Configuration").

Local use needs nothing: SQLite, Huey on SQLite and console email. Production turns on with
DEBUG=0 and must then pass ``manage.py check --deploy --fail-level WARNING``.
"""

from __future__ import annotations

import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from project.env import (
    env_bool,
    env_choice,
    env_dotted_path,
    env_email,
    env_fernet_keys,
    env_int,
    env_list,
    env_log_level,
    env_prefixed,
    env_required,
    env_str,
    env_url,
    served_at,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)

if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY") or "django-insecure-local-development-only-key-do-not-deploy"
else:
    SECRET_KEY = env_required("SECRET_KEY", "it is required when DEBUG is off (50+ random characters).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The absolute base of every link that leaves a page: emails, calendar feeds, share boxes. A
# deployment must say it; in development it follows the address the server runs on (``make run``
# passes its ADDR to the web server and the worker alike).
if DEBUG or env_str("SITE_URL"):
    SITE_URL = env_url("SITE_URL", served_at(env_str("ADDR") or "127.0.0.1:8000"))
else:
    SITE_URL = env_required(
        "SITE_URL", "the address people reach Convene at, like https://convene.example.com (links in emails use it)."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "crispy_forms",
    "crispy_tailwind",
    "huey.contrib.djhuey",
    "anymail",
    "ninja",  # its Swagger UI files and template, for the API docs at /api/v1/docs
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "accounts",
    "scheduling",
    "booking",
]

MIDDLEWARE = [
    "project.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "project.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.HtmxMessagesMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, so that it sees the views' exceptions first: a lost database race is a 409.
    "project.conflicts.ConflictMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.shell",
            ],
            # Every template writes times on the viewer's clock: {{ moment|hm }}.
            "builtins": ["accounts.templatetags.clock"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite runs in WAL mode with IMMEDIATE transactions: writers queue on the database lock at
# BEGIN instead of failing halfway through a transaction with "database is locked".
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON",
}
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("CONN_MAX_AGE", 60, minimum=0),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and task queue -------------------------------------------------------------------
# Three caches. "default" is what every web process must agree on at once: rate-limit counters
# (ours and allauth's), Google's free/busy answers. It is Redis when there is one, else a table in
# the database (made by migration accounts 0004) with an atomic incr, so several gunicorn workers
# on the embedded default still agree. "versions" holds the versions that cached data are keyed by
# (accounts/versions.py), read at every page built from such data: Redis too when there is one; on
# SQLite, whose processes all run on the machine holding the database file, files beside it (a read
# is a small file read, not a query); otherwise the database table. "local" is each process's own
# memory, for copies of pages and panels that are checked against those versions at every read
# (booking/links.py, booking/page.py, the dashboard's panels).
REDIS_URL = env_str("REDIS_URL")
# SIGTERM (how systemd, Docker and Kubernetes stop a process) stops the worker gracefully: it
# finishes the tasks under way (emails being delivered) and exits. SIGINT (Ctrl-C) or SIGKILL
# stops it at once; the emails it was delivering are then delivered again once their lease
# (EMAIL_DELIVERY_LEASE) runs out (accounts/tasks.py).
HUEY_CONSUMER = {
    "workers": env_int("HUEY_WORKERS", 2, minimum=1),
    "worker_type": "thread",
    "graceful_signal": "TERM",
}
SHARED_CACHE_TABLE = "convene_shared_cache"
LOCAL_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "convene-local"}
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
        "local": LOCAL_CACHE,
    }
    CACHES["versions"] = CACHES["default"]
    HUEY = {
        "name": "convene",
        "huey_class": "huey.RedisHuey",
        "immediate": False,
        "connection": {"url": REDIS_URL},
        "consumer": HUEY_CONSUMER,
    }
else:
    CACHES = {
        "default": {"BACKEND": "project.cache.DatabaseCache", "LOCATION": SHARED_CACHE_TABLE},
        "local": LOCAL_CACHE,
    }
    CACHES["versions"] = CACHES["default"]
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        # One file per version; an owner has a handful, so culling (which would only cost a
        # recomputation) is left to a far-off limit.
        CACHES["versions"] = {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": DATA_DIR / "versions",
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        }
    HUEY = {
        "name": "convene",
        "huey_class": "huey.SqliteHuey",
        "immediate": False,
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "consumer": HUEY_CONSUMER,
    }

# DATA_DIR holds the embedded defaults' files; it is made only when one of them is in use, and
# a directory that cannot be made stops start-up here rather than at the first query.
if not DATABASE_URL or not REDIS_URL:
    try:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ImproperlyConfigured(
            f"DATA_DIR must be a directory Convene can create and write (SQLite files live there); "
            f"{str(DATA_DIR)!r} cannot be created: {error.strerror}."
        ) from None

# --- Auth ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "landing"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm", "signup": "accounts.forms.SignupForm"}
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_USERNAME_MIN_LENGTH = 3
ACCOUNT_USERNAME_VALIDATORS = "accounts.usernames.USERNAME_VALIDATORS"
ACCOUNT_EMAIL_VERIFICATION = env_choice("ACCOUNT_EMAIL_VERIFICATION", "optional", {"none", "optional", "mandatory"})
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Convene] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https://") else "http"
# allauth's built-in rate limits (login failures, sign-up, password reset) stay on; they use
# the cache above, so they are per process on the embedded default and global with Redis.

GOOGLE_CLIENT_ID = env_str("GOOGLE_CLIENT_ID", "")
GOOGLE_CLIENT_SECRET = env_str("GOOGLE_CLIENT_SECRET", "")
SOCIALACCOUNT_PROVIDERS = {
    "google": {
        "SCOPE": ["openid", "email", "profile"],
        # include_granted_scopes: a plain sign-in token keeps the calendar access granted earlier.
        "AUTH_PARAMS": {"prompt": "select_account", "include_granted_scopes": "true"},
        "OAUTH_PKCE_ENABLED": True,
        "EMAIL_AUTHENTICATION": True,
    }
}
if GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET:
    SOCIALACCOUNT_PROVIDERS["google"]["APPS"] = [
        {"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET, "key": ""}
    ]
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = True

# Public booking form submissions allowed per client IP and booking link per hour, each guest
# invited counting as one more (beyond: the form again, with a 429 and Retry-After). Counted in
# the default cache, shared by every process (django-ratelimit).
BOOKING_SUBMISSIONS_PER_HOUR = env_int("BOOKING_SUBMISSIONS_PER_HOUR", 20, minimum=1)
# Polls joined by their shareable link: people per poll, and joins per client address per hour.
POLL_MAX_PARTICIPANTS = env_int("POLL_MAX_PARTICIPANTS", 200, minimum=1)
POLL_JOINS_PER_HOUR = env_int("POLL_JOINS_PER_HOUR", 20, minimum=1)
RATELIMIT_USE_CACHE = "default"
# Requests per API token (accounts/api_base.py): "<count>/<s|m|h|d>"; over it, 429 with Retry-After.
API_RATE_LIMIT = env_str("API_RATE_LIMIT", "600/m")
if not re.fullmatch(r"[1-9][0-9]*/[smhd]", API_RATE_LIMIT):
    raise ImproperlyConfigured("Set API_RATE_LIMIT as requests per period, e.g. 600/m (s, m, h or d).")
RATELIMIT_IP_META_KEY = "project.proxies.client_ip"

# --- Calendars beyond Google -------------------------------------------------------------------
# Outbound requests to ICS links and CalDAV servers refuse private, loopback and link-local
# addresses (accounts/outbound.py); turn this on for a CalDAV server on Convene's own host or network.
OUTBOUND_ALLOW_PRIVATE = env_bool("OUTBOUND_ALLOW_PRIVATE", False)
# Keys that encrypt CalDAV passwords at rest (accounts/credentials.py): comma-separated Fernet
# keys, the first encrypts; `manage.py rotate_credentials --new-key` prints one. Without them the
# key is derived from SECRET_KEY.
CREDENTIALS_KEYS = env_fernet_keys("CREDENTIALS_KEYS")

# --- Email -----------------------------------------------------------------------------------
# Every message goes through the task queue (accounts/emails.py); the worker delivers it with
# EMAIL_DELIVERY_BACKEND, which the EMAIL_BACKEND environment variable chooses.
EMAIL_BACKEND = "accounts.emails.QueuedEmailBackend"
EMAIL_DELIVERY_BACKEND = env_dotted_path(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend", what="an email backend"
)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or str(DATA_DIR / "mail")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)
# How long a worker may take to deliver one message before another may try it again (a worker
# killed mid-delivery): well over EMAIL_TIMEOUT, so a slow provider is not sent a message twice.
EMAIL_DELIVERY_LEASE = env_int("EMAIL_DELIVERY_LEASE", 300, minimum=1)
# An anymail ESP is chosen with EMAIL_BACKEND=anymail.backends.<esp>.EmailBackend; its keys come
# from ANYMAIL_* variables, e.g. ANYMAIL_MAILGUN_API_KEY -> ANYMAIL["MAILGUN_API_KEY"].
ANYMAIL = env_prefixed("ANYMAIL_")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "Convene <no-reply@localhost>"
# Answers from mail clients: when attendees click Yes / No / Maybe in Gmail or Outlook, their
# calendar emails an iTIP REPLY to the meeting's ORGANIZER. With an address here (its domain's
# mail routed to your provider's inbound webhook, /anymail/<provider>/inbound/), invitations name
# rsvp+<attendee token>@that-domain as organizer and the replies update the attendees.
CALENDAR_REPLY_ADDRESS = env_email("CALENDAR_REPLY_ADDRESS")
if "+" in CALENDAR_REPLY_ADDRESS.partition("@")[0]:
    raise ImproperlyConfigured("CALENDAR_REPLY_ADDRESS must not contain '+': Convene adds +<token> itself.")
SERVER_EMAIL = env_str("SERVER_EMAIL") or DEFAULT_FROM_EMAIL
ADMINS = [("Admin", address) for address in env_list("ADMINS", [])]

# --- Static files ----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "project.storage.StaticFilesStorage"
    },
}

# --- Forms -----------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "tailwind"
CRISPY_TEMPLATE_PACK = "tailwind"

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security --------------------------------------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe /healthz over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 60 * 60 * 24 * 365, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    # Only behind a proxy that sets X-Forwarded-Proto itself; otherwise clients could spoof it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# How many proxies in front append to X-Forwarded-For: the client's address for rate limits is
# that many entries from the right (project/proxies.py). One when BEHIND_PROXY is on.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if BEHIND_PROXY else 0, minimum=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
X_FRAME_OPTIONS = "DENY"

# --- Logging ---------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line names the request it was written for (project/request_id.py), "-" outside one.
    "filters": {"request_id": {"()": "project.request_id.RequestIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env_log_level("LOG_LEVEL")},
    # run_huey attaches its own handler to "huey"; propagating would print every line twice.
    "loggers": {"django.db.backends": {"level": "INFO"}, "huey": {"propagate": False}},
}
