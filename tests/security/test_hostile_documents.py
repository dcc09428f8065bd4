"""A small hostile file costs a worker's child process a bounded time, never the web
process: uploads answer 202 at once and the document says how reading it ended."""

from __future__ import annotations

import time

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge.models import Document
from knowledge.services import do_create_knowledge_base, do_process_document
from tests.conftest import api_client
from tests.pdf import minimal_pdf, shared_stream_pdf


def wait_for_document(document_id: int, timeout: float = 60.0) -> Document:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        document = Document.objects.get(pk=document_id)
        if document.status != Document.PROCESSING:
            return document
        time.sleep(0.1)
    raise AssertionError("the document was still processing")


@pytest.mark.worker
def test_a_pdf_of_2000_pages_sharing_one_stream_does_not_hold_the_web_process(
    running, web_server, alice, alice_team
):
    base = do_create_knowledge_base(team=alice_team, user=alice, name="Uploads")
    _client = api_client(alice)
    pdf = shared_stream_pdf(2000)
    assert len(pdf) < 400_000
    began = time.monotonic()
    answer = httpx.post(
        f"{web_server.url}/api/knowledge-bases/{base.id}/documents/",
        headers={"Authorization": f"Bearer {_client.raw_key}"},
        files={"file": ("book.pdf", pdf, "application/pdf")},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    assert time.monotonic() - began < 5
    assert answer.json()["status"] == "processing"
    health = httpx.get(f"{web_server.url}/api/health/", timeout=5)
    assert health.status_code == 200
    document = wait_for_document(answer.json()["id"])
    assert document.status == Document.FAILED
    assert "2000 pages; the limit is 1000" in document.error
    assert document.source is None and document.chunk_count == 0


@pytest.mark.django_db
def test_reading_stops_at_the_time_limit_with_a_clear_error(alice, alice_team, settings):
    settings.BATON_DOCUMENT_MAX_PAGES = 5000
    settings.BATON_DOCUMENT_READ_SECONDS = 2.0
    base = do_create_knowledge_base(team=alice_team, user=alice, name="Uploads")
    answer = api_client(alice).post(
        f"/api/knowledge-bases/{base.id}/documents/",
        {"file": SimpleUploadedFile("book.pdf", shared_stream_pdf(2000), content_type="application/pdf")},
        format="multipart",
    )
    assert answer.status_code == 202
    began = time.monotonic()
    do_process_document(answer.json()["id"])
    assert time.monotonic() - began < 15
    document = Document.objects.get(pk=answer.json()["id"])
    assert document.status == Document.FAILED
    assert "took longer than 2 s" in document.error


@pytest.mark.django_db
def test_a_good_pdf_is_read_and_its_file_dropped(alice, alice_team):
    base = do_create_knowledge_base(team=alice_team, user=alice, name="Uploads")
    answer = api_client(alice).post(
        f"/api/knowledge-bases/{base.id}/documents/",
        {"file": SimpleUploadedFile("ok.pdf", minimal_pdf("Refunds take five days."),
                                    content_type="application/pdf")},
        format="multipart",
    )
    do_process_document(answer.json()["id"])
    document = Document.objects.get(pk=answer.json()["id"])
    assert (document.status, document.chunk_count, document.source) == (Document.READY, 1, None)
