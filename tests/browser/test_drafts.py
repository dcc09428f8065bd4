"""Drafts always save: a half-built flow is kept as drawn, its problems shown as warnings on
what they concern, and running waits until they are fixed."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from flows.models import Flow
from tests.ai import make_credential
from tests.helpers import edge, graph, make_flow, node

from .conftest import sign_in
from .test_editor import canvas_node, connect, drop_from_palette, laid_out


def test_a_half_built_flow_is_saved_and_reloads_with_its_problem_on_the_node(live, page: Page, alice):
    flow = make_flow(alice, graph(laid_out([node("n1", "input"), node("n3", "output", key="page")]), []),
                     name="Fetcher")
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    expect(page.locator(".react-flow__node")).to_have_count(2)
    fetch = drop_from_palette(page, "http", 420, 420)
    connect(page, "n1", fetch)
    connect(page, fetch, "n3")
    expect(page.locator(".react-flow__edge")).to_have_count(2)

    # The URL is not filled in yet: saved all the same, with one problem, on the node.
    page.get_by_test_id("save-button").click()
    expect(page.get_by_test_id("toast-warning").last).to_contain_text("Saved, with 1 problem")
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "false")
    saved = Flow.objects.get(pk=flow.pk)
    assert {n["id"] for n in saved.graph["nodes"]} == {"n1", fetch, "n3"}
    assert len(saved.graph["edges"]) == 2

    page.reload()
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    expect(canvas_node(page, fetch).get_by_test_id("node-warning")).to_have_count(1)
    for other in ("n1", "n3"):
        expect(canvas_node(page, other).get_by_test_id("node-warning")).to_have_count(0)
    expect(page.get_by_test_id("run-button")).to_be_disabled()
    canvas_node(page, fetch).click()
    expect(page.get_by_test_id("node-panel-problems")).to_have_text("config.url: Field required")

    # Filled in and saved, the flow runs.
    page.get_by_test_id("config-form").get_by_label("url", exact=False).first.fill("http://127.0.0.1:9/")
    page.get_by_test_id("save-button").click()
    expect(page.get_by_test_id("toast-success").last).to_contain_text("Saved.")
    expect(canvas_node(page, fetch).get_by_test_id("node-warning")).to_have_count(0)
    expect(page.get_by_test_id("run-button")).to_be_enabled()
    assert page.console_problems == []


def test_another_teams_credential_is_a_problem_on_the_node_and_the_picker_replaces_it(
    live, page: Page, alice, alice_team, bob, bob_team
):
    theirs = make_credential(bob_team, bob, name="Bob's key")
    ours = make_credential(alice_team, alice, name="Our key")
    flow = make_flow(
        alice,
        graph(laid_out([node("in", "input"), node("ask", "llm", credential=theirs.pk, model="m", prompt="hi"),
                        node("out", "output")]),
              [edge("in", "ask"), edge("ask", "out")]),
        name="Imported",
    )
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    expect(canvas_node(page, "ask").get_by_test_id("node-warning")).to_have_count(1)
    expect(page.get_by_test_id("run-button")).to_be_disabled()
    canvas_node(page, "ask").click()
    expect(page.get_by_test_id("node-panel-problems")).to_contain_text(
        f"credential #{theirs.pk} is not available in this team")
    expect(page.get_by_test_id("picker-missing-credential")).to_be_visible()
    page.get_by_test_id("picker-select-credential").select_option(str(ours.pk))
    page.get_by_test_id("save-button").click()
    expect(page.get_by_test_id("toast-success").last).to_contain_text("Saved.")
    expect(canvas_node(page, "ask").get_by_test_id("node-warning")).to_have_count(0)
    assert Flow.objects.get(pk=flow.pk).graph["nodes"][1]["data"]["config"]["credential"] == ours.pk
