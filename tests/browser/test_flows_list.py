"""The flows list: rename, duplicate, delete (after asking), and a flow carried out as a
file and back in."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from flows.models import Flow
from tests.helpers import edge, graph, make_flow, node

from .conftest import sign_in
from .test_editor import laid_out


def greeter(user, name: str = "Greeter") -> Flow:
    return make_flow(
        user,
        graph(
            laid_out([node("in", "input", key="name"), node("greet", "template", template="Hello {{ input }}!"),
                      node("out", "output", key="greeting")]),
            [edge("in", "greet"), edge("greet", "out")],
        ),
        name=name,
    )


def row_of(page: Page, flow: Flow):
    return page.locator(f'[data-testid="flow-row"][data-flow-id="{flow.id}"]')


def row_named(page: Page, name: str):
    return page.get_by_test_id("flow-row").filter(has=page.get_by_test_id("flow-link").get_by_text(name, exact=True))


def test_it_renames_a_flow(live, page: Page, alice):
    flow = greeter(alice, "Draft")
    sign_in(page, live.url, "alice")
    row_of(page, flow).get_by_test_id("rename-flow").click()
    field = page.get_by_test_id("prompt-input")
    expect(field).to_have_value("Draft")
    field.fill("Welcome mail")
    page.get_by_test_id("prompt-submit").click()
    expect(page.get_by_test_id("prompt-dialog")).to_be_hidden()
    expect(row_of(page, flow).get_by_test_id("flow-link")).to_have_text("Welcome mail")
    saved = Flow.objects.get(pk=flow.pk)
    assert saved.name == "Welcome mail"
    assert saved.graph == flow.graph
    # The new name is the flow's name everywhere: its editor too.
    row_of(page, flow).get_by_test_id("flow-link").click()
    expect(page.get_by_test_id("flow-name")).to_have_value("Welcome mail")


def test_it_duplicates_a_flow_into_an_independent_copy(live, page: Page, alice):
    flow = greeter(alice)
    sign_in(page, live.url, "alice")
    expect(page.get_by_test_id("flow-row")).to_have_count(1)
    row_of(page, flow).get_by_test_id("duplicate-flow").click()
    expect(page.get_by_test_id("flow-row")).to_have_count(2)
    expect(page.get_by_test_id("toast-success").last).to_contain_text("Duplicated as “Greeter (copy)”.")
    copy = Flow.objects.exclude(pk=flow.pk).get()
    assert copy.name == "Greeter (copy)"
    assert copy.team_id == flow.team_id
    assert copy.graph == flow.graph

    # Opening the copy shows the same drawing; editing it leaves the original alone.
    row_of(page, copy).get_by_test_id("flow-link").click()
    page.wait_for_url(re.compile(rf"/flows/{copy.id}$"))
    expect(page.locator(".react-flow__node")).to_have_count(3)
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    page.get_by_test_id("palette-item-note").click()
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("dirty-marker")).to_have_attribute("data-dirty", "false")
    assert len(Flow.objects.get(pk=copy.pk).graph["nodes"]) == 4
    assert Flow.objects.get(pk=flow.pk).graph == flow.graph


def test_it_deletes_a_flow_only_once_that_is_confirmed(live, page: Page, alice):
    keep = greeter(alice, "Keep me")
    doomed = greeter(alice, "Old experiment")
    sign_in(page, live.url, "alice")
    expect(page.get_by_test_id("flow-row")).to_have_count(2)

    row_of(page, doomed).get_by_test_id("delete-flow").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("“Old experiment” and its drawing will be deleted")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("flow-row")).to_have_count(2)
    assert Flow.objects.filter(pk=doomed.pk).exists()

    row_of(page, doomed).get_by_test_id("delete-flow").click()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert Flow.objects.filter(pk=doomed.pk).exists()

    row_of(page, doomed).get_by_test_id("delete-flow").click()
    page.get_by_test_id("confirm-button").click()
    expect(page.get_by_test_id("toast-success").last).to_contain_text("Deleted “Old experiment”.")
    expect(page.get_by_test_id("flow-row")).to_have_count(1)
    expect(row_of(page, keep)).to_be_visible()
    assert not Flow.objects.filter(pk=doomed.pk).exists()
    assert Flow.objects.filter(pk=keep.pk).exists()
    # Its address now says so.
    page.goto(f"{live.url}/flows/{doomed.id}")
    expect(page.get_by_test_id("load-error")).to_have_text("This flow does not exist, or is not yours.")


def test_an_exported_flow_imports_back_as_a_new_flow(live, page: Page, alice, tmp_path):
    flow = greeter(alice, "Greeter v2")
    flow.description = "Says hello"
    flow.save()
    sign_in(page, live.url, "alice")

    with page.expect_download() as download_info:
        row_of(page, flow).get_by_test_id("export-flow").click()
    download = download_info.value
    assert download.suggested_filename == "greeter-v2.json"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    exported = json.loads(path.read_text())
    assert exported == {"name": "Greeter v2", "description": "Says hello", "graph": flow.graph}

    page.get_by_test_id("import-input").set_input_files(str(path))
    expect(page.get_by_test_id("toast-success").last).to_contain_text("Imported “Greeter v2”.")
    expect(page.get_by_test_id("flow-row")).to_have_count(2)
    expect(row_named(page, "Greeter v2")).to_have_count(2)
    imported = Flow.objects.exclude(pk=flow.pk).get()
    assert (imported.name, imported.description, imported.team_id) == ("Greeter v2", "Says hello", flow.team_id)
    assert imported.graph == flow.graph
    assert imported.created_by == alice

    # The imported flow opens and runs like the original.
    row_of(page, imported).get_by_test_id("flow-link").click()
    expect(page.locator(".react-flow__node")).to_have_count(3)
    page.get_by_test_id("run-button").click()
    page.get_by_test_id("run-input-name").fill("Ada")
    page.get_by_test_id("run-submit").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "succeeded", timeout=20_000)


def test_a_file_that_is_not_a_flow_is_refused_with_a_reason(live, page: Page, alice, tmp_path):
    greeter(alice)
    sign_in(page, live.url, "alice")
    expect(page.get_by_test_id("flow-row")).to_have_count(1)
    bogus = tmp_path / "notes.json"
    bogus.write_text(json.dumps({"hello": "world"}))
    page.get_by_test_id("import-input").set_input_files(str(bogus))
    expect(page.get_by_test_id("toast-error").last).to_contain_text("Not imported: The file has no graph with nodes and edges.")
    expect(page.get_by_test_id("flow-row")).to_have_count(1)
    assert Flow.objects.count() == 1
