"""AI node types without a worker: config checks, keyword routing, structured replies."""

from __future__ import annotations

import pytest

from flows.graph import check_graph
from flows.nodes import get_node_type
from flows.nodes.ai import Category, category_in_reply, classify_by_keywords, parse_structured
from flows.nodes.base import NodeError
from tests.helpers import edge, graph, node


def errors_of(*nodes, edges=()):
    return [e["message"] for e in check_graph(graph(list(nodes), list(edges))).errors]


def test_a_credential_must_be_an_integer_id():
    assert errors_of(node("a", "llm", credential=3, model="m")) == []
    assert errors_of(node("a", "llm", credential=None)) == []
    messages = errors_of(node("a", "llm", credential="3")) + errors_of(node("b", "llm", credential=True))
    assert len(messages) == 2 and all("credential" in m for m in messages)


def test_a_json_schema_must_be_a_schema():
    assert errors_of(node("a", "llm", json_schema={"type": "object"})) == []
    assert "not a valid JSON Schema" in errors_of(node("a", "llm", json_schema={"type": "objekt"}))[0]


def test_router_outputs_are_its_categories_and_other():
    router = node("r", "router", categories=[{"name": "billing", "keywords": ["invoice"]}, {"name": "bugs"}])
    check = check_graph(graph([node("in", "input"), router, node("o", "output")],
                              [edge("in", "r"), edge("r", "o", "billing")]))
    assert check.valid
    assert get_node_type("router").output_names(check.nodes["r"].config) == ["billing", "bugs", "other"]
    assert "no output handle 'nope'" in errors_of(
        node("in", "input"), router, node("o", "output"), edges=[edge("in", "r"), edge("r", "o", "nope")])[0]


@pytest.mark.parametrize("categories, problem", [
    ([{"name": "a"}, {"name": "a"}], "listed twice"),
    ([{"name": "other"}], "cannot be named 'other'"),
    ([{"name": "has space"}], "pattern"),
])
def test_router_categories_are_checked(categories, problem):
    messages = errors_of(node("in", "input"), node("r", "router", categories=categories), edges=[edge("in", "r")])
    assert any(problem in m for m in messages), messages


def test_keyword_routing_picks_the_category_with_most_hits():
    categories = [
        Category(name="shipping", keywords=["deliver", "parcel", "tracking"]),
        Category(name="returns", keywords=["refund", "return"]),
    ]
    assert classify_by_keywords("Where is my parcel? No tracking number yet.", categories) == "shipping"
    assert classify_by_keywords("I want REFUNDS for my return", categories) == "returns"
    assert classify_by_keywords("hello there", categories) == "other"
    assert classify_by_keywords("return my parcel", categories) == "shipping"  # a tie: the first listed


def test_a_models_answer_names_a_category():
    names = ["shipping", "returns", "complaint"]
    assert category_in_reply("Returns.", names) == "returns"
    assert category_in_reply("The category is: complaint", names) == "complaint"
    assert category_in_reply("I am not sure", names) == "other"


def test_a_structured_reply_must_parse_and_match_the_schema():
    schema = {"type": "object", "properties": {"sentiment": {"enum": ["positive", "negative"]}},
              "required": ["sentiment"]}
    assert parse_structured('```json\n{"sentiment": "positive"}\n```', schema) == {"sentiment": "positive"}
    with pytest.raises(NodeError, match="not valid JSON"):
        parse_structured("positive!", schema)
    with pytest.raises(NodeError, match="does not match json_schema at sentiment"):
        parse_structured('{"sentiment": "meh"}', schema)


def test_agent_tools_need_distinct_valid_names():
    tools = [{"type": "code"}, {"type": "http", "url": "https://example.com/{{ q }}"}, {"type": "flow", "flow": 4}]
    assert errors_of(node("a", "agent", tools=tools)) == []
    assert "two tools are named" in errors_of(node("a", "agent", tools=[{"type": "code"}, {"type": "code"}]))[0]
    assert "may only have" in errors_of(node("a", "agent", tools=[{"type": "code", "name": "run it"}]))[0]


def test_code_must_compile_on_save():
    assert "syntax error on line 1" in errors_of(node("c", "code", code="def main(:"))[0]


def test_the_catalog_marks_id_fields_for_the_editors_pickers():
    described = {d["type"]: d for d in __import__("flows.nodes", fromlist=["x"]).described_catalog()}
    assert described["llm"]["config_schema"]["properties"]["credential"]["x-baton-picker"] == "credential"
    assert described["retrieve"]["config_schema"]["properties"]["knowledge_base"]["x-baton-picker"] == "knowledge_base"
    assert described["map"]["config_schema"]["properties"]["flow"]["x-baton-picker"] == "flow"
    assert described["router"]["dynamic_outputs"] == {"from": "categories", "key": "name", "extra": ["other"]}
    assert [h["name"] for h in described["approval"]["outputs"]] == ["approved", "rejected"]
