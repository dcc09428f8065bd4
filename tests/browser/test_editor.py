"""The editor in a real browser: draw, configure, save, run and watch a flow."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from flows.models import Flow
from tests.conftest import join
from tests.helpers import edge, graph, make_flow, node

from .conftest import sign_in


def canvas_node(page: Page, node_id: str):
    return page.locator(f'.react-flow__node[data-id="{node_id}"]')


def status_of(page: Page, node_id: str):
    return page.locator(f'[data-id="{node_id}"][data-status]').first


def drop_from_palette(page: Page, type_name: str, x: int, y: int) -> str:
    """Drag a palette entry onto the canvas; returns the new node's id."""
    before = set(page.locator(".react-flow__node").evaluate_all("els => els.map(e => e.dataset.id)"))
    pane = page.locator(".react-flow__pane")
    page.get_by_test_id(f"palette-item-{type_name}").drag_to(pane, target_position={"x": x, "y": y})
    expect(page.locator(".react-flow__node")).to_have_count(len(before) + 1)
    after = set(page.locator(".react-flow__node").evaluate_all("els => els.map(e => e.dataset.id)"))
    (new_id,) = after - before
    return new_id


def connect(page: Page, source: str, target: str, source_handle: str = "out", target_handle: str = "in") -> None:
    start = canvas_node(page, source).locator(f'.react-flow__handle.source[data-handleid="{source_handle}"]')
    end = canvas_node(page, target).locator(f'.react-flow__handle.target[data-handleid="{target_handle}"]')
    a, b = start.bounding_box(), end.bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move((a["x"] + b["x"]) / 2, (a["y"] + b["y"]) / 2, steps=5)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=5)
    page.mouse.up()


def configure(page: Page, node_id: str, label: str, value: str) -> None:
    canvas_node(page, node_id).click()
    form = page.get_by_test_id("config-form")
    field = form.get_by_label(re.compile(label, re.I)).first
    field.fill(value)


def laid_out(nodes: list[dict]) -> list[dict]:
    """Place nodes on a grid, left to right, so that none covers another."""
    for index, item in enumerate(nodes):
        item["position"] = {"x": 60 + 300 * (index % 3), "y": 60 + 220 * (index // 3)}
    return nodes


def test_it_draws_configures_saves_reloads_and_runs_a_flow(live, page: Page, alice):
    sign_in(page, live.url, "alice")
    page.get_by_test_id("new-flow-button").click()
    page.get_by_test_id("prompt-input").fill("Greeter")
    page.get_by_test_id("prompt-submit").click()
    page.wait_for_url(re.compile(r"/flows/\d+$"))
    flow_id = int(page.url.rsplit("/", 1)[1])

    first = drop_from_palette(page, "input", 120, 200)
    second = drop_from_palette(page, "template", 420, 200)
    third = drop_from_palette(page, "output", 720, 200)
    connect(page, first, second)
    connect(page, second, third)
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    configure(page, first, "key", "name")
    configure(page, second, "template", "Hello {{ input }}!")
    configure(page, third, "key", "greeting")

    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "true")
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "false")
    saved = Flow.objects.get(pk=flow_id)
    configs = {n["type"]: n["data"]["config"] for n in saved.graph["nodes"]}
    assert configs["template"]["template"] == "Hello {{ input }}!"
    assert len(saved.graph["edges"]) == 2

    page.reload()
    expect(page.locator(".react-flow__node")).to_have_count(3)
    expect(page.locator(".react-flow__edge")).to_have_count(2)

    page.get_by_test_id("run-button").click()
    page.get_by_test_id("run-input-name").fill("Ada")
    page.get_by_test_id("run-submit").click()
    for node_id in (first, second, third):
        expect(status_of(page, node_id)).to_have_attribute("data-status", "succeeded", timeout=20_000)
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "succeeded")

    canvas_node(page, second).click()
    page.get_by_test_id("output-tab").click()
    expect(page.get_by_test_id("node-inspector")).to_contain_text("Hello Ada!")
    assert page.console_problems == []


def test_undo_and_redo_take_back_and_restore_edits(live, page: Page, alice):
    flow = make_flow(alice, graph(laid_out([node("a", "input")]), []), name="Undo me")
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    expect(page.locator(".react-flow__node")).to_have_count(1)
    added = drop_from_palette(page, "template", 400, 250)
    connect(page, "a", added)
    expect(page.locator(".react-flow__edge")).to_have_count(1)

    page.keyboard.press("Control+z")
    expect(page.locator(".react-flow__edge")).to_have_count(0)
    page.keyboard.press("Control+z")
    expect(page.locator(".react-flow__node")).to_have_count(1)
    page.keyboard.press("Control+Shift+z")
    expect(page.locator(".react-flow__node")).to_have_count(2)
    page.keyboard.press("Control+Shift+z")
    expect(page.locator(".react-flow__edge")).to_have_count(1)


def test_it_refuses_an_invalid_connection_and_says_why(live, page: Page, alice):
    flow = make_flow(
        alice,
        graph(laid_out([node("a", "input"), node("m", "merge"), node("t", "template"), node("b", "input"),
                        node("o", "output")]),
              [edge("a", "m"), edge("m", "t"), edge("t", "o")]),
        name="Strict",
    )
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    expect(page.locator(".react-flow__edge")).to_have_count(3)
    connect(page, "b", "t")  # a second edge into a single input
    expect(page.get_by_test_id("toast-warning").last).to_contain_text("takes one edge and already has one")
    connect(page, "t", "m")  # merge takes many edges, but this one would close m → t → m
    expect(page.get_by_test_id("toast-warning").last).to_contain_text("would make a cycle")
    expect(page.locator(".react-flow__edge")).to_have_count(3)
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "false")
    assert len(Flow.objects.get(pk=flow.pk).graph["edges"]) == 3


def test_someone_from_another_team_cannot_open_the_flow(live, page: Page, alice, bob):
    flow = make_flow(alice, graph([node("secret-node", "input", label="Alice's secret")], []), name="Private")
    sign_in(page, live.url, "bob", next_path=f"/flows/{flow.id}")
    expect(page.get_by_text("This flow does not exist, or is not yours.")).to_be_visible()
    expect(page.locator(".react-flow__node")).to_have_count(0)
    assert "Alice's secret" not in page.content()


def test_a_team_member_may_open_it(live, page: Page, alice, bob):
    flow = make_flow(alice, graph([node("shared", "input")], []), name="Shared")
    join(bob, flow.team, "viewer")
    sign_in(page, live.url, "bob", next_path=f"/flows/{flow.id}")
    expect(canvas_node(page, "shared")).to_be_visible()


def test_labels_and_outputs_render_as_text_and_the_page_forbids_inline_script(live, page: Page, alice):
    trap = '<img src=x onerror="window.__owned=1">'
    nodes = laid_out([node("in", "input", label=trap), node("t", "template", label="T", template=trap),
                      node("o", "output")])
    flow = make_flow(alice, graph(nodes, [edge("in", "t"), edge("t", "o")]), name="Trap")
    response = page.request.get(f"{live.url}/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    expect(canvas_node(page, "in")).to_contain_text(trap)
    page.get_by_test_id("run-button").click()
    page.get_by_test_id("run-submit").click()
    expect(status_of(page, "t")).to_have_attribute("data-status", "succeeded", timeout=20_000)
    canvas_node(page, "t").click()
    page.get_by_test_id("output-tab").click()
    expect(page.get_by_test_id("node-inspector")).to_contain_text("onerror")
    assert page.evaluate("window.__owned") is None
    assert page.locator("img[src=x]").count() == 0
