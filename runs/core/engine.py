"""Readiness, skips and outcomes of a run, in plain Python.

This module knows nothing of Django or Celery, so the rules of scheduling are unit-tested
in milliseconds. The database side (runs.transitions) keeps, on each node run, the count of
inbound edges whose source has not finished (`blockers`) and of those that delivered a
value (`live_inputs`); the functions here move those counts as nodes finish and say which
nodes are then ready to run and which are skipped.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from flows.nodes.base import ERROR_HANDLE, Arrival

PENDING = "pending"
QUEUED = "queued"
RUNNING = "running"
WAITING = "waiting"
SUCCEEDED = "succeeded"
FAILED = "failed"
SKIPPED = "skipped"
CANCELLED = "cancelled"

NODE_STATUSES = (PENDING, QUEUED, RUNNING, WAITING, SUCCEEDED, FAILED, SKIPPED, CANCELLED)
ACTIVE_NODE_STATUSES = frozenset({PENDING, QUEUED, RUNNING, WAITING})
RUN_STATUSES = (PENDING, RUNNING, WAITING, SUCCEEDED, FAILED, CANCELLED)
ACTIVE_RUN_STATUSES = frozenset({PENDING, RUNNING, WAITING})
TERMINAL_RUN_STATUSES = frozenset({SUCCEEDED, FAILED, CANCELLED})


@dataclass(frozen=True)
class Edge:
    id: str
    source: str
    source_handle: str
    target: str
    target_handle: str


@dataclass
class PlanNode:
    id: str
    type: str
    inline: bool
    many_inputs: frozenset[str] = frozenset()
    inbound: list[Edge] = field(default_factory=list)
    outbound: list[Edge] = field(default_factory=list)


class Plan:
    """The executable part of a graph, indexed for scheduling."""

    def __init__(self, nodes: Iterable[PlanNode], edges: Iterable[Edge]):
        self.nodes: dict[str, PlanNode] = {node.id: node for node in nodes}
        for edge in edges:
            if edge.source in self.nodes and edge.target in self.nodes:
                self.nodes[edge.source].outbound.append(edge)
                self.nodes[edge.target].inbound.append(edge)

    def roots(self) -> list[str]:
        return [node.id for node in self.nodes.values() if not node.inbound]

    def blockers(self, node_id: str) -> int:
        return len(self.nodes[node_id].inbound)

    def parents(self, node_id: str) -> list[str]:
        return list(dict.fromkeys(edge.source for edge in self.nodes[node_id].inbound))

    def children(self, node_id: str) -> list[str]:
        return list(dict.fromkeys(edge.target for edge in self.nodes[node_id].outbound))


class Progress(Protocol):
    """What the engine reads and moves on each node (a NodeRun row, or a test double)."""

    status: str
    blockers: int
    live_inputs: int
    handles: list[str] | None


class ProgressLookup(Protocol):
    """The nodes' progress by id: a dict, or a step's view that loads rows on demand."""

    def __getitem__(self, node_id: str) -> Progress: ...


@dataclass
class Settlement:
    ready: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def settle(
    plan: Plan,
    finished: Iterable[tuple[str, Sequence[str]]],
    progress: ProgressLookup,
) -> Settlement:
    """Nodes finished, each having fired some output handles: release their children.

    A child whose last blocker is released runs if at least one edge delivered a value
    into it, else it is skipped, and its skip is released onward in turn. Children that
    are no longer pending (cancelled with their run) are left alone.
    """
    result = Settlement()
    queue = deque(finished)
    while queue:
        node_id, fired = queue.popleft()
        for edge in plan.nodes[node_id].outbound:
            child = progress[edge.target]
            if child.status != PENDING:
                continue
            child.blockers -= 1
            if edge.source_handle in fired:
                child.live_inputs += 1
            if child.blockers > 0:
                continue
            if child.live_inputs > 0:
                result.ready.append(edge.target)
            else:
                child.status = SKIPPED
                child.handles = []
                result.skipped.append(edge.target)
                queue.append((edge.target, ()))
    return result


def fired_on_success(declared_outputs: Sequence[str], emitted: Sequence[str] | None) -> list[str]:
    """The handles a successful node fires: those it named, else all it declares."""
    if emitted is None:
        return list(declared_outputs)
    unknown = [handle for handle in emitted if handle not in declared_outputs]
    if unknown:
        raise ValueError(f"the node emitted on unknown handles: {', '.join(unknown)}")
    return list(emitted)


def fired_on_failure(on_error: str, declared_outputs: Sequence[str]) -> list[str] | None:
    """Handles fired after a node's last attempt failed; None means the run fails."""
    if on_error == "continue":
        return list(declared_outputs)
    if on_error == "route":
        return [ERROR_HANDLE]
    return None


def gather_inputs(
    plan: Plan,
    node_id: str,
    fired_of: Callable[[str], Sequence[str]],
    value_of: Callable[[str, str], Any],
) -> dict[str, Any]:
    """The node's inputs from the edges that delivered: one value per single input, a list
    of arrivals (in edge order) per many-valued input."""
    node = plan.nodes[node_id]
    inputs: dict[str, Any] = {}
    for edge in node.inbound:
        if edge.source_handle not in fired_of(edge.source):
            continue
        value = value_of(edge.source, edge.source_handle)
        if edge.target_handle in node.many_inputs:
            inputs.setdefault(edge.target_handle, []).append(Arrival(edge.source, value))
        else:
            inputs[edge.target_handle] = value
    for handle in node.many_inputs:
        inputs.setdefault(handle, [])
    return inputs


def run_status_after(node_statuses: Iterable[str]) -> str:
    """The status of a run none of whose nodes failed it, from its nodes' statuses.

    A run is waiting when nothing is queued or running and something waits (an approval),
    even if nodes downstream of it are still pending.
    """
    statuses = set(node_statuses)
    if statuses & {QUEUED, RUNNING}:
        return RUNNING
    if WAITING in statuses:
        return WAITING
    if PENDING in statuses:
        return RUNNING
    return SUCCEEDED


def retry_delay(
    attempt: int, backoff: float, *, rng: Callable[[], float] = random.random, cap: float = 3600.0
) -> float:
    """Seconds before attempt `attempt + 1`: exponential from `backoff`, with ±25 % jitter
    so that many nodes failing together do not retry together."""
    if backoff <= 0:
        return 0.0
    base: float = min(cap, backoff * (2 ** max(0, attempt - 1)))
    return min(cap, base * (0.75 + 0.5 * rng()))


def pending_reason(plan: Plan, node_id: str, statuses: Mapping[str, str]) -> str | None:
    """Why a node is not running yet, in a sentence (Airflow's trigger-rule habit)."""
    status = statuses.get(node_id)
    if status == QUEUED:
        return "queued: waiting for a free worker"
    if status != PENDING:
        return None
    waiting_for = [
        f"{parent} ({statuses.get(parent, '?')})"
        for parent in plan.parents(node_id)
        if statuses.get(parent) in ACTIVE_NODE_STATUSES
    ]
    if waiting_for:
        noun = "node" if len(waiting_for) == 1 else "nodes"
        return f"waiting for upstream {noun} {', '.join(waiting_for)}"
    if not plan.nodes[node_id].inbound:
        return "waiting for the run to start"
    return "waiting to be scheduled"
