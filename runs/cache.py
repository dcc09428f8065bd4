"""The node output cache, database side: the key of a node's request, finding an entry,
keeping one, clearing a team's, purging expired ones. An entry is never larger than a
node output may be (BATON_NODE_OUTPUT_MAX_BYTES): only outputs that passed that check are
kept.

The key itself is plain Python (runs.core.cache); here it gets what only the database
knows: the state of what the node's config names outside itself. The engine calls `find`
where a ready node is about to execute (runs.transitions.advance) and `keep` in the step
that records a successful execution, so an entry exists only for an outcome committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max

from flows.graph import CheckedNode
from flows.references import references_in

from .core.cache import cache_key
from .models import CachedOutput

# Expired entries deleted by one sweep; the rest go in the next ones.
PURGE_BATCH = 500


@dataclass(frozen=True)
class Entry:
    output: Any
    handles: list[str] | None
    usage: dict[str, Any] | None
    details: Any
    source_run: str | None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def references(team_id: int, spec: CheckedNode) -> dict[str, Any]:
    """What the node's config names, as its state now: a credential's last change (so a
    rotated key misses), a knowledge base's documents, a tool flow's revision. A name that
    is gone (or another team's) is None: the node would fail, and no entry is found."""
    from accounts.models import Credential
    from flows.models import Flow
    from knowledge.models import KnowledgeBase

    found: dict[str, Any] = {}
    credentials = references_in(spec.config, "credential")
    if credentials:
        known = dict(
            Credential.objects.filter(team_id=team_id, pk__in=credentials).values_list("pk", "updated_at")
        )
        found["credential"] = [[pk, _iso(known.get(pk))] for pk in credentials]
    bases = references_in(spec.config, "knowledge_base")
    if bases:
        rows = (
            KnowledgeBase.objects.filter(team_id=team_id, pk__in=bases)
            .annotate(documents=Count("documents"), newest=Max("documents__id"))
            .values_list("pk", "updated_at", "documents", "newest")
        )
        state = {row[0]: [_iso(row[1]), row[2], row[3]] for row in rows}
        found["knowledge_base"] = [[pk, state.get(pk)] for pk in bases]
    flows = references_in(spec.config, "flow")
    if flows:
        revisions = dict(Flow.objects.filter(team_id=team_id, pk__in=flows).values_list("pk", "revision"))
        found["flow"] = [[pk, revisions.get(pk)] for pk in flows]
    return found


def key_for(team_id: int, flow_id: int | None, spec: CheckedNode, inputs: dict[str, Any]) -> str | None:
    """The key of the request the node is about to make; None when it cannot be cached
    (no flow to scope it to, an input that is not JSON)."""
    if flow_id is None:
        return None
    try:
        return cache_key(
            flow_id=flow_id,
            node_type=spec.type.type,
            version=spec.type.version,
            config=spec.config.model_dump(mode="json"),
            inputs=inputs,
            references=references(team_id, spec),
        )
    except (TypeError, ValueError):
        return None


def find(team_id: int, key: str, now: datetime) -> Entry | None:
    row = (
        CachedOutput.objects.filter(team_id=team_id, key=key, expires_at__gt=now)
        .values_list("output", "handles", "usage", "details", "source_run_id")
        .first()
    )
    if row is None:
        return None
    output, handles, usage, details, source_run = row
    return Entry(output, handles, usage, details, str(source_run) if source_run else None)


def keep(
    *, team_id: int, flow_id: int, key: str, node_type: str, entry: Entry, now: datetime, ttl: int
) -> None:
    """Store (or replace: an expired entry, or one a concurrent identical miss stored
    first) the entry for `key`. An upsert: two runs missing on the same request at once
    both execute, and the later one's entry wins without failing either step."""
    CachedOutput.objects.bulk_create(
        [
            CachedOutput(
                team_id=team_id, flow_id=flow_id, key=key, node_type=node_type,
                output=entry.output, handles=entry.handles, usage=entry.usage,
                details=entry.details, source_run_id=entry.source_run, created_at=now,
                expires_at=now + timedelta(seconds=ttl),
            )
        ],
        update_conflicts=True,
        unique_fields=["team", "key"],
        update_fields=[
            "flow", "node_type", "output", "handles", "usage", "details", "source_run",
            "created_at", "expires_at",
        ],
    )


def clear(team_id: int, flow_id: int | None = None) -> int:
    """Delete the team's entries (or one flow's); the number deleted."""
    entries = CachedOutput.objects.filter(team_id=team_id)
    if flow_id is not None:
        entries = entries.filter(flow_id=flow_id)
    deleted, _ = entries.delete()
    return deleted


def purge_expired(now: datetime, batch: int = PURGE_BATCH) -> int:
    """Delete up to `batch` expired entries (the sweeper calls this every sweep)."""
    ids = list(
        CachedOutput.objects.filter(expires_at__lte=now).order_by("expires_at").values_list("pk", flat=True)[:batch]
    )
    if not ids:
        return 0
    deleted, _ = CachedOutput.objects.filter(pk__in=ids, expires_at__lte=now).delete()
    return deleted

