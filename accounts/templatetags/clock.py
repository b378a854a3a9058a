"""``{{ moment|hm }}``: the time of day on the viewer's clock (accounts/clock.py), in the active
timezone, as ``14:30`` or ``2:30 PM``. A built-in (project/settings.py), like ``date``."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.timezone import template_localtime

from accounts import clock

register = template.Library()


@register.filter
def hm(value) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, datetime):
        value = template_localtime(value)
    return clock.active().time(value)
