"""Trigger URLs and schedules: runs that start without anyone pressing Run."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from flows.models import FlowVersion
from runs.core import engine
from runs.models import Run
from tests.helpers import edge, graph, make_flow, node, wait_for_run
from tests.services import Beat
from triggers.models import Schedule, TriggerToken
from triggers.services import fire_due_schedules, next_fire_time

HELLO = graph(
    [node("in", "input", key="name"), node("hi", "template", template="Hello {{ input }}"),
     node("out", "output", key="greeting")],
    [edge("in", "hi"), edge("hi", "out")],
)


# --- Trigger URLs -------------------------------------------------------------------------------


def test_a_trigger_url_starts_a_run_with_the_body_as_inputs(running, alice, alice_api, client):
    flow = make_flow(alice, HELLO)
    created = alice_api.post(f"/api/flows/{flow.id}/triggers/", {"name": "from CI"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("bth_") and body["url"].endswith(f"/hooks/{body['token']}/")
    assert body["prefix"] == body["token"][:16]
    listed = alice_api.get(f"/api/flows/{flow.id}/triggers/").json()
    assert [t["name"] for t in listed] == ["from CI"] and "token" not in listed[0]
    assert TriggerToken.objects.get().token_hash != body["token"]  # stored hashed

    response = client.post(f"/hooks/{body['token']}/", {"name": "Ada"}, content_type="application/json")
    assert response.status_code == 201
    started = response.json()
    assert set(started) == {"id", "flow", "version", "status", "created_at"}  # no results for the caller
    run = wait_for_run(started["id"])
    assert (run.status, run.outputs, run.trigger, run.created_by) == (
        engine.SUCCEEDED, {"greeting": "Hello Ada"}, "webhook", alice)
    assert alice_api.get(f"/api/flows/{flow.id}/triggers/").json()[0]["last_used_at"] is not None


def test_a_trigger_url_runs_the_latest_published_version_or_the_one_it_names(db, alice, alice_api, client):
    flow = make_flow(alice, HELLO)
    FlowVersion.objects.create(flow=flow, number=1, graph=flow.graph, flow_revision=1)
    FlowVersion.objects.create(flow=flow, number=2, graph=flow.graph, flow_revision=1)
    latest = alice_api.post(f"/api/flows/{flow.id}/triggers/", {"name": "latest"}, format="json").json()
    pinned = alice_api.post(f"/api/flows/{flow.id}/triggers/", {"name": "v1", "version": 1}, format="json").json()
    assert client.post(f"/hooks/{latest['token']}/", {}, content_type="application/json").json()["version"] == 2
    assert client.post(f"/hooks/{pinned['token']}/", {}, content_type="application/json").json()["version"] == 1
    assert client.post(f"/hooks/{latest['token']}/?version=draft", {}, content_type="application/json").json()["version"] is None
    refused = alice_api.post(f"/api/flows/{flow.id}/triggers/", {"name": "v9", "version": 9}, format="json")
    assert refused.status_code == 400 and refused.json()["error"] == "version: the flow has no version 9"


def test_a_revoked_trigger_url_answers_404_at_once(db, alice, alice_api, client):
    flow = make_flow(alice, HELLO)
    created = alice_api.post(f"/api/flows/{flow.id}/triggers/", {"name": "x"}, format="json").json()
    assert alice_api.delete(f"/api/flows/{flow.id}/triggers/{created['id']}/").status_code == 204
    response = client.post(f"/hooks/{created['token']}/", {}, content_type="application/json")
    assert response.status_code == 404 and response.json() == {"error": "no such trigger"}
    assert alice_api.get(f"/api/flows/{flow.id}/triggers/{created['id']}/").json()["state"] == "revoked"
    assert not Run.objects.exists()


def test_a_trigger_url_wants_a_json_object_and_honours_idempotency_keys(db, alice, alice_api, client):
    flow = make_flow(alice, HELLO)
    token = alice_api.post(f"/api/flows/{flow.id}/triggers/", {"name": "x"}, format="json").json()["token"]
    bad = client.post(f"/hooks/{token}/", "[1, 2]", content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["error"] == "inputs: the body must be a JSON object (the run's inputs)"
    assert client.post(f"/hooks/{token}/", "{oops", content_type="application/json").status_code == 400
    empty = client.post(f"/hooks/{token}/")
    assert empty.status_code == 201 and Run.objects.get().inputs == {}
    first = client.post(f"/hooks/{token}/", {"a": 1}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post(f"/hooks/{token}/", {"a": 1}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Run.objects.count() == 2


def test_trigger_urls_are_throttled_per_token(db, alice, alice_api, client, settings):
    settings.BATON_TRIGGER_RATE = (2, 60)
    flow = make_flow(alice, HELLO)
    token = alice_api.post(f"/api/flows/{flow.id}/triggers/", {"name": "x"}, format="json").json()["token"]
    codes = [client.post(f"/hooks/{token}/").status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert Run.objects.count() == 2


# --- Schedules ------------------------------------------------------------------------------


def test_a_schedule_is_made_with_its_next_firing_in_its_time_zone(db, alice, alice_api):
    flow = make_flow(alice, HELLO)
    response = alice_api.post(f"/api/flows/{flow.id}/schedules/",
                              {"cron": "30 9 * * 1-5", "timezone": "Europe/Paris", "inputs": {"name": "team"}},
                              format="json")
    assert response.status_code == 201
    body = response.json()
    fire = datetime.fromisoformat(body["next_fire_at"].replace("Z", "+00:00"))
    local = fire.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    assert (local.hour, local.minute) == (9, 30) and local.weekday() < 5
    assert fire > timezone.now()
    changed = alice_api.patch(f"/api/flows/{flow.id}/schedules/{body['id']}/", {"enabled": False}, format="json")
    assert changed.json()["next_fire_at"] is None
    again = alice_api.patch(f"/api/flows/{flow.id}/schedules/{body['id']}/", {"enabled": True, "cron": "@hourly"},
                            format="json").json()
    assert datetime.fromisoformat(again["next_fire_at"].replace("Z", "+00:00")).minute == 0


@pytest.mark.parametrize(
    "body, message",
    [
        ({"cron": "61 * * * *"}, "cron: '61 * * * *' is not a valid cron expression"),
        ({"cron": "* * * *"}, "cron: must have 5 fields: minute hour day-of-month month day-of-week"),
        ({"cron": "* * * * * *"}, "cron: must have 5 fields"),
        ({"cron": "@reboot"}, "cron: unknown macro '@reboot'"),
        ({"cron": "0 0 30 2 *"}, "cron: '0 0 30 2 *' never fires"),
        ({"cron": 5}, "cron: must be a string, not int"),
        ({}, "cron: This field is required."),
        ({"cron": "@daily", "timezone": "Mars/Olympus"}, "timezone: unknown time zone 'Mars/Olympus'"),
        ({"cron": "@daily", "inputs": [1]}, "inputs: must be a JSON object"),
        ({"cron": "@daily", "version": 4}, "version: the flow has no version 4"),
    ],
)
def test_bad_schedules_get_a_clear_400_and_are_not_saved(db, alice, alice_api, body, message):
    flow = make_flow(alice, HELLO)
    response = alice_api.post(f"/api/flows/{flow.id}/schedules/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)
    assert not Schedule.objects.exists()


def due_schedule(alice, flow, missed: timedelta) -> Schedule:
    return Schedule.objects.create(
        flow=flow, cron="*/5 * * * *", inputs={"name": "cron"}, created_by=alice,
        next_fire_at=timezone.now() - missed,
    )


def test_a_due_schedule_fires_once_however_many_times_it_missed(running, alice):
    flow = make_flow(alice, HELLO)
    schedule = due_schedule(alice, flow, missed=timedelta(hours=3))  # 36 missed times
    assert fire_due_schedules() == 1
    assert fire_due_schedules() == 0
    schedule.refresh_from_db()
    assert schedule.next_fire_at > timezone.now()
    assert schedule.next_fire_at.minute % 5 == 0 and schedule.next_fire_at.second == 0
    run = wait_for_run(schedule.last_run_id)
    assert (run.trigger, run.outputs, run.created_by) == ("schedule", {"greeting": "Hello cron"}, alice)
    assert Run.objects.count() == 1


def test_two_ticks_at_once_fire_a_schedule_once(running, alice):
    flow = make_flow(alice, HELLO)
    due_schedule(alice, flow, missed=timedelta(minutes=1))
    barrier = threading.Barrier(3)
    fired: list[int] = []

    def tick() -> None:
        barrier.wait()
        try:
            fired.append(fire_due_schedules())
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(fired) == [0, 0, 1]
    assert Run.objects.count() == 1
    wait_for_run(Run.objects.get())  # let the worker finish before the tables are emptied


def test_a_firing_that_cannot_start_a_run_is_recorded_and_the_schedule_moves_on(db, alice):
    flow = make_flow(alice, HELLO)
    schedule = Schedule.objects.create(flow=flow, cron="@hourly", version=3, created_by=alice,
                                       next_fire_at=timezone.now() - timedelta(seconds=1))
    assert fire_due_schedules() == 1
    schedule.refresh_from_db()
    assert schedule.last_error == "version: the flow has no version 3"
    assert schedule.last_run is None and schedule.next_fire_at > timezone.now()
    assert not Run.objects.exists()


def test_next_fire_time_follows_the_zone_across_a_clock_change():
    # Paris moves from +01:00 to +02:00 on 2026-03-29: 09:00 local is 08:00 then 07:00 UTC.
    before = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
    first = next_fire_time("0 9 * * *", "Europe/Paris", before)
    second = next_fire_time("0 9 * * *", "Europe/Paris", first)
    assert (first.hour, second.hour) == (8, 7)


def test_celery_beat_fires_a_schedule_missed_while_nothing_ran(running, alice):
    """The real thing: a beat process sends the tick, the worker fires the schedule."""
    flow = make_flow(alice, HELLO)
    schedule = due_schedule(alice, flow, missed=timedelta(days=2))
    beat = Beat(tick_seconds=0.5).start()
    try:
        deadline = time.monotonic() + 30
        while Schedule.objects.get(pk=schedule.pk).last_run_id is None and time.monotonic() < deadline:
            time.sleep(0.1)
        schedule.refresh_from_db()
        assert schedule.last_run_id is not None, "beat never fired the schedule (see test-artifacts/beat.log)"
        assert wait_for_run(schedule.last_run_id).status == engine.SUCCEEDED
        time.sleep(1.5)  # more ticks come and go
        assert Run.objects.count() == 1
    finally:
        beat.stop()
