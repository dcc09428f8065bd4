"""Looking back: a past run opens on the graph as it ran, with its statuses and outputs,
whatever has become of the flow since."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.helpers import edge, graph, make_flow, node, start, wait_for_run

from .conftest import sign_in
from .test_editor import canvas_node, laid_out, status_of


def test_a_past_run_opens_on_the_graph_it_ran_even_after_the_flow_changed(live, page: Page, alice):
    flow = make_flow(
        alice,
        graph(
            laid_out([node("in", "input", key="name"), node("greet", "template", label="Greeting", template="Hello {{ input }}!"),
                      node("out", "output", key="greeting")]),
            [edge("in", "greet"), edge("greet", "out")],
        ),
        name="Greeter",
    )
    run = wait_for_run(start(flow, alice, {"name": "Ada"}))
    assert run.status == "succeeded"
    # Later the template goes: the flow now passes the name straight through.
    flow.graph = graph(laid_out([node("in", "input", key="name"), node("out", "output", key="greeting")]), [edge("in", "out")])
    flow.revision += 1
    flow.save()

    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    expect(page.locator(".react-flow__node")).to_have_count(2)
    item = page.get_by_test_id("run-history-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("succeeded")
    item.click()

    page.wait_for_url(re.compile(rf"/runs/{run.id}$"))
    expect(page.get_by_test_id("run-page")).to_be_visible()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "succeeded")
    # The graph as it ran, template included, every node as it ended.
    expect(page.locator(".react-flow__node")).to_have_count(3)
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    for node_id in ("in", "greet", "out"):
        expect(status_of(page, node_id)).to_have_attribute("data-status", "succeeded")
    expect(canvas_node(page, "greet")).to_contain_text("Greeting")
    expect(page.get_by_test_id("run-inputs")).to_contain_text("Ada")
    expect(page.get_by_test_id("run-outputs")).to_contain_text("Hello Ada!")

    # Each node's output is there to inspect; nothing can be edited.
    canvas_node(page, "greet").click()
    expect(page.get_by_test_id("node-inspector")).to_contain_text("Hello Ada!")
    expect(page.get_by_test_id("palette")).to_have_count(0)
    expect(page.get_by_test_id("save-button")).to_have_count(0)
    expect(page.get_by_text("read-only")).to_be_visible()

    # And back to the flow as it is now.
    page.get_by_role("link", name="‹ Flow").click()
    page.wait_for_url(re.compile(rf"/flows/{flow.id}$"))
    expect(page.locator(".react-flow__node")).to_have_count(2)
    assert page.console_problems == []
