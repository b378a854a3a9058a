from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

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


def _navigation(path: str) -> list[dict[str, object]]:
    items = []
    for label, url_name in NAVIGATION:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": path.startswith(url)})
    return items


def shell(request: HttpRequest) -> dict[str, object]:
    # An error page rendered before the authentication middleware ran (a request for a host not in
    # ALLOWED_HOSTS is refused that early) has no user: it shows no navigation.
    user = getattr(request, "user", None)
    return {"navigation": _navigation(request.path) if user is not None and user.is_authenticated else []}
