"""Static files as deployed: WhiteNoise's compressed, hashed files, with each URL worked out once.

The manifest does not change while a process runs, and every page asks for the same handful of
URLs (CSS, htmx, the page's scripts): looking each one up in the manifest again cost about a tenth
of a booking page.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage

# Our own static files (static/); everything else comes with an installed package.
OWN = ("js/", "css/", "img/")


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    # Scripts import each other (``import { browserClock } from "./locale.js"``): point those
    # imports at the hashed names too.
    support_js_module_import_aggregation = True

    def url_converter(self, name, hashed_files, template=None):
        """Our scripts' imports must resolve (a typo fails the deploy); a package's file may
        mention an import its own build never ships (django-htmx's extensions name
        ``import("../htmx")`` in a comment), which is left as written."""
        convert = super().url_converter(name, hashed_files, template)
        if name.startswith(OWN):
            return convert

        def lenient(matchobj):
            try:
                return convert(matchobj)
            except ValueError:
                return matchobj["matched"]

        return lenient

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
