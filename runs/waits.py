"""Waiting nodes: a delay's time comes, an approval is answered, a child run ends. A
waiting node holds no worker; it is woken (a timed task, or the sweeper) and its type's
`resume` decides, inside a locked step, whether it finishes, waits more or continues in a
worker (flows.nodes.base.Continue).
"""

from __future__ import annotations

from typing import Any

from .core import engine
from .core.engine import WAITING
from .execution import resume
from .models import NodeRun
from .step import RunStep
from .transitions import advance, finish_if_done, record_outcome, schedule_wake


def wake(node_pk: int) -> None:
    """Resume a waiting node whose time has come, or which was given a resume payload."""
    row = NodeRun.objects.filter(pk=node_pk).values("run_id", "node_id").first()
    if row is None:
        return
    with RunStep(row["run_id"]) as step:
        if step.run is None or step.run.status not in engine.ACTIVE_RUN_STATUSES:
            return
        node = step.node(row["node_id"])
        if node.status != WAITING:
            return
        state = NodeRun.objects.filter(pk=node.pk).values_list("state", flat=True).first() or {}
        has_payload = "resume_payload" in state
        if not has_payload:
            if node.next_attempt_at is None:
                return  # waits for a resume from outside
            remaining = (node.next_attempt_at - step.now).total_seconds()
            if remaining > 0.05:
                schedule_wake(step, node, node.next_attempt_at)
                step.touch(node)
                return
        payload = state.pop("resume_payload", None)
        node.state = state
        node.next_attempt_at = None
        step.touch(node, "state")
        outcome = resume(step, node, state, payload)
        fired = record_outcome(step, node, outcome)
        if fired is not None:
            advance(step, finished=[(node.node_id, fired)])
        finish_if_done(step)


def request_resume(run_id: str, node_id: str, payload: Any) -> str | None:
    """Hand a waiting node the payload that resumes it. Returns a problem, or None."""
    with RunStep(run_id) as step:
        if step.run is None:
            return "no such run"
        if step.run.status not in engine.ACTIVE_RUN_STATUSES:
            return f"the run has ended ({step.run.status})"
        if node_id not in step.plan.plan.nodes:
            return f"the run has no node {node_id!r}"
        node = step.node(node_id)
        if node.status != WAITING:
            return f"node {node_id!r} is not waiting (it is {node.status})"
        if not hand_payload(step, node, payload):
            return f"node {node_id!r} is already being resumed"
    return None


def hand_payload(step: RunStep, node: NodeRun, payload: Any) -> bool:
    """Give a waiting node a resume payload and wake it; False if one is already pending."""
    state = NodeRun.objects.filter(pk=node.pk).values_list("state", flat=True).first() or {}
    if "resume_payload" in state:
        return False
    node.state = {**state, "resume_payload": payload}
    node.queued_at = step.now
    step.touch(node, "state")
    step.wake_later(node, 0.0)
    return True
