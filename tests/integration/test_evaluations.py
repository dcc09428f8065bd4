"""Datasets and evaluations: Alice runs a dataset through her flow and reads a score per row
that she worked out by hand; Bob (a viewer) may read but not start; Carol sees nothing."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from evaluations.models import Dataset
from flows.examples import install_examples
from knowledge.examples import install_example_knowledge
from runs.models import Run
from runs.recordings import RECORDING_TRIGGER
from tests.conftest import api_client, flow_limited_client, join
from tests.helpers import edge, graph, make_flow, node, signed_in, start, wait_for_run

pytestmark = pytest.mark.worker


def triple(user, template: str = "{{ input.a * 3 }}", **options):
    """input → template → output: the output is computable by hand."""
    return make_flow(user, graph(
        [node("in", "input"), node("t", "template", template=template), node("out", "output", key="result")],
        [edge("in", "t"), edge("t", "out")],
    ), **options)


def offset(i: int) -> int:
    """How far row i's expected value is from 3·i: 7 for i = 2, 7, 12, 17; 1 for i = 1, 5, 9,
    13; else 0 (12 rows)."""
    if i % 5 == 2:
        return 7
    if i % 4 == 1:
        return 1
    return 0


ROWS = [{"inputs": {"a": i}, "expected": str(3 * i + offset(i))} for i in range(20)]
SCORERS = [{"type": "exact"}, {"type": "numeric", "tolerance": 1.5}]


def finished(client, evaluation_id: int, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = client.get(f"/api/evaluations/{evaluation_id}/").json()
        if shown["status"] != "running":
            return shown
        time.sleep(0.1)
    raise AssertionError(f"evaluation still running: {shown['totals']}")


def evaluate(client, flow, dataset_id: int, **body) -> dict:
    answer = client.post(f"/api/flows/{flow.pk}/evaluations/",
                         {"dataset": dataset_id, "scorers": SCORERS, **body}, format="json")
    assert answer.status_code == 201, answer.json()
    return finished(client, answer.json()["id"])


def test_it_scores_every_row_as_worked_out_by_hand(running, alice):
    flow = triple(alice)
    client = signed_in(alice)
    made = client.post(f"/api/flows/{flow.pk}/datasets/", {"name": "triples", "rows": ROWS}, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["row_count"] == 20
    shown = evaluate(client, flow, made.json()["id"])
    assert shown["status"] == "succeeded"
    rows = shown["rows"]
    assert [r["outputs"] for r in rows] == [{"result": str(3 * i)} for i in range(20)]
    assert [r["scores"][0]["pass"] for r in rows] == [offset(i) == 0 for i in range(20)]
    assert [r["scores"][1]["pass"] for r in rows] == [offset(i) != 7 for i in range(20)]
    assert [r["pass"] for r in rows] == [offset(i) == 0 for i in range(20)]
    assert rows[2]["scores"][1]["reason"] == "6 is 7 from 13 (tolerance 1.5)"
    assert all(r["latency_ms"] is not None and r["cost_usd"] == 0 for r in rows)
    assert Run.objects.filter(trigger="evaluation", flow=flow).count() == 20
    totals = shown["totals"]
    assert (totals["rows"], totals["done"], totals["passed"], totals["failed"], totals["pass_rate"]) == (20, 20, 12, 8, 0.6)
    assert totals["scorers"] == [{"type": "exact", "mean": 0.6}, {"type": "numeric", "mean": 0.8}]

    # The draft changes (3·i + 1): the second evaluation, row by row against the first.
    flow.graph["nodes"][1]["data"]["config"]["template"] = "{{ input.a * 3 + 1 }}"
    flow.save()
    second = evaluate(client, flow, made.json()["id"])
    assert second["totals"]["passed"] == 4
    compared = client.get(f"/api/evaluations/{shown['id']}/compare/{second['id']}/").json()
    assert compared["changes"] == {"fixed": 4, "broken": 12, "same": 4}
    assert [r["index"] for r in compared["rows"] if r["change"] == "fixed"] == [1, 5, 9, 13]
    listed = client.get(f"/api/flows/{flow.pk}/evaluations/").json()
    assert [e["id"] for e in listed] == [second["id"], shown["id"]]


def test_a_replayed_evaluation_of_an_example_asks_no_model(running, alice, alice_team, fake_llm):
    install_example_knowledge(user=alice, team=alice_team)
    install_examples(user=alice, team=alice_team)
    flow = next(f for f in alice_team.flows.all() if f.name == "Sentiment of one review")
    recording = Run.objects.get(flow=flow, trigger=RECORDING_TRIGGER)
    client = signed_in(alice)
    dataset = client.post(f"/api/flows/{flow.pk}/datasets/",
                          {"name": "tests", "rows": [{"inputs": {}, "expected": None}] * 3}, format="json")
    shown = evaluate(client, flow, dataset.json()["id"], replay=True,
                     scorers=[{"type": "schema", "schema": {"type": "object"}}])
    assert shown["replay_runs"] == [str(recording.pk)]
    assert [r["run_status"] for r in shown["rows"]] == ["succeeded"] * 3, shown["rows"]
    assert fake_llm.requests == []


def test_who_may_read_and_start_evaluations(running, alice, alice_team, bob, carol):
    flow = triple(alice)
    other = triple(alice, name="Another")
    join(bob, alice_team, "viewer")
    dataset = signed_in(alice).post(f"/api/flows/{flow.pk}/datasets/", {"name": "d", "rows": ROWS[:2]}, format="json")
    body = {"dataset": dataset.json()["id"], "scorers": SCORERS}
    # Bob reads but neither makes datasets nor starts evaluations.
    assert [d["name"] for d in signed_in(bob).get(f"/api/flows/{flow.pk}/datasets/").json()] == ["d"]
    assert signed_in(bob).post(f"/api/flows/{flow.pk}/datasets/", {"name": "x", "rows": []}, format="json").status_code == 403
    assert signed_in(bob).post(f"/api/flows/{flow.pk}/evaluations/", body, format="json").status_code == 403
    started = signed_in(alice).post(f"/api/flows/{flow.pk}/evaluations/", body, format="json").json()
    assert signed_in(bob).get(f"/api/evaluations/{started['id']}/").status_code == 200
    # Carol is a stranger; a key limited to another flow sees nothing of this one.
    limited = flow_limited_client(alice, [other])
    for client in (signed_in(carol), limited):
        assert client.get(f"/api/flows/{flow.pk}/datasets/").status_code == 404
        assert client.post(f"/api/flows/{flow.pk}/evaluations/", body, format="json").status_code == 404
        assert client.get(f"/api/evaluations/{started['id']}/").status_code == 404
        assert client.get(f"/api/datasets/{dataset.json()['id']}/").status_code == 404
    # A key that may only read reads, and starts nothing.
    reader = api_client(alice, scopes=["flows:read"])
    assert reader.get(f"/api/evaluations/{started['id']}/").status_code == 200
    assert reader.post(f"/api/flows/{flow.pk}/evaluations/", body, format="json").status_code == 403
    assert reader.post(f"/api/flows/{flow.pk}/datasets/", {"name": "x", "rows": []}, format="json").status_code == 403
    # A dataset of another flow is not this flow's.
    assert signed_in(alice).post(f"/api/flows/{other.pk}/evaluations/", body, format="json").status_code == 400
    finished(signed_in(alice), started["id"])


def test_datasets_from_past_runs_take_their_inputs_and_outputs(running, alice):
    flow = triple(alice)
    runs = [wait_for_run(start(flow, alice, {"a": a})) for a in (2, 5)]
    made = signed_in(alice).post(f"/api/flows/{flow.pk}/datasets/",
                                 {"name": "past", "from_runs": [str(r.pk) for r in runs]}, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["rows"] == [{"inputs": {"a": 2}, "expected": "6"}, {"inputs": {"a": 5}, "expected": "15"}]


def test_test_flows_exits_zero_when_every_case_passes_and_one_when_one_fails(running, alice):
    flow = triple(alice)
    wait_for_run(start(flow, alice, {"a": 1}))  # something to replay from
    Dataset.objects.create(team=flow.team, flow=flow, name="tests", created_by=alice,
                           rows=[{"inputs": {"a": 2}, "expected": "6"}, {"inputs": {"a": 4}, "expected": "12"}])
    call_command("test_flows", "--flow", str(flow.pk))  # returns: every case passed
    Dataset.objects.create(team=flow.team, flow=flow, name="tests", created_by=alice,
                           rows=[{"inputs": {"a": 2}, "expected": "6"}, {"inputs": {"a": 4}, "expected": "13"}])
    with pytest.raises(SystemExit) as exit_:
        call_command("test_flows", "--flow", str(flow.pk))
    assert exit_.value.code == 1


# --- Uploads (no worker needed) -------------------------------------------------------------


def upload(client, flow, name: str, content: bytes):
    return client.post(f"/api/flows/{flow.pk}/datasets/",
                       {"name": "up", "file": SimpleUploadedFile(name, content)}, format="multipart")


def test_it_reads_rows_from_csv_and_jsonl(alice):
    flow = triple(alice)
    client = signed_in(alice)
    csv_answer = upload(client, flow, "rows.csv", b'input.a,input.b,expected\n1,"x, y",3\n2,z,6\n')
    assert csv_answer.status_code == 201, csv_answer.json()
    assert csv_answer.json()["rows"] == [{"inputs": {"a": "1", "b": "x, y"}, "expected": "3"},
                                         {"inputs": {"a": "2", "b": "z"}, "expected": "6"}]
    jsonl = b'{"inputs": {"a": 1}, "expected": 3}\n\n{"inputs": {"a": 2}, "expected": {"n": 6}}\n'
    assert upload(client, flow, "rows.jsonl", jsonl).json()["rows"][1] == {"inputs": {"a": 2}, "expected": {"n": 6}}


@pytest.mark.parametrize("name, content, problem", [
    ("rows.csv", b"input.a,expected\n1,3\n2,6,9\n", "line 3: 3 fields, the header has 2"),
    ("rows.csv", b"a,expected\n1,3\n", "line 1: column 'a' is neither input.<key> nor expected"),
    ("rows.jsonl", b'{"inputs": {}}\n{"inputs": \n', "line 2: not JSON"),
    ("rows.jsonl", b'{"inputs": [1]}\n', "line 1: inputs must be a JSON object"),
    ("rows.txt", b"", "must be a .csv or .jsonl file"),
])
def test_a_malformed_file_is_refused_naming_the_line(alice, name, content, problem):
    answer = upload(signed_in(alice), triple(alice), name, content)
    assert answer.status_code == 400
    assert answer.json()["fields"]["file"].startswith(problem), answer.json()


def test_hostile_rows_are_refused_naming_the_limit(alice):
    flow = triple(alice)
    client = signed_in(alice)
    deep: dict = {}
    for _ in range(30):
        deep = {"x": deep}
    for rows, problem in [
        ([{"inputs": {}}] * 1001, "1001 rows, over the limit of 1000 rows per dataset"),
        ([{"inputs": {"text": "x" * 70_000}}], "row 1: 70042 bytes of JSON, over the limit of 65536"),
        ([{"inputs": deep}], "row 1: nested deeper than 20 levels"),
        ([{"inputs": {}, "extra": 1}], "row 1: unknown fields extra"),
    ]:
        answer = client.post(f"/api/flows/{flow.pk}/datasets/", {"name": "bad", "rows": rows}, format="json")
        assert answer.status_code == 400 and answer.json()["fields"]["rows"] == problem, answer.json()


def test_it_keeps_at_most_max_parallel_runs_in_flight(running, alice):
    flow = make_flow(alice, graph(
        [node("in", "input"), node("wait", "delay", seconds=0.3), node("out", "output", key="result")],
        [edge("in", "wait"), edge("wait", "out")],
    ))
    client = signed_in(alice)
    dataset = client.post(f"/api/flows/{flow.pk}/datasets/",
                          {"name": "slow", "rows": [{"inputs": {"i": i}} for i in range(6)]}, format="json")
    answer = client.post(f"/api/flows/{flow.pk}/evaluations/", {
        "dataset": dataset.json()["id"], "max_parallel": 2, "scorers": [{"type": "schema", "schema": {}}],
    }, format="json")
    assert answer.status_code == 201, answer.json()
    assert sum(r["status"] == "running" for r in answer.json()["rows"]) == 2
    shown = finished(client, answer.json()["id"])
    assert shown["totals"]["passed"] == 6
    runs = Run.objects.filter(trigger="evaluation", flow=flow)
    moments = sorted([(r.created_at, 1) for r in runs] + [(r.finished_at, -1) for r in runs])
    in_flight, most = 0, 0
    for _, step in moments:
        in_flight += step
        most = max(most, in_flight)
    assert most == 2


def test_a_judge_scores_each_row_with_its_rubric(running, alice, alice_team, bob, fake_llm):
    from tests.ai import make_credential
    from tests.fake_llm import Reply

    credential = make_credential(alice_team, alice, fake_llm=fake_llm)
    flow = triple(alice)
    client = signed_in(alice)
    dataset = client.post(f"/api/flows/{flow.pk}/datasets/", {"name": "judged", "rows": ROWS[:2]}, format="json")
    judge = {"type": "judge", "rubric": "A multiple of three", "credential": credential.pk, "model": "gpt-4o-mini"}
    body = {"dataset": dataset.json()["id"], "max_parallel": 1, "scorers": [{"type": "exact"}, judge]}
    # Runners start evaluations, but a judge uses a credential: editors and owners.
    join(bob, alice_team, "runner")
    assert signed_in(bob).post(f"/api/flows/{flow.pk}/evaluations/", body, format="json").status_code == 403
    fake_llm.script(Reply("9 - it is"), Reply("3. Not really"))
    answer = client.post(f"/api/flows/{flow.pk}/evaluations/", body, format="json")
    assert answer.status_code == 201, answer.json()
    shown = finished(client, answer.json()["id"])
    assert [r["scores"][1] for r in shown["rows"]] == [
        {"type": "judge", "score": 0.9, "pass": True, "reason": ""},
        {"type": "judge", "score": 0.3, "pass": False, "reason": "the judge gave 3/10: 3. Not really"},
    ]
    assert [r["pass"] for r in shown["rows"]] == [True, False]
    assert shown["totals"]["scorers"] == [{"type": "exact", "mean": 0.5}, {"type": "judge", "mean": 0.6}]
    asked = [r.body["messages"][-1]["content"] for r in fake_llm.requests]
    assert asked == [f"Rubric:\nA multiple of three\n\nExpected (may be empty):\n{e}\n\nAnswer to grade:\n{a}"
                     for e, a in (("0", "0"), ("4", "3"))]
    assert Run.objects.filter(flow=flow, trigger="judge").count() == 2
    # A credential of another team is not one the judge may use.
    other = {**body, "scorers": [{**judge, "credential": credential.pk + 1000}]}
    assert client.post(f"/api/flows/{flow.pk}/evaluations/", other, format="json").status_code == 400


def test_rows_left_when_the_creator_is_demoted_do_not_start(running, alice, alice_team, bob, http_server):
    # Rows start later than the request that asked for them, as the creator: a creator
    # demoted meanwhile starts nothing more.
    membership = join(bob, alice_team, "runner")
    flow = make_flow(alice, graph(
        [node("in", "input"), node("wait", "http", url=http_server.url + "/slow?seconds=1"),
         node("out", "output", key="result")],
        [edge("in", "wait"), edge("wait", "out")],
    ), team=alice_team)
    dataset = Dataset.objects.create(team=alice_team, flow=flow, name="d", rows=[{"inputs": {}}] * 3)
    client = signed_in(bob)
    answer = client.post(f"/api/flows/{flow.pk}/evaluations/",
                         {"dataset": dataset.pk, "scorers": [{"type": "contains", "value": "x"}],
                          "max_parallel": 1}, format="json")
    assert answer.status_code == 201, answer.json()
    membership.role = "viewer"
    membership.save()
    shown = finished(signed_in(alice), answer.json()["id"])
    rows = shown["rows"]
    assert not rows[0]["error"], rows[0]
    assert [r["error"] for r in rows[1:]] == [
        "not started: the person who started the evaluation may no longer run this team's flows"] * 2
    assert Run.objects.filter(trigger="evaluation", flow=flow).count() == 1
