"""A small gateway to CalDAV servers (RFC 4791): Nextcloud, iCloud, Fastmail, mailbox.org, Radicale...

Like ``google_calendar.py`` it speaks plain data (URLs, iCalendar bytes, dataclasses) and knows nothing
about Django models. The ``caldav`` library's ``DAVClient`` sends the requests: it negotiates the
authentication scheme (Basic or Digest, from the server's 401) and turns 401, 403 and 429 into its
errors; its element classes build the XML. Its object API (``Principal``, ``Calendar.search``,
``Event.save``) is not used: in caldav 3.6 every method of it first imports the async client, which
raises ImportError when neither niquests nor httpx is installed, as here (requests only). The
multistatus answers are read here, leniently: a 403 or 404 for one property leaves that property out
instead of failing the whole answer, as the library's parser would.

Every request goes through ``accounts.outbound.session()`` (the client's own session is replaced before
it sends anything), so the guard against private and loopback addresses, and the size limit, cover the
library's requests too; RFC 6764 DNS discovery is off, as it would look up SRV records outside the guard.

Redirects are followed here, not by requests: requests replays a PUT or PROPFIND after a 301 without its
body, and after a 302 as a GET, which would store an empty event or misread a server's discovery
answers. A redirect from https:// to http:// is refused rather than followed with the password.

Every failure leaves as a ``CalDAVError`` whose ``message`` can be shown to the person who typed the
address, and whose ``retry`` says whether trying again later can help:

- ``CalDAVAuthError``: 401, the username or password (often: not an app password). Not retried.
- ``CalDAVPermissionError``: 403, e.g. a calendar shared read-only.
- ``CalDAVNotFound``: 404/410, the calendar or event is gone.
- ``CalDAVConflict``: 412, the event changed on the server since the ETag we hold.
- ``CalDAVUnavailable``: timeouts, connection errors, 429 and 5xx. ``retry`` is True.
- ``CalDAVNotCalDAV``: the address answers, but not as a CalDAV server.
- ``CalDAVTLSError``: the certificate could not be verified.
- ``CalDAVRefused``: ``outbound`` refused the address (private or loopback, or not http(s)).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import icalendar
import requests
from caldav import DAVClient
from caldav.elements import cdav, dav, ical
from caldav.elements.base import BaseElement
from caldav.lib import error as caldav_error
from caldav.response import DAVResponse
from lxml import etree

from accounts import outbound

logger = logging.getLogger(__name__)

# A year of a busy calendar is a few MB of iCalendar; more than this is not a calendar we can use.
MAX_RESPONSE_BYTES = 20_000_000
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# RFC 3744 privileges that let us create and change events in a calendar; "all" and "write" include the others.
WRITE_PRIVILEGES = frozenset({f"{{DAV:}}{name}" for name in ("all", "write", "write-content", "bind")})
ICALENDAR = "text/calendar; charset=utf-8"
NOT_CALDAV = (
    "That address answers, but not as a CalDAV server: check the CalDAV address your provider gives "
    "(for Nextcloud it ends in /remote.php/dav/, for Fastmail it is https://caldav.fastmail.com/)."
)
AUTH_FAILED = (
    "The server refused that username or password. Many providers need an app password: iCloud, Fastmail, "
    "Google and Nextcloud with two-step sign-in do not accept your usual password here, so create an app "
    "password in your account's security settings and use that."
)
UID_CONFLICT = "{urn:ietf:params:xml:ns:caldav}no-uid-conflict"


class CalDAVError(Exception):
    """Base of every error this module raises; ``message`` is in words, ``retry`` says if later may work."""

    retry = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class CalDAVAuthError(CalDAVError):
    """The server refused the username or password (401)."""


class CalDAVPermissionError(CalDAVError):
    """The server refused this account what it asked (403), e.g. writing to a read-only calendar."""


class CalDAVNotFound(CalDAVError):
    """Nothing at that address (404, 410): the calendar or event was deleted or moved."""


class CalDAVConflict(CalDAVError):
    """The event changed on the server since the ETag we hold (412): read it again before writing."""


class CalDAVUnavailable(CalDAVError):
    """Timeouts, connection errors, 429 and 5xx: try again later."""

    retry = True


class CalDAVNotCalDAV(CalDAVError):
    """The address answers, but not as a CalDAV server."""


class CalDAVTLSError(CalDAVError):
    """The server's certificate could not be verified."""


class CalDAVRefused(CalDAVError):
    """``accounts.outbound`` refused the address: private, loopback or not http(s)."""


@dataclass(frozen=True)
class RemoteCalendar:
    url: str
    name: str
    color: str  # as the server has it ("#FF2968FF" from Apple clients), "" when unset
    writable: bool


@dataclass(frozen=True)
class Discovery:
    principal_url: str
    home_url: str
    calendars: list[RemoteCalendar]  # only calendars that may hold events (VEVENT)


@dataclass(frozen=True)
class _Resource:
    """One ``<response>`` of a multistatus: its absolute URL and its properties that were found (200)."""

    url: str
    props: dict[str, Any]


class CalDAVAccount:
    """One account on a CalDAV server, reached at ``url`` (a host, a server root, a principal or a
    calendar-home URL) with a username and (app) password. ``timeout`` is seconds per request.

    No request is made until a method is called; each call opens its own connection and closes it. The
    authentication scheme the server asked for on the first call is kept, so later calls skip the 401
    round trip.
    """

    def __init__(self, url: str, username: str, password: str, *, timeout: float = 15) -> None:
        self.url = _with_scheme(url)
        self._username = username
        self._password = password
        self._timeout = timeout
        self._auth: Any = None

    def discover(self) -> Discovery:
        """Find the principal, the calendar home and the calendars that hold events.

        The URL as typed is tried first when it has a path; then ``/.well-known/caldav`` on its host
        (RFC 6764: servers redirect it to their CalDAV root), then the host's root. At each, the
        current-user-principal leads to the principal, whose calendar-home-set lists the calendars.
        """
        with self._client() as client:
            with _translated():
                outbound.check_url(self.url)
            failures: list[CalDAVError] = []
            for candidate in _candidates(self.url):
                try:
                    return self._discover_at(client, candidate)
                except (CalDAVNotCalDAV, CalDAVNotFound, CalDAVPermissionError) as failure:
                    logger.info("No CalDAV principal at %s: %s", candidate, failure.message)
                    failures.append(failure)
            if any(isinstance(failure, CalDAVPermissionError) for failure in failures):
                raise CalDAVPermissionError(
                    "The server does not let this account read that address. Check the address, or use the "
                    "CalDAV address your provider gives for your own calendars.",
                    status=403,
                )
            raise CalDAVNotCalDAV(NOT_CALDAV)

    def events(self, calendar_url: str, start: datetime, end: datetime) -> list[bytes]:
        """The raw iCalendar of every event resource in the calendar that overlaps ``[start, end)``.

        The server is asked for a time-range calendar-query without expansion, so a recurring event comes
        back whole (its master with its overrides and EXDATEs) when any occurrence overlaps; the caller
        expands it (recurring-ical-events). Datetimes must be timezone-aware.
        """
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("CalDAV time ranges need timezone-aware datetimes")
        event_filter = cdav.CompFilter("VEVENT") + cdav.TimeRange(start, end)
        query = cdav.CalendarQuery().append(
            [
                dav.Prop().append([dav.GetEtag(), cdav.CalendarData()]),
                cdav.Filter() + (cdav.CompFilter("VCALENDAR") + event_filter),
            ]
        )
        with self._client() as client:
            url, response = _send(client, "REPORT", _as_collection(calendar_url), _xml(query), {"Depth": "1"})
            resources = _multistatus(url, response, "read the calendar")
        # The text as the XML parser gives it: line breaks are LF, which iCalendar parsers accept.
        return [
            data.text.encode()
            for resource in resources
            if (data := resource.props.get(cdav.CalendarData.tag)) is not None and data.text
        ]

    def put(self, calendar_url: str, uid: str, document: bytes, *, etag: str | None = None) -> tuple[str, str]:
        """Store ``document`` (one VCALENDAR whose events share ``uid``) and return ``(href, etag)``.

        The resource is named from the UID, so the same event always lands at the same address. Without
        ``etag`` it is created with ``If-None-Match: *``; if it already exists (a retried task whose first
        try landed) it is brought up to date. If the calendar holds the UID under another name (the
        calendar app of the owner added our emailed invitation), that resource is updated instead, as
        servers allow one resource per UID. With ``etag`` the update is conditional (``If-Match``), and a
        change made on the server since raises ``CalDAVConflict``.
        """
        href = urljoin(_as_collection(calendar_url), resource_name(uid))
        with self._client() as client:
            if etag is not None:
                href, response = _send(client, "PUT", href, document, {"Content-Type": ICALENDAR, "If-Match": etag})
            else:
                href, response = _send(client, "PUT", href, document, {"Content-Type": ICALENDAR, "If-None-Match": "*"})
                if response.status in (409, 412):
                    # 412: our resource exists (an earlier try landed). A UID conflict (Radicale 409, Xandikos
                    # 412): the UID is stored under another name, which the answer may give.
                    if _is_uid_conflict(response):
                        href = _uid_conflict_href(response, href) or self._find_uid(client, calendar_url, uid) or href
                    href, response = _send(client, "PUT", href, document, {"Content-Type": ICALENDAR})
            _raise_for_status(response, "store the event")
            new_etag = response.headers.get("ETag", "")
            if not new_etag or new_etag.startswith("W/"):
                # The server changed what we sent (RFC 4791 5.3.4 then forbids a strong ETag) or sent none.
                new_etag = self._etag(client, href)
            return href, new_etag

    def delete(self, href: str, *, etag: str | None = None) -> None:
        """Delete the event resource; one that is already gone (404, 410) counts as deleted."""
        headers = {"If-Match": etag} if etag else {}
        with self._client() as client:
            _, response = _send(client, "DELETE", urljoin(self.url, href), "", headers)
            if response.status in (404, 410):
                return
            _raise_for_status(response, "delete the event")

    # --- steps ---

    def _discover_at(self, client: DAVClient, url: str) -> Discovery:
        url, resources = _propfind(client, url, [dav.CurrentUserPrincipal(), cdav.CalendarHomeSet()], depth=0)
        props = _merged(resources)
        principal_href = _href(props.get(dav.CurrentUserPrincipal.tag))
        principal_url = urljoin(url, principal_href) if principal_href else url
        if principal_url != url:
            principal_url, resources = _propfind(client, principal_url, [cdav.CalendarHomeSet()], depth=0)
            props = _merged(resources)
        home_href = _href(props.get(cdav.CalendarHomeSet.tag))
        home_url = urljoin(principal_url, home_href) if home_href else principal_url
        home_url, resources = _propfind(
            client,
            home_url,
            [
                dav.ResourceType(),
                dav.DisplayName(),
                ical.CalendarColor(),
                cdav.SupportedCalendarComponentSet(),
                dav.CurrentUserPrivilegeSet(),
            ],
            depth=1,
        )
        calendars = [
            calendar
            for resource in resources
            if _path(resource.url) != _path(home_url) and (calendar := _remote_calendar(resource)) is not None
        ]
        if not home_href and not calendars:
            # WebDAV without a calendar home (a file share, say): not somewhere events can live.
            raise CalDAVNotCalDAV(NOT_CALDAV)
        return Discovery(principal_url=principal_url, home_url=home_url, calendars=calendars)

    def _find_uid(self, client: DAVClient, calendar_url: str, uid: str) -> str | None:
        """The resource in the calendar that holds an event with exactly ``uid``, if any."""
        uid_filter = cdav.PropFilter("UID") + cdav.TextMatch(uid)
        query = cdav.CalendarQuery().append(
            [
                dav.Prop() + cdav.CalendarData(),
                cdav.Filter() + (cdav.CompFilter("VCALENDAR") + (cdav.CompFilter("VEVENT") + uid_filter)),
            ]
        )
        url, response = _send(client, "REPORT", _as_collection(calendar_url), _xml(query), {"Depth": "1"})
        for resource in _multistatus(url, response, "look the event up"):
            data = resource.props.get(cdav.CalendarData.tag)
            # text-match is a substring match: keep only the resource whose UID is exactly ours.
            if data is not None and data.text and uid in _uids(data.text):
                return resource.url
        return None

    def _etag(self, client: DAVClient, href: str) -> str:
        _, resources = _propfind(client, href, [dav.GetEtag()], depth=0)
        return _text(_merged(resources).get(dav.GetEtag.tag))

    @contextmanager
    def _client(self) -> Iterator[DAVClient]:
        client = DAVClient(
            url=self.url,
            username=self._username,
            password=self._password,
            auth=self._auth,
            timeout=self._timeout,
            enable_rfc6764=False,
        )
        # Nothing has been sent yet: every request from here on goes through the guarded session.
        client.session.close()
        client.session = _session()
        client.headers["User-Agent"] = outbound.USER_AGENT
        try:
            yield client
        finally:
            self._auth = client.auth
            client.close()


# --- HTTP ---


def _session() -> requests.Session:
    session = outbound.session()
    # Redirects are followed by _send, with the body and the method kept (see the module docstring).
    session.request = functools.partial(session.request, allow_redirects=False)  # type: ignore[method-assign]
    session.hooks["response"].append(_read_limited)
    return session


def _read_limited(response: requests.Response, *args: object, **kwargs: object) -> requests.Response:
    """A response hook: it runs before requests reads the body, so the body is read here with a limit."""
    response._content = outbound.read_limited(response, MAX_RESPONSE_BYTES)
    return response


def _send(
    client: DAVClient, method: str, url: str, body: bytes | str = "", headers: dict[str, str] | None = None
) -> tuple[str, DAVResponse]:
    """Send one request through the library (which negotiates authentication), following redirects
    with the same method and body; returns the final URL and the response."""
    for _ in range(MAX_REDIRECTS + 1):
        with _translated():
            response = client.request(url, method, body, headers)
        location = response.headers.get("Location")
        if response.status not in REDIRECT_STATUSES or not location:
            return url, response
        target = urljoin(url, location)
        if urlsplit(url).scheme == "https" and urlsplit(target).scheme != "https":
            raise CalDAVRefused(
                "The server sent Convene from an https:// address to one without encryption; Convene does not "
                "send your password that way. Use the server's https:// address."
            )
        url = target
    raise CalDAVError("The server sends Convene from one address to the next without end; check the address.")


def _xml(element: BaseElement) -> bytes:
    return etree.tostring(element.xmlelement(), encoding="utf-8", xml_declaration=True)


def _propfind(client: DAVClient, url: str, props: list[BaseElement], *, depth: int) -> tuple[str, list[_Resource]]:
    url, response = _send(
        client, "PROPFIND", url, _xml(dav.Propfind() + dav.Prop().append(props)), {"Depth": str(depth)}
    )
    return url, _multistatus(url, response, "list that address")


def _multistatus(url: str, response: DAVResponse, action: str) -> list[_Resource]:
    """The resources of a 207 Multi-Status; a status with a meaning of its own raises its error, and any
    other answer (a web page, 405 or 501 for the method) means the address does not speak CalDAV."""
    status = response.status
    # 501 and 405: the method is not implemented there, which is what a plain web server says.
    if status in (404, 410, 412, 429) or (status >= 500 and status != 501):
        _raise_for_status(response, action)
    tree = response.tree
    if status != 207 or tree is None or tree.tag != dav.MultiStatus.tag:
        raise CalDAVNotCalDAV(NOT_CALDAV, status=status)
    return [
        _Resource(urljoin(url, href.strip()), _found_props(entry))
        for entry in tree.iterfind(dav.Response.tag)
        if (href := entry.findtext(dav.Href.tag))
    ]


def _found_props(entry: Any) -> dict[str, Any]:
    """The properties of one ``<response>`` that came with 200; a 403 or 404 propstat means "not for you"
    or "not here", so those are left out rather than failing the whole answer."""
    found = {}
    for propstat in entry.iterfind(dav.PropStat.tag):
        status = (propstat.findtext(dav.Status.tag) or "HTTP/1.1 200 OK").split()
        if len(status) > 1 and status[1] != "200":
            continue
        for prop in propstat.iterfind(dav.Prop.tag):
            found.update((child.tag, child) for child in prop)
    return found


def _raise_for_status(response: DAVResponse, action: str) -> None:
    status = response.status
    if 200 <= status < 300:
        return
    described = f"HTTP {status} {response.reason}".strip()
    if status in (404, 410):
        raise CalDAVNotFound(
            f"The calendar server has nothing at that address ({described}): it may have been deleted or moved.",
            status=status,
        )
    if status == 412:
        raise CalDAVConflict(
            "The event was changed or deleted in the calendar since Convene last saw it, so Convene did not "
            "overwrite it.",
            status=status,
        )
    if status == 429 or status >= 500:
        raise CalDAVUnavailable(
            f"The calendar server could not {action} just now ({described}); Convene will try again later.",
            status=status,
        )
    raise CalDAVError(f"The calendar server refused to {action} ({described}).", status=status)


@contextmanager
def _translated() -> Iterator[None]:
    """Turn the library's, requests' and the outbound guard's exceptions into ``CalDAVError``s."""
    try:
        yield
    except CalDAVError:
        raise
    except outbound.Refused as refused:
        raise CalDAVRefused(refused.message) from refused
    except outbound.TooLarge as too_large:
        raise CalDAVError(f"The calendar server's answer was too large: {too_large.message}") from too_large
    except requests.exceptions.SSLError as tls:
        raise CalDAVTLSError(
            "Convene could not verify the server's security certificate (it may have expired, be self-signed or "
            "be made out to another name), so nothing was sent. Check the address, or ask the server's "
            "administrator to install a valid certificate."
        ) from tls
    except requests.exceptions.Timeout as timeout:
        raise CalDAVUnavailable(
            "The calendar server did not answer in time; Convene will try again later."
        ) from timeout
    except requests.exceptions.RequestException as failure:
        refused = outbound.refusal_in(failure)
        if refused is not None:
            raise CalDAVRefused(refused.message) from failure
        if isinstance(failure, requests.exceptions.ConnectionError | requests.exceptions.ChunkedEncodingError):
            raise CalDAVUnavailable(
                "Convene could not reach the calendar server. Check the address; if it is right, the server may "
                "be down, and Convene will try again later."
            ) from failure
        raise CalDAVError(f"Convene cannot use that address: {failure}") from failure
    except caldav_error.RateLimitError as limited:
        raise CalDAVUnavailable(
            "The calendar server asked Convene to slow down; Convene will try again later.", status=limited.status
        ) from limited
    except caldav_error.AuthorizationError as refused:
        if refused.status == 403:
            raise CalDAVPermissionError(
                "The server does not let this account do that: the calendar may be read-only or shared with you "
                "without permission to change it.",
                status=403,
            ) from refused
        raise CalDAVAuthError(AUTH_FAILED, status=refused.status) from refused
    except caldav_error.NotFoundError as missing:
        raise CalDAVNotFound(
            "The calendar server has nothing at that address: the calendar may have been deleted or moved.",
            status=missing.status,
        ) from missing
    except caldav_error.DAVError as failure:
        status = failure.status
        if status is not None and (status == 429 or status >= 500):
            raise CalDAVUnavailable(
                f"The calendar server failed (HTTP {status}); Convene will try again later.", status=status
            ) from failure
        raise CalDAVError(
            f"The calendar server refused the request (HTTP {status})." if status else NOT_CALDAV, status=status
        ) from failure
    except etree.XMLSyntaxError as unreadable:
        raise CalDAVNotCalDAV(NOT_CALDAV) from unreadable
    except NotImplementedError as unsupported:
        # DAVClient: the server asks for an authentication scheme other than Basic, Digest or Bearer.
        raise CalDAVAuthError(
            f"The server asks for a kind of sign-in Convene does not support: {unsupported}"
        ) from unsupported


# --- plain data ---


def resource_name(uid: str) -> str:
    """The resource name of the event with ``uid``: the UID itself when it is made of safe characters,
    else its safe characters with a hash of the whole UID, so two UIDs never share a name."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", uid).strip("-")[:64]
    if safe != uid:
        safe = f"{safe}-{hashlib.sha256(uid.encode()).hexdigest()[:16]}".lstrip("-")
    return f"{safe}.ics"


def _with_scheme(url: str) -> str:
    url = url.strip()
    return url if "://" in url else f"https://{url}"


def _candidates(url: str) -> list[str]:
    parts = urlsplit(url)
    origin = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    typed = [url] if parts.path.strip("/") else []
    return [*typed, f"{origin}/.well-known/caldav", f"{origin}/"]


def _as_collection(url: str) -> str:
    return url if url.endswith("/") else f"{url}/"


def _path(url: str) -> str:
    return unquote(urlsplit(url).path).rstrip("/")


def _merged(resources: list[_Resource]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for resource in resources:
        merged.update(resource.props)
    return merged


def _href(element: Any) -> str:
    return _text(element.find(dav.Href.tag)) if element is not None else ""


def _text(element: Any) -> str:
    return (element.text or "").strip() if element is not None else ""


def _remote_calendar(resource: _Resource) -> RemoteCalendar | None:
    resourcetype = resource.props.get(dav.ResourceType.tag)
    if resourcetype is None or resourcetype.find(cdav.Calendar.tag) is None:
        return None
    components = resource.props.get(cdav.SupportedCalendarComponentSet.tag)
    # No supported-calendar-component-set means any component (RFC 4791 5.2.3).
    if components is not None and "VEVENT" not in {comp.get("name", "").upper() for comp in components}:
        return None
    privileges = resource.props.get(dav.CurrentUserPrivilegeSet.tag)
    writable = privileges is None or any(
        privilege.tag in WRITE_PRIVILEGES for granted in privileges for privilege in granted
    )
    return RemoteCalendar(
        url=resource.url,
        name=_text(resource.props.get(dav.DisplayName.tag)) or unquote(_path(resource.url).rsplit("/", 1)[-1]),
        color=_text(resource.props.get(ical.CalendarColor.tag)),
        writable=writable,
    )


def _uids(document: str) -> set[str]:
    try:
        calendar = icalendar.Calendar.from_ical(document)
    except ValueError:
        return set()
    return {str(component["UID"]) for component in calendar.walk("VEVENT") if "UID" in component}


def _is_uid_conflict(response: DAVResponse) -> bool:
    return response.tree is not None and next(response.tree.iter(UID_CONFLICT), None) is not None


def _uid_conflict_href(response: DAVResponse, base_url: str) -> str | None:
    """The resource that already holds the UID, from a ``no-uid-conflict`` precondition (RFC 4791 5.3.2.1)."""
    tree = response.tree
    if tree is None:
        return None
    for conflict in tree.iter(UID_CONFLICT):
        href = _href(conflict)
        if href:
            return urljoin(base_url, href)
    return None
