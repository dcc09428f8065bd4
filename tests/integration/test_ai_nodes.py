"""Every AI node type in a real worker, against the fake provider (tests/fake_llm.py)."""

from __future__ import annotations

import json

import pytest

from orchestrator_site.problems import GraphInvalid
from runs.core import engine
from runs.models import NodeRun
from tests.ai import make_credential, make_knowledge_base
from tests.fake_llm import Malformed, Reply, Stall, Status
from tests.helpers import edge, graph, make_flow, node, nodes_of, start, wait_for_run
from tests.services import EventRecorder

pytestmark = pytest.mark.worker


def llm_flow(user, credential, **config):
    return make_flow(user, graph(
        [node("in", "input", key="q"),
         node("ask", "llm", credential=credential.id, model=config.pop("model", "gpt-4o-mini"),
              **{"prompt": "Q: {{ input }}", **config}),
         node("out", "output", key="answer")],
        [edge("in", "ask"), edge("ask", "out")],
    ))


def test_it_streams_an_llm_reply_as_deltas_and_records_usage_and_cost(running, alice, alice_team, fake_llm):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    fake_llm.script(Reply("The answer is forty-two, of course.", usage=(1000, 200), chunk_chars=2, chunk_delay=0.03))
    run = start(llm_flow(alice, credential, system="Be exact."), alice, {"q": "life?"})
    with EventRecorder(str(run.id)) as recorder:
        run = wait_for_run(run)
        recorder.wait_for(lambda evs: any(e["type"] == "run.status" and e["status"] == "succeeded" for e in evs))
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs == {"answer": "The answer is forty-two, of course."}
    deltas = [e for e in recorder.events if e["type"] == "node.delta"]
    assert "".join(e["text"] for e in sorted(deltas, key=lambda e: e["seq"])) == run.outputs["answer"]
    # ~18 chunks over ~0.5 s arrive batched: a few events a second, not one per chunk.
    assert 1 <= len(deltas) <= 6
    ask = NodeRun.objects.get(run=run, node_id="ask")
    assert ask.stream == run.outputs["answer"]
    assert ask.usage == {"input_tokens": 1000, "output_tokens": 200, "cost_usd": pytest.approx(0.00027)}
    assert run.usage == ask.usage
    sent = fake_llm.requests[0]
    assert sent.last_user_text == "Q: life?" and sent.system == "Be exact." and sent.model == "gpt-4o-mini"


def test_it_speaks_anthropic_messages(running, alice, alice_team, fake_llm):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm, provider="anthropic")
    fake_llm.script(Reply("Bonjour!", usage=(12, 3)))
    run = wait_for_run(start(llm_flow(alice, credential, model="claude-3-5-haiku-latest"), alice, {"q": "hi"}))
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs == {"answer": "Bonjour!"}
    assert fake_llm.requests[0].api == "anthropic"
    assert run.usage["input_tokens"] == 12 and run.usage["cost_usd"] == pytest.approx((12 * 0.8 + 3 * 4) / 1e6)


def test_structured_output_is_parsed_and_a_reply_off_schema_fails_the_attempt(running, alice, alice_team, fake_llm):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    schema = {"type": "object", "properties": {"mood": {"enum": ["happy", "sad"]}}, "required": ["mood"]}
    flow = llm_flow(alice, credential, json_schema=schema)
    fake_llm.script(Reply('{"mood": "happy"}'))
    run = wait_for_run(start(flow, alice, {"q": "x"}))
    assert run.outputs == {"answer": {"mood": "happy"}}
    assert fake_llm.requests[0].body["response_format"]["json_schema"]["schema"] == schema

    fake_llm.script(Reply('{"mood": "meh"}'), Reply("no json at all"))
    graph_ = flow.graph
    graph_["nodes"][1]["data"]["settings"] = {"retries": 1, "retry_backoff": 0}
    flow.graph = graph_
    flow.save()
    run = wait_for_run(start(flow, alice, {"q": "x"}))
    assert run.status == engine.FAILED
    ask = nodes_of(run)["ask"]
    assert ask.attempts == 2
    assert "not valid JSON" in ask.error["message"]


def test_429_with_retry_after_and_500_are_retried_inside_the_call(running, alice, alice_team, fake_llm):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    fake_llm.script(Status(429, "slow down", retry_after=1), Status(500, "oops"), Reply("finally"))
    run = wait_for_run(start(llm_flow(alice, credential), alice, {"q": "x"}))
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs == {"answer": "finally"}
    assert nodes_of(run)["ask"].attempts == 1  # one node attempt; the provider was asked three times
    assert len(fake_llm.requests) == 3


def test_401_fails_at_once_with_the_providers_message(running, alice, alice_team, fake_llm):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    flow = llm_flow(alice, credential)
    flow.graph["nodes"][1]["data"]["settings"] = {"retries": 3}
    flow.save()
    fake_llm.script(Status(401, "Invalid authentication"))
    run = wait_for_run(start(flow, alice, {"q": "x"}))
    ask = nodes_of(run)["ask"]
    assert run.status == engine.FAILED
    assert ask.attempts == 1 and len(fake_llm.requests) == 1
    assert "answered 401: Invalid authentication" in ask.error["message"]
    assert ask.error["type"] == "FatalNodeError"


def test_a_stalled_stream_fails_the_attempt_and_the_retry_succeeds(running, alice, alice_team, fake_llm):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    flow = llm_flow(alice, credential)
    flow.graph["nodes"][1]["data"]["settings"] = {"retries": 1, "retry_backoff": 0}
    flow.save()
    fake_llm.script(Stall("Let me th"), Reply("Done."))
    run = wait_for_run(start(flow, alice, {"q": "x"}))
    assert run.status == engine.SUCCEEDED, run.error
    ask = nodes_of(run)["ask"]
    assert ask.attempts == 2 and run.outputs == {"answer": "Done."}


def test_a_malformed_stream_fails_the_node(running, alice, alice_team, fake_llm):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    fake_llm.script(Malformed())
    run = wait_for_run(start(llm_flow(alice, credential), alice, {"q": "x"}))
    assert run.status == engine.FAILED
    assert "malformed stream event" in nodes_of(run)["ask"].error["message"]


def test_a_node_without_a_credential_says_how_to_add_one(running, alice, fake_llm):
    flow = make_flow(alice, graph([node("ask", "llm", model="m", prompt="hi")], []))
    run = wait_for_run(start(flow, alice))
    message = nodes_of(run)["ask"].error["message"]
    assert "POST /api/credentials/" in message and "OPENAI_API_KEY" in message


def test_a_flow_cannot_use_another_teams_credential(running, alice, bob, bob_team, fake_llm):
    bobs = make_credential(bob_team, bob, fake_llm=fake_llm)
    with pytest.raises(GraphInvalid) as refused:
        start(llm_flow(alice, bobs), alice, {"q": "x"})
    assert refused.value.errors == [{"node_id": "ask", "message": f"credential #{bobs.id} is not available in "
                                     "this team: choose one of the team's credentials"}]
    assert fake_llm.requests == []


def test_a_credential_gone_when_the_node_runs_fails_the_node(running, alice, alice_team, fake_llm, monkeypatch):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    credential_id, flow = credential.id, llm_flow(alice, credential)
    # Deleted between the start's check and the node's run: the node still refuses.
    monkeypatch.setattr("runs.services.check_outside_problems", lambda flow, graph: [])
    credential.delete()
    run = wait_for_run(start(flow, alice, {"q": "x"}))
    assert run.status == engine.FAILED
    assert f"credential {credential_id} is not a credential of this flow's team" in nodes_of(run)["ask"].error["message"]


def router_flow(user, **config):
    return make_flow(user, graph(
        [node("in", "input", key="text"),
         node("route", "router", categories=[
             {"name": "billing", "description": "money questions", "keywords": ["invoice", "refund", "charge"]},
             {"name": "tech", "description": "things that break", "keywords": ["error", "crash"]},
         ], **config),
         node("b", "template", template="billing: {{ input }}"),
         node("t", "template", template="tech: {{ input }}"),
         node("o", "template", template="other: {{ input }}"),
         node("join", "merge"), node("out", "output", key="routed")],
        [edge("in", "route"), edge("route", "b", "billing"), edge("route", "t", "tech"),
         edge("route", "o", "other"), edge("b", "join"), edge("t", "join"), edge("o", "join"),
         edge("join", "out")],
    ))


def test_a_keyword_router_needs_no_model_and_skips_the_other_branches(running, alice, fake_llm):
    flow = router_flow(alice)
    run = wait_for_run(start(flow, alice, {"text": "The app shows an error and then a crash"}))
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs == {"routed": ["tech: The app shows an error and then a crash"]}
    nodes = nodes_of(run)
    assert nodes["b"].status == nodes["o"].status == engine.SKIPPED
    assert nodes["route"].output == "The app shows an error and then a crash"  # unchanged
    run = wait_for_run(start(flow, alice, {"text": "hello"}))
    assert run.outputs == {"routed": ["other: hello"]}
    assert fake_llm.requests == []


def test_an_llm_router_asks_the_model_to_classify(running, alice, alice_team, fake_llm):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    flow = router_flow(alice, mode="llm", credential=credential.id, model="gpt-4o-mini")
    fake_llm.script(Reply("Billing."))
    run = wait_for_run(start(flow, alice, {"text": "why was I charged twice"}))
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs == {"routed": ["billing: why was I charged twice"]}
    assert "- billing: money questions" in fake_llm.requests[0].system
    assert nodes_of(run)["route"].details == {"category": "billing", "reply": "Billing."}


SHOP = {
    "shipping.md": "# Shipping\n\nWe ship within two working days. Tracking numbers arrive by email.",
    "returns.md": "# Returns\n\nYou can return any item within 30 days for a full refund.",
    "payment.md": "# Payment\n\nWe accept cards and bank transfer. Invoices are sent monthly.",
}


def retrieve_flow(user, knowledge_base, mode="hybrid", top_k=2):
    return make_flow(user, graph(
        [node("q", "input", key="question"),
         node("find", "retrieve", knowledge_base=knowledge_base.id, mode=mode, top_k=top_k),
         node("out", "output", key="found")],
        [edge("q", "find"), edge("find", "out")],
    ))


@pytest.mark.parametrize("mode", ["lexical", "hybrid"])
def test_retrieve_finds_passages_by_text(running, alice, alice_team, mode):
    kb = make_knowledge_base(alice_team, alice, SHOP)
    run = wait_for_run(start(retrieve_flow(alice, kb, mode), alice, {"question": "How do I get a refund?"}))
    assert run.status == engine.SUCCEEDED, run.error
    found = run.outputs["found"]
    assert found[0]["document"] == "returns.md" and found[0]["chunk"] == 0
    assert "full refund" in found[0]["text"]
    assert set(found[0]) == {"text", "score", "document", "chunk"}
    assert [f["score"] for f in found] == sorted((f["score"] for f in found), reverse=True)


def test_vector_search_uses_the_embedding_model(running, alice, alice_team, fake_llm):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    kb = make_knowledge_base(alice_team, alice, embedding={"credential": credential.id, "model": "emb-1"})
    from knowledge.services import do_add_document

    for name, text in SHOP.items():
        do_add_document(kb, user=alice, name=name, text=text)
    from knowledge.models import Document

    deadline = __import__("time").monotonic() + 20
    while Document.objects.filter(knowledge_base=kb, status="embedding").exists():
        assert __import__("time").monotonic() < deadline, "documents were never embedded"
        __import__("time").sleep(0.05)
    assert set(Document.objects.filter(knowledge_base=kb).values_list("status", flat=True)) == {"ready"}
    run = wait_for_run(start(retrieve_flow(alice, kb, "vector", 1), alice, {"question": "tracking numbers email"}))
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs["found"][0]["document"] == "shipping.md"
    assert 0 < run.outputs["found"][0]["score"] <= 1
    embed_calls = fake_llm.calls("embeddings")
    assert embed_calls[-1].body == {"model": "emb-1", "input": ["tracking numbers email"]}
    assert nodes_of(run)["find"].usage["input_tokens"] == 3


def test_vector_mode_on_a_base_without_embeddings_fails_clearly(running, alice, alice_team):
    kb = make_knowledge_base(alice_team, alice, SHOP)
    run = wait_for_run(start(retrieve_flow(alice, kb, "vector"), alice, {"question": "refund"}))
    assert "has no embedding model" in nodes_of(run)["find"].error["message"]


def test_retrieve_cannot_search_another_teams_base(running, alice, bob, bob_team, monkeypatch):
    kb = make_knowledge_base(bob_team, bob, SHOP)
    flow = retrieve_flow(alice, kb)
    with pytest.raises(GraphInvalid) as refused:
        start(flow, alice, {"question": "refund"})
    assert [e["node_id"] for e in refused.value.errors] == ["find"]
    # And were the start's check passed (a base moved while a run waits), the node refuses too.
    monkeypatch.setattr("runs.services.check_outside_problems", lambda flow, graph: [])
    run = wait_for_run(start(flow, alice, {"question": "refund"}))
    assert f"knowledge base {kb.id} is not one of this team's" in nodes_of(run)["find"].error["message"]


def test_a_code_node_runs_main_in_a_separate_process_and_the_worker_survives_escapes(running, alice):
    good = make_flow(alice, graph(
        [node("in", "input"), node("code", "code", code="def main(input):\n    print('seen')\n    return sum(input['xs'])"),
         node("out", "output", key="sum")],
        [edge("in", "code"), edge("code", "out")]))
    run = wait_for_run(start(good, alice, {"xs": [1, 2, 3]}))
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs == {"sum": 6}
    assert nodes_of(run)["code"].details == {"stdout": "seen\n"}
    pool = set(running.pool_pids())
    for attempt in ("import os\ndef main(input):\n    while True:\n        os.fork()",
                    "def main(input):\n    return len(bytearray(8 * 1024 ** 3))",
                    "def main(input):\n    while True:\n        pass"):
        bad = make_flow(alice, graph([node("code", "code", code=attempt, timeout=2)], []))
        failed = wait_for_run(start(bad, alice), timeout=30)
        assert failed.status == engine.FAILED
        assert nodes_of(failed)["code"].error["message"]
    assert set(running.pool_pids()) == pool  # no worker process died
    assert wait_for_run(start(good, alice, {"xs": [4]})).outputs == {"sum": 4}


def test_an_agent_writes_code_runs_it_reads_the_failure_and_fixes_it(running, alice, alice_team, fake_llm):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    flow = make_flow(alice, graph(
        [node("task", "input", key="task"),
         node("agent", "agent", credential=credential.id, model="gpt-4o-mini", system="You write Python.",
              tools=[{"type": "code"}], max_steps=4),
         node("out", "output", key="answer")],
        [edge("task", "agent"), edge("agent", "out")]))
    buggy = "def add(a, b):\n    return a - b\nassert add(2, 2) == 4, 'add(2, 2) should be 4'\nprint('all passed')"
    fixed = buggy.replace("a - b", "a + b")
    fake_llm.script(
        Reply("Trying.", tool_calls=[{"name": "run_python", "arguments": {"code": buggy}}]),
        Reply("Fixing.", tool_calls=[{"name": "run_python", "arguments": {"code": fixed}}]),
        Reply("Done: add(a, b) returns a + b."),
    )
    run = wait_for_run(start(flow, alice, {"task": "write add"}), timeout=60)
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs == {"answer": "Done: add(a, b) returns a + b."}
    steps = nodes_of(run)["agent"].details["steps"]
    assert [s["step"] for s in steps] == [1, 2, 3]
    assert "AssertionError: add(2, 2) should be 4" in steps[0]["tool_calls"][0]["result"]
    assert "exit: ok\nprinted:\nall passed" in steps[1]["tool_calls"][0]["result"]
    # The model saw the failure before fixing it.
    assert "AssertionError" in fake_llm.requests[1].tool_results[-1]
    assert fake_llm.requests[0].body["tools"][0]["function"]["name"] == "run_python"
    assert run.usage["input_tokens"] == 30


def test_an_agent_stops_at_max_steps_and_keeps_its_steps(running, alice, alice_team, fake_llm):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    flow = make_flow(alice, graph([node("agent", "agent", credential=credential.id, model="m",
                                        tools=[{"type": "code"}], max_steps=2)], []))
    fake_llm.responder = lambda request: Reply("again", tool_calls=[{"name": "run_python", "arguments": {"code": "print(1)"}}])
    run = wait_for_run(start(flow, alice), timeout=60)
    agent = nodes_of(run)["agent"]
    assert run.status == engine.FAILED
    assert "max_steps (2)" in agent.error["message"]
    assert len(agent.details["steps"]) == 2


def test_an_agent_calls_http_and_flow_tools_and_its_flow_tool_runs_as_a_child(running, alice, alice_team, fake_llm, http_server):
    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    helper = make_flow(alice, graph(
        [node("in", "input", key="city"), node("t", "template", template="sunny in {{ input }}"),
         node("out", "output", key="weather")],
        [edge("in", "t"), edge("t", "out")]), name="Weather")
    flow = make_flow(alice, graph(
        [node("agent", "agent", credential=credential.id, model="m", tools=[
            {"type": "flow", "flow": helper.id, "name": "weather", "description": "Weather of a city",
             "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
            {"type": "http", "name": "lookup", "url": http_server.url + "/json?q={{ q }}"},
        ]), node("out", "output", key="answer")],
        [edge("agent", "out")]))
    fake_llm.script(
        Reply("", tool_calls=[{"name": "weather", "arguments": {"city": "Oslo"}},
                              {"name": "lookup", "arguments": {"q": "umbrella"}}]),
        Reply("Take an umbrella? No: it is sunny in Oslo."),
    )
    run = wait_for_run(start(flow, alice), timeout=60)
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs == {"answer": "Take an umbrella? No: it is sunny in Oslo."}
    child = run.child_runs.get()
    assert child.flow_id == helper.id and child.parent_node_id == "agent" and child.status == engine.SUCCEEDED
    assert child.inputs == {"city": "Oslo"}
    results = [json.loads(r) for r in fake_llm.requests[1].tool_results]
    assert {"weather": "sunny in Oslo"} in results
    assert any(r.get("status") == 200 and "umbrella" in r["body"] for r in results)
    agent = nodes_of(run)["agent"]
    assert agent.attempts == 1  # suspended for the child, continued, one attempt in all
    calls = agent.details["steps"][0]["tool_calls"]
    assert calls[0]["run"] == str(child.id)
