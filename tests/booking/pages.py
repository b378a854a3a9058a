"""Reading the public booking page as a booker sees it (its HTML, not the view's context: the
picker is cached, so the context of a cached page holds no slots)."""

from __future__ import annotations

import re

SLOT_LIST = re.compile(r'<ul[^>]*data-testid="slot-list"[^>]*>(.*?)</ul>', re.DOTALL)
TIME = re.compile(r">\s*(\d{1,2}:\d{2}(?:\s?[AaPp][Mm])?)")


def offered_times(response) -> list[str]:
    """The start times listed for the chosen day, as labelled on the page ([] when none)."""
    assert response.status_code in (200, 409), response.status_code
    found = SLOT_LIST.search(response.content.decode())
    return TIME.findall(found.group(1)) if found else []
