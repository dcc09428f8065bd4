"""Knowledge-base actions. `check_*` validates; `do_*` writes.

A text sent as JSON is split into chunks when it arrives: text search needs nothing more.
An uploaded file is kept on its document (`processing`) until a worker has read it in a
limited child process (knowledge.extraction) and split it: a hostile file costs a worker
some seconds, never the web process. Vectors need the base's embedding credential, which
only workers decrypt, so a document of a base with an embedding model is `embedding` until
a task has made them.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Credential, Team
from orchestrator_site.problems import Invalid

from . import chunking, parsing
from .extraction import extract_text
from .models import Chunk, Document, KnowledgeBase

log = logging.getLogger(__name__)

MAX_NAME_CHARS = 300


def check_embedding(team: Team, embedding: Any) -> tuple[Credential | None, str]:
    """The credential and model of an `embedding` object (or null)."""
    if embedding is None:
        return None, ""
    if not isinstance(embedding, dict) or set(embedding) - {"credential", "model"}:
        raise Invalid({"embedding": 'must be null or {"credential": <id>, "model": "<name>"}'})
    credential_id, model = embedding.get("credential"), embedding.get("model")
    if not isinstance(credential_id, int) or isinstance(credential_id, bool):
        raise Invalid({"embedding.credential": "must be the id of a credential of the team"})
    if not isinstance(model, str) or not model.strip():
        raise Invalid({"embedding.model": "must name an embedding model, e.g. text-embedding-3-small"})
    credential = Credential.objects.filter(pk=credential_id, team=team).first()
    if credential is None:
        raise Invalid({"embedding.credential": f"credential {credential_id} is not one of this team's"})
    if credential.provider != "openai":
        raise Invalid({"embedding.credential": "embeddings need an OpenAI-compatible credential"})
    return credential, model.strip()[:200]


def do_create_knowledge_base(
    *, team: Team, user, name: str, description: str = "", embedding: Any = None
) -> KnowledgeBase:
    credential, model = check_embedding(team, embedding)
    return KnowledgeBase.objects.create(
        team=team,
        name=name,
        description=description,
        embedding_credential=credential,
        embedding_model=model,
        created_by=user,
    )


def do_update_knowledge_base(knowledge_base: KnowledgeBase, changes: dict[str, Any]) -> KnowledgeBase:
    """Rename it or change its description; its embedding settings stay as created."""
    fields = [name for name in ("name", "description") if name in changes]
    for name in fields:
        setattr(knowledge_base, name, changes[name])
    if fields:
        knowledge_base.save(update_fields=[*fields, "updated_at"])
    return knowledge_base


def do_delete_knowledge_base(knowledge_base: KnowledgeBase) -> None:
    knowledge_base.delete()


def do_add_document(
    knowledge_base: KnowledgeBase, *, user, name: str, text: str, content_type: str = ""
) -> Document:
    """Add a text document and index it at once."""
    try:
        text = parsing.check_text(text or "")
    except parsing.DocumentProblem as exc:
        raise Invalid({"text": str(exc)}) from None
    with transaction.atomic():
        document = Document.objects.create(
            knowledge_base=knowledge_base,
            name=name[:MAX_NAME_CHARS],
            content_type=content_type[:100],
            size=len(text.encode()),
            status=Document.PROCESSING,
            created_by=user,
        )
        _index(document, knowledge_base, text)
    return document


def do_upload_document(
    knowledge_base: KnowledgeBase, *, user, name: str, content_type: str, data: bytes
) -> Document:
    """Keep an uploaded file for a worker to read (`processing`). Only what needs no
    parsing is checked here: the kind of file, and that it is not empty."""
    try:
        parsing.file_kind(name, content_type, data[:8])
    except parsing.DocumentProblem as exc:
        raise Invalid({"file": str(exc)}) from None
    if not data.strip():
        raise Invalid({"file": "the document has no text"})
    with transaction.atomic():
        document = Document.objects.create(
            knowledge_base=knowledge_base,
            name=name[:MAX_NAME_CHARS],
            content_type=content_type[:100],
            size=len(data),
            status=Document.PROCESSING,
            source=data,
            created_by=user,
        )
        transaction.on_commit(lambda: _send_process(document.pk))
    return document


def _index(document: Document, knowledge_base: KnowledgeBase, text: str) -> None:
    """Split the text into the document's chunks, in the caller's transaction; the document
    is then searchable, or waits for its vectors."""
    pieces = chunking.split_text(text)
    Chunk.objects.bulk_create(
        [
            Chunk(knowledge_base=knowledge_base, document=document, index=index, text=piece)
            for index, piece in enumerate(pieces)
        ],
        batch_size=500,
    )
    embedding = knowledge_base.has_embedding
    Document.objects.filter(pk=document.pk).update(
        status=Document.EMBEDDING if embedding else Document.READY,
        chunk_count=len(pieces),
        source=None,
        error="",
    )
    document.status = Document.EMBEDDING if embedding else Document.READY
    document.chunk_count = len(pieces)
    _touch(knowledge_base.pk)
    if embedding:
        transaction.on_commit(lambda: _send_embed(document.pk))


def do_delete_document(document: Document) -> None:
    with transaction.atomic():
        document.delete()
        _touch(document.knowledge_base_id)


def _touch(knowledge_base_id: int) -> None:
    KnowledgeBase.objects.filter(pk=knowledge_base_id).update(version=F("version") + 1)


def _send_embed(document_id: int) -> None:
    from .tasks import embed_document

    embed_document.apply_async(args=[document_id])


def _send_process(document_id: int) -> None:
    from .tasks import process_document

    process_document.apply_async(args=[document_id])


def resend_stale_documents(now=None) -> int:
    """Uploads still waiting to be read long after they came (their task was lost with a
    worker or the broker): send them again. Reading is idempotent."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.BATON_DOCUMENT_READ_SECONDS * 2 + 30)
    waiting = Document.objects.filter(status=Document.PROCESSING, created_at__lt=stale)
    ids = list(waiting.values_list("pk", flat=True)[:100])
    for document_id in ids:
        _send_process(document_id)
    return len(ids)


# --- Worker side -----------------------------------------------------------------------------------


def do_process_document(document_id: int) -> None:
    """Read an uploaded file in a limited child process, then index it; a file that cannot
    be read leaves the document `failed`, saying why."""
    row = (
        Document.objects.filter(pk=document_id, status=Document.PROCESSING)
        .values("name", "content_type", "source")
        .first()
    )
    if row is None or row["source"] is None:
        return
    limits = parsing.Limits(
        max_pages=settings.BATON_DOCUMENT_MAX_PAGES,
        max_chars=parsing.MAX_TEXT_CHARS,
        seconds=settings.BATON_DOCUMENT_READ_SECONDS,
    )
    try:
        text = extract_text(
            row["name"], row["content_type"], bytes(row["source"]), limits,
            settings.BATON_DOCUMENT_READ_MEMORY_MB,
        )
    except parsing.DocumentProblem as exc:
        Document.objects.filter(pk=document_id, status=Document.PROCESSING).update(
            status=Document.FAILED, error=str(exc)[:2000], source=None
        )
        return
    with transaction.atomic():
        # A second task for the same document (a resend) finds it done and leaves it.
        document = (
            Document.objects.select_for_update().select_related("knowledge_base")
            .filter(pk=document_id, status=Document.PROCESSING).first()
        )
        if document is not None:
            _index(document, document.knowledge_base, text)


def do_embed_document(document_id: int) -> None:
    """Make the vectors of a document's chunks (in a worker: it decrypts the credential)."""
    from accounts.credentials import CredentialUnreadable, load_secret
    from flows.nodes.base import NodeError
    from flows.nodes.providers import embed
    from runs.redaction import Redactor

    document = Document.objects.select_related("knowledge_base").filter(pk=document_id).first()
    if document is None or document.status != Document.EMBEDDING:
        return
    knowledge_base = document.knowledge_base
    redactor = Redactor()
    try:
        if not knowledge_base.has_embedding:
            raise NodeError("the knowledge base no longer has an embedding credential and model")
        secret = load_secret(knowledge_base.team_id, knowledge_base.embedding_credential_id)
        redactor.add(*secret.secret_values())
        rows = list(document.chunks.order_by("index").values_list("id", "text"))
        vectors, _tokens = embed(
            secret, knowledge_base.embedding_model, [text for _, text in rows], redact=redactor.text
        )
        chunks = [
            Chunk(id=chunk_id, vector=np.asarray(vector, dtype="<f4").tobytes())
            for (chunk_id, _), vector in zip(rows, vectors, strict=True)
        ]
        with transaction.atomic():
            Chunk.objects.bulk_update(chunks, ["vector"], batch_size=200)
            Document.objects.filter(pk=document.pk).update(status=Document.READY, error="")
            _touch(knowledge_base.pk)
    except Exception as exc:  # noqa: BLE001 - the document says what went wrong
        message = redactor.text(str(exc)) if redactor else str(exc)
        if isinstance(exc, Credential.DoesNotExist):
            message = "the embedding credential no longer exists"
        elif not isinstance(exc, (NodeError, CredentialUnreadable)):
            message = f"{type(exc).__name__}: {message}"
        log.warning("could not embed document %s: %s", document_id, message)
        Document.objects.filter(pk=document.pk).update(status=Document.FAILED, error=message[:2000])
