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
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

Panel = Callable[[HttpRequest], tuple[str, dict[str, Any]] | None]
_panels: list[tuple[int, Panel]] = []


def dashboard_panel(order: int) -> Callable[[Panel], Panel]:
    def register(panel: Panel) -> Panel:
        if panel not in (registered for _, registered in _panels):
            _panels.append((order, panel))
            _panels.sort(key=lambda item: item[0])
        return panel

    return register


def render_panels(request: HttpRequest) -> list[SafeString]:
    rendered = []
    for _, panel in _panels:
        result = panel(request)
        if result is not None:
            template, context = result
            rendered.append(render_to_string(template, context, request=request))
    return rendered
