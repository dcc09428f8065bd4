"""The node output cache's key and saving (runs.core.cache): plain Python."""

from __future__ import annotations

from flows.nodes.base import Arrival
from runs.core.cache import cache_key, run_saving, saved_usage


def key(**changes):
    what = {"flow_id": 1, "node_type": "http", "version": 1, "config": {"url": "u", "method": "GET"},
            "inputs": {"in": {"a": 1, "b": 2}}, "references": {}}
    return cache_key(**{**what, **changes})


def test_the_key_ignores_key_order_and_changes_with_anything_the_request_depends_on():
    assert key() == key(config={"method": "GET", "url": "u"}, inputs={"in": {"b": 2, "a": 1}})
    others = [key(flow_id=2), key(node_type="llm"), key(version=2), key(config={"url": "v"}),
              key(inputs={"in": {"a": 1}}), key(references={"credential": [[3, "2026-12-01"]]})]
    assert len({key(), *others}) == len(others) + 1


def test_many_valued_inputs_are_keyed_by_their_sources_and_values():
    one = key(inputs={"in": [Arrival("a", 1), Arrival("b", 2)]})
    assert one == key(inputs={"in": [Arrival("a", 1), Arrival("b", 2)]})
    assert one != key(inputs={"in": [Arrival("b", 2), Arrival("a", 1)]})


def test_a_hit_reports_what_it_saved_and_the_run_counts_it_apart():
    usage = saved_usage({"input_tokens": 10, "output_tokens": 5, "cost_usd": 0.01, "other": True})
    assert usage == {"cached": True, "saved": {"input_tokens": 10, "output_tokens": 5, "cost_usd": 0.01}}
    assert run_saving(usage["saved"]) == {
        "saved_input_tokens": 10, "saved_output_tokens": 5, "saved_cost_usd": 0.01}
    assert saved_usage(None) == {"cached": True, "saved": {}}
