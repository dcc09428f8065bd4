"""Knowledge bases and their documents through the API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge.models import Chunk, Document
from knowledge.search import lexical
from knowledge.services import do_process_document
from tests.ai import make_credential
from tests.conftest import api_client, join
from tests.pdf import minimal_pdf


@pytest.fixture
def kb(alice_api):
    answer = alice_api.post("/api/knowledge-bases/", {"name": "Help center", "embedding": None}, format="json")
    assert answer.status_code == 201, answer.json()
    return answer.json()


def upload(client, kb_id, name, data, content_type):
    return client.post(f"/api/knowledge-bases/{kb_id}/documents/",
                       {"file": SimpleUploadedFile(name, data, content_type=content_type)}, format="multipart")


def test_it_creates_a_knowledge_base_and_lists_it(alice_api, kb, alice_team):
    assert kb["embedding"] is None and kb["team"] == alice_team.id and kb["document_count"] == 0
    listed = alice_api.get("/api/knowledge-bases/").json()
    assert [k["name"] for k in listed] == ["Help center"]


@pytest.mark.parametrize("name, data, kind, expected", [
    ("faq.txt", b"Refunds take five days.", "text/plain", "Refunds take five days."),
    ("faq.md", b"# Refunds\n\nRefunds take five days.", "text/markdown", "# Refunds\n\nRefunds take five days."),
    ("faq.html", b"<h1>Refunds</h1><p>Refunds take five days.</p><script>x()</script>", "text/html",
     "# Refunds\n\nRefunds take five days."),
    ("faq.pdf", minimal_pdf("Refunds take five days."), "application/pdf", "Refunds take five days."),
])
def test_it_takes_text_markdown_html_and_pdf_files(alice_api, kb, name, data, kind, expected):
    answer = upload(alice_api, kb["id"], name, data, kind)
    assert answer.status_code == 202, answer.json()
    assert answer.json()["status"] == "processing"
    do_process_document(answer.json()["id"])  # what the worker's task does
    document = alice_api.get(f"/api/knowledge-bases/{kb['id']}/documents/{answer.json()['id']}/").json()
    assert (document["name"], document["status"], document["chunk_count"]) == (name, "ready", 1)
    assert Chunk.objects.get(document_id=document["id"]).text == expected
    found = lexical(kb["id"], "how long do refunds take", 5)
    assert [chunk_id for chunk_id, _ in found] == [Chunk.objects.get(document_id=document["id"]).id]


def test_it_takes_a_named_text_as_json_and_lists_documents(alice_api, kb):
    answer = alice_api.post(f"/api/knowledge-bases/{kb['id']}/documents/", {"name": "note", "text": "hello there"}, format="json")
    assert answer.status_code == 201, answer.json()
    assert [d["name"] for d in alice_api.get(f"/api/knowledge-bases/{kb['id']}/documents/").json()] == ["note"]
    assert alice_api.get(f"/api/knowledge-bases/{kb['id']}/").json()["document_count"] == 1
    document_id = answer.json()["id"]
    assert alice_api.delete(f"/api/knowledge-bases/{kb['id']}/documents/{document_id}/").status_code == 204
    assert not Chunk.objects.filter(document_id=document_id).exists()
    assert lexical(kb["id"], "hello", 5) == []  # the text index forgot it too


@pytest.mark.parametrize("body, problem", [
    ({"name": "x"}, "multipart"),
    ({"text": "no name"}, "name"),
    ({"name": "x", "text": "   "}, "no text"),
])
def test_bad_documents_answer_400(alice_api, kb, body, problem):
    answer = alice_api.post(f"/api/knowledge-bases/{kb['id']}/documents/", body, format="json")
    assert answer.status_code == 400 and problem in answer.json()["error"]


def test_unsupported_files_answer_400(alice_api, kb):
    answer = upload(alice_api, kb["id"], "x.zip", b"PK\x03\x04\x00\x00", "application/zip")
    assert answer.status_code == 400 and "unsupported file type" in answer.json()["error"]
    assert not Document.objects.exists()


def test_uploads_have_their_own_size_limit(alice_api, kb, settings):
    settings.BATON_MAX_UPLOAD_BYTES = 2048
    answer = upload(alice_api, kb["id"], "big.txt", b"x" * 4096, "text/plain")
    assert answer.status_code == 413 and "2048" in answer.json()["error"]


def test_an_embedding_needs_an_openai_credential_of_the_same_team(alice_api, alice, alice_team, bob, bob_team):
    mine = make_credential(alice_team, alice, base_url="https://api.example.com/v1")
    theirs = make_credential(bob_team, bob, base_url="https://api.example.com/v1")
    claude = make_credential(alice_team, alice, provider="anthropic")
    ok = alice_api.post("/api/knowledge-bases/", {"name": "v", "embedding": {"credential": mine.id, "model": "e"}}, format="json")
    assert ok.status_code == 201 and ok.json()["embedding"] == {"credential": mine.id, "model": "e"}
    for embedding in ({"credential": theirs.id, "model": "e"}, {"credential": claude.id, "model": "e"},
                      {"credential": "1", "model": "e"}, {"credential": mine.id}, "text-embedding-3"):
        answer = alice_api.post("/api/knowledge-bases/", {"name": "v", "embedding": embedding}, format="json")
        assert answer.status_code == 400, embedding


def test_other_teams_bases_do_not_exist_for_you_and_viewers_cannot_write(alice_team, kb, bob):
    stranger = api_client(bob)
    assert stranger.get(f"/api/knowledge-bases/{kb['id']}/").status_code == 404
    assert stranger.get(f"/api/knowledge-bases/{kb['id']}/documents/").status_code == 404
    assert stranger.get("/api/knowledge-bases/").json() == []
    join(bob, alice_team, "viewer")
    viewer = api_client(bob)
    assert viewer.get(f"/api/knowledge-bases/{kb['id']}/documents/").status_code == 200
    answer = viewer.post(f"/api/knowledge-bases/{kb['id']}/documents/", {"name": "x", "text": "y"}, format="json")
    assert answer.status_code == 403


def test_it_renames_a_knowledge_base_and_keeps_its_embedding(alice_api, alice, alice_team, bob):
    credential = make_credential(alice_team, alice, base_url="https://api.example.com/v1")
    created = alice_api.post("/api/knowledge-bases/", {"name": "Help", "embedding": {"credential": credential.id, "model": "e"}},
                             format="json").json()
    answer = alice_api.patch(f"/api/knowledge-bases/{created['id']}/",
                             {"name": "Help center", "description": "What support answers", "embedding": None}, format="json")
    assert answer.status_code == 200, answer.json()
    renamed = answer.json()
    assert (renamed["name"], renamed["description"]) == ("Help center", "What support answers")
    assert renamed["embedding"] == {"credential": credential.id, "model": "e"}  # not changed by PATCH
    assert alice_api.patch(f"/api/knowledge-bases/{created['id']}/", {"name": ""}, format="json").status_code == 400
    assert alice_api.put(f"/api/knowledge-bases/{created['id']}/", {"name": "x"}, format="json").status_code == 405
    join(bob, alice_team, "viewer")
    assert api_client(bob).patch(f"/api/knowledge-bases/{created['id']}/", {"name": "x"}, format="json").status_code == 403
    assert alice_api.get(f"/api/knowledge-bases/{created['id']}/").json()["name"] == "Help center"
