"""Hostile JSON at every entry point (API, trigger URLs, run inputs): deep nesting answers a
400 naming the limit, never a 500, and nothing is saved."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from flows.models import Flow
from runs.models import Run
from tests.conftest import api_client
from tests.helpers import edge, graph, make_flow, node
from triggers.models import TriggerToken

pytestmark = pytest.mark.django_db

GOOD = graph([node("in", "input"), node("out", "output")], [edge("in", "out")])


def nested(depth: int) -> str:
    return '{"inputs": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("depth", [1000, 100_000, settings.BATON_MAX_JSON_DEPTH + 1])
def test_deep_run_inputs_answer_400_naming_the_limit(alice, depth):
    flow = make_flow(alice, GOOD)
    response = api_client(alice).post(
        f"/api/flows/{flow.id}/runs/", nested(depth), content_type="application/json"
    )
    assert response.status_code == 400, response.content[:300]
    assert f"at most {settings.BATON_MAX_JSON_DEPTH} levels" in response.json()["error"]
    assert not Run.objects.exists()


def test_inputs_just_inside_the_limit_are_taken(alice):
    flow = make_flow(alice, GOOD)
    inner = "[" * (settings.BATON_MAX_JSON_DEPTH - 2) + "]" * (settings.BATON_MAX_JSON_DEPTH - 2)
    body = '{"inputs": {"deep": ' + inner + "}}"
    response = api_client(alice).post(f"/api/flows/{flow.id}/runs/", body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]


def test_a_deep_graph_is_refused_and_the_saved_flow_is_kept(alice):
    flow = make_flow(alice, GOOD)
    deep_config = "[" * 1000 + "]" * 1000
    body = (
        '{"graph": {"nodes": [{"id": "t", "type": "template", "data": {"config": {"template": '
        + deep_config + "}}}], \"edges\": []}}"
    )
    response = api_client(alice).patch(f"/api/flows/{flow.id}/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]
    flow.refresh_from_db()
    assert flow.graph == GOOD
    created = api_client(alice).post("/api/flows/", '{"name": "x", "graph": ' + deep_config + "}",
                                     content_type="application/json")
    assert created.status_code == 400
    assert Flow.objects.count() == 1


def test_a_trigger_url_refuses_deep_bodies(alice, client):
    flow = make_flow(alice, GOOD)
    _token, raw = TriggerToken.issue(flow, "hook", user=alice)
    response = client.post(f"/hooks/{raw}/", "[" * 5000 + "]" * 5000, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "nested too deeply" in response.json()["error"]
    assert not Run.objects.exists()


def test_the_validate_endpoint_refuses_deep_graphs_with_json(alice):
    flow = make_flow(alice, GOOD)
    body = json.dumps({"graph": {"nodes": [], "edges": []}})[:-1] + ', "x": ' + "[" * 2000 + "]" * 2000 + "}"
    response = api_client(alice).post(f"/api/flows/{flow.id}/validate/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]
