from __future__ import annotations

from functools import cache

from django.http import HttpRequest
from django.urls import NoReverseMatch, get_urlconf, reverse

# The app shell's navigation. A section appears once its pages exist, so the menu never links to
# a page that is not there.
NAVIGATION = [
    ("Dashboard", "dashboard"),
    ("Calendar", "scheduling:calendar"),
    ("Polls", "scheduling:poll_list"),
    ("Booking links", "booking:event_type_list"),
    ("Teams", "teams:list"),
    ("Contacts", "contacts:list"),
    ("Profile", "accounts:profile"),
]


@cache
def _links(urlconf: str | None) -> tuple[tuple[str, str], ...]:
    """The menu's (label, URL) pairs, reversed once per URL configuration (a page renders several
    templates with this context: its dashboard panels reversed the menu seven times each)."""
    links = []
    for label, url_name in NAVIGATION:
        try:
            links.append((label, reverse(url_name, urlconf=urlconf)))
        except NoReverseMatch:
            continue
    return tuple(links)


def _navigation(path: str) -> list[dict[str, object]]:
    return [{"label": label, "url": url, "active": path.startswith(url)} for label, url in _links(get_urlconf())]


def shell(request: HttpRequest) -> dict[str, object]:
    # An error page rendered before the authentication middleware ran (a request for a host not in
    # ALLOWED_HOSTS is refused that early) has no user: it shows no navigation.
    user = getattr(request, "user", None)
    return {"navigation": _navigation(request.path) if user is not None and user.is_authenticated else []}
