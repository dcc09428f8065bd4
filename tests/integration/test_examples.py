"""The example flows end to end, as `make run` installs them, with a model that answers
like a real one would (the fake provider, scripted by what each node asks)."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command

from accounts.models import Credential
from flows.examples import install_examples, load_examples
from flows.graph import check_graph
from flows.models import Flow
from knowledge.examples import install_example_knowledge
from knowledge.models import KnowledgeBase
from runs.core import engine
from runs.models import Run
from tests.ai import make_credential
from tests.fake_llm import Reply, Request
from tests.helpers import nodes_of, start, wait_for_node, wait_for_run

BUGGY = "def is_palindrome(text):\n    return text == text[::-1]\n\nassert is_palindrome('')\nassert is_palindrome('Never odd or even'), 'sentence'\nprint('all tests passed')"
FIXED = ("def is_palindrome(text):\n    kept = [c.lower() for c in text if c.isalnum()]\n    return kept == kept[::-1]\n\n"
         "assert is_palindrome('')\nassert is_palindrome('Never odd or even'), 'sentence'\nassert not is_palindrome('abc')\n"
         "print('all tests passed')")


def model(request: Request) -> Reply:
    """A stand-in model: answers each example node the way a good model would."""
    system, text = request.system, request.last_user_text
    if "You sort messages into categories" in system:
        lowered = text.lower()
        for category, words in (("complaint", ("unacceptable", "cracked", "broken")), ("returns", ("refund", "return")),
                                ("shipping", ("parcel", "deliver")), ("payment", ("charged", "invoice"))):
            if any(word in lowered for word in words):
                return Reply(category)
        return Reply("other")
    if "support assistant of Lumen & Loom" in system:
        cited = re.findall(r"\[(\d)\] \((\w+\.md)\)", text)
        source = dict(cited).get("1", "?")
        return Reply(f"Refunds are made within 5 working days of receiving your return [1] (from {source}).", chunk_chars=6)
    if "customer care at Lumen & Loom" in system:
        return Reply("We are very sorry about the cracked shade. We will send a replacement at no cost [1]. "
                     "The Lumen & Loom customer care team")
    if "classify the sentiment" in system:
        lowered = text.lower()
        if any(w in lowered for w in ("disappointed", "flaw", "smaller")):
            mood = "negative"
        elif any(w in lowered for w in ("lovely", "softer", "great", "again")):
            mood = "positive"
        else:
            mood = "neutral"
        return Reply(json.dumps({"sentiment": mood}))
    if "careful Python developer" in system:
        results = request.tool_results
        if not results:
            return Reply("I will write it and test it.", tool_calls=[{"name": "run_python", "arguments": {"code": BUGGY}}])
        if "AssertionError" in results[-1]:
            return Reply("The sentence test failed: I must ignore case and spaces.",
                         tool_calls=[{"name": "run_python", "arguments": {"code": FIXED}}])
        return Reply(f"```python\n{FIXED}\n```\nI tested it with asserts for an empty string, a sentence and a non-palindrome.")
    return Reply("?")


def test_every_example_is_a_valid_graph():
    for example in load_examples():
        check = check_graph(example["graph"])
        assert check.valid, (example["name"], check.errors)
        assert set(example) <= {"name", "description", "graph", "links"}


@pytest.fixture
def installed(alice, alice_team, fake_llm):
    install_example_knowledge(user=alice, team=alice_team)
    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    install_examples(user=alice, team=alice_team, credential_id=credential.id, model="fake-model")
    fake_llm.responder = model
    return {flow.name: flow for flow in Flow.objects.filter(team=alice_team)}


@pytest.mark.worker
def test_customer_service_answers_from_the_help_center_citing_passages(running, installed, fake_llm):
    run = wait_for_run(start(installed["Customer service"], installed["Customer service"].created_by,
                             {"question": "How long does a refund take after I return a vase?"}), timeout=60)
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs["answer"] == "Refunds are made within 5 working days of receiving your return [1] (from returns.md)."
    nodes = nodes_of(run)
    assert nodes["search"].output[0]["document"] == "returns.md"
    assert nodes["intent"].details["category"] == "returns"
    assert nodes["draft"].status == nodes["review"].status == engine.SKIPPED
    assert nodes["answer"].usage["input_tokens"] == 10
    answer_request = next(r for r in fake_llm.requests if "support assistant" in r.system)
    prompt = answer_request.last_user_text
    assert prompt.startswith("Customer question: How long does a refund take after I return a vase?")
    assert "[1] (returns.md) " in prompt and "[3] (" in prompt  # top_k 3 passages, numbered


@pytest.mark.worker
def test_customer_service_sends_a_complaint_through_approval(running, installed, alice_api):
    flow = installed["Customer service"]
    run = start(flow, flow.created_by, {"question": "My lamp arrived with a cracked shade. Unacceptable!"})
    review = wait_for_node(run, "review", {engine.WAITING}, timeout=60)
    assert review.message.startswith("Send this reply to the customer?")
    assert "replacement at no cost" in review.message
    assert alice_api.post(f"/api/runs/{run.id}/nodes/review/resume/", {"approved": True}, format="json").status_code == 202
    run = wait_for_run(run, timeout=30)
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs["answer"].startswith("We are very sorry about the cracked shade.")
    assert nodes_of(run)["answer"].status == engine.SKIPPED


@pytest.mark.worker
def test_the_review_pipeline_cleans_classifies_each_review_and_counts(running, installed):
    flow = installed["Review pipeline"]
    run = wait_for_run(start(flow, flow.created_by), timeout=90)
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs["counts"] == {"total": 6, "positive": 3, "negative": 2, "neutral": 1}
    report = run.outputs["report"]
    assert report.startswith("# Review report\n\n6 reviews: 3 positive, 2 negative, 1 neutral.")
    lines = [line for line in report.splitlines() if line.startswith("- ")]
    assert lines[0] == "- **positive**: The linen throw is even softer than I hoped. Beautiful colour!"
    assert lines[2] == "- **neutral**: It's a lamp. It works."  # item order is kept
    children = Run.objects.filter(parent_run=run)
    assert children.count() == 6 and {c.flow.name for c in children} == {"Sentiment of one review"}
    assert run.usage["input_tokens"] == 60  # the children's usage is summed on the parent


@pytest.mark.worker
def test_the_coding_agent_tests_its_code_and_fixes_it(running, installed):
    flow = installed["Coding agent"]
    run = wait_for_run(start(flow, flow.created_by), timeout=90)
    assert run.status == engine.SUCCEEDED, run.error
    assert "kept = [c.lower() for c in text if c.isalnum()]" in run.outputs["solution"]
    steps = nodes_of(run)["coder"].details["steps"]
    assert len(steps) == 3
    assert "AssertionError: sentence" in steps[0]["tool_calls"][0]["result"]
    assert steps[1]["tool_calls"][0]["result"] == "exit: ok\nprinted:\nall tests passed\n"


def test_without_a_model_the_examples_say_how_to_add_a_credential(alice, alice_team):
    install_example_knowledge(user=alice, team=alice_team)
    install_examples(user=alice, team=alice_team)
    flow = Flow.objects.get(team=alice_team, name="Customer service")
    intent = next(n for n in flow.graph["nodes"] if n["id"] == "intent")
    assert intent["data"]["config"]["credential"] is None
    search = next(n for n in flow.graph["nodes"] if n["id"] == "search")
    assert search["data"]["config"]["knowledge_base"] == KnowledgeBase.objects.get(team=alice_team).id
    pipeline = Flow.objects.get(team=alice_team, name="Review pipeline")
    classify = next(n for n in pipeline.graph["nodes"] if n["id"] == "classify")
    assert classify["data"]["config"]["flow"] == Flow.objects.get(team=alice_team, name="Sentiment of one review").id


def test_setup_demo_creates_the_credential_knowledge_and_flows_once(db, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-demo-key-123456")
    monkeypatch.setenv("BATON_DEMO_LLM", json.dumps({"provider": "openai", "base_url": "", "model": "gpt-4.1-mini",
                                                     "key_from": "OPENAI_API_KEY"}))
    call_command("setup_demo", "--json")
    call_command("setup_demo", "--json")
    credential = Credential.objects.get(name="Demo model")
    assert credential.fields == ["api_key"]
    team = credential.team
    assert KnowledgeBase.objects.filter(team=team).count() == 1
    assert KnowledgeBase.objects.get(team=team).documents.count() == 6
    names = list(Flow.objects.filter(team=team).values_list("name", flat=True))
    assert len(names) == len(set(names)) == len(load_examples())
    agent = Flow.objects.get(team=team, name="Coding agent")
    coder = next(n for n in agent.graph["nodes"] if n["id"] == "coder")
    assert coder["data"]["config"]["credential"] == credential.id
    assert coder["data"]["config"]["model"] == "gpt-4.1-mini"
