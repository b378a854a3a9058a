"""Dashboard panels contributed by other apps.

Apps that depend on accounts register a panel in their ``AppConfig.ready`` with
``@dashboard_panel(order=...)``; accounts never imports them (dependencies point
booking -> scheduling -> accounts). A panel returns ``(template_name, context)`` or None to stay
hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Expression
from django.http import HttpRequest

Panel = Callable[[HttpRequest], tuple[str, dict[str, Any]] | None]
_panels: dict[str, list[tuple[int, Panel]]] = {"dashboard": [], "profile": []}


def _registrar(page: str, order: int) -> Callable[[Panel], Panel]:
    def register(panel: Panel) -> Panel:
        if panel not in (registered for _, registered in _panels[page]):
            _panels[page].append((order, panel))
            _panels[page].sort(key=lambda item: item[0])
        return panel

    return register


def dashboard_panel(order: int) -> Callable[[Panel], Panel]:
    return _registrar("dashboard", order)


def profile_panel(order: int) -> Callable[[Panel], Panel]:
    """A section of the profile page (e.g. the calendar subscription link)."""
    return _registrar("profile", order)


def render_panels(request: HttpRequest, page: str = "dashboard") -> list[tuple[str, dict[str, Any]]]:
    """The page's visible panels as ``(template_name, context)``, for ``{% panel %}`` to render
    inside the page's own context (its context processors run once, not once a panel)."""
    found = (panel(request) for _, panel in _panels[page])
    return [result for result in found if result is not None]


@dataclass(frozen=True)
class SetupStep:
    """A first step a new owner is shown on the dashboard until it is done (verify the email, set
    the hours, make a booking link). ``done`` builds a boolean expression on the user's row
    (``OuterRef("pk")`` is the user): every step is answered by the dashboard's one summary query."""

    order: int
    title: str
    detail: str
    action: str  # the link's text
    url_name: str
    done: Callable[[], Expression]
    shown: Callable[[], bool] = lambda: True  # e.g. not when the server does not verify emails


_setup_steps: list[SetupStep] = []


def setup_step(step: SetupStep) -> SetupStep:
    if step not in _setup_steps:
        _setup_steps.append(step)
        _setup_steps.sort(key=lambda registered: registered.order)
    return step


def setup_annotations() -> dict[str, Expression]:
    """``setup_<n>``: whether step n is done, for the dashboard's summary query."""
    return {f"setup_{n}": step.done() for n, step in enumerate(_setup_steps) if step.shown()}


def steps_left(summary: dict[str, Any]) -> list[SetupStep]:
    return [step for n, step in enumerate(_setup_steps) if step.shown() and not summary[f"setup_{n}"]]


def _email_verified() -> Expression:
    from allauth.account.models import EmailAddress
    from django.db.models import Exists, OuterRef

    return Exists(EmailAddress.objects.filter(user=OuterRef("pk"), verified=True))


def _verifies_emails() -> bool:
    from django.conf import settings

    return settings.ACCOUNT_EMAIL_VERIFICATION != "none"


VERIFY_EMAIL = setup_step(
    SetupStep(
        order=10,
        title="Confirm your email address",
        detail="Open the link we emailed you, so replies and notices about your meetings reach you.",
        action="Send the link again",
        url_name="account_email",
        done=_email_verified,
        shown=_verifies_emails,
    )
)
