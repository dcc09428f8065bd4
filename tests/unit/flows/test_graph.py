"""Graph validation: every problem reported, each naming its node or edge."""

import pytest

from flows.graph import check_graph
from tests.helpers import edge, graph, node


def messages_for(check, **where):
    key, value = next(iter(where.items()))
    return [e["message"] for e in check.errors if e.get(key) == value]


def test_it_accepts_a_good_graph_and_fills_in_single_handles():
    raw = graph(
        [node("a", "input"), node("b", "template", template="{{ input }}!"), node("c", "output")],
        [{"id": "e1", "source": "a", "target": "b"}, edge("b", "c")],
    )
    check = check_graph(raw)
    assert check.valid, check.errors
    first = check.graph["edges"][0]
    assert (first["sourceHandle"], first["targetHandle"]) == ("out", "in")


def test_it_rejects_things_that_are_not_graphs():
    assert check_graph([1, 2]).errors == [{"message": "the graph must be an object with 'nodes' and 'edges'"}]
    assert check_graph({"nodes": {}, "edges": []}).errors == [{"message": "'nodes' and 'edges' must be lists"}]
    assert check_graph({"nodes": [1], "edges": []}).errors == [{"message": "nodes[0] must be an object"}]


def test_it_names_the_node_with_an_unknown_type_or_bad_config():
    check = check_graph(
        graph(
            [
                node("a", "teleport"),
                node("b", "transform", expression="foo[?"),
                node("c", "template", template="{% if %}"),
                node("d", "delay", seconds=-1),
                node("e", "template", colour="red"),
            ],
            [],
        )
    )
    assert messages_for(check, node_id="a") == ["unknown node type 'teleport'"]
    assert "config.expression: JMESPath syntax error" in messages_for(check, node_id="b")[0]
    assert "config.template: template syntax error on line 1" in messages_for(check, node_id="c")[0]
    assert messages_for(check, node_id="d") == ["config.seconds: Input should be greater than or equal to 0"]
    assert messages_for(check, node_id="e") == ["config.colour: Extra inputs are not permitted"]


def test_it_checks_settings():
    check = check_graph(graph([node("a", "template", settings={"retries": 99, "on_error": "explode"})], []))
    messages = messages_for(check, node_id="a")
    assert any(m.startswith("settings.retries") for m in messages)
    assert any(m.startswith("settings.on_error") for m in messages)


def test_it_reports_edges_to_missing_nodes_and_unknown_handles():
    check = check_graph(
        graph(
            [node("a", "input"), node("b", "template"), node("c", "condition", expression="@")],
            [
                edge("a", "ghost"),
                edge("a", "b", source_handle="sideways"),
                edge("a", "b", target_handle="other"),
                {"id": "e4", "source": "c", "target": "b"},
                edge("a", "c"),
            ],
        )
    )
    assert messages_for(check, edge_id="a.out->ghost.in") == ["edge target 'ghost' is not a node of this graph"]
    assert "has no output handle 'sideways'" in messages_for(check, edge_id="a.sideways->b.in")[0]
    assert "has no input handle 'other'" in messages_for(check, edge_id="a.out->b.other")[0]
    assert "must name a sourceHandle" in messages_for(check, edge_id="e4")[0]
    assert len(check.errors) == 4


def test_it_refuses_a_second_edge_into_a_single_input_but_not_into_merge():
    check = check_graph(
        graph(
            [node("a", "input"), node("b", "input"), node("t", "template"), node("m", "merge")],
            [edge("a", "t"), edge("b", "t"), edge("a", "m"), edge("b", "m")],
        )
    )
    assert [e["edge_id"] for e in check.errors] == ["b.out->t.in"]
    assert "takes one edge and already has 'a.out->t.in'" in check.errors[0]["message"]


def test_it_refuses_a_connection_drawn_twice_and_a_self_loop():
    twice = dict(edge("a", "m"), id="again")
    check = check_graph(graph([node("a", "input"), node("m", "merge"), node("t", "template")],
                              [edge("a", "m"), twice, edge("t", "t")]))
    assert messages_for(check, edge_id="again") == ["the same connection is drawn twice"]
    assert messages_for(check, edge_id="t.out->t.in") == ["edge connects node 't' to itself"]


def test_it_requires_required_inputs():
    check = check_graph(graph([node("o", "output"), node("m", "merge")], []))
    assert messages_for(check, node_id="o") == ["input 'in' must be connected"]
    assert messages_for(check, node_id="m") == ["input 'in' must be connected"]


def test_it_reports_each_cycle_once_on_the_edge_that_closes_it():
    check = check_graph(
        graph(
            [node("a", "input"), node("b", "merge"), node("c", "template"), node("d", "template")],
            [edge("a", "b"), edge("b", "c"), edge("c", "d"), edge("d", "b")],
        )
    )
    assert check.errors == [{
        "edge_id": "d.out->b.in",
        "message": "a cycle through b → c → d → b: a flow runs each node once; remove one edge of the cycle",
    }]


def test_a_node_below_a_cycle_is_not_called_part_of_it():
    check = check_graph(
        graph(
            [node("b", "template"), node("c", "template"), node("x", "template")],
            [edge("b", "c"), edge("c", "b"), edge("c", "x")],
        )
    )
    assert [(e["edge_id"], e["message"].split(":")[0]) for e in check.errors] == [
        ("c.out->b.in", "a cycle through b → c → b")
    ]


def test_two_cycles_are_two_problems():
    check = check_graph(
        graph(
            [node(n, "template") for n in "abxy"],
            [edge("a", "b"), edge("b", "a"), edge("x", "y"), edge("y", "x")],
        )
    )
    assert [e["edge_id"] for e in check.errors] == ["b.out->a.in", "y.out->x.in"]


def test_the_error_handle_needs_on_error_route():
    good = node("a", "template", settings={"on_error": "route"})
    bad = node("b", "template")
    check = check_graph(
        graph([good, bad, node("x", "template"), node("y", "template")],
              [edge("a", "x", source_handle="error"), edge("b", "y", source_handle="error")])
    )
    assert [e["edge_id"] for e in check.errors] == ["b.error->y.in"]
    assert "set it to 'route'" in check.errors[0]["message"]


def test_duplicate_ids_make_it_no_graph():
    check = check_graph(graph([node("a", "input"), node("a", "input")], [edge("a", "a2"), edge("a", "a2")]))
    assert {"node_id": "a", "message": "node id 'a' is used more than once"} in check.shape
    assert {"edge_id": "a.out->a2.in", "message": "edge id 'a.out->a2.in' is used more than once"} in check.shape
    assert not check.is_graph


def test_items_without_ids_make_it_no_graph_but_problems_do_not():
    assert not check_graph({"nodes": [{"id": 3, "type": "input"}], "edges": []}).is_graph
    assert not check_graph({"nodes": [], "edges": [{"id": "e", "source": 1, "target": "b"}]}).is_graph
    drafted = check_graph(graph([node("a", "teleport"), node("o", "output")], [edge("a", "ghost")]))
    assert drafted.is_graph and not drafted.valid and drafted.shape == []


def test_a_node_with_bad_config_is_still_a_node_and_its_edges_still_connect():
    # A new user's half-built flow: one empty URL. One problem, on the node it concerns.
    check = check_graph(
        graph(
            [node("n1", "input"), node("n2", "http", url=""), node("n3", "output")],
            [edge("n1", "n2"), edge("n2", "n3")],
        )
    )
    assert check.errors == [{"node_id": "n2", "message": "config.url: String should have at least 1 character"}]
    assert [e["id"] for e in check.graph["edges"]] == ["n1.out->n2.in", "n2.out->n3.in"]


def test_edges_of_a_node_of_unknown_type_are_not_blamed():
    check = check_graph(
        graph(
            [node("n1", "input"), node("x", "teleport"), node("o", "output")],
            [edge("n1", "x", target_handle="anything"), edge("x", "o", source_handle="whatever")],
        )
    )
    assert check.errors == [{"node_id": "x", "message": "unknown node type 'teleport'"}]


def test_an_edge_with_a_wrong_handle_is_its_own_problem_and_its_target_is_not_unconnected():
    check = check_graph(
        graph([node("a", "input"), node("o", "output")], [edge("a", "o", target_handle="inn")])
    )
    assert [e.get("edge_id") for e in check.errors] == ["a.out->o.inn"]
    assert check.graph["edges"][0]["targetHandle"] == "inn"  # saved as drawn


def test_bad_settings_leave_error_edges_unjudged():
    check = check_graph(
        graph([node("a", "template", settings={"on_error": "explode"}), node("y", "template")],
              [edge("a", "y", source_handle="error")])
    )
    assert [e.get("node_id") for e in check.errors] == ["a"]


@pytest.mark.parametrize("count, what", [(2001, "nodes"), (0, "edges")])
def test_it_refuses_graphs_over_the_size_limits(count, what, settings):
    settings.BATON_MAX_EDGES = 10
    nodes = [node(f"n{i}", "input") for i in range(count)]
    edges = [edge("a", "b") for _ in range(11)] if what == "edges" else []
    check = check_graph(graph(nodes, edges))
    assert check.errors[0]["message"].startswith(f"the graph has {count if what == 'nodes' else 11} {what}")


def test_sticky_notes_are_valid_and_do_not_run():
    check = check_graph(graph([node("note1", "note", text="hello", color="blue")], []))
    assert check.valid
    assert not check.nodes["note1"].type.executable
