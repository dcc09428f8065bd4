"""The hot path's own SQL (runs/store.py): what one write_nodes statement stores."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from runs import store
from runs.models import NodeRun
from tests.helpers import edge, graph, make_flow, node, start


def three_nodes(user, monkeypatch):
    from runs import services

    monkeypatch.setattr(services, "_start", lambda *a, **k: None)  # no worker touches it
    flow = make_flow(user, graph(
        [node("a", "input"), node("b", "template", template="x"), node("c", "output")],
        [edge("a", "b"), edge("b", "c")]))
    run = start(flow, user, {})
    return {n.node_id: n for n in NodeRun.objects.filter(run=run)}


def test_write_nodes_stores_every_kind_of_value_as_django_would(db, alice, monkeypatch):
    rows = three_nodes(alice, monkeypatch)
    when = timezone.now() - timedelta(days=400, microseconds=17)
    values = {
        "a": {"output": {"text": "héllo \"quoted\" \\ ✓", "n": [1, 2.5, None, True]}, "message": "ok"},
        "b": {"output": "just a string", "message": "a {brace} and a , comma"},
        "c": {"output": None, "message": ""},
    }
    for node_id, row in rows.items():
        row.status = "succeeded"
        row.attempts = 2
        row.started_at = when
        row.finished_at = None if node_id == "c" else when + timedelta(seconds=1)
        row.output = values[node_id]["output"]
        row.message = values[node_id]["message"]
    store.write_nodes(list(rows.values()), ("status", "attempts", "started_at", "finished_at", "output", "message"))
    for node_id, row in rows.items():
        stored = NodeRun.objects.get(pk=row.pk)
        assert (stored.status, stored.attempts, stored.started_at) == ("succeeded", 2, when)
        assert stored.finished_at == row.finished_at
        assert stored.output == values[node_id]["output"]
        assert stored.message == values[node_id]["message"]
    assert NodeRun.objects.filter(pk=rows["c"].pk, output__isnull=True).exists()


def test_optional_fields_change_only_the_rows_named(db, alice, monkeypatch):
    rows = three_nodes(alice, monkeypatch)
    for row in rows.values():
        row.error = {"message": "stored before"}
    store.write_nodes(list(rows.values()), ("status",), {"error": set(rows)})
    for row in rows.values():
        row.status = "failed"
        row.error = {"message": f"new for {row.node_id}"}
    store.write_nodes(list(rows.values()), ("status",), {"error": {"b"}})
    stored = {n.node_id: n for n in NodeRun.objects.filter(pk__in=[r.pk for r in rows.values()])}
    assert {k: n.status for k, n in stored.items()} == {"a": "failed", "b": "failed", "c": "failed"}
    assert stored["b"].error == {"message": "new for b"}
    assert stored["a"].error == stored["c"].error == {"message": "stored before"}
