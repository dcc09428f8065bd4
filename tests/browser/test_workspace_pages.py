"""The workspace pages: teams and their settings, API keys, credentials, knowledge bases,
flows carried between teams, and what a viewer or runner is not offered."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from accounts.credentials import load_secret
from accounts.models import ApiKey, Credential, Membership, Team
from accounts.services import do_create_team
from flows.models import Flow
from knowledge.models import Document, KnowledgeBase
from tests.ai import make_credential, make_knowledge_base
from tests.conftest import join

from .conftest import sign_in
from .test_flows_list import greeter, row_of


def switch_team(page: Page, team: Team) -> None:
    page.get_by_test_id("team-switcher").select_option(str(team.id))
    expect(page.get_by_test_id("team-switcher")).to_have_value(str(team.id))


def test_it_creates_a_team_switches_to_it_and_sets_its_cap_and_secret(live, page: Page, alice):
    sign_in(page, live.url, "alice")
    page.get_by_test_id("new-team-button").click()
    page.get_by_test_id("prompt-input").fill("Acme")
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("team-title")).to_have_text("Acme")
    team = Team.objects.get(name="Acme")
    assert Membership.objects.get(team=team, user=alice).role == "owner"
    page.wait_for_url(re.compile(rf"/teams/{team.id}$"))
    expect(page.get_by_test_id("team-switcher")).to_have_value(str(team.id))
    expect(page.get_by_test_id("team-switcher").locator("option:checked")).to_have_text("Acme")

    # The cap on runs in progress; a bad value is refused before it is sent.
    cap = page.get_by_test_id("team-cap-input")
    cap.fill("-1")
    page.get_by_test_id("team-settings-save").click()
    expect(page.get_by_test_id("team-settings-error")).to_contain_text("whole number from 0")
    cap.fill("3")
    page.get_by_test_id("team-settings-save").click()
    expect(page.get_by_test_id("toast-success").last).to_contain_text("Team settings saved.")
    assert Team.objects.get(pk=team.pk).max_active_runs == 3

    # The webhook secret: shown on demand, rotated only after a confirmation.
    page.get_by_test_id("reveal-webhook-secret").click()
    expect(page.get_by_test_id("webhook-secret")).to_have_text(Team.objects.get(pk=team.pk).webhook_secret)
    old = Team.objects.get(pk=team.pk).webhook_secret
    page.get_by_test_id("rotate-webhook-secret").click()
    page.get_by_test_id("confirm-button").click()
    expect(page.get_by_test_id("webhook-secret")).not_to_have_text(old)
    assert Team.objects.get(pk=team.pk).webhook_secret != old
    expect(page.get_by_test_id("webhook-secret")).to_have_text(Team.objects.get(pk=team.pk).webhook_secret)

    # Its members are one link away; the new team's flows list is empty.
    page.get_by_test_id("team-members-link").click()
    expect(page.get_by_test_id("member-row")).to_have_count(1)
    page.get_by_test_id("nav-flows").click()
    expect(page.get_by_text("No flows in this team yet.")).to_be_visible()


def test_a_team_with_flows_is_not_deleted_and_says_why(live, page: Page, alice):
    team = do_create_team(alice, "Acme")
    Flow.objects.filter(pk=greeter(alice).pk).update(team=team)
    sign_in(page, live.url, "alice", next_path=f"/teams/{team.id}")
    page.get_by_test_id("delete-team").click()
    page.get_by_test_id("confirm-button").click()
    expect(page.get_by_test_id("toast-error").last).to_contain_text("the team still has 1 flow")
    assert Team.objects.filter(pk=team.pk).exists()

    Flow.objects.filter(team=team).delete()
    page.get_by_test_id("delete-team").click()
    page.get_by_test_id("confirm-button").click()
    page.wait_for_url(re.compile(r"/teams$"))
    expect(page.get_by_test_id("team-row")).to_have_count(1)
    assert not Team.objects.filter(pk=team.pk).exists()
    expect(page.get_by_test_id("team-switcher").locator("option")).to_have_count(1)


def test_an_api_key_is_shown_once_listed_with_its_limits_and_revoked(live, page: Page, alice):
    greeting = greeter(alice, "Greeter")
    greeter(alice, "Other")
    sign_in(page, live.url, "alice", next_path="/api-keys")
    expect(page.get_by_text("No keys yet.")).to_be_visible()

    form = page.get_by_test_id("create-api-key-form")
    form.get_by_test_id("api-key-name").fill("ci")
    form.get_by_test_id("api-key-scope-flows:write").check()
    form.get_by_test_id("api-key-scope-runs:write").uncheck()
    form.get_by_test_id("api-key-some-flows").check()
    form.get_by_test_id("create-api-key").click()
    expect(form.get_by_test_id("api-key-error")).to_have_text("Choose at least one flow, or allow all flows.")
    form.locator(f'[data-testid="api-key-flow"][data-flow-id="{greeting.id}"]').check()
    form.get_by_test_id("api-key-expiry").select_option("30")
    form.get_by_test_id("create-api-key").click()

    shown = page.get_by_test_id("new-api-key-value")
    expect(shown).to_be_visible()
    raw = shown.inner_text()
    key = ApiKey.objects.get(name="ci")
    assert key.matches(raw) and raw.startswith(key.prefix)
    assert key.scopes == ["flows:read", "flows:write"]
    assert list(key.flows.values_list("id", flat=True)) == [greeting.id]
    assert key.expires_at is not None

    page.get_by_test_id("copy-api-key").click()
    assert page.evaluate("navigator.clipboard.readText()") == raw

    row = page.locator(f'[data-testid="api-key-row"][data-key-id="{key.id}"]')
    expect(row.get_by_test_id("api-key-scope")).to_have_text(["flows:read", "flows:write"])
    expect(row.get_by_test_id("api-key-flows")).to_have_text("Greeter")

    # Once dismissed (or after a reload) the secret is nowhere on the page.
    page.get_by_test_id("dismiss-api-key").click()
    page.reload()
    expect(row).to_be_visible()
    assert raw not in page.content()
    assert raw not in page.evaluate("fetch('/api/api-keys/').then(r => r.text())")

    # Changed in place: renamed, opened to every flow, its expiry kept; the secret stays the same.
    expires_at = key.expires_at
    row.get_by_test_id("edit-api-key").click()
    dialog = page.get_by_test_id("edit-api-key-dialog")
    expect(dialog.get_by_test_id("api-key-team")).to_be_disabled()
    expect(dialog.locator(f'[data-testid="api-key-flow"][data-flow-id="{greeting.id}"]')).to_be_checked()
    dialog.get_by_test_id("api-key-name").fill("ci-renamed")
    dialog.get_by_test_id("api-key-all-flows").check()
    dialog.get_by_test_id("save-api-key").click()
    expect(dialog).to_have_count(0)
    expect(row.get_by_test_id("api-key-flows")).to_have_text("All flows")
    expect(row).to_contain_text("ci-renamed")
    key.refresh_from_db()
    assert (key.name, list(key.flows.all()), key.expires_at) == ("ci-renamed", [], expires_at)
    assert key.matches(raw)

    row.get_by_test_id("revoke-api-key").click()
    expect(page.get_by_test_id("confirm-dialog")).to_contain_text("ci-renamed")
    page.get_by_test_id("confirm-button").click()
    expect(row).to_have_count(0)
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    page.get_by_test_id("show-revoked").check()
    expect(page.locator(f'[data-testid="api-key-row"][data-key-id="{key.id}"]')).to_have_attribute("data-state", "revoked")


def test_a_credential_secret_goes_in_and_never_comes_back(live, page: Page, alice, alice_team):
    secret = "sk-test-NEVER-SHOWN-0042"
    sign_in(page, live.url, "alice", next_path="/credentials")
    page.get_by_test_id("new-credential").click()
    dialog = page.get_by_test_id("credential-dialog")
    dialog.get_by_test_id("credential-name").fill("OpenAI")
    expect(dialog.get_by_test_id("credential-api-key")).to_have_attribute("type", "password")
    dialog.get_by_test_id("credential-api-key").fill(secret)
    dialog.get_by_test_id("credential-base-url").fill("not a url")
    dialog.get_by_test_id("credential-save").click()
    expect(dialog.get_by_test_id("credential-error")).to_contain_text("full address")
    dialog.get_by_test_id("credential-base-url").fill("https://api.example.com/v1")
    dialog.get_by_test_id("credential-save").click()

    row = page.get_by_test_id("credential-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("OpenAI-compatible")
    expect(row).to_contain_text("API key, Base URL")
    credential = Credential.objects.get(team=alice_team, name="OpenAI")
    assert load_secret(alice_team.id, credential.id).api_key == secret
    assert secret not in page.content()
    answer = page.evaluate(f"fetch('/api/credentials/{credential.id}/').then(r => r.text())")
    assert json.loads(answer)["name"] == "OpenAI" and secret not in answer

    # Editing starts blank; a blank secret keeps the stored one.
    row.get_by_test_id("edit-credential").click()
    dialog = page.get_by_test_id("credential-dialog")
    expect(dialog.get_by_test_id("credential-api-key")).to_have_value("")
    dialog.get_by_test_id("credential-name").fill("OpenAI prod")
    dialog.get_by_test_id("credential-save").click()
    expect(row.locator("td").first).to_have_text("OpenAI prod")
    assert load_secret(alice_team.id, credential.id).api_key == secret
    assert secret not in page.content()

    row.get_by_test_id("delete-credential").click()
    page.get_by_test_id("confirm-button").click()
    expect(page.get_by_text("No credentials in this team yet.")).to_be_visible()
    assert not Credential.objects.filter(pk=credential.pk).exists()


def test_a_knowledge_base_takes_a_markdown_file_and_lists_its_chunks(live, page: Page, alice, alice_team):
    sign_in(page, live.url, "alice", next_path="/knowledge")
    page.get_by_test_id("new-knowledge-base").click()
    page.get_by_test_id("knowledge-base-name").fill("Help center")
    page.get_by_test_id("knowledge-base-save").click()
    page.wait_for_url(re.compile(r"/knowledge/\d+$"))
    kb = KnowledgeBase.objects.get(team=alice_team, name="Help center")
    assert page.url.endswith(f"/knowledge/{kb.id}")
    expect(page.get_by_test_id("no-documents")).to_be_visible()

    markdown = "# Refunds\n\nRefunds take five days.\n\n# Shipping\n\nWe ship in two days.\n"
    page.get_by_test_id("document-input").set_input_files([
        {"name": "faq.md", "mimeType": "text/markdown", "buffer": markdown.encode()},
        {"name": "photo.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n"},
    ])
    row = page.get_by_test_id("document-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("document-name")).to_have_text("faq.md")
    expect(row.get_by_test_id("document-status")).to_have_text("ready")
    document = Document.objects.get(knowledge_base=kb)
    assert document.chunk_count >= 1
    expect(row.get_by_test_id("document-chunks")).to_have_text(str(document.chunk_count))
    expect(page.locator('[data-testid="upload"][data-state="failed"]')).to_contain_text("photo.png: unsupported file type")

    page.get_by_test_id("rename-knowledge-base").click()
    page.get_by_test_id("rename-knowledge-base-dialog").get_by_test_id("knowledge-base-name").fill("Support answers")
    page.get_by_test_id("rename-knowledge-base-dialog").get_by_test_id("knowledge-base-save").click()
    expect(page.get_by_test_id("knowledge-base-title")).to_have_text("Support answers")
    assert KnowledgeBase.objects.get(pk=kb.pk).name == "Support answers"

    row.get_by_test_id("delete-document").click()
    page.get_by_test_id("confirm-button").click()
    expect(page.get_by_test_id("no-documents")).to_be_visible()
    assert not Document.objects.filter(knowledge_base=kb).exists()

    page.get_by_test_id("nav-knowledge").click()
    expect(page.get_by_test_id("knowledge-base-row")).to_have_count(1)
    page.get_by_test_id("delete-knowledge-base").click()
    page.get_by_test_id("confirm-button").click()
    expect(page.get_by_test_id("knowledge-base-row")).to_have_count(0)
    assert not KnowledgeBase.objects.filter(pk=kb.pk).exists()


def test_a_flow_is_copied_and_moved_to_another_team(live, page: Page, alice, alice_team):
    acme = do_create_team(alice, "Acme")
    flow = greeter(alice, "Greeter")
    sign_in(page, live.url, "alice")

    row_of(page, flow).get_by_test_id("move-copy-flow").click()
    dialog = page.get_by_test_id("move-copy-dialog")
    expect(dialog.get_by_test_id("target-team").locator("option")).to_have_text(["Acme — owner"])
    dialog.get_by_test_id("copy-name").fill("Greeter for Acme")
    dialog.get_by_test_id("move-copy-submit").click()
    expect(page.get_by_test_id("move-copy-summary")).to_have_text(
        "“Greeter” was copied to Acme as “Greeter for Acme”."
    )
    copy = Flow.objects.get(team=acme)
    assert copy.name == "Greeter for Acme" and copy.graph == flow.graph
    page.get_by_role("button", name="Close", exact=True).first.click()
    expect(page.get_by_test_id("flow-row")).to_have_count(1)  # the original stays here

    row_of(page, flow).get_by_test_id("move-copy-flow").click()
    dialog = page.get_by_test_id("move-copy-dialog")
    dialog.get_by_test_id("action-move").check()
    dialog.get_by_test_id("move-copy-submit").click()
    expect(page.get_by_test_id("move-copy-summary")).to_have_text("“Greeter” now belongs to Acme.")
    assert Flow.objects.get(pk=flow.pk).team_id == acme.id
    expect(page.get_by_test_id("flow-row")).to_have_count(0)

    page.get_by_test_id("open-moved-flow").click()
    page.wait_for_url(re.compile(rf"/flows/{flow.id}$"))
    expect(page.get_by_test_id("team-switcher")).to_have_value(str(acme.id))
    page.get_by_test_id("nav-flows").click()
    expect(page.get_by_test_id("flow-row")).to_have_count(2)


@pytest.mark.parametrize("role", ["viewer", "runner"])
def test_a_viewer_or_runner_is_not_offered_owner_actions(live, page: Page, alice, bob, role):
    acme = do_create_team(alice, "Acme")
    join(bob, acme, role)
    flow = greeter(alice, "Greeter")
    Flow.objects.filter(pk=flow.pk).update(team=acme)
    make_credential(acme, alice, name="OpenAI")
    kb = make_knowledge_base(acme, alice, {"faq": "Refunds take five days."})

    sign_in(page, live.url, "bob")
    switch_team(page, acme)
    row = row_of(page, flow)
    expect(row).to_be_visible()
    for action in ("rename-flow", "delete-flow", "duplicate-flow"):
        expect(row.get_by_test_id(action)).to_have_count(0)
    expect(page.get_by_test_id("new-flow-button")).to_have_count(0)
    # Copying out to bob's own team needs only reading here; moving needs writing here.
    row.get_by_test_id("move-copy-flow").click()
    expect(page.get_by_test_id("action-move")).to_be_disabled()
    page.keyboard.press("Escape")

    page.get_by_test_id("nav-credentials").click()
    expect(page.get_by_test_id("credentials-not-allowed")).to_contain_text(f"you are {role}")
    expect(page.get_by_test_id("new-credential")).to_have_count(0)
    expect(page.get_by_test_id("credential-row")).to_have_count(0)

    page.get_by_test_id("nav-knowledge").click()
    expect(page.get_by_test_id("knowledge-base-row")).to_have_count(1)
    expect(page.get_by_test_id("new-knowledge-base")).to_have_count(0)
    expect(page.get_by_test_id("delete-knowledge-base")).to_have_count(0)
    page.get_by_test_id("knowledge-base-link").click()
    expect(page.get_by_test_id("document-row")).to_have_count(1)
    for action in ("dropzone", "rename-knowledge-base", "delete-knowledge-base", "delete-document"):
        expect(page.get_by_test_id(action)).to_have_count(0)

    page.get_by_test_id("nav-team").click()
    expect(page.get_by_test_id("team-title")).to_have_text("Acme")
    expect(page.get_by_test_id("team-name-input")).to_be_disabled()
    expect(page.get_by_test_id("team-cap-input")).to_be_disabled()
    for action in ("team-settings-save", "reveal-webhook-secret", "rotate-webhook-secret", "delete-team"):
        expect(page.get_by_test_id(action)).to_have_count(0)
    expect(page.get_by_test_id("leave-team")).to_be_visible()
    expect(page.get_by_test_id("team-members-link")).to_have_text("See members")

    page.get_by_test_id("nav-api-keys").click()
    form = page.get_by_test_id("create-api-key-form")
    form.get_by_test_id("api-key-team").select_option(str(acme.id))
    expect(form.get_by_test_id("api-key-scope-flows:write")).to_be_disabled()
    expect(form.get_by_test_id("api-key-scope-flows:read")).to_be_enabled()
    runs = form.get_by_test_id("api-key-scope-runs:write")
    if role == "runner":
        expect(runs).to_be_enabled()
    else:
        expect(runs).to_be_disabled()
    assert KnowledgeBase.objects.get(pk=kb.pk).name == "Help"
    assert page.console_problems == []
