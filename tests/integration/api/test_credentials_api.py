"""Credentials: owners manage them, editors pick them, nobody reads them back."""

from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.credentials import load_secret
from accounts.models import Credential
from tests.conftest import api_client, join

SECRET = "sk-live-never-shown-0123456789"


def session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def owner(alice):
    return session(alice)


def create(client, **body):
    payload = {"name": "OpenAI", "provider": "openai",
               "data": {"api_key": SECRET, "base_url": "https://api.example.com/v1"}, **body}
    return client.post("/api/credentials/", payload, format="json")


def test_an_owner_creates_a_credential_and_the_answer_names_fields_not_values(owner, alice_team):
    answer = create(owner)
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["fields"] == ["api_key", "base_url"]
    assert body["team"] == alice_team.id and body["provider"] == "openai" and body["created_by"] == "alice"
    assert "data" not in body and SECRET not in answer.content.decode()
    assert SECRET not in owner.get("/api/credentials/").content.decode()
    assert SECRET not in owner.get(f"/api/credentials/{body['id']}/").content.decode()


def test_values_are_encrypted_at_rest_and_decrypt_for_the_worker(owner, alice_team):
    credential_id = create(owner).json()["id"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT encrypted, fields FROM accounts_credential WHERE id = %s", [credential_id])
        encrypted, fields = cursor.fetchone()
    assert SECRET not in encrypted and "api.example.com" not in encrypted
    secret = load_secret(alice_team.id, credential_id)
    assert (secret.api_key, secret.base_url, secret.provider) == (SECRET, "https://api.example.com/v1", "openai")
    with pytest.raises(Credential.DoesNotExist):
        load_secret(alice_team.id + 1000, credential_id)


def test_patch_replaces_the_fields_sent_keeps_the_others_and_null_removes(owner, alice_team):
    credential_id = create(owner).json()["id"]
    answer = owner.patch(f"/api/credentials/{credential_id}/", {"name": "Renamed", "data": {"api_key": "sk-new-value-1"}}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["name"] == "Renamed" and answer.json()["fields"] == ["api_key", "base_url"]
    secret = load_secret(alice_team.id, credential_id)
    assert (secret.api_key, secret.base_url) == ("sk-new-value-1", "https://api.example.com/v1")
    answer = owner.patch(f"/api/credentials/{credential_id}/", {"data": {"base_url": None}}, format="json")
    assert answer.json()["fields"] == ["api_key"]
    assert owner.delete(f"/api/credentials/{credential_id}/").status_code == 204
    assert not Credential.objects.filter(pk=credential_id).exists()


@pytest.mark.parametrize("body, field", [
    ({"provider": "mistral"}, "provider"),
    ({"data": {"api_key": 3}}, "data.api_key"),
    ({"data": {"password": "x"}}, "data"),
    ({"data": {"base_url": "ftp://x"}}, "data.base_url"),
    ({"data": "sk-in-a-string"}, "data"),
    ({"name": ""}, "name"),
])
def test_bad_input_answers_400_naming_the_field(owner, body, field):
    answer = create(owner, **body)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(field)


def test_a_duplicate_name_in_a_team_is_refused(owner):
    assert create(owner).status_code == 201
    answer = create(owner)
    assert answer.status_code == 400 and "already has a credential" in answer.json()["error"]


def test_editors_list_credentials_but_cannot_manage_them(owner, alice_team, bob):
    credential_id = create(owner).json()["id"]
    join(bob, alice_team, "editor")
    editor = session(bob)
    listed = editor.get(f"/api/credentials/?team={alice_team.id}").json()
    assert [c["id"] for c in listed] == [credential_id]
    assert editor.get(f"/api/credentials/{credential_id}/").status_code == 200
    assert create(editor, team=alice_team.id).status_code == 403
    assert editor.patch(f"/api/credentials/{credential_id}/", {"name": "x"}, format="json").status_code == 403
    assert editor.delete(f"/api/credentials/{credential_id}/").status_code == 403


def test_viewers_and_runners_do_not_see_credentials(owner, alice_team, bob):
    credential_id = create(owner).json()["id"]
    join(bob, alice_team, "runner")
    runner = session(bob)
    assert runner.get("/api/credentials/").json() == []
    assert runner.get(f"/api/credentials/{credential_id}/").status_code == 403


def test_other_teams_credentials_do_not_exist_for_you(owner, bob):
    credential_id = create(owner).json()["id"]
    stranger = session(bob)
    assert stranger.get(f"/api/credentials/{credential_id}/").status_code == 404
    assert stranger.patch(f"/api/credentials/{credential_id}/", {"name": "mine"}, format="json").status_code == 404
    assert stranger.get("/api/credentials/").json() == []


def test_api_keys_never_manage_credentials(alice, owner):
    credential_id = create(owner).json()["id"]
    program = api_client(alice)
    assert create(program).status_code == 403
    assert program.delete(f"/api/credentials/{credential_id}/").status_code == 403
    assert program.get("/api/credentials/").status_code == 200


def test_the_web_side_never_decrypts(owner, alice_team, monkeypatch):
    """Creating, listing, reading and updating work without ever decrypting: each field is
    its own token, so a PATCH replaces tokens without reading the others."""
    import accounts.credentials

    def refuse(stored):
        raise AssertionError("decrypted outside a worker")

    monkeypatch.setattr(accounts.credentials, "decrypt", refuse)
    credential_id = create(owner).json()["id"]
    owner.get("/api/credentials/")
    owner.get(f"/api/credentials/{credential_id}/")
    answer = owner.patch(f"/api/credentials/{credential_id}/", {"data": {"api_key": "sk-rotated-value"}}, format="json")
    assert answer.status_code == 200
    monkeypatch.undo()
    secret = load_secret(alice_team.id, credential_id)
    assert (secret.api_key, secret.base_url) == ("sk-rotated-value", "https://api.example.com/v1")


def test_keys_can_be_rotated(owner, alice_team, settings):
    from cryptography.fernet import Fernet

    credential_id = create(owner).json()["id"]
    settings.BATON_CREDENTIALS_KEY = f"{Fernet.generate_key().decode()},{settings.BATON_CREDENTIALS_KEY}"
    assert load_secret(alice_team.id, credential_id).api_key == SECRET  # the old key still reads
    settings.BATON_CREDENTIALS_KEY = Fernet.generate_key().decode()
    from accounts.credentials import CredentialUnreadable

    with pytest.raises(CredentialUnreadable, match="BATON_CREDENTIALS_KEY"):
        load_secret(alice_team.id, credential_id)
