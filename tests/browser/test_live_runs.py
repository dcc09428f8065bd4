"""Watching runs live: the page keeps its picture whole when the socket drops."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from tests.helpers import edge, graph, make_flow, node
from tests.services import WebServer

from .conftest import sign_in
from .test_editor import laid_out, status_of


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
