"""Static files as deployed: WhiteNoise's compressed, hashed files, with each URL worked out once.

The manifest does not change while a process runs, and every page asks for the same handful of
URLs (CSS, htmx, the page's scripts): looking each one up in the manifest again cost about a tenth
of a booking page.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    # Scripts import each other (``import { browserClock } from "./locale.js"``): point those
    # imports at the hashed names too.
    support_js_module_import_aggregation = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        found = self._urls.get(name)
        if found is None:
            found = self._urls[name] = super().url(name)
        return found
