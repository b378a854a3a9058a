"""Dashboard panels contributed by other apps.

Apps that depend on accounts register a panel in their ``AppConfig.ready`` with
``@dashboard_panel(order=...)``; accounts never imports them (dependencies point
booking -> scheduling -> accounts). A panel returns ``(template_name, context)`` or None to stay
hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
