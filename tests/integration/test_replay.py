"""Recorded runs and replay: every run keeps its nodes' model and HTTP exchanges; a run in
replay mode answers its requests from them with no network, no cost, no credential."""

from __future__ import annotations

import copy
import json

import pytest
from django.db import connection

from runs.core import engine
from runs.models import Exchange
from tests.ai import make_credential
from tests.conftest import api_client, flow_limited_client
from tests.fake_llm import Reply
from tests.helpers import edge, graph, make_flow, node, nodes_of, start, wait_for_run

pytestmark = pytest.mark.worker

KEY = "sk-test-key-0001"


def ask_and_fetch(user, credential, http_server, prompt: str = "Q: {{ input.q }}"):
    """input → a streamed model answer, and an HTTP call, → outputs."""
    return make_flow(user, graph(
        [node("in", "input"),
         node("ask", "llm", credential=credential.id, model="gpt-4o-mini", prompt=prompt),
         node("fetch", "http", url=http_server.url + "/json?q={{ input.q }}"),
         node("answer", "output", key="answer"),
         node("fetched", "output", key="fetched")],
        [edge("in", "ask"), edge("in", "fetch"), edge("ask", "answer"), edge("fetch", "fetched")],
    ))


def replay(client, flow, run_ids, **body):
    body = {"inputs": {"q": "life"}, "replay": [str(r) for r in run_ids], **body}
    return client.post(f"/api/flows/{flow.pk}/runs/", body, format="json")


def without_credentials(graph_: dict) -> dict:
    graph_ = copy.deepcopy(graph_)
    for n in graph_["nodes"]:
        if "credential" in n["data"]["config"]:
            n["data"]["config"]["credential"] = None
    return graph_


@pytest.fixture
def recorded(running, alice, alice_team, fake_llm, http_server):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm, api_key=KEY)
    flow = ask_and_fetch(alice, credential, http_server)
    # The provider echoes the key back in its answer (whole in the second of two streamed
    # pieces): the recording must not keep it.
    fake_llm.script(Reply("Forty-two, as everyone knows.", chunk_chars=40, chunk_delay=0.01, echo_key=True))
    run = wait_for_run(start(flow, alice, {"q": "life"}))
    assert run.status == engine.SUCCEEDED, run.error
    fake_llm.reset()
    http_server.requests.clear()
    return flow, run


def test_it_records_each_nodes_exchanges_without_secrets(recorded):
    flow, run = recorded
    exchanges = {e.node_id: e for e in Exchange.objects.filter(run=run)}
    assert set(exchanges) == {"ask", "fetch"}
    ask = exchanges["ask"]
    assert ask.method == "POST" and ask.url.endswith("/v1/chat/completions") and ask.status == 200
    assert json.loads(ask.request_body)["messages"][-1]["content"] == "Q: life"
    assert json.loads(ask.request_body)["stream"] is True  # kept: a streamed answer is asked for
    assert "data: " in ask.body and "[DONE]" in ask.body  # the whole event stream, to stream again
    assert "[redacted]" in ask.body
    assert exchanges["fetch"].url.endswith("/json?q=life") and '"ok": true' in exchanges["fetch"].body
    # No trace of the key in any recorded row, headers included.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM runs_exchange")
        rows = cursor.fetchall()
    assert rows and not any(KEY in str(value) for row in rows for value in row)


def test_a_streamed_answer_quoting_a_key_in_pieces_is_not_kept(running, alice, alice_team, fake_llm, http_server):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm, api_key=KEY)
    fake_llm.script(Reply("Here:", chunk_chars=3, echo_key=True))
    run = wait_for_run(start(ask_and_fetch(alice, credential, http_server), alice, {"q": "x"}))
    ask = Exchange.objects.get(run=run, node_id="ask")
    assert ask.truncated and ask.body == "" and ask.note == "its streamed text quoted a credential across events"
    assert KEY not in ask.request_body + ask.url + json.dumps(ask.headers)


def test_a_replayed_run_makes_no_requests_and_gives_the_same_outputs(recorded, alice_api, fake_llm, http_server):
    flow, first = recorded
    answer = replay(alice_api, flow, [first.pk])
    assert answer.status_code == 201, answer.json()
    assert answer.json()["replay"] == [str(first.pk)]
    run = wait_for_run(answer.json()["id"])
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs == first.outputs
    assert fake_llm.requests == [] and http_server.requests == []
    nodes, before = nodes_of(run), nodes_of(first)
    assert nodes["ask"].stream == before["ask"].stream == run.outputs["answer"]  # streamed again
    for node_id in ("ask", "fetch"):
        assert nodes[node_id].source == "replayed" and nodes[node_id].source_run_id == first.pk
    assert nodes["in"].source is None
    assert nodes["ask"].usage["cost_usd"] == 0
    shown = alice_api.get(f"/api/runs/{run.pk}/").json()
    assert {n["node_id"]: (n["source"], n["source_run"]) for n in shown["nodes"]}["ask"] == ("replayed", str(first.pk))


def test_a_model_node_without_a_credential_runs_in_replay_mode(recorded, alice_api, fake_llm):
    flow, first = recorded
    answer = replay(alice_api, flow, [first.pk], graph=without_credentials(flow.graph))
    run = wait_for_run(answer.json()["id"])
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs == first.outputs and fake_llm.requests == []
    # Outside replay mode the same graph says what is missing.
    run = wait_for_run(alice_api.post(f"/api/flows/{flow.pk}/runs/", {"graph": without_credentials(flow.graph),
                                      "inputs": {"q": "life"}}, format="json").json()["id"])
    assert run.status == engine.FAILED and "no credential" in nodes_of(run)["ask"].error["message"]


def test_a_changed_prompt_fails_with_the_nearest_recorded_request_and_the_difference(recorded, alice_api, fake_llm):
    flow, first = recorded
    changed = copy.deepcopy(flow.graph)
    next(n for n in changed["nodes"] if n["id"] == "ask")["data"]["config"]["prompt"] = "Question: {{ input.q }}"
    run = wait_for_run(replay(alice_api, flow, [first.pk], graph=changed).json()["id"])
    assert run.status == engine.FAILED
    message = nodes_of(run)["ask"].error["message"]
    assert message.startswith("no recorded answer for POST ")
    assert f"the nearest recorded request (node ask of run {first.pk}) differs" in message
    assert '\n-   "content": "Q: life",\n+   "content": "Question: life",\n' in message, message
    assert fake_llm.requests == []


def test_an_exchange_over_the_size_cap_cannot_be_replayed(recorded, alice_api):
    flow, first = recorded
    # As recorded past BATON_RECORDING_MAX_BYTES: its body was not kept.
    Exchange.objects.filter(run=first, node_id="fetch").update(truncated=True, body="", size=5_000_000, note="")
    run = wait_for_run(replay(alice_api, flow, [first.pk]).json()["id"])
    error = nodes_of(run)["fetch"].error["message"]
    assert error.startswith("the recorded answer to GET http://") and "was not kept" in error
    assert "5000000 bytes, over the recording's size cap" in error and "cannot be replayed" in error


def test_replay_runs_must_be_runs_the_caller_may_read(recorded, alice, bob, bob_team, bob_api, fake_llm, http_server):
    flow, first = recorded
    # Bob's own run, replayed on Alice's flow; Alice's run, named by Bob: neither is found.
    bobs = wait_for_run(start(ask_and_fetch(bob, make_credential(bob_team, bob, fake_llm=fake_llm), http_server),
                              bob, {"q": "x"}))
    answer = replay(api_client(alice), flow, [bobs.pk])
    assert answer.status_code == 404
    other_flow = make_flow(bob, flow.graph | {}, team=bob_team)
    assert replay(bob_api, other_flow, [first.pk]).status_code == 404
    # A key limited to one flow cannot replay a run of another flow of the team.
    elsewhere = make_flow(alice, flow.graph, name="Another")
    assert replay(flow_limited_client(alice, [elsewhere]), elsewhere, [first.pk]).status_code == 404
    assert replay(api_client(alice), flow, [first.pk] * 11).status_code == 400


def test_a_retried_request_gets_the_answers_in_the_order_they_came(running, alice, http_server, alice_api):
    # /flaky answers 503 first, then 200: the replay gets the same two answers in order.
    flow = make_flow(alice, graph(
        [node("in", "input"),
         node("call", "http", url=http_server.url + "/flaky?key=replay-order&fail=1",
              settings={"retries": 1, "retry_backoff": 0}),
         node("out", "output", key="result")],
        [edge("in", "call"), edge("call", "out")],
    ))
    first = wait_for_run(start(flow, alice))
    assert first.status == engine.SUCCEEDED, first.error
    assert [e.status for e in Exchange.objects.filter(run=first).order_by("id")] == [503, 200]
    http_server.requests.clear()
    run = wait_for_run(replay(alice_api, flow, [first.pk]).json()["id"])
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs == first.outputs and nodes_of(run)["call"].attempts == 2
    assert http_server.requests == []
