"""Work is never silently lost: killed workers, lost tasks, and races between workers."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from runs import leases, services, transitions
from runs.core import engine
from runs.models import NodeRun, Run
from tests.helpers import edge, graph, make_flow, node, nodes_of, start, wait_for_node, wait_for_run
from tests.services import EventRecorder, Worker

pytestmark = pytest.mark.worker


def slow_then_done_flow(alice, http_server, seconds: float = 3):
    return make_flow(
        alice,
        graph(
            [
                node("in", "input"),
                node("slow", "http", url=http_server.url + f"/slow?seconds={seconds}"),
                node("after", "http", url=http_server.url + "/json?key=after"),
                node("out", "output", key="result"),
            ],
            [edge("in", "slow"), edge("slow", "after"), edge("after", "out")],
        ),
    )


def finishes(events, node_id):
    return [
        e for e in events
        if e["type"] == "node.status" and e["node_id"] == node_id
        and e["status"] in (engine.SUCCEEDED, engine.FAILED)
    ]


def assert_recovered_once(run, recorder, http_server):
    nodes = nodes_of(run)
    assert run.status == engine.SUCCEEDED, run.error
    assert nodes["slow"].attempts == 2  # the killed attempt, and one more
    assert nodes["slow"].lost_count == 1
    assert nodes["after"].attempts == 1
    recorder.wait_for(lambda evs: any(e["type"] == "run.status" and e["status"] == "succeeded" for e in evs))
    for node_id in ("slow", "after", "out"):
        assert len(finishes(recorder.events, node_id)) == 1, f"{node_id} finished more than once"
    paths = [r["path"] for r in http_server.requests]
    assert paths.count("/slow") == 2
    assert paths.count("/json") == 1


def owner_pid(node_run) -> int:
    return int(NodeRun.objects.get(pk=node_run.pk).lease_owner.split(":")[1])


def wait_until_called(http_server, path: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(r["path"] == path for r in http_server.requests):
            return
        time.sleep(0.01)
    raise AssertionError(f"{path} was never called")


def own_worker_takes_the_starts(monkeypatch, http_server, name: str, **env: str) -> Worker:
    """A worker on a queue of its own, started here, to which every run start goes (and so
    every node of those runs: a worker dispatches to its own queue)."""
    victim = Worker(
        name, concurrency=1, BATON_QUEUE=f"{name}s-" + os.environ["BATON_QUEUE"],
        BATON_HTTP_ALLOW=f"127.0.0.1:{http_server.port}", **env,
    ).start()
    from runs.worker.tasks import start_run

    monkeypatch.setattr(
        services, "_start",
        lambda run, **_: transaction.on_commit(
            lambda: start_run.apply_async(args=[str(run.id)], queue=victim.env["BATON_QUEUE"])
        ),
    )
    return victim


def test_a_pool_process_killed_mid_node_hands_the_node_back(running, alice, http_server, monkeypatch):
    """SIGKILL the pool process of a prefork worker running a node: Celery gives the task
    back (late ack, reject on worker lost), the process's lease owner stops beating, and the
    node runs once more."""
    victim = own_worker_takes_the_starts(monkeypatch, http_server, "prefork", BATON_WORKER_POOL="prefork")
    try:
        flow = slow_then_done_flow(alice, http_server)
        run = start(flow, alice)
        with EventRecorder(str(run.id)) as recorder:
            slow = wait_for_node(run, "slow", {engine.RUNNING})
            wait_until_called(http_server, "/slow")
            pid = owner_pid(slow)
            assert pid in victim.pool_pids()
            os.kill(pid, signal.SIGKILL)
            run = wait_for_run(run, timeout=30)
            assert_recovered_once(run, recorder, http_server)
    finally:
        victim.stop()


def test_a_whole_worker_killed_mid_node_is_recovered_by_another(running, alice, http_server, monkeypatch):
    """SIGKILL a whole worker (main process and pool) running a node: its task stays
    unacknowledged in Redis, and another worker's sweeper sees the lease holder is dead and
    queues the node again."""
    victim = own_worker_takes_the_starts(monkeypatch, http_server, "victim")
    try:
        run = start(slow_then_done_flow(alice, http_server), alice)
        with EventRecorder(str(run.id)) as recorder:
            slow = wait_for_node(run, "slow", {engine.RUNNING})
            wait_until_called(http_server, "/slow")
            assert owner_pid(slow) in victim.pool_pids()
            victim.kill()
            run = wait_for_run(run, timeout=30)
            assert_recovered_once(run, recorder, http_server)
    finally:
        victim.stop()


def test_work_a_killed_worker_had_reserved_runs_elsewhere_without_waiting_for_the_requeue(
    running, alice, http_server, monkeypatch
):
    """SIGKILL a worker that holds tasks it has reserved but not started: they stay
    unacknowledged in Redis, where nobody takes them. Once its heartbeat runs out, a sweeper
    sees it went without a goodbye and sends its queued work again, well before
    BATON_REQUEUE_AFTER_SECONDS."""
    victim = own_worker_takes_the_starts(monkeypatch, http_server, "hoarder")
    try:
        flow = slow_then_done_flow(alice, http_server, seconds=2)
        runs = [start(flow, alice) for _ in range(3)]
        wait_for_node(runs[0], "slow", {engine.RUNNING})
        wait_until_called(http_server, "/slow")
        victim.kill()
        killed_at = time.monotonic()
        ended = [wait_for_run(run, timeout=45) for run in runs]
        took = time.monotonic() - killed_at
        assert [run.status for run in ended] == [engine.SUCCEEDED] * 3, [r.error for r in ended]
        from django.conf import settings

        assert took < settings.BATON_REQUEUE_AFTER_SECONDS - 10, took
        assert [r["path"] for r in http_server.requests].count("/json") == 3
    finally:
        victim.stop()


def test_two_parents_finishing_at_once_release_their_child_once(running, alice, monkeypatch):
    """Both parents complete in two threads that meet at a barrier before committing; the
    run's row lock serialises them and the child is made ready exactly once."""
    # The runs are never handed to the worker: it would race this test for the parents.
    monkeypatch.setattr(services, "_start", lambda run, **_: None)
    flow = make_flow(
        alice,
        graph(
            [node("a", "http", url="http://example.invalid/a"),
             node("b", "http", url="http://example.invalid/b"),
             node("join", "merge"), node("out", "output", key="both")],
            [edge("a", "join"), edge("b", "join"), edge("join", "out")],
        ),
    )
    for _ in range(5):
        run = services.do_start_run(flow=flow, user=alice, inputs={}, trigger="test")
        # Hold the run back from workers: claim both parents here, as two workers would.
        Run.objects.filter(pk=run.pk).update(status=engine.RUNNING)
        NodeRun.objects.filter(run=run, node_id__in=["a", "b"]).update(status=engine.QUEUED)
        # Owners that beat, as live workers' do: the worker's sweeper must not take the
        # nodes back as lost while the threads hold them.
        owners = {n: f"test-{n}:0:{uuid.uuid4().hex}" for n in "ab"}
        for owner in owners.values():
            leases.beat(owner)
        tickets = [leases.claim(NodeRun.objects.get(run=run, node_id=n).pk, owners[n]) for n in "ab"]
        assert all(tickets)
        barrier = threading.Barrier(2)
        errors = []

        def finish(ticket, barrier=barrier, errors=errors):
            try:
                barrier.wait(5)
                from runs.core.outcomes import Succeeded

                leases.complete(ticket, Succeeded(ticket.node_id), continue_with=False)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=finish, args=(t,)) for t in tickets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert errors == []
        run = wait_for_run(run)
        nodes = nodes_of(run)
        assert run.status == engine.SUCCEEDED
        assert nodes["join"].attempts == 1
        assert nodes["join"].blockers == 0 and nodes["join"].live_inputs == 2
        assert sorted(run.outputs["both"]) == ["a", "b"]


def test_the_sweeper_restarts_a_run_whose_start_was_lost(running, alice, monkeypatch):
    monkeypatch.setattr(services, "_start", lambda run, **_: None)
    run = start(make_flow(alice, graph([node("in", "input"), node("out", "output")], [edge("in", "out")])), alice)
    assert Run.objects.get(pk=run.pk).status == engine.PENDING
    Run.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert wait_for_run(run, timeout=10).status == engine.SUCCEEDED


def test_the_sweeper_resends_a_queued_node_whose_task_was_lost(running, alice, http_server, monkeypatch):
    from runs import effects

    monkeypatch.setattr(services, "_start", lambda run, **_: None)
    flow = make_flow(alice, graph([node("call", "http", url=http_server.url + "/json")], []))
    run = start(flow, alice)
    # Start it here, dropping the node's task on the floor as a broker failure would.
    send = effects._send_task
    monkeypatch.setattr(
        effects, "_send_task", lambda task: None if task.name == effects.EXECUTE_NODE else send(task)
    )
    transitions.begin_run(str(run.id))
    call = NodeRun.objects.get(run=run, node_id="call")
    assert call.status == engine.QUEUED
    NodeRun.objects.filter(pk=call.pk).update(queued_at=timezone.now() - timedelta(minutes=5))
    run = wait_for_run(run, timeout=10)
    assert run.status == engine.SUCCEEDED
    assert nodes_of(run)["call"].attempts == 1
