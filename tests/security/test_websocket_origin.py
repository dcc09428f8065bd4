"""The run websocket's Origin check: a browser page may use its session cookie on a socket
only from the site's own origin (scheme, host and port) or one an operator listed."""

from __future__ import annotations

import pytest
from django.test import override_settings

from accounts.websocket import origin_allowed


def scope(origin: str | None, host: str = "127.0.0.1:8000", scheme: str = "ws", **headers: str) -> dict:
    sent = [(b"host", host.encode())]
    if origin is not None:
        sent.append((b"origin", origin.encode()))
    sent.extend((name.replace("_", "-").encode(), value.encode()) for name, value in headers.items())
    return {"type": "websocket", "scheme": scheme, "headers": sent}


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",  # another port on the same host
        "http://localhost:3000",  # an allowed host name, another port
        "https://127.0.0.1:8000",  # another scheme
        "http://127.0.0.1",  # port 80, not 8000
        "http://evil.example:8000",
        "null",
        "file://",
        "http://127.0.0.1:8000@evil.example",
    ],
)
def test_other_origins_are_refused(origin):
    assert not origin_allowed(scope(origin))


def test_the_sites_own_origin_and_programs_without_one_are_let_in():
    assert origin_allowed(scope("http://127.0.0.1:8000"))
    assert origin_allowed(scope("http://LOCALHOST:8000", host="localhost:8000"))
    assert origin_allowed(scope("http://[::1]:8000", host="[::1]:8000"))
    assert origin_allowed(scope(None))


def test_a_host_header_that_is_not_ours_makes_no_origin_ours():
    assert not origin_allowed(scope("http://evil.example:8000", host="evil.example:8000"))


def test_behind_https_the_origin_is_https():
    assert origin_allowed(scope("https://localhost", host="localhost", scheme="wss"))
    assert not origin_allowed(scope("http://localhost", host="localhost", scheme="wss"))
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        assert origin_allowed(scope("https://localhost", host="localhost", x_forwarded_proto="https"))
        assert not origin_allowed(scope("https://localhost", host="localhost"))


def test_operators_can_list_more_origins():
    dev = "http://localhost:5173"
    assert not origin_allowed(scope(dev))
    with override_settings(BATON_ALLOWED_ORIGINS=[dev]):
        assert origin_allowed(scope(dev))
        assert not origin_allowed(scope("http://localhost:5174"))
