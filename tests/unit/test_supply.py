"""Which nodes a run takes from pins and from an earlier run, without Django or Celery."""

from __future__ import annotations

from runs.core.engine import FAILED, SKIPPED, SUCCEEDED
from runs.core.supply import PINNED, REUSED, Earlier, Supply, choose_supplies, downstream, upstream
from tests.unit.test_engine import make_plan

# in → a → b → out, and in → c (a side branch).
PLAN = make_plan(["in", "a", "b", "out", "c"], [("in", "a"), ("a", "b"), ("b", "out"), ("in", "c")])


def earlier(**statuses: str) -> dict[str, Earlier]:
    return {n: Earlier(status, f"{n}-value", ["out"], "r1") for n, status in statuses.items()}


def test_downstream_and_upstream_include_the_node_itself():
    assert downstream(PLAN, ["a"]) == {"a", "b", "out"}
    assert upstream(PLAN, "b") == {"b", "a", "in"}


def test_pins_alone_supply_their_nodes():
    assert choose_supplies(PLAN, pins={"a": 1, "gone": 2}) == {"a": Supply(PINNED, 1)}


def test_run_from_a_node_reuses_everything_else_that_succeeded():
    found = choose_supplies(PLAN, pins={}, earlier=earlier(**dict.fromkeys(PLAN.nodes, SUCCEEDED)),
                            rerun=downstream(PLAN, ["b"]), sinks={"out"})
    assert sorted(found) == ["a", "c", "in"]
    assert found["a"] == Supply(REUSED, "a-value", ["out"], "r1")


def test_a_resume_reruns_what_failed_and_what_depends_on_it_but_not_what_was_skipped():
    found = choose_supplies(PLAN, pins={"c": 0}, earlier=earlier(**{"in": SUCCEEDED, "a": FAILED, "b": SUCCEEDED,
                                                                  "c": SKIPPED}))
    # b succeeded (a failed with on_error continue) but from an output that will change.
    assert {n: s.source for n, s in found.items()} == {"in": REUSED, "c": PINNED}


def test_a_node_missing_from_the_earlier_run_runs_with_what_follows():
    found = choose_supplies(PLAN, pins={}, earlier=earlier(**{"in": SUCCEEDED, "b": SUCCEEDED, "c": SUCCEEDED}))
    assert sorted(found) == ["c", "in"]
