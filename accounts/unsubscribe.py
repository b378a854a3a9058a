"""One-click unsubscribe from a kind of email (RFC 8058), without signing in.

Every email about answers carries ``List-Unsubscribe: <https://SITE/profile/unsubscribe/TOKEN/>``
and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (:func:`headers`). The token is signed
(``django.core.signing``, with its own salt) and names the user and the kind of email; it is the
only authorisation, so it is accepted without a session or a CSRF token: mail clients POST to it
with neither. A GET only shows a page with a button, because link scanners and previews open
every URL in an email; the POST (the button, or the mail client's one-click) applies it.

Kinds (``KINDS``): ``answers`` turns ``User.answer_notices`` off: no more emails about answers,
comments, RSVPs, proposed times, digests or "everyone has answered" (scheduling/activity.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.models import User

SALT = "convene.unsubscribe"


@dataclass(frozen=True)
class Kind:
    what: str  # "emails about answers", as the page says it
    field: str  # the User field it sets
    value: str  # to this value


KINDS = {
    "answers": Kind(
        what="emails about answers to your polls and meetings",
        field="answer_notices",
        value=User.Notices.OFF,
    ),
}


def token(user_id: int, kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"No such kind of email to unsubscribe from: {kind}")
    return signing.dumps({"user": user_id, "kind": kind}, salt=SALT)


def url(user_id: int, kind: str) -> str:
    return settings.SITE_URL + reverse("accounts:unsubscribe", args=[token(user_id, kind)])


def headers(user_id: int, kind: str) -> dict[str, str]:
    """The headers that give mail clients their "Unsubscribe" button (one click, RFC 8058)."""
    return {"List-Unsubscribe": f"<{url(user_id, kind)}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def read(value: str) -> tuple[int, str] | None:
    """(user id, kind) of a genuine token; None for anything else."""
    try:
        data = signing.loads(value, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int) or data.get("kind") not in KINDS:
        return None
    return data["user"], data["kind"]


@csrf_exempt  # the signed token is the authorisation; mail clients post without a CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = read(token)
    user = User.objects.filter(pk=found[0]).first() if found else None
    if user is None:
        return render(request, "accounts/unsubscribe.html", {"invalid": True}, status=400)
    kind = KINDS[found[1]]
    done = request.method == "POST"
    if done:
        User.objects.filter(pk=user.pk).update(**{kind.field: kind.value})
    context = {"kind": kind, "done": done, "already": getattr(user, kind.field) == kind.value}
    return render(request, "accounts/unsubscribe.html", context)
