"""Flow actions. `check_*` validates and authorizes; `do_*` writes."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from accounts.access import ids_outside_team
from orchestrator_site.problems import Conflict, GraphInvalid, Invalid, NotFound

from .diff import GraphDiff, diff_graphs
from .graph import GraphCheck, GraphError, check_graph, without_pins
from .models import Flow, FlowVersion
from .references import call_cycle, graph_references


def check_is_graph(graph: Any) -> GraphCheck:
    """The check of a graph to save: GraphInvalid (400) only when the value is not a graph
    at all; a draft with problems is saved, its problems told beside it."""
    check = check_graph(graph)
    if not check.is_graph:
        raise GraphInvalid(check.shape)
    return check


def check_graph_problems(check: GraphCheck, *, team_id: int, flow: Flow | None) -> list[GraphError]:
    """Every problem of a checked graph: its own, the objects it names that its team may
    not use, and (for a saved flow) a loop of sub-flow calls back to it."""
    if flow is None:
        return [*check.errors, *check_references(team_id, check.graph)]
    return [*check.errors, *check_outside_problems(flow, check.graph)]


def check_outside_problems(flow: Flow, graph: Any) -> list[GraphError]:
    """The problems of a graph that passed its own check but lie outside it: what it names
    and what that calls."""
    return [*check_references(flow.team_id, graph), *check_flow_calls(flow, graph)]


def flow_problems(flow: Flow) -> list[GraphError]:
    """The problems of a flow's saved draft, as they stand now (a credential deleted or
    the flow moved since it was saved counts)."""
    return check_graph_problems(check_graph(flow.graph), team_id=flow.team_id, flow=flow)


def check_runnable_or_raise(graph: Any, *, flow: Flow) -> dict[str, Any]:
    """The graph in normal form, or GraphInvalid naming every problem: what runs and what
    is published has none."""
    check = check_graph(graph)
    problems = check_graph_problems(check, team_id=flow.team_id, flow=flow)
    if problems:
        raise GraphInvalid(problems)
    return check.graph


# What each kind of reference (flows.references) names, and how the problem calls it.
def _referenced_objects() -> dict[str, tuple[Any, str]]:
    from accounts.models import Credential
    from knowledge.models import KnowledgeBase

    return {
        "credential": (Credential.objects.all(), "credential"),
        "knowledge_base": (KnowledgeBase.objects.all(), "knowledge base"),
        "flow": (Flow.objects.all(), "flow"),
    }


def check_references(team_id: int, graph: Any) -> list[GraphError]:
    """A problem on each node that names a credential, knowledge base or flow its team may
    not use (another team's, as a copied, imported or moved flow carries, or a deleted
    one): a run would fail there. Whether another team has such an object is not told."""
    problems: list[GraphError] = []
    for kind, (objects, noun) in _referenced_objects().items():
        found = graph_references(graph, kind)
        outside = ids_outside_team(objects, team_id, {value for _, value in found})
        problems.extend(
            {
                "node_id": node_id,
                "message": f"{noun} #{value} is not available in this team: choose one of "
                f"the team's {noun}s",
            }
            for node_id, value in found
            if value in outside
        )
    return problems


def check_flow_calls(flow: Flow, graph: Any) -> list[GraphError]:
    """A problem on the node through which the flow, with this graph, would call itself,
    directly or through other flows of its team (each call a child run: a loop would start
    runs without end)."""
    names = {flow.pk: flow.name}
    called: dict[int, list[int]] = {}

    def calls_of(flow_id: int) -> list[int]:
        if flow_id not in called:
            row = Flow.objects.filter(pk=flow_id, team_id=flow.team_id).values("name", "graph").first()
            called[flow_id] = [] if row is None else [t for _, t in graph_references(row["graph"], "flow")]
            if row is not None:
                names[flow_id] = row["name"]
        return called[flow_id]

    found = call_cycle(flow.pk, graph, calls_of)
    if found is None:
        return []
    node_id, cycle = found
    path = " → ".join(repr(names.get(flow_id, f"flow {flow_id}")) for flow_id in cycle)
    return [{
        "node_id": node_id,
        "message": f"this node makes the flow call itself: {path}; a flow may not call "
        "itself, directly or through other flows",
    }]


def do_create_flow(*, user, team, name: str, description: str = "", graph: Any = None) -> Flow:
    check = check_is_graph(graph if graph is not None else {"nodes": [], "edges": []})
    flow = Flow.objects.create(
        team=team,
        name=name,
        description=description,
        graph=check.graph,
        created_by=user,
        updated_by=user,
    )
    # Told with the answer (FlowSerializer's `problems`) without checking the graph again.
    flow.problems = check_graph_problems(check, team_id=team.pk, flow=flow)
    return flow


def do_update_flow(
    flow: Flow, *, user, changes: dict[str, Any], based_on_revision: int | None
) -> Flow:
    """Apply changes under a row lock; refuse a save based on an older revision (409). A
    graph with problems is saved (a draft); the flow comes back with its `problems`."""
    check = None
    if "graph" in changes:
        check = check_is_graph(changes["graph"])
        changes["graph"] = check.graph
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
        moving = "team_id" in changes and changes["team_id"] != current.team_id
        if moving:
            _check_movable(current)
        for field, value in changes.items():
            setattr(current, field, value)
        current.revision += 1
        current.updated_by = user
        current.save()
        if moving:
            # Keys of the old team that were limited to this flow lose it with the move.
            stale = current.api_keys.exclude(team_id=current.team_id).exclude(team__isnull=True)
            current.api_keys.remove(*stale)
            # The history goes with the flow: its new team sees its runs, the old one no
            # longer does (a run is read through its team).
            current.runs.update(team_id=current.team_id)
    if check is not None:
        # Judged against the team the flow is in now: a moved flow's references too.
        current.problems = check_graph_problems(check, team_id=current.team_id, flow=current)
    return current


def _check_movable(flow: Flow) -> None:
    """A run in progress keeps reading its team's credentials and counting against its
    team's cap: the flow moves once its runs have ended."""
    from runs.core.engine import ACTIVE_RUN_STATUSES

    active = flow.runs.filter(status__in=ACTIVE_RUN_STATUSES).count()
    if active:
        raise Conflict(
            f"the flow has {active} run{'s' if active != 1 else ''} in progress; "
            "move it when they have ended (or cancel them)",
            active_runs=active,
        )


def do_duplicate_flow(flow: Flow, *, user, team=None, name: str | None = None) -> Flow:
    """A new flow with this one's draft (its versions, runs and triggers stay behind)."""
    team = team or flow.team
    if not name:
        name = flow.name if team.pk != flow.team_id else f"{flow.name} (copy)"
    return Flow.objects.create(
        team=team,
        name=name[:200],
        description=flow.description,
        graph=flow.graph,
        created_by=user,
        updated_by=user,
    )


# --- Versions -------------------------------------------------------------------------------


def latest_version(flow: Flow) -> FlowVersion | None:
    return FlowVersion.objects.filter(flow=flow).order_by("-number").first()


def get_version(flow: Flow, number: int) -> FlowVersion | None:
    return FlowVersion.objects.filter(flow=flow, number=number).first()


def do_publish_version(
    flow: Flow, *, user, note: str, based_on_revision: int | None, keep_pins: bool = False
) -> FlowVersion:
    """Freeze the saved draft as the next numbered version. With `based_on_revision`, a
    draft saved by someone else since the publisher last saw it answers 409, so nobody
    publishes what they have not seen. Pinned outputs are a tool for building the draft:
    a version leaves them out unless `keep_pins` says to keep them."""
    with transaction.atomic():
        current = Flow.objects.select_for_update(of=("self",)).select_related("updated_by").get(
            pk=flow.pk
        )
        if based_on_revision is not None and based_on_revision != current.revision:
            who = current.updated_by.get_username() if current.updated_by else "someone"
            raise Conflict(
                f"{who} saved this flow at {current.updated_at.isoformat()} (revision "
                f"{current.revision}); you are publishing revision {based_on_revision}",
                revision=current.revision,
                updated_by=who,
                updated_at=current.updated_at.isoformat(),
            )
        graph = check_runnable_or_raise(current.graph, flow=current)
        if not keep_pins:
            graph = without_pins(graph)
        last = FlowVersion.objects.filter(flow=current).aggregate(last=Max("number"))["last"]
        try:
            with transaction.atomic():
                return FlowVersion.objects.create(
                    flow=current,
                    number=(last or 0) + 1,
                    note=note,
                    graph=graph,
                    flow_revision=current.revision,
                    created_by=user,
                )
        except IntegrityError:  # only without a row lock (SQLite serializes anyway)
            raise Conflict("another version was published at the same moment; try again") from None


def do_restore_version(
    flow: Flow, version: FlowVersion, *, user, based_on_revision: int | None
) -> Flow:
    """Make the draft equal to the version (a new revision; the draft history goes on)."""
    return do_update_flow(
        flow, user=user, changes={"graph": version.graph}, based_on_revision=based_on_revision
    )


def parse_version_ref(value: str) -> int | None:
    """A version number, or None for the draft ("draft")."""
    if value == "draft":
        return None
    try:
        number = int(value)
    except ValueError:
        raise Invalid(
            {"version": f"must be a version number or 'draft', not {value!r}"}
        ) from None
    if number < 1:
        raise Invalid({"version": "version numbers start at 1"})
    return number


def check_side(flow: Flow, value: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The graph one side of a comparison names, and how to label that side."""
    number = parse_version_ref(value)
    if number is None:
        return flow.graph, {"version": None, "revision": flow.revision, "label": "draft"}
    version = get_version(flow, number)
    if version is None:
        raise NotFound(f"the flow has no version {number}")
    return version.graph, {
        "version": version.number,
        "revision": version.flow_revision,
        "label": f"version {version.number}",
    }


def compare(flow: Flow, before: str, after: str) -> dict[str, Any]:
    old_graph, old_side = check_side(flow, before)
    new_graph, new_side = check_side(flow, after)
    diff: GraphDiff = diff_graphs(old_graph, new_graph)
    return {"from": old_side, "to": new_side, **diff}
