"""Retries with backoff, timeouts, on_error, and delays that hold no worker."""

from __future__ import annotations

import time

import pytest

from runs.core import engine
from tests.helpers import edge, graph, make_flow, node, nodes_of, start, wait_for_run

pytestmark = pytest.mark.worker


def http_flow(alice, url: str, settings: dict | None = None, after: str | None = None):
    nodes = [node("in", "input"), node("call", "http", settings=settings, url=url)]
    edges = [edge("in", "call")]
    if after is not None:
        nodes.append(node("after", "template", template=after))
        edges.append(edge("call", "after", "error" if "route" in str(settings) else "out"))
        nodes.append(node("out", "output", key="result"))
        edges.append(edge("after", "out"))
    return make_flow(alice, graph(nodes, edges))


def test_it_retries_a_failing_node_with_backoff_until_it_succeeds(running, alice, http_server):
    flow = http_flow(
        alice,
        http_server.url + "/flaky?key=retry&fail=2",
        settings={"retries": 3, "retry_backoff": 0.2},
    )
    run = wait_for_run(start(flow, alice))
    call = nodes_of(run)["call"]
    assert run.status == engine.SUCCEEDED, run.error
    assert call.attempts == 3
    assert call.output["body"] == {"attempt": 3}
    assert call.error is None
    # Two waits of 0.2 s and 0.4 s (±25 %) at least.
    assert (call.finished_at - call.started_at).total_seconds() >= 0.45


def test_it_fails_the_run_after_the_last_retry(running, alice, http_server):
    flow = http_flow(alice, http_server.url + "/status/500", settings={"retries": 1, "retry_backoff": 0.1},
                     after="never")
    run = wait_for_run(start(flow, alice))
    nodes = nodes_of(run)
    assert run.status == engine.FAILED
    assert run.error["node_id"] == "call"
    assert "answered 500" in run.error["message"]
    assert nodes["call"].attempts == 2
    assert nodes["call"].error["attempts"] == 2
    assert nodes["after"].status == engine.CANCELLED


def test_a_client_error_is_retried_like_any_failed_attempt_but_a_refused_address_is_not(
    running, alice, http_server
):
    refused = http_flow(alice, "http://10.1.2.3/", settings={"retries": 3, "retry_backoff": 0.1})
    run = wait_for_run(start(refused, alice))
    call = nodes_of(run)["call"]
    assert run.status == engine.FAILED
    assert call.attempts == 1
    assert "private, loopback" in call.error["message"]


def test_it_times_out_an_attempt(running, alice, http_server):
    flow = http_flow(alice, http_server.url + "/slow?seconds=5", settings={"timeout": 0.5, "retries": 1, "retry_backoff": 0})
    began = time.monotonic()
    run = wait_for_run(start(flow, alice))
    call = nodes_of(run)["call"]
    assert run.status == engine.FAILED
    assert call.attempts == 2
    assert call.error["type"] == "Timeout"
    assert "timed out after 0.5 s" in call.error["message"]
    assert time.monotonic() - began < 4


def test_on_error_continue_passes_null_on(running, alice, http_server):
    flow = http_flow(alice, http_server.url + "/status/404", settings={"on_error": "continue"},
                     after="got {{ input }}")
    run = wait_for_run(start(flow, alice))
    nodes = nodes_of(run)
    assert run.status == engine.SUCCEEDED
    assert nodes["call"].status == engine.FAILED
    assert run.outputs == {"result": "got None"}


def test_on_error_route_sends_the_error_out_on_the_error_handle(running, alice, http_server):
    flow = make_flow(
        alice,
        graph(
            [
                node("in", "input"),
                node("call", "http", settings={"on_error": "route"}, url=http_server.url + "/status/418"),
                node("ok", "template", template="fine"),
                node("oops", "template", template="{{ message }} after {{ attempts }} attempt"),
                node("out", "output", key="result"),
                node("merge", "merge"),
            ],
            [edge("in", "call"), edge("call", "ok"), edge("call", "oops", "error"),
             edge("ok", "merge"), edge("oops", "merge"), edge("merge", "out")],
        ),
    )
    run = wait_for_run(start(flow, alice))
    nodes = nodes_of(run)
    assert run.status == engine.SUCCEEDED
    assert nodes["ok"].status == engine.SKIPPED
    assert nodes["call"].status == engine.FAILED
    assert run.outputs["result"] == ["GET " + http_server.url + "/status/418 answered 418: {\"error\": \"as you asked\"} after 1 attempt"]


def test_delays_hold_no_worker(running, alice, http_server):
    """Four runs each wait 3 s on a worker with two processes, and a fifth run's HTTP call
    goes through meanwhile: nobody sits in a worker slot while waiting. (Held slots would
    take two rounds of 3 s and make the quick run wait for the first.)"""
    waiting = make_flow(
        alice,
        graph([node("in", "input"), node("wait", "delay", seconds=3), node("out", "output")],
              [edge("in", "wait"), edge("wait", "out")]),
    )
    began = time.monotonic()
    runs = [start(waiting, alice, {"n": i}) for i in range(4)]
    quick = start(http_flow(alice, http_server.url + "/json"), alice)
    quick = wait_for_run(quick, timeout=15)
    assert quick.status == engine.SUCCEEDED
    waits = []
    for run in runs:
        run = wait_for_run(run, timeout=15)
        assert run.status == engine.SUCCEEDED
        waits.append(nodes_of(run)["wait"])
    assert all(w.duration_ms >= 2900 for w in waits)
    assert quick.finished_at < min(w.finished_at for w in waits)  # done before any delay ended
    assert time.monotonic() - began < 5.5  # the four waits overlapped


def test_a_retry_waits_as_long_as_retry_after_says(running, alice, http_server):
    flow = http_flow(alice, http_server.url + "/flaky?key=ra&fail=1&status=429&retry_after=2",
                     settings={"retries": 1, "retry_backoff": 0.05})
    run = wait_for_run(start(flow, alice))
    assert run.status == engine.SUCCEEDED
    calls = [r["at"] for r in http_server.received if r["key"] == "ra"]
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 1.9  # not the 0.05 s backoff


def test_a_retry_after_given_as_an_http_date_is_honoured(running, alice, http_server):
    from email.utils import formatdate

    when = formatdate(time.time() + 2, usegmt=True).replace(" ", "%20").replace(",", "%2C")
    flow = http_flow(alice, http_server.url + f"/flaky?key=date&fail=1&status=503&retry_after={when}",
                     settings={"retries": 1, "retry_backoff": 0.05})
    run = wait_for_run(start(flow, alice))
    assert run.status == engine.SUCCEEDED
    calls = [r["at"] for r in http_server.received if r["key"] == "date"]
    assert calls[1] - calls[0] >= 0.9


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_answers_that_cannot_change_are_not_retried(running, alice, http_server, status):
    flow = http_flow(alice, http_server.url + f"/status/{status}", settings={"retries": 2, "retry_backoff": 0})
    run = wait_for_run(start(flow, alice))
    call = nodes_of(run)["call"]
    assert run.status == engine.FAILED
    assert call.attempts == 1
    assert [r["path"] for r in http_server.requests].count(f"/status/{status}") == 1


@pytest.mark.parametrize("status", [408, 425, 429, 500, 503])
def test_answers_that_may_change_are_retried(running, alice, http_server, status):
    flow = http_flow(alice, http_server.url + f"/flaky?key=s{status}&fail=1&status={status}",
                     settings={"retries": 1, "retry_backoff": 0})
    run = wait_for_run(start(flow, alice))
    assert run.status == engine.SUCCEEDED
    assert nodes_of(run)["call"].attempts == 2


def test_http_calls_carry_an_idempotency_key_new_for_each_retry(running, alice, http_server):
    flow = http_flow(alice, http_server.url + "/flaky?key=idem&fail=1", settings={"retries": 1, "retry_backoff": 0})
    run = wait_for_run(start(flow, alice))
    assert run.status == engine.SUCCEEDED
    keys = [r["headers"].get("Idempotency-Key") for r in http_server.received if r["key"] == "idem"]
    assert len(keys) == 2 and all(k and k.startswith("baton-") for k in keys)
    assert keys[0] != keys[1]
