"""Watching runs live: the page keeps its picture whole when the socket drops, shows where
a run failed, and stops a run on request."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from runs.models import Run
from tests.helpers import edge, graph, make_flow, node
from tests.services import WebServer

from .conftest import sign_in
from .test_editor import canvas_node, laid_out, status_of


def test_a_dropped_websocket_reconnects_and_resyncs(running, page: Page, alice):
    flow = make_flow(
        alice,
        graph(
            laid_out([node("in", "input"), node("wait", "delay", seconds=3),
                      node("hi", "template", template="done"), node("out", "output")]),
            [edge("in", "wait"), edge("wait", "hi"), edge("hi", "out")],
        ),
        name="Patience",
    )
    server = WebServer().start()
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws))
    try:
        sign_in(page, server.url, "alice", next_path=f"/flows/{flow.id}")
        page.get_by_test_id("run-button").click()
        page.get_by_test_id("run-submit").click()
        expect(status_of(page, "wait")).to_have_attribute("data-status", "waiting", timeout=15_000)

        server.stop()  # the socket drops; the run goes on in the worker
        time.sleep(4)
        expect(status_of(page, "hi")).not_to_have_attribute("data-status", "succeeded")
        server = WebServer(port=server.port).start()

        for node_id in ("in", "wait", "hi", "out"):
            expect(status_of(page, node_id)).to_have_attribute("data-status", "succeeded", timeout=30_000)
        assert len(sockets) >= 2, "the page did not open a new socket"
    finally:
        server.stop()


def run_from_editor(page: Page) -> str:
    """Press Run on a flow without input nodes; returns the run's id."""
    page.get_by_test_id("run-button").click()
    chip = page.get_by_test_id("run-status")
    expect(chip).to_have_attribute("data-run-id", re.compile(r"^[0-9a-f-]{36}$"))
    return chip.get_attribute("data-run-id")


def test_a_failing_node_shows_its_error_where_it_failed(live, page: Page, alice, http_server):
    flow = make_flow(
        alice,
        graph(
            laid_out([node("call", "http", label="Fetch", url=f"{http_server.url}/status/500"),
                      node("shape", "transform", expression="body"), node("out", "output", key="reply")]),
            [edge("call", "shape"), edge("shape", "out")],
        ),
        name="Broken backend",
    )
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    run_id = run_from_editor(page)

    expect(status_of(page, "call")).to_have_attribute("data-status", "failed", timeout=20_000)
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "failed")
    error = canvas_node(page, "call").get_by_test_id("node-error")
    expect(error).to_contain_text(f"GET {http_server.url}/status/500 answered 500")
    expect(error).to_contain_text("as you asked")
    # Only the failed node carries an error; what came after it never ran.
    expect(page.get_by_test_id("node-error")).to_have_count(1)
    for node_id in ("shape", "out"):
        expect(status_of(page, node_id)).to_have_attribute("data-status", "cancelled")
    # The mini map colours nodes by status too.
    minimap = page.get_by_test_id("minimap")
    expect(minimap.locator("path.minimap__nodes--failed")).to_have_attribute("d", re.compile(r"^M[^M]+$"))
    expect(minimap.locator("path.minimap__nodes--cancelled")).to_have_attribute("d", re.compile(r"^(M[^M]+){2}$"))

    # The node's panel tells the same story.
    canvas_node(page, "call").click()
    page.get_by_test_id("output-tab").click()
    expect(page.get_by_test_id("inspector-error")).to_contain_text("answered 500")
    assert Run.objects.get(pk=run_id).status == "failed"
    assert http_server.requests[-1]["path"] == "/status/500"


def test_a_run_under_way_can_be_cancelled_from_the_editor(live, page: Page, alice):
    flow = make_flow(
        alice,
        graph(
            laid_out([node("wait", "delay", seconds=60), node("hi", "template", template="too late"),
                      node("out", "output")]),
            [edge("wait", "hi"), edge("hi", "out")],
        ),
        name="Long wait",
    )
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    run_id = run_from_editor(page)
    expect(status_of(page, "wait")).to_have_attribute("data-status", "waiting", timeout=15_000)

    page.get_by_test_id("cancel-run-button").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "cancelled", timeout=15_000)
    for node_id in ("wait", "hi", "out"):
        expect(status_of(page, node_id)).to_have_attribute("data-status", "cancelled")
    expect(page.get_by_test_id("cancel-run-button")).to_have_count(0)
    run = Run.objects.get(pk=run_id)
    assert run.status == "cancelled"
    assert run.error == {"message": "cancelled by alice"}
    # Nothing ran after the cancel, however long we look.
    assert not Run.objects.get(pk=run_id).outputs
