"""Knowledge bases: a team's documents, split into chunks that `retrieve` nodes search.

Text search is always there: SQLite FTS5 in local mode, PostgreSQL full-text in queue mode
(both kept by the database itself; see migrations/0001). Vector search is there when the
knowledge base names an embedding model: each chunk keeps its vector as float32 bytes and
searches are exact, with NumPy (no vector extension is needed on either database).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class KnowledgeBase(models.Model):
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="knowledge_bases")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    # Both set, or both empty: an OpenAI-compatible /embeddings endpoint and its model.
    embedding_credential = models.ForeignKey(
        "accounts.Credential", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    embedding_model = models.CharField(max_length=200, blank=True, default="")
    # Raised whenever chunks or vectors change; caches of the vectors key on it.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["team", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def has_embedding(self) -> bool:
        return bool(self.embedding_credential_id and self.embedding_model)


class Document(models.Model):
    PROCESSING = "processing"
    READY = "ready"
    EMBEDDING = "embedding"
    FAILED = "failed"
    STATUS_CHOICES = [(s, s) for s in (PROCESSING, READY, EMBEDDING, FAILED)]

    knowledge_base = models.ForeignKey(KnowledgeBase, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(max_length=300)
    content_type = models.CharField(max_length=100, blank=True, default="")
    size = models.PositiveIntegerField(default=0)
    # processing: an uploaded file waits for a worker to read it; ready: searchable by text
    # (and by vector when the base has embeddings); embedding: vectors are being made in a
    # worker; failed: reading the file or making its vectors failed (see error).
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=READY)
    error = models.TextField(blank=True, default="")
    chunk_count = models.PositiveIntegerField(default=0)
    # The uploaded file, kept until a worker has read it (workers may be on other hosts).
    source = models.BinaryField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Chunk(models.Model):
    knowledge_base = models.ForeignKey(KnowledgeBase, on_delete=models.CASCADE, related_name="chunks")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()  # its place in the document, from 0
    text = models.TextField()
    # float32 little-endian bytes of the embedding, or null.
    vector = models.BinaryField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "index"], name="one_chunk_per_place")
        ]
        indexes = [models.Index(fields=["knowledge_base", "document", "index"])]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.index}"
