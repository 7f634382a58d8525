"""The one loopback test: which URLs may be plain http:// (the base URL and the webhook)."""

from __future__ import annotations

import pytest

from reconciler.live.urls import https_or_loopback, is_loopback


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.1.2.3", True),  # all of 127.0.0.0/8
        ("::1", True),  # urlsplit gives IPv6 without its brackets
        ("0:0:0:0:0:0:0:1", True),
        ("", False),
        ("[::1]", False),
        ("localhost.", False),  # names are matched, never resolved
        ("localhost.localdomain", False),
        ("127.1", False),  # not an address ipaddress reads
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("::ffff:127.0.0.1", True),  # IPv4-mapped: loopback on every Python
        ("::ffff:192.0.2.1", False),
        ("example.com", False),
    ],
)
def test_loopback_is_localhost_or_a_loopback_address(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api.cloudflare.com/client/v4", True),
        ("https://10.0.0.1/hook", True),
        ("http://127.0.0.1:8787/client/v4", True),
        ("HTTP://LOCALHOST:8787/", True),  # urlsplit lower-cases scheme and host
        ("http://[::1]:8787/client/v4", True),
        ("http://user:pw@127.0.0.1/hook", True),
        ("https://", False),
        ("http:///client/v4", False),
        ("http://api.example.com/client/v4", False),
        ("http://[::ffff:127.0.0.1]/", True),
        ("ftp://127.0.0.1/", False),
        ("127.0.0.1:8787", False),
    ],
)
def test_plain_http_only_to_loopback(url: str, allowed: bool) -> None:
    assert https_or_loopback(url) is allowed
