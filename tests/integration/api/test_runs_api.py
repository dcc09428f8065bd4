"""The runs API: starting (and waiting), reading, cancelling; health; the key command."""

from __future__ import annotations

import time
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import ApiKey
from runs.core import engine
from runs.models import Run
from tests.conftest import api_client, join
from tests.helpers import edge, graph, make_flow, node, nodes_of, wait_for_node, wait_for_run

pytestmark = pytest.mark.worker

HELLO = graph(
    [node("in", "input", key="name"), node("hi", "template", template="Hello {{ input }}"),
     node("out", "output", key="greeting")],
    [edge("in", "hi"), edge("hi", "out")],
)


def test_it_starts_a_run_answers_201_with_a_location_and_can_wait(running, alice, alice_api):
    flow = make_flow(alice, HELLO)
    response = alice_api.post(f"/api/flows/{flow.id}/runs/?wait=10", {"inputs": {"name": "Ada"}}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"] == f"/api/runs/{body['id']}/"
    assert body["status"] == "succeeded"
    assert body["outputs"] == {"greeting": "Hello Ada"}
    assert [n["status"] for n in body["nodes"]] == ["succeeded"] * 3
    assert body["seq"] > 0


def test_without_wait_it_answers_at_once_with_the_run_as_it_stands(running, alice, alice_api, http_server):
    # The node takes 3 s, so an answer well before that did not wait for the run (the
    # margins leave room for a loaded 2-core CI machine).
    flow = make_flow(alice, graph([node("slow", "http", url=http_server.url + "/slow?seconds=3")], []))
    began = time.monotonic()
    body = alice_api.post(f"/api/flows/{flow.id}/runs/", {}, format="json").json()
    assert time.monotonic() - began < 2.0
    assert body["status"] in ("pending", "running")
    assert body["nodes"][0]["reason"] in ("waiting for the run to start", "queued: waiting for a free worker")
    began = time.monotonic()
    short = alice_api.post(f"/api/flows/{flow.id}/runs/?wait=0.2", {}, format="json").json()
    assert 0.2 <= time.monotonic() - began < 2.5
    assert short["status"] in ("pending", "running")
    assert wait_for_run(short["id"]).status == "succeeded"


@pytest.mark.parametrize(
    "query, body, message",
    [
        ("?wait=soon", {}, "wait: must be a number of seconds"),
        ("?wait=999", {}, "wait: must be between 0 and 300 seconds"),
        ("", {"inputs": [1, 2]}, "inputs: must be a JSON object"),
    ],
)
def test_bad_run_requests_get_a_clear_400(alice, alice_api, query, body, message):
    flow = make_flow(alice, HELLO)
    response = alice_api.post(f"/api/flows/{flow.id}/runs/{query}", body, format="json")
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Run.objects.exists()


def test_a_draft_graph_runs_as_sent_but_only_for_editors(running, alice, alice_api, bob):
    flow = make_flow(alice, HELLO)
    draft = graph([node("in", "input"), node("t", "template", template="draft!"), node("o", "output")],
                  [edge("in", "t"), edge("t", "o")])
    body = alice_api.post(f"/api/flows/{flow.id}/runs/?wait=10", {"graph": draft}, format="json").json()
    assert body["outputs"] == {"output": "draft!"}
    assert body["trigger"] == "editor"
    join(bob, flow.team, "runner")
    runner = api_client(bob)
    assert runner.post(f"/api/flows/{flow.id}/runs/", {"graph": draft}, format="json").status_code == 403
    assert runner.post(f"/api/flows/{flow.id}/runs/?wait=10", {"inputs": {"name": "B"}}, format="json").status_code == 201


def test_an_invalid_graph_is_refused_before_a_run_exists(alice, alice_api):
    flow = make_flow(alice, HELLO)
    response = alice_api.post(
        f"/api/flows/{flow.id}/runs/", {"graph": graph([node("x", "nope")], [])}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"node_id": "x", "message": "unknown node type 'nope'"}]
    assert not Run.objects.exists()


def test_viewers_may_read_runs_but_not_start_or_cancel_them(running, alice, bob):
    flow = make_flow(alice, HELLO)
    run = wait_for_run(api_client(alice).post(f"/api/flows/{flow.id}/runs/", {}, format="json").json()["id"])
    join(bob, flow.team, "viewer")
    viewer = api_client(bob)
    assert viewer.get(f"/api/runs/{run.id}/").status_code == 200
    assert viewer.get(f"/api/runs/?flow={flow.id}").json()["count"] == 1
    assert viewer.post(f"/api/flows/{flow.id}/runs/", {}, format="json").status_code == 403
    assert viewer.post(f"/api/runs/{run.id}/cancel/").status_code == 403


def test_strangers_see_no_runs(running, alice, bob_api):
    flow = make_flow(alice, HELLO)
    run = wait_for_run(api_client(alice).post(f"/api/flows/{flow.id}/runs/", {}, format="json").json()["id"])
    assert bob_api.get(f"/api/runs/{run.id}/").status_code == 404
    assert bob_api.post(f"/api/runs/{run.id}/cancel/").status_code == 404
    assert bob_api.get("/api/runs/").json()["count"] == 0
    assert bob_api.get(f"/api/flows/{flow.id}/runs/").status_code == 404


def test_runs_are_listed_newest_first_and_filtered(running, alice, alice_api):
    flow = make_flow(alice, HELLO)
    other = make_flow(alice, HELLO, name="other")
    ids = [alice_api.post(f"/api/flows/{flow.id}/runs/?wait=10", {}, format="json").json()["id"] for _ in range(3)]
    alice_api.post(f"/api/flows/{other.id}/runs/?wait=10", {}, format="json")
    listed = alice_api.get(f"/api/runs/?flow={flow.id}").json()
    assert [r["id"] for r in listed["results"]] == ids[::-1]
    assert alice_api.get(f"/api/flows/{flow.id}/runs/").json()["count"] == 3
    assert alice_api.get("/api/runs/?status=succeeded").json()["count"] == 4
    assert alice_api.get("/api/runs/?status=bogus").status_code == 400


def test_cancel_stops_a_running_node_and_everything_after_it(running, alice, alice_api, http_server):
    flow = make_flow(
        alice,
        graph(
            [node("slow", "http", url=http_server.url + "/slow?seconds=20"),
             node("next", "template", template="never"), node("out", "output")],
            [edge("slow", "next"), edge("next", "out")],
        ),
    )
    run_id = alice_api.post(f"/api/flows/{flow.id}/runs/", {}, format="json").json()["id"]
    wait_for_node(Run.objects.get(pk=run_id), "slow", {engine.RUNNING})
    began = time.monotonic()
    response = alice_api.post(f"/api/runs/{run_id}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["error"] == {"message": "cancelled by alice"}
    slow = wait_for_node(Run.objects.get(pk=run_id), "slow", {engine.CANCELLED}, timeout=10)
    assert time.monotonic() - began < 5  # interrupted, not left to finish its 20 s
    nodes = nodes_of(Run.objects.get(pk=run_id))
    assert nodes["next"].status == nodes["out"].status == engine.CANCELLED
    assert slow.lease_owner == ""
    again = alice_api.post(f"/api/runs/{run_id}/cancel/")
    assert again.status_code == 409
    assert again.json()["error"] == "the run has already ended (cancelled)"


def test_resuming_a_node_that_is_not_waiting_is_a_conflict(running, alice, alice_api):
    flow = make_flow(alice, HELLO)
    run_id = alice_api.post(f"/api/flows/{flow.id}/runs/?wait=10", {}, format="json").json()["id"]
    response = alice_api.post(f"/api/runs/{run_id}/nodes/hi/resume/", {"approved": True}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "the run has ended (succeeded)"


def test_health_reports_the_database_broker_and_workers(running, client):
    response = client.get("/api/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["workers"]["count"] >= 1
    assert body["mode"] in ("local", "queue")


def test_health_answers_503_naming_what_is_down(db, client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/api/health/")
    assert response.status_code == 503
    assert response.json()["error"] == "not healthy: broker, workers"


def test_create_api_key_prints_a_working_key_on_its_last_line(alice, client):
    out = StringIO()
    call_command("create_api_key", "alice", stdout=out, stderr=StringIO())
    raw = out.getvalue().strip().splitlines()[-1]
    assert raw.startswith("bt_")
    key = ApiKey.objects.get(prefix=raw[:12])
    assert key.key_hash != raw and raw not in key.key_hash  # stored hashed
    response = client.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.json()["username"] == "alice"
