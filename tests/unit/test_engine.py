"""The scheduling core, without Django or Celery."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.nodes.base import Arrival
from runs.core import engine
from runs.core.engine import PENDING, SKIPPED, Edge, Plan, PlanNode


@dataclass
class State:
    status: str = PENDING
    blockers: int = 0
    live_inputs: int = 0
    handles: list[str] | None = None


def make_plan(nodes: list[str], edges: list[tuple], many: dict[str, set[str]] | None = None) -> Plan:
    """Edges are (source, target) or (source, source_handle, target, target_handle)."""
    plan_edges = []
    for index, spec in enumerate(edges):
        source, source_handle, target, target_handle = (
            (spec[0], "out", spec[1], "in") if len(spec) == 2 else spec
        )
        plan_edges.append(Edge(f"e{index}", source, source_handle, target, target_handle))
    many = many or {}
    return Plan(
        [PlanNode(n, "t", inline=True, many_inputs=frozenset(many.get(n, ()))) for n in nodes],
        plan_edges,
    )


def fresh_states(plan: Plan) -> dict[str, State]:
    return {node_id: State(blockers=plan.blockers(node_id)) for node_id in plan.nodes}


@dataclass
class Simulation:
    """Runs a plan to the end: each node that runs fires the handles `fires` names."""

    plan: Plan
    fires: dict[str, list[str]] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def run(self) -> dict[str, State]:
        states = fresh_states(self.plan)
        ready = list(self.plan.roots())
        while ready:
            node_id = ready.pop(0)
            assert states[node_id].status == PENDING, f"{node_id} ran twice"
            states[node_id].status = engine.SUCCEEDED
            fired = self.fires.get(node_id, ["out"])
            states[node_id].handles = fired
            self.ran.append(node_id)
            settlement = engine.settle(self.plan, [(node_id, fired)], states)
            self.skipped.extend(settlement.skipped)
            ready.extend(settlement.ready)
        return states


def test_it_runs_a_chain_in_order():
    plan = make_plan(["a", "b", "c"], [("a", "b"), ("b", "c")])
    sim = Simulation(plan)
    sim.run()
    assert sim.ran == ["a", "b", "c"]
    assert plan.roots() == ["a"]


def test_it_waits_for_every_parent_before_a_join():
    plan = make_plan(["a", "b", "c", "d"], [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    states = fresh_states(plan)
    states["a"].status = engine.SUCCEEDED
    first = engine.settle(plan, [("a", ["out"])], states)
    assert sorted(first.ready) == ["b", "c"]
    states["b"].status = engine.SUCCEEDED
    assert engine.settle(plan, [("b", ["out"])], states).ready == []
    assert states["d"].blockers == 1
    states["c"].status = engine.SUCCEEDED
    assert engine.settle(plan, [("c", ["out"])], states).ready == ["d"]


def test_it_skips_the_branch_a_condition_did_not_take_and_everything_below_it():
    plan = make_plan(
        ["cond", "yes", "no", "no2", "no3"],
        [("cond", "true", "yes", "in"), ("cond", "false", "no", "in"), ("no", "no2"), ("no2", "no3")],
    )
    sim = Simulation(plan, fires={"cond": ["true"]})
    states = sim.run()
    assert sim.ran == ["cond", "yes"]
    assert sim.skipped == ["no", "no2", "no3"]
    assert all(states[n].status == SKIPPED for n in ["no", "no2", "no3"])
    assert states["no3"].handles == []


def test_it_runs_a_merge_when_one_branch_was_skipped():
    plan = make_plan(
        ["cond", "yes", "no", "merge"],
        [("cond", "true", "yes", "in"), ("cond", "false", "no", "in"), ("yes", "merge"), ("no", "merge")],
        many={"merge": {"in"}},
    )
    sim = Simulation(plan, fires={"cond": ["false"]})
    states = sim.run()
    assert sim.ran == ["cond", "no", "merge"]
    assert states["merge"].live_inputs == 1


def test_it_skips_a_node_all_of_whose_inputs_were_skipped():
    plan = make_plan(
        ["cond", "a", "b", "join"],
        [("cond", "true", "a", "in"), ("cond", "true", "b", "in"), ("a", "join"), ("b", "join")],
        many={"join": {"in"}},
    )
    sim = Simulation(plan, fires={"cond": ["false"]})
    sim.run()
    assert sim.ran == ["cond"]
    assert sorted(sim.skipped) == ["a", "b", "join"]


def test_it_counts_each_edge_when_one_node_feeds_another_twice():
    plan = make_plan(["a", "b"], [("a", "x", "b", "left"), ("a", "y", "b", "right")])
    states = fresh_states(plan)
    assert states["b"].blockers == 2
    result = engine.settle(plan, [("a", ["y"])], states)
    assert result.ready == ["b"]
    assert states["b"].live_inputs == 1


def test_it_leaves_children_that_are_no_longer_pending_alone():
    plan = make_plan(["a", "b"], [("a", "b")])
    states = fresh_states(plan)
    states["b"].status = engine.CANCELLED
    assert engine.settle(plan, [("a", ["out"])], states).ready == []
    assert states["b"].blockers == 1


def test_it_gathers_inputs_from_the_edges_that_delivered():
    plan = make_plan(
        ["a", "b", "c", "m"],
        [("a", "m"), ("b", "m"), ("c", "error", "m", "in")],
        many={"m": {"in"}},
    )
    fired = {"a": ["out"], "b": [], "c": ["error"]}
    values = {("a", "out"): 1, ("c", "error"): {"message": "boom"}}
    inputs = engine.gather_inputs(plan, "m", fired.__getitem__, lambda s, h: values[(s, h)])
    assert inputs == {"in": [Arrival("a", 1), Arrival("c", {"message": "boom"})]}


def test_it_gives_a_single_input_its_one_value_and_an_unfed_many_input_an_empty_list():
    plan = make_plan(["a", "b", "m"], [("a", "b")], many={"m": {"in"}})
    assert engine.gather_inputs(plan, "b", lambda s: ["out"], lambda s, h: "v") == {"in": "v"}
    assert engine.gather_inputs(plan, "m", lambda s: ["out"], lambda s, h: "v") == {"in": []}


def test_it_fires_what_a_node_chose_or_everything_it_declares():
    assert engine.fired_on_success(["true", "false"], ["true"]) == ["true"]
    assert engine.fired_on_success(["out"], None) == ["out"]
    with pytest.raises(ValueError, match="unknown handles: maybe"):
        engine.fired_on_success(["true", "false"], ["maybe"])


def test_it_decides_what_a_final_failure_fires():
    assert engine.fired_on_failure("fail", ["out"]) is None
    assert engine.fired_on_failure("continue", ["a", "b"]) == ["a", "b"]
    assert engine.fired_on_failure("route", ["out"]) == ["error"]


@pytest.mark.parametrize(
    "statuses, expected",
    [
        (["succeeded", "skipped"], "succeeded"),
        (["succeeded", "running"], "running"),
        (["pending", "waiting"], "waiting"),  # an approval holds up what comes after it
        (["queued", "waiting"], "running"),
        (["pending", "succeeded"], "running"),
        (["succeeded", "waiting"], "waiting"),
        (["failed", "succeeded"], "succeeded"),  # handled failures (continue/route)
    ],
)
def test_it_derives_the_run_status(statuses, expected):
    assert engine.run_status_after(statuses) == expected


def test_retry_delays_grow_exponentially_with_jitter_and_a_cap():
    low = [engine.retry_delay(n, 2.0, rng=lambda: 0.0) for n in (1, 2, 3)]
    high = [engine.retry_delay(n, 2.0, rng=lambda: 1.0) for n in (1, 2, 3)]
    assert low == [1.5, 3.0, 6.0]
    assert high == [2.5, 5.0, 10.0]
    assert engine.retry_delay(30, 10.0, rng=lambda: 1.0) == 3600.0
    assert engine.retry_delay(3, 0.0) == 0.0


def test_it_says_why_a_node_is_not_running():
    plan = make_plan(["a", "b", "c"], [("a", "c"), ("b", "c")])
    statuses = {"a": "succeeded", "b": "running", "c": "pending"}
    assert engine.pending_reason(plan, "c", statuses) == "waiting for upstream node b (running)"
    assert engine.pending_reason(plan, "b", {"b": "queued"}) == "queued: waiting for a free worker"
    assert engine.pending_reason(plan, "a", statuses) is None


def test_the_engine_imports_neither_django_nor_celery():
    code = "import sys, runs.core.engine; print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@st.composite
def random_dags(draw):
    size = draw(st.integers(min_value=1, max_value=25))
    nodes = [f"n{i}" for i in range(size)]
    edges = []
    for target in range(1, size):
        for source in draw(st.sets(st.integers(0, target - 1), max_size=3)):
            handle = draw(st.sampled_from(["out", "alt"]))
            edges.append((nodes[source], handle, nodes[target], "in"))
    fires = {n: draw(st.sampled_from([["out"], ["alt"], ["out", "alt"], []])) for n in nodes}
    return nodes, edges, fires


@settings(max_examples=300, deadline=None)
@given(random_dags())
def test_every_node_ends_once_and_runs_exactly_when_an_input_delivered(dag):
    nodes, edges, fires = dag
    plan = make_plan(nodes, edges, many={n: {"in"} for n in nodes})
    sim = Simulation(plan, fires=fires)
    sim.run()
    assert sorted(sim.ran + sim.skipped) == sorted(nodes)
    assert len(set(sim.ran)) == len(sim.ran)
    position = {n: i for i, n in enumerate(sim.ran)}
    for node_id in sim.ran:
        inbound = plan.nodes[node_id].inbound
        if inbound:
            # It ran: some parent ran before it and fired into it.
            assert any(
                e.source in position and position[e.source] < position[node_id]
                and e.source_handle in fires[e.source]
                for e in inbound
            )
    for node_id in sim.skipped:
        for e in plan.nodes[node_id].inbound:
            assert e.source not in position or e.source_handle not in fires[e.source]
