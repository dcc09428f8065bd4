"""Browser tests: Playwright driving Debian's Chromium against a live Daphne with a real
worker. Screenshots of failures go to test-artifacts/screenshots/."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

# Playwright's sync API runs an event loop in the test thread; our ORM calls there are
# still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# A run's status reaches the page in well under a second; the margin is for a CI machine
# whose two cores are busy with the worker, the web server and Chromium at once.
expect.set_options(timeout=10_000)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

pytestmark = pytest.mark.browser


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: apt-get install chromium (.ci/run installs it)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, request):
    # A fixed locale and time zone: pages format times for their reader.
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US", timezone_id="UTC")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_problems = []
    page.on("console", lambda m: page.console_problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.console_problems.append(str(e)))
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]", "_", request.node.name)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def live(web_server, running):
    """The site served by Daphne, with a real worker and a database both can see."""
    return web_server


def sign_in(page, base_url: str, username: str, password: str | None = None, next_path: str = "/") -> None:
    page.goto(f"{base_url}/login?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password or f"{username}-password")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(base_url) + re.escape(next_path) + r"$"))
