"""What anyone can learn from the health check (component names, no exception text), and
the one setting that makes a deployment behind HTTPS safe."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.django_db


def test_health_names_what_failed_and_nothing_more(client, settings):
    # An address whose error text would name the host and port.
    settings.REDIS_URL = "redis://secret-internal-host.invalid:6390/0"
    response = client.get("/api/health/")
    assert response.status_code == 503
    text = response.content.decode()
    assert "secret-internal-host" not in text and "6390" not in text
    body = response.json()
    assert body["error"] == "not healthy: broker, workers"
    assert body["checks"]["broker"] == {"ok": False}


def settings_with(**env: str) -> dict:
    """Import the site's settings in a fresh interpreter with this environment."""
    code = (
        "import json, orchestrator_site.settings as s; print(json.dumps({name: getattr(s, name, None) "
        "for name in ['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', "
        "'SECURE_PROXY_SSL_HEADER', 'SECURE_SSL_REDIRECT']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True,
        check=True,
    )
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


def test_baton_https_turns_on_secure_cookies_hsts_and_the_proxy_header():
    plain = settings_with(BATON_HTTPS="0")
    assert plain["SESSION_COOKIE_SECURE"] is False and plain["SECURE_HSTS_SECONDS"] in (0, None)
    secure = settings_with(BATON_HTTPS="1")
    assert secure["SESSION_COOKIE_SECURE"] is True
    assert secure["CSRF_COOKIE_SECURE"] is True
    assert secure["SECURE_HSTS_SECONDS"] >= 31536000
    assert secure["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_a_secure_deployment_sends_hsts_and_secure_cookies(client, settings, alice):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.post(
        "/login", {"username": "alice", "password": "alice-password"}, HTTP_X_FORWARDED_PROTO="https"
    )
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"]
    page = client.get("/login", HTTP_X_FORWARDED_PROTO="https")
    assert page["Strict-Transport-Security"].startswith("max-age=31536000")


def test_health_says_how_code_nodes_are_isolated_and_flags_an_unsafe_opt_out(client, settings, monkeypatch):
    from flows.nodes import sandbox

    settings.BATON_ALLOW_CODE = True
    assert client.get("/api/health/").json()["code_nodes"] == {
        "enabled": True, "isolation": "bubblewrap", "unsafe": False,
    }
    monkeypatch.setattr(sandbox, "BWRAP", "/nonexistent/bwrap")
    refused = client.get("/api/health/").json()["code_nodes"]
    assert refused == {"enabled": False, "isolation": "none", "unsafe": False}
    settings.BATON_CODE_UNSAFE_NO_ISOLATION = True
    assert client.get("/api/health/").json()["code_nodes"] == {
        "enabled": True, "isolation": "none", "unsafe": True,
    }
    settings.BATON_ALLOW_CODE = False
    assert client.get("/api/health/").json()["code_nodes"] == {"enabled": False}
