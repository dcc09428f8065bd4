"""The node output cache: Alice turns on `settings.cache` on nodes that call a local HTTP
server (which counts what it is asked) or the fake model provider; a run that would make a
request already answered takes the kept output, says `cached` and names the run that paid,
and makes no request. Anything that changes the request misses. Owners clear it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.credentials import do_update_credential
from accounts.models import Team
from runs.core import engine
from runs.models import CachedOutput, Run
from tests.ai import make_credential
from tests.conftest import api_client, join, make_user
from tests.fake_llm import Reply
from tests.helpers import (
    asked,
    edge,
    graph,
    make_flow,
    node,
    nodes_of,
    signed_in,
    start,
    wait_for_run,
)

pytestmark = pytest.mark.worker

CACHE = {"cache": {"ttl": 600}}


def fetch_graph(http_server, *, step: str = "fetch", settings: dict | None = CACHE) -> dict:
    """input (key name) → fetch (GET /json?step=…, cached) → out."""
    return graph(
        [node("in", "input", key="name"),
         node("fetch", "http", settings=settings, url=f"{http_server.url}/json?step={step}", method="GET"),
         node("out", "output", key="result")],
        [edge("in", "fetch"), edge("fetch", "out")],
    )


def llm_graph(credential, *, temperature: float | None = 0) -> dict:
    return graph(
        [node("in", "input", key="q"),
         node("ask", "llm", settings=CACHE, credential=credential.id, model="gpt-4o-mini",
              prompt="Q: {{ input }}", temperature=temperature),
         node("out", "output", key="answer")],
        [edge("in", "ask"), edge("ask", "out")],
    )


def run(flow, user, inputs: dict) -> Run:
    finished = wait_for_run(start(flow, user, inputs))
    assert finished.status == engine.SUCCEEDED, finished.error
    return finished


def set_graph(flow, graph_: dict) -> None:
    flow.graph = graph_
    flow.save()


# --- Hits ---------------------------------------------------------------------------------------


def test_it_answers_the_same_request_from_the_cache_without_calling_the_server(running, alice, http_server):
    flow = make_flow(alice, fetch_graph(http_server))
    first = run(flow, alice, {"name": "ada"})
    assert asked(http_server, "fetch") == 1
    assert nodes_of(first)["fetch"].source is None

    second = run(flow, alice, {"name": "ada"})
    assert asked(http_server, "fetch") == 1  # no request: the server counts none more
    fetch = nodes_of(second)["fetch"]
    assert (fetch.status, fetch.source, str(fetch.source_run_id), fetch.attempts) == (
        "succeeded", "cached", str(first.id), 0)
    assert second.outputs == first.outputs
    shown = {n["node_id"]: n for n in signed_in(alice).get(f"/api/runs/{second.id}/").json()["nodes"]}
    assert (shown["fetch"]["source"], shown["fetch"]["source_run"]) == ("cached", str(first.id))
    # The nodes downstream of it still run: the output node wrote the run's outputs.
    assert shown["out"]["source"] is None and shown["out"]["status"] == "succeeded"


def test_a_node_without_cache_settings_calls_every_time(running, alice, http_server):
    flow = make_flow(alice, fetch_graph(http_server, settings=None))
    run(flow, alice, {"name": "ada"})
    run(flow, alice, {"name": "ada"})
    assert asked(http_server, "fetch") == 2
    assert not CachedOutput.objects.exists()


# --- Misses -------------------------------------------------------------------------------------


def test_a_changed_input_misses(running, alice, http_server):
    flow = make_flow(alice, fetch_graph(http_server))
    run(flow, alice, {"name": "ada"})
    other = run(flow, alice, {"name": "grace"})
    assert asked(http_server, "fetch") == 2
    assert nodes_of(other)["fetch"].source is None


def test_a_changed_config_misses(running, alice, http_server):
    flow = make_flow(alice, fetch_graph(http_server))
    run(flow, alice, {"name": "ada"})
    changed = fetch_graph(http_server)
    changed["nodes"][1]["data"]["config"]["headers"] = {"X-Mood": "curious"}
    set_graph(flow, changed)
    again = run(flow, alice, {"name": "ada"})
    assert asked(http_server, "fetch") == 2
    assert nodes_of(again)["fetch"].source is None


def test_an_expired_entry_misses_and_is_replaced(running, alice, http_server):
    flow = make_flow(alice, fetch_graph(http_server))
    run(flow, alice, {"name": "ada"})
    CachedOutput.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    again = run(flow, alice, {"name": "ada"})
    assert asked(http_server, "fetch") == 2
    assert nodes_of(again)["fetch"].source is None
    entry = CachedOutput.objects.get()
    assert entry.expires_at > timezone.now() + timedelta(seconds=590)
    assert entry.source_run_id == again.id


def test_another_teams_identical_node_does_not_hit(running, alice, bob, http_server):
    flow = make_flow(alice, fetch_graph(http_server))
    run(flow, alice, {"name": "ada"})
    # The same flow, the same node, the same inputs, in another team: its own cache.
    team = Team.objects.create(name="Other")
    join(alice, team, "owner")
    flow.team = team
    flow.save()
    moved = run(flow, alice, {"name": "ada"})
    assert asked(http_server, "fetch") == 2
    assert nodes_of(moved)["fetch"].source is None
    assert CachedOutput.objects.filter(team=team).count() == 1


# --- Model nodes: credentials and usage ---------------------------------------------------------


def test_a_cached_model_reply_costs_nothing_and_usage_shows_the_saving(running, alice, alice_team, fake_llm):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    flow = make_flow(alice, llm_graph(credential))
    fake_llm.script(Reply("Forty-two.", usage=(1000, 200)))
    first = run(flow, alice, {"q": "life?"})
    paid = nodes_of(first)["ask"].usage
    assert paid == {"input_tokens": 1000, "output_tokens": 200, "cost_usd": pytest.approx(0.00027)}

    second = run(flow, alice, {"q": "life?"})
    assert len(fake_llm.requests) == 1
    ask = nodes_of(second)["ask"]
    assert (ask.source, str(ask.source_run_id)) == ("cached", str(first.id))
    assert second.outputs == {"answer": "Forty-two."}
    assert ask.usage == {"cached": True, "saved": paid}
    # The run spent nothing; what it saved is said beside.
    assert second.usage == {
        "saved_input_tokens": 1000, "saved_output_tokens": 200, "saved_cost_usd": pytest.approx(0.00027)}


def test_another_credential_or_a_rotated_key_misses(running, alice, alice_team, fake_llm):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    flow = make_flow(alice, llm_graph(credential))
    run(flow, alice, {"q": "life?"})
    assert len(fake_llm.requests) == 1

    other = make_credential(alice_team, alice, fake_llm=fake_llm, api_key="sk-test-key-0002")
    set_graph(flow, llm_graph(other))
    assert nodes_of(run(flow, alice, {"q": "life?"}))["ask"].source is None
    assert len(fake_llm.requests) == 2

    set_graph(flow, llm_graph(credential))
    assert nodes_of(run(flow, alice, {"q": "life?"}))["ask"].source == "cached"
    assert len(fake_llm.requests) == 2

    do_update_credential(credential, {"data": {"api_key": "sk-test-key-rotated"}})
    assert nodes_of(run(flow, alice, {"q": "life?"}))["ask"].source is None
    assert len(fake_llm.requests) == 3


# --- Clearing -----------------------------------------------------------------------------------


def test_owners_clear_the_cache_and_nobody_else_may(running, alice, bob, carol, http_server):
    team = Team.objects.create(name="Shop")
    join(alice, team, "owner")
    join(bob, team, "editor")
    join(carol, team, "viewer")
    flow = make_flow(alice, fetch_graph(http_server), team=team)
    other = make_flow(alice, fetch_graph(http_server, step="other"), team=team)
    run(flow, alice, {"name": "ada"})
    run(other, alice, {"name": "ada"})
    assert CachedOutput.objects.filter(team=team).count() == 2
    path = f"/api/teams/{team.id}/cache/"

    assert signed_in(bob).delete(path).status_code == 403
    assert signed_in(carol).delete(path).status_code == 403
    stranger = make_user("dave")
    assert signed_in(stranger).delete(path).status_code == 404
    refused = api_client(alice, team=team).delete(path)
    assert refused.status_code == 403 and "API keys" in refused.json()["error"]
    assert CachedOutput.objects.filter(team=team).count() == 2

    # One flow's only.
    assert signed_in(alice).delete(f"{path}?flow={other.id}").status_code == 204
    assert list(CachedOutput.objects.values_list("flow_id", flat=True)) == [flow.id]
    # A flow of another team is no flow of this one.
    elsewhere = make_flow(stranger, fetch_graph(http_server))
    assert signed_in(alice).delete(f"{path}?flow={elsewhere.id}").status_code == 404

    assert signed_in(alice).delete(path).status_code == 204
    assert not CachedOutput.objects.exists()
    again = run(flow, alice, {"name": "ada"})
    assert nodes_of(again)["fetch"].source is None
    assert asked(http_server, "fetch") == 2


def test_the_sweeper_purges_expired_entries(running, alice, http_server):
    from runs import cache

    flow = make_flow(alice, fetch_graph(http_server))
    first = run(flow, alice, {"name": "ada"})
    run(flow, alice, {"name": "grace"})
    CachedOutput.objects.filter(source_run=first).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    assert cache.purge_expired(timezone.now()) == 1
    assert CachedOutput.objects.count() == 1


# --- Settings refused ---------------------------------------------------------------------------


def problems_when_saved(user, drawn: dict) -> list[dict]:
    """A draft with a problem is saved with the problem on its node, and refuses to run."""
    client = signed_in(user)
    answer = client.post("/api/flows/", {"name": "f", "graph": drawn}, format="json")
    assert answer.status_code == 201, answer.content
    started = client.post(f"/api/flows/{answer.json()['id']}/runs/", {"inputs": {}}, format="json")
    assert started.status_code == 400, started.content
    assert started.json()["errors"] == answer.json()["problems"]
    return answer.json()["problems"]


@pytest.mark.parametrize("type_, config", [
    ("approval", {"message": "ok?"}),
    ("delay", {"seconds": 1}),
    ("output", {"key": "x"}),
    ("input", {"key": "x"}),
])
def test_cache_is_refused_on_nodes_whose_work_is_not_a_request(db, alice, type_, config):
    nodes = [node("a", "template", template="x"), node("b", type_, settings=CACHE, **config)]
    edges = [edge("a", "b")] if type_ != "input" else []
    errors = problems_when_saved(alice, graph(nodes, edges))
    assert any(e.get("node_id") == "b" and "cannot be cached" in e["message"] for e in errors), errors


@pytest.mark.parametrize("cache", [{"ttl": 0}, {"ttl": 31 * 24 * 3600}, {"ttl": "soon"}, {"ttl": 1.5}, {}, 600])
def test_a_ttl_that_is_not_a_positive_whole_number_of_seconds_up_to_30_days_is_refused(db, alice, cache):
    nodes = [node("t", "template", settings={"cache": cache}, template="x")]
    errors = problems_when_saved(alice, graph(nodes, []))
    assert any(e.get("node_id") == "t" and "settings.cache" in e["message"] for e in errors), errors


def test_the_catalog_says_which_types_may_cache(db, alice):
    types = {t["type"]: t for t in signed_in(alice).get("/api/node-types/").json()}
    assert types["llm"]["cacheable"] and types["http"]["cacheable"]
    assert not types["approval"]["cacheable"] and not types["delay"]["cacheable"]
    assert "cache" in types["llm"]["settings_schema"]["properties"]
