"""``{% panel panel %}``: a dashboard or profile panel (accounts/dashboard.py), rendered in the
page's context with the panel's own values on top, as ``{% include %}`` would."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def panel(context: template.Context, panel: tuple[str, dict[str, Any]]) -> SafeString:
    template_name, values = panel
    found = context.template.engine.get_template(template_name)
    with context.push(values):
        return found.render(context)
