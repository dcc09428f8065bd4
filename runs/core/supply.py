"""Which nodes of a run are supplied instead of executed, in plain Python.

A node's output may be supplied: pinned in the graph (`data.pinned`), or reused from a
node run of an earlier run (run from here, resume). A supplied node is not executed: when
it becomes ready, the engine (runs.transitions.advance) records its output as if it had
just run, so its successors become ready as usual and skips flow as usual.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .engine import SKIPPED, SUCCEEDED, Plan

PINNED = "pinned"
REUSED = "reused"
# Executed, but every request it made was answered from a recorded run (replay mode).
REPLAYED = "replayed"
SOURCES = (PINNED, REUSED, REPLAYED)


@dataclass(frozen=True)
class Supply:
    source: str  # PINNED or REUSED
    output: Any
    # The handles it fires; None: every output the node declares (a pin).
    handles: list[str] | None = None
    # The run the output was computed in (a reused one).
    source_run: str | None = None


@dataclass(frozen=True)
class Earlier:
    """A node run of the run to reuse, as far as reusing it goes."""

    status: str
    output: Any
    handles: list[str] | None
    # The run that computed it: the earlier run itself, or the run it had reused it from.
    computed_in: str


def _reach(plan: Plan, starts: Iterable[str], step: Callable[[str], list[str]]) -> set[str]:
    seen: set[str] = set()
    queue = deque(node_id for node_id in starts if node_id in plan.nodes)
    while queue:
        node_id = queue.popleft()
        if node_id not in seen:
            seen.add(node_id)
            queue.extend(step(node_id))
    return seen


def downstream(plan: Plan, starts: Iterable[str]) -> set[str]:
    """The nodes named and every node reachable from them."""
    return _reach(plan, starts, plan.children)


def upstream(plan: Plan, start: str) -> set[str]:
    """The node named and every node it depends on."""
    return _reach(plan, [start], plan.parents)


def choose_supplies(
    plan: Plan,
    *,
    pins: Mapping[str, Any],
    earlier: Mapping[str, Earlier] | None = None,
    rerun: Collection[str] = (),
    sinks: Collection[str] = (),
) -> dict[str, Supply]:
    """The supplied nodes of a run and what each is supplied with.

    A pin always wins. Otherwise a node that succeeded in the earlier run is reused unless
    it is to run again: it is in `rerun` (the node run from and what follows it), or it is
    downstream of a node that must execute because it did not finish well earlier (failed,
    cancelled, never ran) — its old output was computed from inputs that will change.
    Skipped nodes are neither: the reused decisions upstream skip them again. `sinks`
    (nodes without outputs, such as `output`) always execute: they are cheap, and writing
    the run's outputs is their whole effect.
    """
    supplies = {
        node_id: Supply(PINNED, pin) for node_id, pin in pins.items() if node_id in plan.nodes
    }
    if earlier is None:
        return supplies
    must_run = set(rerun) | {
        node_id
        for node_id in plan.nodes
        if node_id not in supplies
        and (node_id not in earlier or earlier[node_id].status not in (SUCCEEDED, SKIPPED))
    }
    again = downstream(plan, must_run)
    for node_id in plan.nodes:
        found = earlier.get(node_id)
        if node_id in supplies or node_id in again or node_id in sinks or found is None:
            continue
        if found.status == SUCCEEDED:
            supplies[node_id] = Supply(REUSED, found.output, found.handles, found.computed_in)
    return supplies
