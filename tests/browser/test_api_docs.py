"""/api/docs/ in Chromium: Swagger UI renders under the site's Content-Security-Policy and
can try a call with the signed-in session (CSRF included)."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from tests.helpers import edge, graph, make_flow, node

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture
def session_cookie(running, alice) -> str:
    """Everything that touches the database happens here, before Playwright starts its
    event loop in this thread (Django would open a second, never-closed connection)."""
    make_flow(alice, graph([node("in", "input"), node("out", "output")], [edge("in", "out")]), name="Docs")
    signed_in = Client()
    signed_in.force_login(alice)
    return signed_in.cookies["sessionid"].value


@pytest.fixture
def page(web_server, session_cookie):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context()
        yield context.new_page(), context
        browser.close()


def test_swagger_ui_renders_under_the_csp_and_tries_a_call(web_server, session_cookie, page):
    page, context = page
    context.add_cookies([{"name": "sessionid", "value": session_cookie, "url": web_server.url}])
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    response = page.goto(f"{web_server.url}/api/docs/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 40  # every operation is listed
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems

    # Try GET /api/flows/ from the page, as a person would.
    block = page.locator("#operations-api-api_flows_list")
    block.locator(".opblock-summary").click()
    block.get_by_role("button", name="Try it out").click()
    block.get_by_role("button", name="Execute").click()
    answer = block.locator(".live-responses-table tbody tr.response")
    answer.first.wait_for(timeout=20_000)
    status = answer.first.locator(".response-col_status").inner_text()
    assert status.strip() == "200"
    assert '"name": "Docs"' in block.locator(".live-responses-table").inner_text()
