"""The client's address behind the proxies Convene is told to trust (project/proxies.py)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from project.proxies import client_ip


@pytest.mark.parametrize(
    ("count", "forwarded_for", "expected"),
    [
        (0, "", "10.0.0.2"),
        (0, "203.0.113.7", "10.0.0.2"),  # no proxy trusted: the header is the client's word
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.99, 203.0.113.7", "203.0.113.7"),  # the left part was written by the client
        (2, "198.51.100.99, 203.0.113.7, 10.1.1.1", "203.0.113.7"),  # a CDN, then the load balancer
        (2, "203.0.113.7", "10.0.0.2"),  # fewer entries than proxies: not through them
        (1, "", "10.0.0.2"),
    ],
)
def test_client_address(settings, count, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = count
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", headers=headers)) == expected
