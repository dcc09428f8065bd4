"""The run API for programs: idempotent starts, signed callbacks with retries, the team's
cap on runs in progress, and per-key throttling. A real worker runs the runs."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time

from django.db import connection
from django.utils import timezone

from accounts.models import Team
from runs import limits
from runs.core import engine
from runs.models import CallbackDelivery, Run, RunRequest
from runs.services import do_start_run
from tests.conftest import api_client
from tests.helpers import edge, graph, make_flow, node, wait_for_run

HELLO = graph(
    [node("in", "input", key="name"), node("hi", "template", template="Hello {{ input }}"),
     node("out", "output", key="greeting")],
    [edge("in", "hi"), edge("hi", "out")],
)


def slow_graph(http_server, seconds: float) -> dict:
    """A run that works for a while (a slow call): it holds a slot of its team's cap, which
    a run merely waiting (a delay, an approval) does not."""
    return graph(
        [node("in", "input"), node("wait", "http", url=f"{http_server.url}/slow?seconds={seconds}"),
         node("out", "output")],
        [edge("in", "wait"), edge("wait", "out")],
    )


# --- Idempotency-Key ----------------------------------------------------------------------------


def test_the_same_key_and_body_return_the_same_run(running, alice, alice_api):
    flow = make_flow(alice, HELLO)
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-17"}
    first = alice_api.post(f"/api/flows/{flow.id}/runs/", {"inputs": {"name": "Ada"}}, format="json", **headers)
    again = alice_api.post(f"/api/flows/{flow.id}/runs/?wait=10", {"inputs": {"name": "Ada"}}, format="json", **headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert again["Location"] == f"/api/runs/{first.json()['id']}/"
    assert again.json()["outputs"] == {"greeting": "Hello Ada"}  # ?wait works on a replay too
    assert Run.objects.count() == 1


def test_the_same_key_with_another_body_is_422_and_starts_nothing(db, alice, alice_api):
    flow = make_flow(alice, HELLO)
    other = make_flow(alice, HELLO, name="other")
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-18"}
    assert alice_api.post(f"/api/flows/{flow.id}/runs/", {"inputs": {"name": "Ada"}}, format="json", **headers).status_code == 201
    changed = alice_api.post(f"/api/flows/{flow.id}/runs/", {"inputs": {"name": "Bob"}}, format="json", **headers)
    assert changed.status_code == 422
    assert "already used with a different request" in changed.json()["error"]
    elsewhere = alice_api.post(f"/api/flows/{other.id}/runs/", {"inputs": {"name": "Ada"}}, format="json", **headers)
    assert elsewhere.status_code == 422
    assert Run.objects.count() == 1
    # Key order and spacing in the body do not matter.
    same = alice_api.generic("POST", f"/api/flows/{flow.id}/runs/", '{ "inputs" : {"name":"Ada"} }',
                             content_type="application/json", **headers)
    assert same.status_code == 200


def test_a_bad_idempotency_key_is_a_400(db, alice, alice_api):
    flow = make_flow(alice, HELLO)
    response = alice_api.post(f"/api/flows/{flow.id}/runs/", {}, format="json", HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert response.status_code == 400
    assert response.json()["error"] == "Idempotency-Key: must be 1 to 255 printable characters"
    assert not Run.objects.exists()


def test_concurrent_identical_requests_start_one_run(running, alice):
    flow = make_flow(alice, HELLO)
    clients = [api_client(alice) for _ in range(6)]
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, str]] = []

    def post(client) -> None:
        barrier.wait()
        try:
            response = client.post(f"/api/flows/{flow.id}/runs/", {"inputs": {"name": "Ada"}},
                                   format="json", HTTP_IDEMPOTENCY_KEY="same-for-all")
            answers.append((response.status_code, response.json().get("id", response.json())))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == len(clients), answers
    assert sorted(code for code, _ in answers) == [200] * 5 + [201]
    assert len({run_id for _, run_id in answers}) == 1
    assert Run.objects.count() == 1 and RunRequest.objects.count() == 1
    assert wait_for_run(answers[0][1]).status == engine.SUCCEEDED


# --- Callbacks ----------------------------------------------------------------------------------


def received_for(http_server, key: str, count: int, timeout: float = 20.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = [r for r in http_server.received if r["key"] == key]
        if len(got) >= count:
            return got
        time.sleep(0.05)
    raise AssertionError(f"the receiver got {len([r for r in http_server.received if r['key'] == key])} of {count}")


def delivery_when(run_id, status: str, timeout: float = 10.0) -> CallbackDelivery:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = CallbackDelivery.objects.filter(run_id=run_id).first()
        if record is not None and record.status == status:
            return record
        time.sleep(0.05)
    raise AssertionError(f"the delivery never became {status}: {record and record.status}")


def test_a_finished_run_is_posted_to_its_callback_url_signed(running, alice, alice_api, http_server, settings):
    settings.BATON_HTTP_ALLOW = [f"127.0.0.1:{http_server.port}"]
    flow = make_flow(alice, HELLO)
    url = f"{http_server.url}/receive?key=signed"
    run_id = alice_api.post(f"/api/flows/{flow.id}/runs/", {"inputs": {"name": "Ada"}, "callback_url": url},
                            format="json").json()["id"]
    (delivery,) = received_for(http_server, "signed", 1)
    body = delivery["body"]
    secret = Team.objects.get(pk=flow.team_id).webhook_secret
    sent_at = delivery["headers"]["X-Baton-Timestamp"]
    expected = hmac.new(secret.encode(), f"{sent_at}.".encode() + body, hashlib.sha256).hexdigest()
    assert delivery["headers"]["X-Baton-Signature"] == f"t={sent_at},v1={expected}"
    assert delivery["headers"]["X-Baton-Event"] == "run.finished"
    run = json.loads(body)
    assert (run["id"], run["status"], run["outputs"]) == (run_id, "succeeded", {"greeting": "Hello Ada"})
    assert [n["status"] for n in run["nodes"]] == ["succeeded"] * 3 and "graph" not in run
    record = delivery_when(run_id, "delivered")  # written once the receiver has answered
    assert (record.attempts, record.response_status) == (1, 200)


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(running, alice, alice_api, http_server, settings):
    settings.BATON_HTTP_ALLOW = [f"127.0.0.1:{http_server.port}"]
    flow = make_flow(alice, HELLO)
    url = f"{http_server.url}/receive?key=flaky&fail=2"
    run_id = alice_api.post(f"/api/flows/{flow.id}/runs/", {"callback_url": url}, format="json").json()["id"]
    attempts = received_for(http_server, "flaky", 3)
    assert len({a["body"] for a in attempts}) == 1  # the same bytes every time
    assert [a["headers"]["X-Baton-Attempt"] for a in attempts] == ["1", "2", "3"]
    gaps = [b["at"] - a["at"] for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[0] >= 0.25 and gaps[1] >= 0.55  # 0.3 s, then doubled
    assert delivery_when(run_id, "delivered").attempts == 3


def test_it_gives_up_after_the_last_attempt(running, alice, alice_api, http_server, settings):
    settings.BATON_HTTP_ALLOW = [f"127.0.0.1:{http_server.port}"]
    flow = make_flow(alice, HELLO)
    url = f"{http_server.url}/receive?key=down&fail=99"
    run_id = alice_api.post(f"/api/flows/{flow.id}/runs/", {"callback_url": url}, format="json").json()["id"]
    received_for(http_server, "down", 3)
    record = delivery_when(run_id, "failed")
    assert (record.attempts, record.last_error) == (3, "the receiver answered 503")
    time.sleep(1.0)
    assert len([r for r in http_server.received if r["key"] == "down"]) == 3


def test_callbacks_to_private_addresses_are_refused(db, alice, alice_api):
    flow = make_flow(alice, HELLO)
    for url, message in [
        ("http://127.0.0.1:9/x", "callback_url: 127.0.0.1 is a private or internal address"),
        ("http://169.254.169.254/latest", "callback_url: 169.254.169.254 is a private or internal address"),
        ("ftp://example.com/x", "callback_url: must be an http:// or https:// URL with a host"),
        ("not a url", "callback_url: must be an http:// or https:// URL with a host"),
    ]:
        response = alice_api.post(f"/api/flows/{flow.id}/runs/", {"callback_url": url}, format="json")
        assert response.status_code == 400, url
        assert response.json()["error"].startswith(message)
    assert not Run.objects.exists()


def test_a_name_resolving_to_a_private_address_fails_at_delivery_without_retries(running, alice, alice_api):
    flow = make_flow(alice, HELLO)
    run_id = alice_api.post(f"/api/flows/{flow.id}/runs/", {"callback_url": "http://localhost:9/x"},
                            format="json").json()["id"]
    record = delivery_when(run_id, "failed", timeout=15)
    assert record.attempts == 1
    assert "refusing to connect to localhost" in record.last_error


def test_the_sweeper_delivers_what_a_lost_signal_left_waiting(running, alice, http_server, settings):
    """The worker died between the run's end and making its callback due."""
    from runs.callbacks import sweep_deliveries

    settings.BATON_HTTP_ALLOW = [f"127.0.0.1:{http_server.port}"]
    flow = make_flow(alice, HELLO)
    run = do_start_run(flow=flow, user=alice, inputs={})
    wait_for_run(run)
    CallbackDelivery.objects.create(run=run, url=f"{http_server.url}/receive?key=swept")
    assert sweep_deliveries(timezone.now()) == 1
    received_for(http_server, "swept", 1)
    assert sweep_deliveries(timezone.now()) == 0


# --- The team's cap on runs in progress ---------------------------------------------------------


def test_runs_over_the_teams_cap_wait_in_line_and_start_in_order(running, alice, alice_api, http_server):
    flow = make_flow(alice, slow_graph(http_server, 0.4))
    Team.objects.filter(pk=flow.team_id).update(max_active_runs=1)
    ids = [alice_api.post(f"/api/flows/{flow.id}/runs/", {}, format="json").json()["id"] for _ in range(3)]
    deadline = time.monotonic() + 5
    waiting = alice_api.get(f"/api/runs/{ids[2]}/").json()
    while not waiting["waiting_for_slot"] and time.monotonic() < deadline:
        time.sleep(0.02)
        waiting = alice_api.get(f"/api/runs/{ids[2]}/").json()
    assert waiting["status"] == "pending" and waiting["waiting_for_slot"] is True
    assert waiting["nodes"][0]["reason"].endswith("the team's limit of runs in progress is reached")
    runs = [wait_for_run(run_id, timeout=30) for run_id in ids]
    assert all(run.status == engine.SUCCEEDED for run in runs)
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert later.started_at >= earlier.finished_at  # never two at once, in order
    assert runs[2].held_at is not None


def test_child_runs_neither_count_nor_wait(running, alice, http_server):
    """A parent holding the team's only slot must not block the child its sub-flow node
    waits for (else the parent would wait for ever)."""
    child_flow = make_flow(alice, HELLO, name="child")
    flow = make_flow(
        alice,
        graph(
            [node("in", "input"), node("wait", "http", url=f"{http_server.url}/slow?seconds=8"),
             node("sub", "subflow", flow=child_flow.id), node("out", "output")],
            [edge("in", "wait"), edge("in", "sub"), edge("sub", "out")],
        ),
    )
    Team.objects.filter(pk=flow.team_id).update(max_active_runs=1)
    parent = do_start_run(flow=flow, user=alice, inputs={"name": "kid"})
    deadline = time.monotonic() + 10
    while not Run.objects.filter(parent_run=parent).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = Run.objects.get(parent_run=parent)
    assert wait_for_run(child, timeout=10).status == engine.SUCCEEDED
    assert Run.objects.get(pk=parent.pk).status in engine.ACTIVE_RUN_STATUSES  # the slow call
    assert limits.active_count(flow.team_id) == 1
    api_client(alice).post(f"/api/runs/{parent.id}/cancel/")


def test_the_sweeper_releases_held_runs_when_the_cap_is_lifted(running, alice, http_server):
    flow = make_flow(alice, HELLO)
    Team.objects.filter(pk=flow.team_id).update(max_active_runs=1)
    blocker = do_start_run(flow=make_flow(alice, slow_graph(http_server, 30), name="long"), user=alice, inputs={})
    wait_for_run(blocker, statuses={engine.RUNNING, engine.WAITING})
    held = do_start_run(flow=flow, user=alice, inputs={})
    wait_for_run(held, statuses={engine.PENDING})
    deadline = time.monotonic() + 5
    while Run.objects.get(pk=held.pk).held_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Run.objects.get(pk=held.pk).held_at is not None
    Team.objects.filter(pk=flow.team_id).update(max_active_runs=0)
    assert wait_for_run(held, timeout=15).status == engine.SUCCEEDED  # the worker's sweep let it go
    api_client(alice).post(f"/api/runs/{blocker.id}/cancel/")


# --- Throttling ---------------------------------------------------------------------------------


def test_a_key_over_its_rate_gets_429_with_retry_after(db, alice, settings):
    settings.BATON_API_KEY_RATE = (3, 60)
    key, other = api_client(alice), api_client(alice)
    assert [key.get("/api/flows/").status_code for _ in range(3)] == [200, 200, 200]
    refused = key.get("/api/flows/")
    assert refused.status_code == 429
    retry_after = int(refused["Retry-After"])
    assert 1 <= retry_after <= 60
    assert refused.json()["retry_after"] == retry_after
    assert "throttled" in refused.json()["error"]
    assert other.get("/api/flows/").status_code == 200  # each key has its own count
    from rest_framework.test import APIClient

    editor = APIClient()
    editor.force_login(alice)
    assert all(editor.get("/api/flows/").status_code == 200 for _ in range(5))  # sessions are not limited


def test_a_new_window_lets_the_key_call_again(db, alice, settings):
    settings.BATON_API_KEY_RATE = (2, 1)
    key = api_client(alice)
    time.sleep(1 - time.time() % 1)  # start with a window, so the three calls share it
    assert [key.get("/api/me/").status_code for _ in range(3)][-1] == 429
    time.sleep(1.05)
    assert key.get("/api/me/").status_code == 200


APPROVAL = graph(
    [node("in", "input"), node("ok", "approval", message="go on?"), node("out", "output")],
    [edge("in", "ok"), edge("ok", "out", source_handle="approved")],
)


def test_runs_waiting_for_a_person_hold_no_slot_of_the_teams_cap(running, alice, alice_api):
    """Two unanswered approvals must not stall a team whose cap is 1."""
    waiting_flow = make_flow(alice, APPROVAL, name="needs a yes")
    Team.objects.filter(pk=waiting_flow.team_id).update(max_active_runs=1)
    first = do_start_run(flow=waiting_flow, user=alice, inputs={})
    second = do_start_run(flow=waiting_flow, user=alice, inputs={})
    assert wait_for_run(first, timeout=15, statuses={engine.WAITING}).status == engine.WAITING
    assert wait_for_run(second, timeout=15, statuses={engine.WAITING}).status == engine.WAITING
    third = do_start_run(flow=make_flow(alice, HELLO, name="quick"), user=alice, inputs={"name": "x"})
    assert wait_for_run(third, timeout=15).status == engine.SUCCEEDED
    assert limits.active_count(waiting_flow.team_id) == 0


def test_wait_answers_at_once_when_the_run_waits_for_a_person(running, alice, alice_api):
    flow = make_flow(alice, APPROVAL, name="needs a yes")
    began = time.monotonic()
    answer = alice_api.post(f"/api/flows/{flow.id}/runs/?wait=20", {}, format="json")
    assert answer.status_code == 201
    assert answer.json()["status"] == "waiting"
    assert time.monotonic() - began < 5  # not the whole 20 s
