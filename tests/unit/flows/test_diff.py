"""Comparing two graphs: what the editor draws as added, removed, changed and moved."""

from __future__ import annotations

from flows.diff import diff_graphs
from tests.helpers import edge, graph, node


def moved(n: dict, x: int) -> dict:
    return {**n, "position": {"x": x, "y": 0}}


BASE = graph(
    [node("in", "input"), node("t", "template", template="Hi"), node("out", "output")],
    [edge("in", "t"), edge("t", "out")],
)


def test_identical_graphs_have_no_differences():
    diff = diff_graphs(BASE, BASE)
    assert diff["identical"] is True
    assert diff["nodes"]["unchanged"] == 3 and diff["edges"]["unchanged"] == 2


def test_it_finds_added_removed_and_changed_nodes_and_names_the_changed_fields():
    after = graph(
        [node("in", "input"), node("t", "template", template="Hello"), node("x", "transform", expression="a")],
        [edge("in", "t")],
    )
    diff = diff_graphs(BASE, after)
    assert [n["id"] for n in diff["nodes"]["added"]] == ["x"]
    assert [n["id"] for n in diff["nodes"]["removed"]] == ["out"]
    (change,) = diff["nodes"]["changed"]
    assert change["id"] == "t" and change["fields"] == ["data.config"]
    assert change["before"]["data"]["config"] == {"template": "Hi"}
    assert change["after"]["data"]["config"] == {"template": "Hello"}
    assert [e["id"] for e in diff["edges"]["removed"]] == ["t.out->out.in"]
    assert diff["identical"] is False


def test_a_node_that_only_moved_is_moved_not_changed():
    nodes = BASE["nodes"]
    after = graph([nodes[0], moved(nodes[1], 300), nodes[2]], BASE["edges"])
    diff = diff_graphs(BASE, after)
    assert diff["nodes"]["moved"] == ["t"] and diff["nodes"]["changed"] == []


def test_a_type_change_and_a_label_change_are_both_named():
    nodes = BASE["nodes"]
    retyped = {**nodes[1], "type": "transform", "data": {**nodes[1]["data"], "label": "New"}}
    diff = diff_graphs(BASE, graph([nodes[0], retyped, nodes[2]], BASE["edges"]))
    assert diff["nodes"]["changed"][0]["fields"] == ["data.label", "type"]


def test_a_redrawn_edge_between_the_same_handles_is_no_change():
    redrawn = {**BASE["edges"][0], "id": "e-new"}
    diff = diff_graphs(BASE, graph(BASE["nodes"], [redrawn, BASE["edges"][1]]))
    assert diff["edges"]["added"] == [] and diff["edges"]["removed"] == []
    assert diff["identical"] is True


def test_an_edge_whose_id_stays_but_whose_ends_change_is_changed():
    rewired = {**BASE["edges"][1], "targetHandle": "other"}
    diff = diff_graphs(BASE, graph(BASE["nodes"], [BASE["edges"][0], rewired]))
    assert diff["edges"]["changed"][0]["fields"] == ["targetHandle"]


def test_malformed_sides_are_read_as_empty():
    diff = diff_graphs({"nodes": "nope"}, {"nodes": [{"id": 3}, "x"], "edges": None})
    assert diff["identical"] is True
