"""A large flow: it opens zoomed out to fit with every node drawn simply, and zooming in
brings the detail back with every edge still on its handles. The mini map shows it whole
and moves the view."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from bench.editor import big_graph
from tests.helpers import make_flow

from .conftest import sign_in
from .test_editor import canvas_node, status_of


def zoom(page: Page) -> float:
    return page.evaluate(
        "() => new DOMMatrixReadOnly(getComputedStyle(document.querySelector('.react-flow__viewport')).transform).a"
    )


def edge_ends(page: Page, source: str, target: str) -> dict:
    """Where an edge's path starts and ends, and where its handles are, in flow coordinates."""
    return page.evaluate(
        """([source, target]) => {
          const z = new DOMMatrixReadOnly(getComputedStyle(document.querySelector('.react-flow__viewport')).transform).a;
          const edge = document.querySelector(`.react-flow__edge[data-id="${source}.out->${target}.in"] .react-flow__edge-path`);
          const [sx, sy, ...rest] = edge.getAttribute('d').match(/-?[\\d.]+/g).map(Number);
          const [ty, tx] = [rest[rest.length - 1], rest[rest.length - 2]];
          const handle = (nodeId, type) => {
            const node = document.querySelector(`.react-flow__node[data-id="${nodeId}"]`);
            const h = node.querySelector(`.react-flow__handle.${type}[data-handleid="${type === 'source' ? 'out' : 'in'}"]`);
            const [n, r] = [node.getBoundingClientRect(), h.getBoundingClientRect()];
            const m = new DOMMatrixReadOnly(getComputedStyle(node).transform);
            return { x: m.e + (r.left - n.left) / z, y: m.f + (r.top - n.top) / z, w: r.width / z, h: r.height / z };
          };
          return { path: { sx, sy, tx, ty }, source: handle(source, 'source'), target: handle(target, 'target') };
        }""",
        [source, target],
    )


def test_a_large_flow_opens_to_fit_and_zooms_in_with_edges_on_their_handles(live, page: Page, alice):
    flow = make_flow(alice, big_graph(300), name="Big")
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    expect(page.locator(".react-flow__node")).to_have_count(300)
    expect(page.locator(".react-flow__edge")).to_have_count(299)
    # Fitted: far out, every node drawn without text but with its id, status and handles.
    assert zoom(page) < 0.25
    expect(page.locator(".bn__type")).to_have_count(0)
    expect(status_of(page, "n150")).to_have_attribute("data-status", "idle")
    expect(canvas_node(page, "n150").locator(".react-flow__handle")).to_have_count(3)
    # Edges too thin to click there are drawn without their wide invisible click area.
    expect(page.locator(".react-flow__edge-interaction")).to_have_count(0)
    expect(page.get_by_test_id("minimap").locator("path.minimap__nodes--idle")).to_have_attribute(
        "d", re.compile(r"^(M[^M]+){300}$"))

    # Zoom in on the first nodes until their small print is back.
    first = canvas_node(page, "n0").bounding_box()
    page.mouse.move(first["x"] + first["width"], first["y"] + first["height"])
    for _ in range(40):
        if zoom(page) >= 0.5:
            break
        page.mouse.wheel(0, -100)
        page.wait_for_timeout(50)
    expect(canvas_node(page, "n1").locator(".bn__type")).to_have_text("Template")
    expect(page.locator('.react-flow__edge[data-id="n0.out->n1.in"] .react-flow__edge-interaction')).to_have_count(1)
    ends = edge_ends(page, "n0", "n1")
    source, target, path = ends["source"], ends["target"], ends["path"]
    # React Flow draws an edge from the right side of the source handle to the left side of the target's.
    assert abs(path["sx"] - (source["x"] + source["w"])) < 1.5, ends
    assert abs(path["sy"] - (source["y"] + source["h"] / 2)) < 1.5, ends
    assert abs(path["tx"] - target["x"]) < 1.5, ends
    assert abs(path["ty"] - (target["y"] + target["h"] / 2)) < 1.5, ends

    # A node picked at this zoom opens its panel.
    canvas_node(page, "n1").click()
    expect(page.get_by_test_id("node-panel")).to_have_attribute("data-node-id", "n1")
    assert page.console_problems == []


def viewport(page: Page) -> tuple[float, float, float]:
    m = page.evaluate(
        "() => { const m = new DOMMatrixReadOnly(getComputedStyle(document.querySelector('.react-flow__viewport')).transform); return [m.e, m.f, m.a]; }"
    )
    return m[0], m[1], m[2]


def test_the_mini_map_shows_statuses_and_pans_and_zooms_the_canvas(live, page: Page, alice):
    flow = make_flow(alice, big_graph(40), name="Forty")
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    minimap = page.get_by_test_id("minimap")
    expect(minimap.locator("path.minimap__nodes--idle")).to_have_attribute("d", re.compile(r"^(M[^M]+){40}$"))
    canvas_node(page, "n3").click()
    expect(minimap.locator("path.minimap__nodes--selected")).to_have_attribute("d", re.compile(r"^M[^M]+$"))

    x0, y0, zoom0 = viewport(page)
    box = minimap.locator("svg").bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(*centre)
    page.mouse.down()
    page.mouse.move(centre[0] + 30, centre[1] + 10, steps=5)
    page.mouse.up()
    x1, y1, zoom1 = viewport(page)
    # Dragging the visible area right and down on the map moves the drawing left and up.
    assert x1 < x0 and y1 < y0 and zoom1 == zoom0

    page.mouse.move(*centre)
    page.mouse.wheel(0, -200)
    # Wheel on the map zooms the canvas in.
    page.wait_for_function(f"() => new DOMMatrixReadOnly(getComputedStyle(document.querySelector('.react-flow__viewport')).transform).a > {zoom1 * 1.05}")
