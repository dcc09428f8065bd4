"""Flow actions. `check_*` validates and authorizes; `do_*` writes."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from orchestrator_site.errors import Conflict, GraphInvalid

from .graph import check_graph
from .models import Flow


def check_graph_or_raise(graph: Any) -> dict[str, Any]:
    """The graph in normal form, or GraphInvalid with every problem."""
    check = check_graph(graph)
    if not check.valid:
        raise GraphInvalid(check.errors)
    return check.graph


def do_create_flow(*, user, team, name: str, description: str = "", graph: Any = None) -> Flow:
    normal = check_graph_or_raise(graph if graph is not None else {"nodes": [], "edges": []})
    return Flow.objects.create(
        team=team,
        name=name,
        description=description,
        graph=normal,
        created_by=user,
        updated_by=user,
    )


def do_update_flow(
    flow: Flow, *, user, changes: dict[str, Any], based_on_revision: int | None
) -> Flow:
    """Apply changes under a row lock; refuse a save based on an older revision (409)."""
    if "graph" in changes:
        changes["graph"] = check_graph_or_raise(changes["graph"])
    with transaction.atomic():
        current = Flow.objects.select_for_update(of=("self",)).select_related("updated_by").get(pk=flow.pk)
        if based_on_revision is not None and based_on_revision != current.revision:
            who = current.updated_by.get_username() if current.updated_by else "someone"
            raise Conflict(
                f"{who} saved this flow at {current.updated_at.isoformat()} "
                f"(revision {current.revision}); your changes are based on revision "
                f"{based_on_revision}",
                revision=current.revision,
                updated_by=who,
                updated_at=current.updated_at.isoformat(),
            )
        for field, value in changes.items():
            setattr(current, field, value)
        current.revision += 1
        current.updated_by = user
        current.save()
    return current


def do_duplicate_flow(flow: Flow, *, user, team=None, name: str | None = None) -> Flow:
    return Flow.objects.create(
        team=team or flow.team,
        name=name or f"{flow.name} (copy)",
        description=flow.description,
        graph=flow.graph,
        created_by=user,
        updated_by=user,
    )
