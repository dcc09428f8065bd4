"""Searching a knowledge base: text (the database's full-text index), vectors (exact
cosine with NumPy over the base's float32 vectors), or both fused by reciprocal rank."""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
from django.db import connection

from flows.nodes.base import FatalNodeError

from .models import Chunk, KnowledgeBase

RRF_K = 60  # the usual constant of reciprocal rank fusion
MAX_QUERY_TERMS = 32
_TERM = re.compile(r"[^\W_]+")

Ranked = list[tuple[int, float]]  # (chunk id, score), best first


def search_for_node(ctx, knowledge_base_id: int | None, query: str, top_k: int, mode: str) -> list[dict[str, Any]]:
    """`retrieve`'s search, as the node's context runs it: the base must be the run's
    team's, and a query embedding uses (and redacts) the base's credential."""
    from flows.nodes.providers import cost_usd, embed

    if knowledge_base_id is None:
        raise FatalNodeError("no knowledge base chosen: pick one of the team's in the node's config")
    knowledge_base = KnowledgeBase.objects.filter(pk=knowledge_base_id, team_id=ctx.team_id).first()
    if knowledge_base is None:
        raise FatalNodeError(f"knowledge base {knowledge_base_id} is not one of this team's")
    embed_query = None
    if mode in ("vector", "hybrid") and knowledge_base.has_embedding:
        secret = ctx.credential(knowledge_base.embedding_credential_id)

        def embed_query(text: str) -> np.ndarray:
            vectors, tokens = embed(secret, knowledge_base.embedding_model, [text],
                                    redact=ctx.redact, cancelled=ctx.cancelled)
            ctx.add_usage(input_tokens=tokens, cost_usd=cost_usd(knowledge_base.embedding_model, tokens, 0))
            return np.asarray(vectors[0], dtype=np.float32)
    elif mode == "vector":
        raise FatalNodeError(
            f"knowledge base {knowledge_base.name!r} has no embedding model: search it in "
            "lexical or hybrid mode, or give it one"
        )
    return search(knowledge_base, query, top_k, mode, embed_query)


def search(
    knowledge_base: KnowledgeBase,
    query: str,
    top_k: int,
    mode: str,
    embed_query: Callable[[str], np.ndarray] | None,
) -> list[dict[str, Any]]:
    pool = max(top_k * 4, 20)
    if mode == "lexical" or embed_query is None:
        ranked = lexical(knowledge_base.pk, query, top_k)
    elif mode == "vector":
        ranked = vector(knowledge_base, embed_query(query), top_k)
    else:
        fused = fuse([lexical(knowledge_base.pk, query, pool), vector(knowledge_base, embed_query(query), pool)])
        ranked = fused[:top_k]
    return passages(ranked)


def terms(query: str) -> list[str]:
    return list(dict.fromkeys(_TERM.findall(query.lower())))[:MAX_QUERY_TERMS]


def lexical(knowledge_base_id: int, query: str, limit: int) -> Ranked:
    words = terms(query)
    if not words:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT id, ts_rank_cd(search, q) AS rank "
                "FROM knowledge_chunk, to_tsquery('english', %s) AS q "
                "WHERE knowledge_base_id = %s AND search @@ q ORDER BY rank DESC, id LIMIT %s",
                [" | ".join(words), knowledge_base_id, limit],
            )
            return [(row[0], float(row[1])) for row in cursor.fetchall()]
        cursor.execute(
            "SELECT c.id, bm25(knowledge_chunk_fts) AS rank FROM knowledge_chunk_fts "
            "JOIN knowledge_chunk c ON c.id = knowledge_chunk_fts.rowid "
            "WHERE knowledge_chunk_fts MATCH %s AND c.knowledge_base_id = %s "
            "ORDER BY rank, c.id LIMIT %s",
            [" OR ".join(f'"{word}"' for word in words), knowledge_base_id, limit],
        )
        # bm25() is lower for better matches; flip it so that higher is better everywhere.
        return [(row[0], -float(row[1])) for row in cursor.fetchall()]


class _VectorCache:
    """Each process keeps the normalized vectors of the bases it searched lately, keyed by
    the base's version (raised by every change of its chunks)."""

    SIZE = 16

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: OrderedDict[int, tuple[int, np.ndarray, np.ndarray]] = OrderedDict()

    def get(self, knowledge_base: KnowledgeBase) -> tuple[np.ndarray, np.ndarray]:
        with self.lock:
            entry = self.entries.get(knowledge_base.pk)
            if entry is not None and entry[0] == knowledge_base.version:
                self.entries.move_to_end(knowledge_base.pk)
                return entry[1], entry[2]
        rows = Chunk.objects.filter(knowledge_base=knowledge_base, vector__isnull=False).values_list("id", "vector")
        loaded = [(chunk_id, np.frombuffer(bytes(raw), dtype="<f4")) for chunk_id, raw in rows]
        # After a change of embedding model, sizes can differ: keep the most common one.
        sizes = Counter(len(vector) for _, vector in loaded)
        size = sizes.most_common(1)[0][0] if sizes else 0
        kept = [(chunk_id, vector) for chunk_id, vector in loaded if len(vector) == size]
        ids = [chunk_id for chunk_id, _ in kept]
        if kept:
            matrix = np.vstack([vector for _, vector in kept])
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            matrix = matrix / np.where(norms == 0, 1, norms)
        else:
            matrix = np.zeros((0, 0), dtype=np.float32)
        id_array = np.asarray(ids, dtype=np.int64)
        with self.lock:
            self.entries[knowledge_base.pk] = (knowledge_base.version, id_array, matrix)
            self.entries.move_to_end(knowledge_base.pk)
            while len(self.entries) > self.SIZE:
                self.entries.popitem(last=False)
        return id_array, matrix


_vectors = _VectorCache()


def vector(knowledge_base: KnowledgeBase, query_vector: np.ndarray, limit: int) -> Ranked:
    ids, matrix = _vectors.get(knowledge_base)
    if len(ids) == 0 or matrix.shape[1] != len(query_vector):
        return []
    norm = float(np.linalg.norm(query_vector))
    if norm == 0:
        return []
    scores = matrix @ (query_vector / norm)
    count = min(limit, len(scores))
    best = np.argpartition(-scores, count - 1)[:count]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(int(ids[i]), float(scores[i])) for i in best]


def fuse(rankings: list[Ranked]) -> Ranked:
    """Reciprocal rank fusion: each list gives 1 / (RRF_K + rank) to what it found."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, (chunk_id, _score) in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def passages(ranked: Ranked) -> list[dict[str, Any]]:
    rows = {
        row["id"]: row
        for row in Chunk.objects.filter(pk__in=[chunk_id for chunk_id, _ in ranked]).values(
            "id", "text", "index", "document__name", "document_id"
        )
    }
    return [
        {
            "text": rows[chunk_id]["text"],
            "score": round(score, 6),
            "document": rows[chunk_id]["document__name"],
            "chunk": rows[chunk_id]["index"],
        }
        for chunk_id, score in ranked
        if chunk_id in rows
    ]
