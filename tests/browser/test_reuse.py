"""Building a flow without paying twice: Alice pins a node's output from the inspector and
sees the next run use it, and runs the flow again from a node with the rest reused."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from runs.models import NodeRun, Run
from tests.helpers import edge, graph, make_flow, node

from .conftest import sign_in
from .test_editor import canvas_node, laid_out, status_of
from .test_live_runs import run_from_editor


def fetch_flow(alice, http_server):
    return make_flow(
        alice,
        graph(
            laid_out([node("call", "http", label="Fetch", url=f"{http_server.url}/json?step=call"),
                      node("shape", "transform", expression="body.query.step"),
                      node("out", "output", key="step")]),
            [edge("call", "shape"), edge("shape", "out")],
        ),
        name="Fetcher",
    )


def calls(http_server) -> int:
    return sum(1 for r in http_server.requests if r["query"].get("step") == "call")


def test_pin_an_output_from_the_inspector_and_see_it_used(live, page: Page, alice, http_server):
    flow = fetch_flow(alice, http_server)
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    first = run_from_editor(page)
    expect(status_of(page, "out")).to_have_attribute("data-status", "succeeded", timeout=20_000)
    assert calls(http_server) == 1

    canvas_node(page, "call").click()
    page.get_by_test_id("output-tab").click()
    page.get_by_test_id("pin-output-button").click()
    expect(canvas_node(page, "call").get_by_test_id("node-pin")).to_be_visible()

    page.get_by_test_id("run-button").click()
    chip = page.get_by_test_id("run-status")
    expect(chip).not_to_have_attribute("data-run-id", first)
    second = chip.get_attribute("data-run-id")
    expect(status_of(page, "out")).to_have_attribute("data-status", "succeeded", timeout=20_000)
    expect(page.locator('[data-id="call"][data-source="pinned"]')).to_have_count(1)
    expect(page.get_by_test_id("node-source")).to_contain_text("Pinned output")
    assert calls(http_server) == 1  # the pinned node asked nothing
    assert Run.objects.get(pk=second).outputs == {"step": "call"}
    assert NodeRun.objects.get(run_id=second, node_id="call").source == "pinned"


def test_run_from_here_reuses_what_comes_before(live, page: Page, alice, http_server):
    flow = fetch_flow(alice, http_server)
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    first = run_from_editor(page)
    expect(status_of(page, "out")).to_have_attribute("data-status", "succeeded", timeout=20_000)

    canvas_node(page, "shape").click()
    page.get_by_test_id("run-from-here").click()
    chip = page.get_by_test_id("run-status")
    expect(chip).not_to_have_attribute("data-run-id", first)
    expect(chip).to_have_attribute("data-status", "succeeded", timeout=20_000)
    expect(page.locator('[data-id="call"][data-source="reused"]')).to_have_count(1)
    expect(canvas_node(page, "call").get_by_test_id("node-reused")).to_be_visible()
    second = chip.get_attribute("data-run-id")
    assert calls(http_server) == 1
    reused = NodeRun.objects.get(run_id=second, node_id="call")
    assert (reused.source, str(reused.source_run_id)) == ("reused", first)
    assert NodeRun.objects.get(run_id=second, node_id="shape").source is None
