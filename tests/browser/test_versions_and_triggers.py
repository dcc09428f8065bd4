"""The editor's ways to keep and share a flow: published versions (view, compare, restore),
trigger URLs and schedules; pickers for the team's objects in node forms; and a run's
child runs on the run page."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect
from rest_framework.test import APIClient

from flows.models import Flow
from runs.models import Run
from tests.helpers import edge, graph, make_flow, node, start, wait_for_run
from triggers.models import Schedule

from .conftest import sign_in
from .test_editor import canvas_node, drop_from_palette, laid_out


def greeter(alice, name: str = "Greeter") -> Flow:
    return make_flow(
        alice,
        graph(
            laid_out([node("in", "input", key="name"), node("greet", "template", label="Greeting", template="Hello {{ input }}!"),
                      node("out", "output", key="greeting")]),
            [edge("in", "greet"), edge("greet", "out")],
        ),
        name=name,
    )


def open_versions(page: Page) -> None:
    page.get_by_test_id("versions-button").click()
    expect(page.get_by_test_id("versions-panel")).to_be_visible()


def test_it_publishes_compares_and_restores_versions(live, page: Page, alice):
    flow = greeter(alice)
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    expect(page.locator(".react-flow__node")).to_have_count(3)
    open_versions(page)
    expect(page.get_by_test_id("no-versions")).to_be_visible()
    expect(page.get_by_test_id("latest-version")).to_have_text("not published")

    page.get_by_test_id("version-note").fill("First cut")
    page.get_by_test_id("publish-button").click()
    expect(page.get_by_test_id("version-item")).to_have_count(1)
    expect(page.get_by_test_id("version-item").first).to_contain_text("First cut")

    # A change: a new node and a relabelled one; publishing saves first, after asking.
    page.get_by_test_id("versions-button").click()  # close the drawer to reach the node panel
    added = drop_from_palette(page, "note", 400, 520)
    canvas_node(page, "greet").click()
    page.get_by_test_id("node-label-input").fill("Warm greeting")
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "true")
    open_versions(page)
    page.get_by_test_id("version-note").fill("Friendlier")
    page.get_by_test_id("publish-button").click()
    expect(page.get_by_test_id("confirm-dialog")).to_contain_text("Save before publishing?")
    page.get_by_test_id("confirm-button").click()
    expect(page.get_by_test_id("version-item")).to_have_count(2)
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "false")
    expect(page.get_by_test_id("latest-version")).to_have_text("published: v2")
    assert list(flow.versions.order_by("number").values_list("number", "note")) == [(1, "First cut"), (2, "Friendlier")]

    # Compare 1 → 2: the new node is marked added, the relabelled one changed; a list says so.
    page.get_by_test_id("compare-from").select_option("1")
    page.get_by_test_id("compare-to").select_option("2")
    page.get_by_test_id("compare-button").click()
    expect(page.get_by_test_id("preview-banner")).to_contain_text("version 1 to version 2")
    expect(page.locator(f'.react-flow__node[data-id="{added}"][data-diff="added"]')).to_have_count(1)
    expect(page.locator('.react-flow__node[data-id="greet"][data-diff="changed"]')).to_have_count(1)
    expect(page.locator('.react-flow__node[data-id="in"][data-diff]')).to_have_count(0)
    summary = page.get_by_test_id("diff-summary")
    expect(summary).to_contain_text("1 added, 1 changed")
    expect(summary.locator('[data-testid="diff-entry"][data-mark="changed"]')).to_contain_text("label")
    # Nothing can be edited or saved while a comparison is on screen.
    expect(page.get_by_test_id("save-button")).to_be_disabled()
    expect(page.get_by_test_id("palette")).to_have_count(0)

    # Compared the other way, the note is removed: drawn ghosted.
    page.get_by_test_id("compare-from").select_option("2")
    page.get_by_test_id("compare-to").select_option("1")
    page.get_by_test_id("compare-button").click()
    expect(page.locator(f'.react-flow__node[data-id="{added}"][data-diff="removed"]')).to_have_count(1)

    # Viewing version 1 shows it as it was; back to the draft shows the draft.
    page.locator('[data-testid="version-item"][data-version="1"]').get_by_test_id("view-version").click()
    expect(page.get_by_test_id("preview-banner")).to_contain_text("Version 1")
    expect(page.locator(".react-flow__node")).to_have_count(3)
    expect(canvas_node(page, "greet")).to_contain_text("Greeting")
    page.get_by_test_id("banner-back-to-draft").click()
    expect(page.get_by_test_id("preview-banner")).to_have_count(0)
    expect(page.locator(".react-flow__node")).to_have_count(4)

    # Restore version 1, after confirming: the draft changes, saved, and undo is one step away.
    page.locator('[data-testid="version-item"][data-version="1"]').get_by_test_id("restore-version").click()
    expect(page.get_by_test_id("confirm-dialog")).to_contain_text("Restore version 1?")
    page.get_by_test_id("confirm-button").click()
    expect(page.locator(".react-flow__node")).to_have_count(3)
    expect(canvas_node(page, "greet")).to_contain_text("Greeting")
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "false")
    flow.refresh_from_db()
    assert len(flow.graph["nodes"]) == 3
    assert next(n for n in flow.graph["nodes"] if n["id"] == "greet")["data"]["label"] == "Greeting"
    page.get_by_test_id("undo-button").click()
    expect(page.locator(".react-flow__node")).to_have_count(4)
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "true")
    assert page.console_problems == []


def test_a_trigger_url_is_shown_once_copied_and_starts_a_run(live, page: Page, alice):
    flow = greeter(alice, name="Hooked")
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    page.get_by_test_id("triggers-button").click()
    panel = page.get_by_test_id("triggers-panel")
    expect(panel).to_contain_text("No trigger URLs.")
    page.get_by_test_id("trigger-name").fill("Zapier")
    page.get_by_test_id("create-trigger").click()

    dialog = page.get_by_test_id("new-trigger-dialog")
    expect(dialog).to_contain_text("not shown again")
    url = page.get_by_test_id("new-trigger-url").inner_text().strip()
    assert re.fullmatch(re.escape(live.url) + r"/hooks/[^/]+/", url), url
    expect(page.get_by_test_id("trigger-curl")).to_contain_text(url)
    expect(page.get_by_test_id("trigger-curl")).to_contain_text('"name"')
    page.get_by_test_id("copy-trigger-url").click()
    assert page.evaluate("navigator.clipboard.readText()") == url
    page.get_by_test_id("new-trigger-done").click()
    expect(dialog).to_have_count(0)
    item = page.get_by_test_id("trigger-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Zapier")
    expect(item).to_contain_text("never used")
    # The secret is nowhere on the page any more.
    assert url.rsplit("/", 2)[-2] not in page.content()

    answer = httpx.post(url, json={"name": "Ada"}, timeout=10)
    assert answer.status_code == 201, answer.text
    run = wait_for_run(answer.json()["id"])
    assert run.status == "succeeded" and run.trigger == "webhook"
    page.get_by_test_id("trigger-section").get_by_role("button", name="Refresh").click()
    expect(item).not_to_contain_text("never used")
    page.get_by_test_id("triggers-button").click()  # the drawer closes; the run list is back
    page.get_by_test_id("run-history").get_by_role("button", name="Refresh").click()
    expect(page.get_by_test_id("run-history-item")).to_have_count(1)
    expect(page.get_by_test_id("run-history-item")).to_contain_text("webhook")

    # Revoking asks first; the URL then answers 404.
    page.get_by_test_id("triggers-button").click()
    page.get_by_test_id("revoke-trigger").click()
    page.get_by_test_id("confirm-button").click()
    expect(page.get_by_test_id("trigger-item")).to_have_count(0)
    assert httpx.post(url, json={}, timeout=10).status_code == 404
    assert page.console_problems == []


def test_a_schedule_is_made_listed_paused_and_deleted(live, page: Page, alice):
    flow = greeter(alice, name="Daily")
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    page.get_by_test_id("triggers-button").click()
    page.get_by_test_id("new-schedule").click()
    dialog = page.get_by_test_id("schedule-dialog")
    # Inputs start from the flow's input keys; the zone from the browser (UTC here).
    expect(page.get_by_test_id("schedule-inputs")).to_have_value(re.compile(r'"name"'))
    expect(page.get_by_test_id("schedule-timezone")).to_have_value("UTC")
    page.get_by_test_id("schedule-cron").fill("0 9 * *")
    expect(page.get_by_test_id("schedule-cron-help")).to_contain_text("5 fields")
    expect(page.get_by_test_id("schedule-submit")).to_be_disabled()
    page.get_by_test_id("schedule-cron").fill("30 8 * * 1-5")
    expect(page.get_by_test_id("schedule-cron-help")).to_contain_text("weekdays at 08:30")
    page.get_by_test_id("schedule-name").fill("Morning")
    page.get_by_test_id("schedule-timezone").select_option("Europe/Paris")
    page.get_by_test_id("schedule-inputs").fill('{"name": "team"}')
    page.get_by_test_id("schedule-submit").click()
    expect(dialog).to_have_count(0)

    item = page.get_by_test_id("schedule-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Morning")
    expect(item).to_contain_text("30 8 * * 1-5")
    expect(item).to_contain_text("Europe/Paris")
    expect(item.get_by_test_id("schedule-next")).to_contain_text(re.compile(r"Next: .*08:30 \(Europe/Paris\)"))
    schedule = Schedule.objects.get(flow=flow)
    assert (schedule.cron, schedule.timezone, schedule.inputs, schedule.enabled) == ("30 8 * * 1-5", "Europe/Paris", {"name": "team"}, True)

    item.get_by_test_id("schedule-toggle").click()
    expect(item.get_by_test_id("schedule-next")).to_contain_text("Paused")
    schedule.refresh_from_db()
    assert schedule.enabled is False and schedule.next_fire_at is None

    item.get_by_test_id("delete-schedule").click()
    page.get_by_test_id("confirm-button").click()
    expect(page.get_by_test_id("schedule-item")).to_have_count(0)
    assert not Schedule.objects.filter(flow=flow).exists()
    assert page.console_problems == []


def test_a_picker_lists_the_teams_credentials_and_saves_the_id(live, page: Page, alice):
    owner = APIClient()
    owner.force_login(alice)
    answer = owner.post("/api/credentials/", {"name": "Team OpenAI", "provider": "openai", "data": {"api_key": "sk-test"}}, format="json")
    assert answer.status_code == 201, answer.json()
    credential_id = answer.json()["id"]
    flow = make_flow(alice, graph(laid_out([node("in", "input"), node("ask", "llm", model="gpt-4o-mini"), node("out", "output", key="a")]),
                                  [edge("in", "ask"), edge("ask", "out")]), name="Asker")
    sign_in(page, live.url, "alice", next_path=f"/flows/{flow.id}")
    canvas_node(page, "ask").click()
    select = page.get_by_test_id("picker-select-credential")
    expect(select.locator("option")).to_have_count(2)
    expect(select.locator("option").nth(0)).to_have_text("— none —")
    expect(select.locator("option").nth(1)).to_have_text("Team OpenAI (openai)")
    expect(page.get_by_test_id("picker-manage-credential")).to_have_attribute("href", "/credentials")
    select.select_option(str(credential_id))
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "false")
    flow.refresh_from_db()
    assert next(n for n in flow.graph["nodes"] if n["id"] == "ask")["data"]["config"]["credential"] == credential_id

    # Back to none: null, not a missing id.
    select.select_option("")
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "false")
    flow.refresh_from_db()
    assert next(n for n in flow.graph["nodes"] if n["id"] == "ask")["data"]["config"]["credential"] is None
    assert page.console_problems == []


def test_a_subflow_picker_and_the_child_run_links(live, page: Page, alice):
    child = make_flow(alice, graph(laid_out([node("in", "input", key="name"), node("out", "output", key="greeting")]),
                                   [edge("in", "out")]), name="Child")
    parent = make_flow(alice, graph(laid_out([node("in", "input"), node("sub", "subflow", flow=child.id), node("out", "output", key="child")]),
                                    [edge("in", "sub"), edge("sub", "out")]), name="Parent")
    run = wait_for_run(start(parent, alice, {"name": "Ada"}))
    assert run.status == "succeeded", run.error
    child_run = Run.objects.get(parent_run=run)

    # The flow picker offers the team's other flows, not the flow itself.
    sign_in(page, live.url, "alice", next_path=f"/flows/{parent.id}")
    canvas_node(page, "sub").click()
    select = page.get_by_test_id("picker-select-flow")
    expect(select).to_have_value(str(child.id))
    expect(select.locator("option")).to_have_text(["— none —", "Child"])

    # The run page: the draft ran; the sub-flow's child run is a link; the child links back.
    page.goto(f"{live.url}/runs/{run.id}")
    expect(page.get_by_test_id("run-version")).to_have_attribute("data-version", "draft")
    links = page.get_by_test_id("child-run-link")
    expect(links).to_have_count(1)
    canvas_node(page, "sub").click()
    expect(page.get_by_test_id("node-child-runs").get_by_test_id("child-run")).to_have_attribute("data-status", "succeeded")
    page.get_by_test_id("node-child-runs").get_by_test_id("child-run-link").click()
    page.wait_for_url(re.compile(rf"/runs/{child_run.id}$"))
    expect(page.get_by_test_id("run-outputs")).to_contain_text("Ada")
    page.get_by_test_id("parent-run-link").click()
    page.wait_for_url(re.compile(rf"/runs/{run.id}$"))
    expect(page.get_by_test_id("run-page")).to_be_visible()
    assert page.console_problems == []


def test_a_runner_sees_versions_and_triggers_but_cannot_change_them(live, page: Page, alice, bob, alice_team):
    from flows.services import do_publish_version
    from tests.conftest import join

    join(bob, alice_team, "runner")
    owner = APIClient()
    owner.force_login(alice)
    credential_id = owner.post("/api/credentials/", {"name": "Key", "provider": "openai", "data": {"api_key": "sk-x"}},
                               format="json").json()["id"]
    flow = make_flow(alice, graph(laid_out([node("in", "input"), node("ask", "llm", credential=credential_id), node("out", "output", key="a")]),
                                  [edge("in", "ask"), edge("ask", "out")]), team=alice_team, name="Shared")
    do_publish_version(flow, user=alice, note="Reviewed", based_on_revision=None)

    sign_in(page, live.url, "bob", next_path=f"/flows/{flow.id}")
    expect(page.get_by_text("read-only (runner)")).to_be_visible()
    open_versions(page)
    expect(page.get_by_test_id("version-item")).to_have_count(1)
    expect(page.get_by_test_id("version-item")).to_contain_text("Reviewed")
    expect(page.get_by_test_id("publish-section")).to_have_count(0)
    expect(page.get_by_test_id("restore-version")).to_have_count(0)
    expect(page.get_by_test_id("view-version")).to_be_enabled()

    page.get_by_test_id("triggers-button").click()
    expect(page.get_by_test_id("triggers-panel")).to_contain_text("No trigger URLs.")
    expect(page.get_by_test_id("create-trigger-form")).to_have_count(0)
    expect(page.get_by_test_id("new-schedule")).to_have_count(0)

    # Runners may not list credentials: the picker shows the stored id, read-only, not "missing".
    page.get_by_test_id("triggers-button").click()
    canvas_node(page, "ask").click()
    select = page.get_by_test_id("picker-select-credential")
    expect(select).to_be_disabled()
    expect(select.locator("option:checked")).to_have_text(f"credential #{credential_id}")
    assert page.console_problems == []


def test_a_run_waiting_for_approval_says_so_and_is_approved_from_its_page(live, page: Page, alice):
    flow = make_flow(alice, graph(laid_out([node("in", "input", key="amount"), node("ok", "approval", label="Manager OK", message="Pay {{ input }}?"),
                                            node("out", "output", key="paid")]),
                                  [edge("in", "ok"), edge("ok", "out", source_handle="approved")]), name="Payout")
    from tests.helpers import wait_for_node

    run = start(flow, alice, {"amount": 40})
    wait_for_node(run, "ok", {"waiting"})
    sign_in(page, live.url, "alice", next_path=f"/runs/{run.id}")
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "waiting")
    expect(page.get_by_test_id("run-waiting-banner")).to_contain_text("Waiting for approval: Manager OK")
    expect(page.get_by_test_id("run-waiting")).to_contain_text("Pay 40?")
    page.get_by_test_id("review-approval").click()
    page.get_by_placeholder("Comment (optional)").fill("fine")
    page.get_by_test_id("approve-button").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id("run-waiting-banner")).to_have_count(0)
    expect(page.get_by_test_id("approval-decision")).to_contain_text("Approved by alice")
    expect(page.get_by_test_id("approval-decision")).to_contain_text("fine")
    assert wait_for_run(run).outputs == {"paid": 40}
    assert page.console_problems == []
