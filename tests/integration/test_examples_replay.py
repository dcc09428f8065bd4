"""The example flows ship with recordings: installed the way `make run` installs them, with
no model credential, every example runs in replay mode and asks no model anything.

The recordings (examples/recordings/*.json) are made by this module too:
`BATON_RECORD_EXAMPLES=1 pytest tests/integration/test_examples_replay.py -k record` runs
each example against the tests' model server (answering as tests/integration/test_examples.py
scripts it) and writes what was exchanged, with the server's address replaced by OpenAI's,
the endpoint the examples' model nodes call without a credential of their own.
"""

from __future__ import annotations

import json
import os

import pytest

from flows.examples import MODEL_NODE_TYPES, RECORDINGS_DIR, example_files, install_examples
from flows.models import Flow
from knowledge.examples import install_example_knowledge
from runs.core import engine
from runs.models import Run
from runs.recordings import RECORDING_TRIGGER, shipped_form
from runs.services import do_start_run
from tests.ai import make_credential
from tests.helpers import nodes_of, wait_for_node, wait_for_run
from tests.integration.test_examples import model

pytestmark = pytest.mark.worker

OPENAI = "https://api.openai.com/v1"


def calls_models(flow_graph: dict) -> bool:
    """Has nodes that ask a model, itself or in the runs it starts."""
    return any(n["type"] in (*MODEL_NODE_TYPES, "map", "subflow") for n in flow_graph["nodes"])


def finish(run: Run, api) -> Run:
    """Wait for the run to end, approving what waits for a person on the way."""
    while True:
        run = wait_for_run(run, timeout=90, statuses=set(engine.RUN_STATUSES) - {engine.PENDING, engine.RUNNING})
        waiting = [n for n in nodes_of(run).values() if n.status == engine.WAITING and n.type == "approval"]
        if run.status != engine.WAITING or not waiting:
            if run.status == engine.WAITING:
                run = wait_for_run(run, timeout=90)
            return run
        for node in waiting:
            assert api.post(f"/api/runs/{run.pk}/nodes/{node.node_id}/resume/", {"approved": True},
                            format="json").status_code == 202
        wait_for_node(run, waiting[0].node_id, {engine.SUCCEEDED, engine.FAILED}, timeout=30)


def test_every_example_runs_in_replay_mode_with_no_credential(running, alice, alice_team, alice_api, fake_llm):
    install_example_knowledge(user=alice, team=alice_team)
    install_examples(user=alice, team=alice_team)  # as `make run` does when it found no model
    install_examples(user=alice, team=alice_team)  # again: nothing twice
    flows = Flow.objects.filter(team=alice_team).order_by("name")
    assert flows.count() == len(example_files())
    replayed = 0
    for flow in flows:
        recordings = Run.objects.filter(flow=flow, trigger=RECORDING_TRIGGER)
        if not calls_models(flow.graph):
            assert not recordings.exists()  # nothing to answer: it runs as it is
            continue
        assert recordings.count() == 1, flow.name
        recording = recordings.get()
        answer = alice_api.post(f"/api/flows/{flow.pk}/runs/", {"replay": [str(recording.pk)]}, format="json")
        assert answer.status_code == 201, answer.json()
        run = finish(Run.objects.get(pk=answer.json()["id"]), alice_api)
        assert run.status == engine.SUCCEEDED, (flow.name, run.error)
        models = [n for n in nodes_of(run).values() if n.type in ("llm", "router", "agent") and n.status == engine.SUCCEEDED]
        assert all(n.source == "replayed" for n in models), flow.name
        replayed += 1
    assert replayed == 4 and fake_llm.requests == []


@pytest.mark.skipif(not os.environ.get("BATON_RECORD_EXAMPLES"), reason="writes examples/recordings/")
def test_record_the_examples(running, alice, alice_team, alice_api, fake_llm):
    install_example_knowledge(user=alice, team=alice_team)
    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    install_examples(user=alice, team=alice_team, credential_id=credential.id)  # the examples' own models
    fake_llm.responder = model
    RECORDINGS_DIR.mkdir(exist_ok=True)
    for name, path in example_files().items():
        flow = Flow.objects.get(team=alice_team, name=name)
        if not calls_models(flow.graph):
            continue
        run = finish(do_start_run(flow=flow, user=alice, inputs={}), alice_api)
        assert run.status == engine.SUCCEEDED, (name, run.error)
        exchanges = shipped_form([run.pk])
        for exchange in exchanges:
            exchange["url"] = exchange["url"].replace(fake_llm.openai_base, OPENAI)
        target = RECORDINGS_DIR / path.name
        if exchanges:
            target.write_text(json.dumps({"inputs": {}, "exchanges": exchanges}, indent=1, ensure_ascii=False) + "\n")
        elif target.exists():
            target.unlink()
