"""Editing a flow the way people do: the keyboard, the clipboard, tidying up, and two
people saving the same flow."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from flows.models import Flow
from tests.conftest import api_client, join
from tests.helpers import edge, graph, make_flow, node

from .conftest import sign_in
from .test_editor import canvas_node, laid_out


def node_ids(page: Page) -> set[str]:
    return set(page.locator(".react-flow__node").evaluate_all("els => els.map(e => e.dataset.id)"))


def saved_graph(flow: Flow) -> dict:
    return Flow.objects.get(pk=flow.pk).graph


def test_it_copies_nodes_into_another_flow_with_fresh_ids_keeping_the_edges_between_them(live, page: Page, alice):
    source = make_flow(
        alice,
        graph(
            laid_out([node("n1", "input", key="name"), node("n2", "template", label="Greet", template="Hi {{ input }}"),
                      node("n3", "output", key="greeting")]),
            [edge("n1", "n2"), edge("n2", "n3")],
        ),
        name="Source",
    )
    target = make_flow(
        alice,
        graph(laid_out([node("n1", "input", label="Already here"), node("n2", "output", key="kept")]), [edge("n1", "n2")]),
        name="Target",
    )
    sign_in(page, live.url, "alice", next_path=f"/flows/{source.id}")
    canvas_node(page, "n2").click()
    canvas_node(page, "n3").click(modifiers=["Shift"])
    expect(page.get_by_test_id("selection-panel")).to_contain_text("2 nodes selected")
    page.keyboard.press("Control+c")
    expect(page.get_by_test_id("toast-info").last).to_contain_text("Copied 2 nodes.")

    page.goto(f"{live.url}/flows/{target.id}")
    expect(page.locator(".react-flow__node")).to_have_count(2)
    page.keyboard.press("Control+v")
    expect(page.locator(".react-flow__node")).to_have_count(4)
    # The edge between the two copied nodes came along; the one from n1 (not copied) did not.
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    pasted = node_ids(page) - {"n1", "n2"}
    assert len(pasted) == 2, "the pasted nodes reuse ids already in the flow"
    for node_id in pasted:
        expect(canvas_node(page, node_id)).to_have_class(re.compile(r"\bselected\b"))

    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "false")
    saved = saved_graph(target)
    by_id = {n["id"]: n for n in saved["nodes"]}
    assert set(by_id) == {"n1", "n2", *pasted}
    assert by_id["n1"]["data"]["label"] == "Already here" and by_id["n2"]["data"]["config"] == {"key": "kept"}
    (template,) = [n for n in by_id.values() if n["type"] == "template"]
    (output,) = [n for n in by_id.values() if n["type"] == "output" and n["id"] in pasted]
    assert template["data"]["label"] == "Greet"
    assert template["data"]["config"]["template"] == "Hi {{ input }}"
    assert output["data"]["config"]["key"] == "greeting"
    (copied_edge,) = [e for e in saved["edges"] if e["source"] != "n1"]
    assert (copied_edge["source"], copied_edge["sourceHandle"], copied_edge["target"], copied_edge["targetHandle"]) == (
        template["id"], "out", output["id"], "in")
    # The source flow is as it was.
    assert len(saved_graph(source)["nodes"]) == 3


def test_it_adds_nodes_from_the_palette_with_the_keyboard_alone(live, page: Page, alice):
    flow = make_flow(alice, graph(laid_out([node("n1", "input")]), []), name="Keys only")
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    expect(page.locator(".react-flow__node")).to_have_count(1)

    page.keyboard.press("/")
    search = page.get_by_test_id("palette-search")
    expect(search).to_be_focused()
    page.keyboard.type("templ")
    expect(page.get_by_test_id("palette-item-template")).to_have_attribute("data-active", "true")
    page.keyboard.press("Enter")
    expect(page.locator(".react-flow__node")).to_have_count(2)
    (first,) = node_ids(page) - {"n1"}
    # The new node is selected, its panel open.
    expect(page.get_by_test_id("node-panel")).to_have_attribute("data-node-id", first)
    expect(canvas_node(page, first).locator("[data-type]")).to_have_attribute("data-type", "template")

    # Escape clears the search; the arrows pick among every type.
    page.keyboard.press("Escape")
    expect(search).to_have_value("")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    active = page.locator('[data-testid^="palette-item-"][data-active="true"]')
    expect(active).to_have_count(1)
    chosen = active.get_attribute("data-type")
    page.keyboard.press("Enter")
    expect(page.locator(".react-flow__node")).to_have_count(3)
    (second,) = node_ids(page) - {"n1", first}
    expect(canvas_node(page, second).locator("[data-type]")).to_have_attribute("data-type", chosen)
    a = canvas_node(page, first).bounding_box()
    b = canvas_node(page, second).bounding_box()
    overlap = a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]
    assert not overlap, "the second node was put on top of the first"

    # Out of the search box, Ctrl+Z takes the last one back.
    page.keyboard.press("Escape")
    expect(search).not_to_be_focused()
    page.keyboard.press("Control+z")
    expect(page.locator(".react-flow__node")).to_have_count(2)
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "false")
    assert {n["type"] for n in saved_graph(flow)["nodes"]} == {"input", "template"}


def test_auto_layout_arranges_a_tangle_left_to_right_in_one_undoable_step(live, page: Page, alice):
    # Everything piled up at the origin.
    nodes = [node("in", "input"), node("t", "template"), node("c", "condition", expression="@"),
             node("yes", "output", key="yes"), node("no", "output", key="no")]
    edges = [edge("in", "t"), edge("t", "c"), edge("c", "yes", source_handle="true"), edge("c", "no", source_handle="false")]
    flow = make_flow(alice, graph(nodes, edges), name="Tangle")
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    expect(page.locator(".react-flow__edge")).to_have_count(4)

    page.get_by_test_id("layout-button").click()
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "true")
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "false")
    at = {n["id"]: n["position"] for n in saved_graph(flow)["nodes"]}
    # One column per step, each a node's width (220) apart at least.
    assert at["t"]["x"] - at["in"]["x"] >= 220
    assert at["c"]["x"] - at["t"]["x"] >= 220
    assert at["yes"]["x"] - at["c"]["x"] >= 220
    assert at["yes"]["x"] == at["no"]["x"]
    assert abs(at["yes"]["y"] - at["no"]["y"]) >= 50, "the two branches overlap"
    # With the sizes they are drawn at, no two nodes overlap.
    sizes = dict(page.locator(".react-flow__node").evaluate_all(
        "els => els.map(e => [e.dataset.id, [e.offsetWidth, e.offsetHeight]])"))
    rects = [(at[i]["x"], at[i]["y"], *sizes[i]) for i in at]
    for k, (ax, ay, aw, ah) in enumerate(rects):
        for bx, by, bw, bh in rects[k + 1:]:
            assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah), rects

    # The layout was one step: undo brings the pile back (unsaved), redo the saved layout.
    page.keyboard.press("Control+z")
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "true")
    page.keyboard.press("Control+Shift+z")
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "false")


def formatted_time(moment) -> str:
    """How the page (en-US, UTC) writes a time: e.g. "Mar 4, 2025, 9:07 PM"."""
    moment = moment.astimezone(__import__("datetime").timezone.utc)
    hour = moment.hour % 12 or 12
    return rf"{moment:%b} {moment.day}, {moment.year}, {hour}:{moment:%M}[\s\u202f]{moment:%p}"


def test_a_save_after_someone_else_saved_asks_who_wins_and_overwrites_nothing(live, page: Page, alice, bob):
    flow = make_flow(alice, graph(laid_out([node("n1", "input")]), []), name="Shared")
    join(bob, flow.team, "editor")
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    expect(page.locator(".react-flow__node")).to_have_count(1)

    # Meanwhile bob saves from a program.
    reply = api_client(bob).put(
        f"/api/flows/{flow.id}/",
        {"name": "Shared", "description": "", "revision": flow.revision,
         "graph": graph(laid_out([node("n1", "input"), node("bob1", "template", label="Bob's step")]), [])},
        format="json",
    )
    assert reply.status_code == 200, reply.content
    theirs = Flow.objects.get(pk=flow.pk)

    page.get_by_test_id("palette-item-delay").click()
    expect(page.locator(".react-flow__node")).to_have_count(2)
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("conflict-dialog")).to_be_visible()
    expect(page.get_by_test_id("conflict-message")).to_have_text(
        re.compile(rf"bob saved this flow at {formatted_time(theirs.updated_at)} \(revision {theirs.revision}\)")
    )
    # Not saved, and not overwritten.
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "true")
    after = Flow.objects.get(pk=flow.pk)
    assert (after.revision, after.graph) == (theirs.revision, theirs.graph)

    page.get_by_test_id("conflict-reload").click()
    expect(page.get_by_test_id("conflict-dialog")).to_be_hidden()
    expect(canvas_node(page, "bob1")).to_contain_text("Bob's step")
    expect(page.locator(".react-flow__node")).to_have_count(2)
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "false")
    assert Flow.objects.get(pk=flow.pk).graph == theirs.graph


def test_overwriting_someone_elses_save_takes_an_explicit_choice(live, page: Page, alice, bob):
    flow = make_flow(alice, graph(laid_out([node("n1", "input")]), []), name="Contested")
    join(bob, flow.team, "editor")
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    expect(page.locator(".react-flow__node")).to_have_count(1)
    reply = api_client(bob).patch(
        f"/api/flows/{flow.id}/",
        {"revision": flow.revision, "graph": graph([node("n1", "input"), node("bob1", "template")], [])},
        format="json",
    )
    assert reply.status_code == 200, reply.content

    page.get_by_test_id("palette-item-delay").click()
    page.get_by_test_id("save-button").click()
    expect(page.get_by_test_id("conflict-dialog")).to_be_visible()
    # Keeping on editing closes the dialog and keeps the changes, still unsaved.
    page.get_by_role("button", name="Keep editing").click()
    expect(page.get_by_test_id("conflict-dialog")).to_be_hidden()
    expect(page.locator(".react-flow__node")).to_have_count(2)
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "true")

    page.get_by_test_id("save-button").click()
    page.get_by_test_id("conflict-overwrite").click()
    expect(page.get_by_test_id("conflict-dialog")).to_be_hidden()
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "false")
    saved = Flow.objects.get(pk=flow.pk)
    assert sorted(n["type"] for n in saved.graph["nodes"]) == ["delay", "input"]
    assert saved.updated_by == alice


def test_leaving_with_unsaved_changes_asks_first(live, page: Page, alice):
    flow = make_flow(alice, graph(laid_out([node("n1", "input")]), []), name="Half done")
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    expect(page.locator(".react-flow__node")).to_have_count(1)
    page.get_by_test_id("palette-item-template").click()
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "true")

    page.get_by_role("link", name="Back to the flows").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("This flow has unsaved changes")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert page.url.endswith(f"/flows/{flow.id}")
    expect(page.locator(".react-flow__node")).to_have_count(2)

    page.get_by_role("link", name="Back to the flows").click()
    page.get_by_test_id("confirm-button").click()
    expect(page.get_by_test_id("flows-page")).to_be_visible()
    assert len(saved_graph(flow)["nodes"]) == 1

    # Saved work leaves without a question.
    page.get_by_test_id("flow-link").click()
    page.get_by_test_id("palette-item-template").click()
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "false")
    page.get_by_role("link", name="Back to the flows").click()
    expect(page.get_by_test_id("flows-page")).to_be_visible()
    expect(page.get_by_test_id("confirm-dialog")).to_have_count(0)


def test_a_run_runs_the_drawing_on_screen_and_leaves_the_saved_flow_alone(live, page: Page, alice):
    flow = make_flow(
        alice,
        graph(
            laid_out([node("in", "input", key="name"), node("greet", "template", template="Hello {{ input }}"),
                      node("out", "output", key="greeting")]),
            [edge("in", "greet"), edge("greet", "out")],
        ),
        name="Draft run",
    )
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    canvas_node(page, "greet").click()
    page.get_by_test_id("config-form").get_by_label(re.compile("template", re.I)).first.fill("Goodbye {{ input }}")
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "true")

    page.get_by_test_id("run-button").click()
    dialog = page.get_by_test_id("run-inputs-dialog")
    expect(dialog).to_contain_text("unsaved")
    page.get_by_test_id("run-input-name").fill("Ada")
    page.get_by_test_id("run-submit").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "succeeded", timeout=20_000)
    canvas_node(page, "greet").click()
    page.get_by_test_id("output-tab").click()
    expect(page.get_by_test_id("node-inspector")).to_contain_text("Goodbye Ada")
    # The run used the draft; the flow itself is unchanged and still unsaved on screen.
    assert saved_graph(flow) == flow.graph
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "true")


def test_a_viewer_can_look_but_not_change_or_run(live, page: Page, alice, bob):
    flow = make_flow(alice, graph(laid_out([node("n1", "input"), node("n2", "template")]), [edge("n1", "n2")]), name="Look only")
    join(bob, flow.team, "viewer")
    sign_in(page, live.url, "bob", next_path=f"/flows/{flow.id}")
    expect(page.locator(".react-flow__node")).to_have_count(2)
    expect(page.get_by_text("read-only (viewer)")).to_be_visible()
    expect(page.get_by_test_id("palette")).to_have_count(0)
    for control in ("save-button", "run-button", "layout-button", "flow-name"):
        expect(page.get_by_test_id(control)).to_be_disabled()

    canvas_node(page, "n2").click()
    expect(page.get_by_test_id("node-panel")).to_be_visible()
    expect(page.get_by_test_id("delete-node")).to_have_count(0)
    expect(page.get_by_test_id("node-label-input")).to_have_attribute("readonly", "")
    page.keyboard.press("Delete")
    page.keyboard.press("Control+a")
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    expect(page.locator(".react-flow__node")).to_have_count(2)
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "false")
    assert saved_graph(flow) == flow.graph
