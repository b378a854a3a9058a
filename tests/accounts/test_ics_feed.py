"""Reading ICS links (accounts/ics_feed.py) from a local HTTP server started by the test."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts import ics_feed, outbound
from accounts.ics_feed import FeedError, fetch, normalize_url
from tests.local_http import running

CALENDAR = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Convene tests//EN\r\nBEGIN:VEVENT\r\nUID:u\r\n"
    b"DTSTAMP:20260101T000000Z\r\nDTSTART:20260610T080000Z\r\nDTEND:20260610T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
ETAG = '"v1"'
LAST_MODIFIED = "Wed, 10 Jun 2026 08:00:00 GMT"
TEN_MB = CALENDAR[:-15] + b"X-FILLER:" + b"x" * 10_000_000 + b"\r\nEND:VCALENDAR\r\n"

Route = Callable[[BaseHTTPRequestHandler], None]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.seen.append((self.path, dict(self.headers)))
        route = self.server.routes.get(self.path)
        try:
            if route is None:
                answer(self, 404, b"Not here")
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (a body too large, a timeout): what the test wanted

    def log_message(self, format, *args) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), Handler)
        self.routes: dict[str, Route] = {}
        self.seen: list[tuple[str, dict[str, str]]] = []

    def url(self, path: str) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{path}"


def answer(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", **headers: str) -> None:
    handler.send_response(status)
    headers.setdefault("Content-Type", "text/calendar; charset=utf-8")
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def calendar_with_validators(handler: BaseHTTPRequestHandler) -> None:
    if handler.headers.get("If-None-Match") == ETAG or handler.headers.get("If-Modified-Since") == LAST_MODIFIED:
        handler.send_response(304)
        handler.send_header("ETag", ETAG)
        handler.end_headers()
        return
    answer(handler, 200, CALENDAR, ETag=ETAG, Last_Modified=LAST_MODIFIED)


@pytest.fixture
def server() -> Iterator[Server]:
    yield from running(Server())


# --- Reading a link ------------------------------------------------------------------------------


def test_first_fetch_gives_the_calendar_with_its_etag_and_last_modified(server):
    server.routes["/cal.ics"] = calendar_with_validators
    fetched = fetch(server.url("/cal.ics"))
    assert (fetched.body, fetched.etag, fetched.last_modified, fetched.not_modified) == (
        CALENDAR,
        ETAG,
        LAST_MODIFIED,
        False,
    )


def test_fetched_calendar_comes_parsed(server):
    server.routes["/cal.ics"] = calendar_with_validators
    assert fetch(server.url("/cal.ics")).document.problems == ()


def test_second_fetch_with_the_etag_is_not_modified(server):
    server.routes["/cal.ics"] = calendar_with_validators
    first = fetch(server.url("/cal.ics"))
    second = fetch(server.url("/cal.ics"), etag=first.etag, last_modified=first.last_modified)
    assert (second.body, second.not_modified, second.etag, second.last_modified) == (None, True, ETAG, LAST_MODIFIED)
    assert server.seen[-1][1]["If-None-Match"] == ETAG


def test_fetch_with_only_last_modified_asks_if_modified_since(server):
    server.routes["/cal.ics"] = calendar_with_validators
    fetched = fetch(server.url("/cal.ics"), last_modified=LAST_MODIFIED)
    assert fetched.not_modified
    assert server.seen[-1][1]["If-Modified-Since"] == LAST_MODIFIED


def test_ten_megabyte_file_with_its_length_declared_is_refused(server):
    server.routes["/big.ics"] = lambda handler: answer(handler, 200, TEN_MB)
    with pytest.raises(FeedError, match="larger than 5 MB"):
        fetch(server.url("/big.ics"))


def test_ten_megabyte_file_sent_without_a_length_is_refused(server):
    def stream(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/calendar")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        for start in range(0, len(TEN_MB), 256 * 1024):
            handler.wfile.write(TEN_MB[start : start + 256 * 1024])

    server.routes["/big.ics"] = stream
    with pytest.raises(FeedError, match="larger than 5 MB"):
        fetch(server.url("/big.ics"))


def test_malformed_file_is_reported_in_words(server):
    server.routes["/cal.ics"] = lambda handler: answer(handler, 200, b"BEGIN:VCALENDAR\r\nthis line is no property\r\n")
    with pytest.raises(FeedError) as raised:
        fetch(server.url("/cal.ics"))
    assert raised.value.message.startswith("The link does not lead to a calendar file that can be read: ")


def test_truncated_file_is_reported(server):
    server.routes["/cal.ics"] = lambda handler: answer(handler, 200, CALENDAR[:80])
    with pytest.raises(FeedError, match="does not lead to a calendar file"):
        fetch(server.url("/cal.ics"))


def test_web_page_instead_of_a_calendar_is_reported(server):
    page = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in</body></html>"
    server.routes["/cal"] = lambda handler: answer(handler, 200, page, Content_Type="text/html; charset=utf-8")
    with pytest.raises(FeedError, match="leads to a web page, not to a calendar file"):
        fetch(server.url("/cal"))


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (404, "The calendar link answered 404 Not Found: check the link"),
        (410, "The calendar link answered 410 Gone: check the link"),
        (401, "The calendar link answered 401 Unauthorized: the calendar is not public"),
        (403, "The calendar link answered 403 Forbidden: the calendar is not public"),
        (500, "The calendar server answered 500 Internal Server Error: it has a problem of its own"),
        (503, "The calendar server answered 503 Service Unavailable"),
    ],
)
def test_http_error_is_reported_in_words(server, status, words):
    server.routes["/cal.ics"] = lambda handler: answer(handler, status, b"No", Content_Type="text/plain")
    with pytest.raises(FeedError) as raised:
        fetch(server.url("/cal.ics"))
    assert raised.value.message.startswith(words)


def test_redirect_is_followed(server):
    server.routes["/old.ics"] = lambda handler: answer(handler, 301, Location=server.url("/cal.ics"))
    server.routes["/cal.ics"] = calendar_with_validators
    assert fetch(server.url("/old.ics")).body == CALENDAR


def test_endless_redirects_are_reported(server):
    server.routes["/loop.ics"] = lambda handler: answer(handler, 302, Location=server.url("/loop.ics"))
    with pytest.raises(FeedError, match="too many redirects"):
        fetch(server.url("/loop.ics"))


def test_closed_port_is_reported_as_a_failed_connection():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FeedError, match="could not connect to the calendar server"):
        fetch(f"http://127.0.0.1:{port}/cal.ics")


def test_server_slow_to_answer_hits_the_timeout(server, monkeypatch):
    monkeypatch.setattr(outbound, "TIMEOUT", (1, 0.2))

    def slow(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(0.6)
        answer(handler, 200, CALENDAR)

    server.routes["/cal.ics"] = slow
    with pytest.raises(FeedError, match="did not answer in time"):
        fetch(server.url("/cal.ics"))


def test_server_stalling_in_the_middle_of_the_file_hits_the_timeout(server, monkeypatch):
    monkeypatch.setattr(outbound, "TIMEOUT", (1, 0.2))

    def stalling(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(CALENDAR)))
        handler.end_headers()
        handler.wfile.write(CALENDAR[:40])
        handler.wfile.flush()
        time.sleep(0.6)
        handler.wfile.write(CALENDAR[40:])

    server.routes["/cal.ics"] = stalling
    with pytest.raises(FeedError, match="did not answer in time"):
        fetch(server.url("/cal.ics"))


# --- The guard against private addresses --------------------------------------------------------


def test_loopback_link_is_refused_when_private_addresses_are_not_allowed(server, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    server.routes["/cal.ics"] = calendar_with_validators
    with pytest.raises(FeedError, match="private or local address"):
        fetch(server.url("/cal.ics"))
    assert server.seen == []


def test_link_by_host_name_to_loopback_is_refused_when_private_addresses_are_not_allowed(server, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    server.routes["/cal.ics"] = calendar_with_validators
    with pytest.raises(FeedError, match="private or local address"):
        fetch(server.url("/cal.ics").replace("127.0.0.1", "localhost"))
    assert server.seen == []


@pytest.fixture
def inside_server() -> Iterator[Server]:
    """A server on a second loopback address, standing for a machine on the private network."""
    try:
        inside = Server("127.0.0.2")
    except OSError:
        pytest.skip("this system has no 127.0.0.2")
    yield from running(inside)


def test_redirect_from_a_public_link_to_a_private_address_is_refused(server, inside_server, settings, monkeypatch):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    guard = outbound.check_address
    # 127.0.0.1 plays a server on the internet; every other address meets the real guard.
    monkeypatch.setattr(outbound, "check_address", lambda address: None if address == "127.0.0.1" else guard(address))
    inside_server.routes["/metadata"] = calendar_with_validators
    server.routes["/cal.ics"] = lambda handler: answer(handler, 302, Location=inside_server.url("/metadata"))
    with pytest.raises(FeedError, match=r"127\.0\.0\.2, a private or local address"):
        fetch(server.url("/cal.ics"))
    assert [path for path, _headers in server.seen] == ["/cal.ics"]
    assert inside_server.seen == []


def test_redirect_is_followed_when_private_addresses_are_allowed(server, inside_server):
    inside_server.routes["/cal.ics"] = calendar_with_validators
    server.routes["/cal.ics"] = lambda handler: answer(handler, 302, Location=inside_server.url("/cal.ics"))
    assert fetch(server.url("/cal.ics")).body == CALENDAR


# --- Links as people paste them -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pasted", "asked"),
    [
        ("webcal://calendar.example.com/a/b.ics", "https://calendar.example.com/a/b.ics"),
        ("webcals://calendar.example.com/b.ics", "https://calendar.example.com/b.ics"),
        ("  WEBCAL://calendar.example.com/B.ics\n", "https://calendar.example.com/B.ics"),
        ("https://calendar.example.com/b.ics?key=1", "https://calendar.example.com/b.ics?key=1"),
        ("HTTP://calendar.example.com/b.ics", "http://calendar.example.com/b.ics"),
    ],
)
def test_link_is_normalized(pasted, asked):
    assert normalize_url(pasted) == asked


@pytest.mark.parametrize(
    "pasted",
    ["ftp://calendar.example.com/b.ics", "file:///etc/passwd", "calendar.example.com/b.ics", "javascript:alert(1)", ""],
)
def test_link_that_is_not_http_is_refused_in_words(pasted):
    with pytest.raises(FeedError, match="starts with https:// or webcal://"):
        normalize_url(pasted)


def test_link_without_a_host_is_refused():
    with pytest.raises(FeedError, match="https://"):
        normalize_url("webcal:///calendar.ics")


def test_link_to_a_private_address_is_refused_as_it_is_pasted(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    with pytest.raises(FeedError, match="private or local address"):
        normalize_url("webcal://169.254.169.254/latest/meta-data")


def test_file_just_under_the_size_limit_is_read(server):
    filler = b"X-FILLER:" + b"x" * (ics_feed.MAX_BYTES - len(CALENDAR) - 20) + b"\r\n"
    body = CALENDAR.replace(b"END:VCALENDAR", filler + b"END:VCALENDAR")
    server.routes["/cal.ics"] = lambda handler: answer(handler, 200, body)
    assert len(fetch(server.url("/cal.ics")).body) <= ics_feed.MAX_BYTES
