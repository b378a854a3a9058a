"""Content-Security-Policy on every response: scripts only from this site, never inline.

Django 5.2 has no CSP support of its own (it arrives in 6.0), and one header does not earn a
dependency. Pages keep their behaviour in ``static/js`` (``behaviours.js`` for the small ones), so
``script-src 'self'`` holds; ``style-src`` allows inline styles, which the calendar's positioned
event chips and htmx's indicator style use. Pages a view marks ``xframe_options_exempt`` (the
embeddable booking pages) may be framed by any site; every other page by none.
"""

from __future__ import annotations

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
}
HEADER = "Content-Security-Policy"


def header_value(*, frameable: bool) -> str:
    directives = {**POLICY, "frame-ancestors": "*" if frameable else "'none'"}
    return "; ".join(f"{name} {value}" for name, value in directives.items())


CLOSED, OPEN = header_value(frameable=False), header_value(frameable=True)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = OPEN if getattr(response, "xframe_options_exempt", False) else CLOSED
        return response
