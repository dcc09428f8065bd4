"""The API documentation page works under the site's Content-Security-Policy."""

from playwright.sync_api import Page, expect

from .conftest import sign_in


def test_the_api_docs_render_every_endpoint_without_csp_violations(live, page: Page, alice):
    sign_in(page, live.url, "alice")
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{live.url}/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)
    paths = page.locator(".swagger-ui .opblock-summary-path").all_inner_texts()
    assert any("/api/flows/{id}/runs/" in path for path in paths)
    assert any("/api/node-types/" in path for path in paths)
    assert violations == []
