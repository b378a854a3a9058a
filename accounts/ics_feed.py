"""Reading an ICS link: a calendar published read-only (Outlook, Proton, Yahoo, iCloud, a work or
school calendar, a team's holidays) that Convene subscribes to for busy times.

``fetch`` asks the link through the guarded outbound session (accounts/outbound.py: timeouts, no
private or loopback addresses, on every redirect hop too), conditionally when the ETag or
Last-Modified of the last answer is known, refuses more than ``MAX_BYTES``, and checks that what
came back is an iCalendar file. Every failure is a ``FeedError`` whose ``message`` tells the owner
what happened and what to do, in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

import requests
from urllib3.exceptions import ReadTimeoutError

from accounts import busy_ical, outbound

MAX_BYTES = 5_000_000
MAX_REDIRECTS = 5
ACCEPT = "text/calendar, text/plain;q=0.5, */*;q=0.1"


class FeedError(Exception):
    """The link could not be read as a calendar; ``message`` says why and what to do, in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Fetched:
    body: bytes | None  # None when not modified
    etag: str
    last_modified: str
    not_modified: bool
    document: busy_ical.Document | None = None  # the body, parsed: pass it to busy_ical.busy


def normalize_url(url: str) -> str:
    """The link as Convene asks it: trimmed, webcal:// and webcals:// read as https://."""
    url = url.strip()
    scheme, separator, rest = url.partition("://")
    scheme = scheme.lower()
    if separator and scheme in ("webcal", "webcals"):
        url = f"https://{rest}"
    elif separator and scheme in ("http", "https"):
        url = f"{scheme}://{rest}"
    else:
        raise FeedError("Use the calendar's link that starts with https:// or webcal://.")
    try:
        outbound.check_url(url)
    except outbound.Refused as error:
        raise FeedError(error.message) from None
    return url


def fetch(url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
    """Ask the link for its calendar; with ``etag``/``last_modified`` from the last answer, the
    server may say it has not changed (``not_modified``, no body). Raises ``FeedError``."""
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        outbound.check_url(url)
        with outbound.session() as http:
            http.max_redirects = MAX_REDIRECTS
            with http.get(url, headers=headers, timeout=outbound.TIMEOUT, stream=True) as response:
                if response.status_code == HTTPStatus.NOT_MODIFIED:
                    return Fetched(
                        body=None,
                        etag=response.headers.get("ETag", etag),
                        last_modified=response.headers.get("Last-Modified", last_modified),
                        not_modified=True,
                    )
                if response.status_code >= 300:
                    raise FeedError(_status_message(response.status_code))
                body = outbound.read_limited(response, MAX_BYTES)
                content_type = response.headers.get("Content-Type", "")
                answer_etag = response.headers.get("ETag", "")
                answer_last_modified = response.headers.get("Last-Modified", "")
    except (outbound.Refused, outbound.TooSlow) as error:
        raise FeedError(error.message) from None
    except outbound.TooLarge:
        raise FeedError(
            f"The calendar file is larger than {MAX_BYTES // 1_000_000} MB, more than Convene reads. "
            "Publish a calendar with fewer past events, or only the coming months if the app allows it."
        ) from None
    except requests.RequestException as error:
        raise FeedError(_request_message(error)) from None
    return Fetched(
        body=body,
        etag=answer_etag,
        last_modified=answer_last_modified,
        not_modified=False,
        document=_calendar(body, content_type),
    )


def _calendar(body: bytes, content_type: str) -> busy_ical.Document:
    looks_like_a_page = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"
    if looks_like_a_page or content_type.split(";")[0].strip().lower() == "text/html":
        raise FeedError(
            "The link leads to a web page, not to a calendar file. Copy the calendar's ICS (iCal) link instead: "
            "in the calendar app it is usually under Share or Publish, and ends in .ics."
        )
    try:
        return busy_ical.parse(body)
    except busy_ical.ParseError as error:
        reason = error.message.removeprefix("This is not an iCalendar file: ")
        raise FeedError(f"The link does not lead to a calendar file that can be read: {reason}") from None


def _status_message(status: int) -> str:
    try:
        said = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        said = str(status)
    if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
        return (
            f"The calendar link answered {said}: the calendar is not public. Publish it, or copy its secret "
            "(private) ICS address."
        )
    if status in (HTTPStatus.NOT_FOUND, HTTPStatus.GONE):
        return f"The calendar link answered {said}: check the link (it may have been unpublished or reset)."
    if status == HTTPStatus.TOO_MANY_REQUESTS or status >= 500:
        return f"The calendar server answered {said}: it has a problem of its own. Convene will try again later."
    return f"The calendar link answered {said}: check the link."


def _request_message(error: requests.RequestException) -> str:
    if isinstance(error, requests.Timeout) or (
        isinstance(error, requests.ConnectionError) and error.args and isinstance(error.args[0], ReadTimeoutError)
    ):
        return "The calendar server did not answer in time. Convene will try again later."
    if isinstance(error, requests.TooManyRedirects):
        return "The calendar link sends Convene round in circles (too many redirects): check the link."
    if isinstance(error, requests.exceptions.SSLError):
        return "The calendar server's secure connection could not be trusted (its certificate is not valid)."
    if isinstance(error, requests.ConnectionError):
        return "Convene could not connect to the calendar server: check the link, or try again later."
    if isinstance(error, requests.exceptions.InvalidSchema | requests.exceptions.InvalidURL):
        return "The calendar link leads somewhere Convene cannot follow: use a link that starts with https://."
    return "The calendar link could not be read. Convene will try again later."
