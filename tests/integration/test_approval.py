"""Approval: the run waits for a person, holding no worker, across worker restarts."""

from __future__ import annotations

import time

import pytest

from runs.core import engine
from runs.models import NodeRun
from tests.conftest import api_client, join
from tests.helpers import edge, graph, make_flow, node, nodes_of, start, wait_for_node, wait_for_run

pytestmark = pytest.mark.worker


def approval_flow(user):
    return make_flow(user, graph(
        [node("in", "input", key="refund"),
         node("ask", "approval", message="Refund {{ input.amount }} EUR to {{ input.customer }}?"),
         node("yes", "template", template="refunded {{ input.amount }}"),
         node("no", "template", template="declined"),
         node("out_yes", "output", key="result"), node("out_no", "output", key="result")],
        [edge("in", "ask"), edge("ask", "yes", "approved"), edge("ask", "no", "rejected"),
         edge("yes", "out_yes"), edge("no", "out_no")]))


REFUND = {"refund": {"amount": 40, "customer": "Ada"}}


def test_an_approved_request_goes_out_on_approved(running, alice, alice_api):
    run = start(approval_flow(alice), alice, REFUND)
    waiting = wait_for_node(run, "ask", {engine.WAITING})
    assert waiting.message == "Refund 40 EUR to Ada?"
    assert wait_for_run(run, statuses={engine.WAITING}).status == engine.WAITING
    assert waiting.lease_owner == ""  # no worker holds it
    body = alice_api.get(f"/api/runs/{run.id}/").json()
    ask = next(n for n in body["nodes"] if n["node_id"] == "ask")
    assert ask["status"] == "waiting" and ask["reason"] == "Refund 40 EUR to Ada?"
    answer = alice_api.post(f"/api/runs/{run.id}/nodes/ask/resume/", {"approved": True, "comment": "fine"}, format="json")
    assert answer.status_code == 202, answer.json()
    run = wait_for_run(run)
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs == {"result": "refunded 40"}
    nodes = nodes_of(run)
    assert nodes["no"].status == engine.SKIPPED
    assert nodes["ask"].output == REFUND["refund"]
    assert nodes["ask"].details == {"message": "Refund 40 EUR to Ada?", "approved": True, "comment": "fine", "by": "alice"}


def test_a_rejected_request_goes_out_on_rejected(running, alice, alice_api):
    run = start(approval_flow(alice), alice, REFUND)
    wait_for_node(run, "ask", {engine.WAITING})
    alice_api.post(f"/api/runs/{run.id}/nodes/ask/resume/", {"approved": False}, format="json")
    run = wait_for_run(run)
    assert run.outputs == {"result": "declined"}
    assert nodes_of(run)["yes"].status == engine.SKIPPED


def test_a_resume_without_a_decision_is_refused_and_changes_nothing(running, alice, alice_api):
    run = start(approval_flow(alice), alice, REFUND)
    wait_for_node(run, "ask", {engine.WAITING})
    for body in ({}, {"approved": "yes"}, {"approved": True, "comment": 3}):
        answer = alice_api.post(f"/api/runs/{run.id}/nodes/ask/resume/", body, format="json")
        assert answer.status_code == 400, body
        assert "approved" in answer.json()["error"] or "comment" in answer.json()["error"]
    assert NodeRun.objects.get(run=run, node_id="ask").status == engine.WAITING
    assert alice_api.post(f"/api/runs/{run.id}/nodes/in/resume/", {"approved": True}, format="json").status_code == 409
    alice_api.post(f"/api/runs/{run.id}/cancel/")


def test_a_viewer_cannot_decide_and_strangers_do_not_see_the_run(running, alice, alice_team, bob):
    run = start(approval_flow(alice), alice, REFUND)
    wait_for_node(run, "ask", {engine.WAITING})
    join(bob, alice_team, "viewer")
    assert api_client(bob).post(f"/api/runs/{run.id}/nodes/ask/resume/", {"approved": True}, format="json").status_code == 403
    from tests.conftest import make_user

    carol = make_user("carol")
    assert api_client(carol).post(f"/api/runs/{run.id}/nodes/ask/resume/", {"approved": True}, format="json").status_code == 404
    assert NodeRun.objects.get(run=run, node_id="ask").status == engine.WAITING


def test_approval_survives_a_worker_restart(running, alice, alice_api):
    """Stop the only worker while the run waits; resume while it is down; start a new
    worker: the resume waiting in the broker is taken up and the run finishes."""
    run = start(approval_flow(alice), alice, REFUND)
    wait_for_node(run, "ask", {engine.WAITING})
    running.stop()
    try:
        answer = alice_api.post(f"/api/runs/{run.id}/nodes/ask/resume/", {"approved": True}, format="json")
        assert answer.status_code == 202
        time.sleep(0.5)
        assert NodeRun.objects.get(run=run, node_id="ask").status == engine.WAITING  # nobody to run it
    finally:
        running.start()
    run = wait_for_run(run, timeout=30)
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs == {"result": "refunded 40"}
