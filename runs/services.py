"""Run actions for the API: starting, cancelling, resuming, waiting, reading."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from redis.exceptions import RedisError

from flows.nodes import node_types_waiting_for_people
from flows.services import check_outside_problems
from orchestrator_site.problems import Conflict, GraphInvalid, Invalid, NotFound, Unprocessable
from orchestrator_site.redis_client import shared_redis

from . import cache, plans, store
from .core import engine
from .core.supply import Earlier, Supply, choose_supplies, downstream, upstream
from .effects import START_RUN, finished_channel, send_after_commit
from .models import CallbackDelivery, NodeRun, Run, RunRequest
from .transitions import begin_run, cancel_run
from .waits import request_resume

log = logging.getLogger(__name__)

MAX_WAIT_SECONDS = 300.0
MAX_INPUT_BYTES = 1024 * 1024
MAX_IDEMPOTENCY_KEY_LENGTH = 255


def check_inputs(inputs: Any) -> dict[str, Any]:
    if inputs is None:
        return {}
    if not isinstance(inputs, dict):
        raise Invalid({"inputs": "must be a JSON object"})
    return inputs


def check_version(flow, choice: Any, *, graph: Any = None, draft_by_default: bool = False):
    """Which published version a run of `flow` runs: None means the draft.

    - a draft `graph` sent by the editor runs as sent (no version);
    - `choice` "draft" runs the saved draft, a number runs that version (400 if none);
    - without a choice, programs (API keys, trigger URLs, schedules) get the latest
      published version, or the draft while nothing is published; the editor
      (`draft_by_default`, a signed-in session) gets the draft.
    """
    from flows.services import get_version, latest_version

    if graph is not None:
        if choice not in (None, "draft"):
            raise Invalid({"version": "send either a draft graph or a version, not both"})
        return None
    if choice == "draft":
        return None
    if choice is None:
        return None if draft_by_default else latest_version(flow)
    if isinstance(choice, bool) or not isinstance(choice, int) or choice < 1:
        raise Invalid({"version": "must be a version number or 'draft'"})
    version = get_version(flow, choice)
    if version is None:
        raise Invalid({"version": f"the flow has no version {choice}"})
    return version


@dataclass(frozen=True)
class Reuse:
    """What a run takes from an earlier run of the same flow instead of computing it."""

    run: Run
    # Run this node and what follows it, reusing the rest (None: reuse every node that
    # succeeded and did not depend on one that did not: a resume).
    from_node: str | None = None
    # Run only `from_node` (and nothing downstream), its inputs reused.
    only_node: bool = False


def check_reuse(flow, earlier: Run | None, from_node: Any, only_node: bool) -> Reuse | None:
    """The reuse a run request asks for (`from_node`, `reuse_run`, `only_node`). The caller
    fetched `earlier` through accounts.access (a run it may read); None: the flow's latest
    run."""
    if from_node is None:
        if earlier is not None:
            raise Invalid({"reuse_run": "send it with from_node: the node to run from"})
        if only_node:
            raise Invalid({"only_node": "send it with from_node: the node to run"})
        return None
    if not isinstance(from_node, str) or not from_node:
        raise Invalid({"from_node": "must be a node id"})
    if earlier is None:
        # Not a shipped recording (runs.recordings): it ran no nodes here.
        earlier = (Run.objects.filter(flow=flow, parent_run__isnull=True).exclude(trigger="recording")
                   .order_by("-created_at").first())
        if earlier is None:
            raise Invalid({"reuse_run": "the flow has no earlier run to reuse outputs from"})
    elif earlier.flow_id != flow.pk:
        raise Invalid({"reuse_run": "that run is a run of another flow; reuse a run of this one"})
    return Reuse(run=earlier, from_node=from_node, only_node=only_node)


def _graph_of_only(found: plans.Checked, node_id: str) -> plans.Checked:
    """The graph cut down to the node and what it depends on: "run only this node"."""
    keep = upstream(found.run_plan.plan, node_id)
    runnable = found.run_plan.plan.nodes
    graph = found.graph
    nodes = [n for n in graph.get("nodes", []) if n.get("id") in keep or n.get("id") not in runnable]
    ids = {n.get("id") for n in nodes}
    edges = [e for e in graph.get("edges", []) if e.get("source") in ids and e.get("target") in ids]
    cut = plans.checked({**graph, "nodes": nodes, "edges": edges})
    if not isinstance(cut, plans.Checked):
        raise GraphInvalid(cut)
    return cut


def _supplies(run_plan: plans.RunPlan, reuse: Reuse | None) -> dict[str, Supply]:
    """The nodes of the new run that are supplied, not executed (runs.core.supply)."""
    plan = run_plan.plan
    pins = dict(run_plan.pins)
    if reuse is None:
        return choose_supplies(plan, pins=pins)
    rerun: set[str] = set()
    if reuse.from_node is not None:
        if reuse.from_node not in plan.nodes:
            raise Invalid({"from_node": f"the graph has no node {reuse.from_node!r} that runs"})
        # Asked to run it: it runs, even when pinned.
        pins.pop(reuse.from_node, None)
        rerun = downstream(plan, [reuse.from_node])
    earlier = {}
    rows = NodeRun.objects.filter(run_id=reuse.run.pk).values_list(
        "node_id", "status", "output", "handles", "source", "source_run_id"
    )
    for node_id, status, output, handles, source, source_run_id in rows:
        if node_id not in plan.nodes or not set(handles or ()) <= set(run_plan.outputs_of(node_id)):
            continue  # the node is gone, or no longer has the handles it fired then
        # A reused or cached output names the run that computed it, not the one passing it on.
        computed_in = source_run_id if source in ("reused", "cached") and source_run_id else reuse.run.pk
        earlier[node_id] = Earlier(status, output, handles, str(computed_in))
    sinks = {node_id for node_id in plan.nodes if not run_plan.outputs_of(node_id)}
    return choose_supplies(plan, pins=pins, earlier=earlier, rerun=rerun, sinks=sinks)


def check_resumable(run: Run) -> None:
    """A run may be resumed when it ended without succeeding (failed or cancelled)."""
    if run.status in engine.ACTIVE_RUN_STATUSES:
        raise Conflict(f"the run is still {run.status}: wait for it to end or cancel it first",
                       status=run.status)
    if run.status == engine.SUCCEEDED:
        raise Invalid({"run": "the run succeeded: there is nothing to resume"})
    if run.parent_run_id is not None:
        raise Invalid({"run": "this is a child run; resume the run it belongs to"})
    if run.flow_id is None:
        raise Invalid({"run": "the run's flow was deleted"})


def do_resume_run(run: Run, user) -> Run:
    """A new run of the same graph (and version) and inputs that reuses the outputs of the
    nodes that succeeded in `run` and executes the rest."""
    check_resumable(run)
    return do_start_run(
        flow=run.flow, user=user, inputs=run.inputs, graph=run.graph, version=run.version,
        flow_revision=run.flow_revision, trigger="resume", reuse=Reuse(run=run), resumed_from=run,
        replay=run.replay,
    )


def do_start_run(
    *,
    flow,
    user,
    inputs: dict[str, Any],
    graph: Any = None,
    version=None,
    trigger: str = "api",
    parent_run: Run | None = None,
    parent_node_id: str = "",
    callback_url: str | None = None,
    idempotency: tuple[str, str] | None = None,
    team_cap: int | None = None,
    reuse: Reuse | None = None,
    resumed_from: Run | None = None,
    flow_revision: int | None = None,
    replay: list[str] | None = None,
) -> Run:
    """Validate the graph (a published version's, a draft sent by the editor, or the
    flow's saved one), snapshot it on a new run with one node run per executable node,
    and hand the run to a worker.

    `idempotency` is (key, request hash): recorded with the run in the same transaction;
    a second run under the same team and key fails with IntegrityError (see start_once).
    `team_cap`: the team's cap on runs in progress, if the caller read it in this request.
    `reuse`: outputs taken from an earlier run (run from here, resume); pinned outputs of
    the graph are always used. `replay`: ids of runs whose recordings answer the run's
    outbound requests, with no network (checked by runs.recordings.check_replay).
    """
    if graph is not None:  # a draft sent with the request
        found = plans.checked(graph)
    elif version is not None:
        found = plans.checked(version.graph, version.graph_digest)
    else:
        found = plans.checked(flow.graph, flow.graph_digest)
    if not isinstance(found, plans.Checked):
        raise GraphInvalid(found)
    # Drafts are saved with problems, and what a graph names changes without it (a
    # credential deleted, the flow moved to another team): checked at every start.
    outside = check_outside_problems(flow, found.graph)
    if outside:
        raise GraphInvalid(outside)
    if reuse is not None and reuse.only_node and reuse.from_node in found.run_plan.plan.nodes:
        found = _graph_of_only(found, reuse.from_node)
    if not found.run_plan.plan.nodes:
        raise Invalid({"graph": "the flow has no nodes that run"})
    supplies = _supplies(found.run_plan, reuse)
    if flow_revision is None:
        flow_revision = version.flow_revision if version is not None else flow.revision
    with transaction.atomic():
        with store.pipeline():  # the run's rows go in one round trip
            run = Run.objects.create(
                team_id=flow.team_id,
                flow=flow,
                flow_revision=flow_revision,
                version=version,
                trigger=trigger,
                inputs=inputs,
                graph=found.graph,
                graph_digest=found.digest,
                created_by=user,
                parent_run=parent_run,
                parent_node_id=parent_node_id,
                has_callback=bool(callback_url),
                resumed_from=resumed_from,
                replay=replay or [],
            )
            if idempotency is not None:
                key, request_hash = idempotency
                RunRequest.objects.create(
                    team_id=flow.team_id, key=key, request_hash=request_hash, run=run
                )
            if callback_url:
                CallbackDelivery.objects.create(run=run, url=callback_url)
            NodeRun.objects.bulk_create(
                [
                    NodeRun(
                        run=run,
                        node_id=node.id,
                        type=node.type,
                        blockers=found.run_plan.plan.blockers(node.id),
                        **plans.supplied_fields(supplies.get(node.id)),
                    )
                    for node in found.run_plan.plan.nodes.values()
                ],
                batch_size=500,
            )
        _start(run, team_cap=team_cap)
    return run


def _start(run: Run, *, team_cap: int | None = None) -> None:
    """Begin the run in the transaction that made it, in this process: inline nodes run at
    once (for up to BATON_INLINE_START_SECONDS; a flow of inline nodes ends before the
    request answers) and what must be queued goes to workers when it commits — no broker
    trip, no second transaction just to start. The start gets a savepoint of its own: if it
    fails, the run is still saved, pending, and a worker starts it."""
    if settings.BATON_START_IN_WORKER:
        send_after_commit(START_RUN, str(run.id))
        return
    try:
        status = begin_run(
            str(run.id), inline_seconds=settings.BATON_INLINE_START_SECONDS, team_cap=team_cap
        )
    except Exception:  # noqa: BLE001 - the run is saved; a worker starts it
        log.warning("could not begin run %s here; a worker will", run.id, exc_info=True)
        send_after_commit(START_RUN, str(run.id))
        return
    if status is not None:
        run.status = status


def check_idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_IDEMPOTENCY_KEY_LENGTH or not value.isprintable():
        raise Invalid(
            {"Idempotency-Key": f"must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable characters"}
        )
    return value


def request_hash(**what: Any) -> str:
    """A digest of what a request asks for, independent of key order and spacing."""
    text = json.dumps(what, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _earlier_run(team_id: int, key: str, digest: str) -> Run | None:
    earlier = RunRequest.objects.filter(team_id=team_id, key=key).select_related("run").first()
    if earlier is None:
        return None
    if earlier.request_hash != digest:
        raise Unprocessable(
            "this Idempotency-Key was already used with a different request (another flow "
            "or body); use a new key for a new request"
        )
    return earlier.run


def start_once(
    *, team_id: int, key: str | None, digest: str, start: Callable[[tuple[str, str] | None], Run]
) -> tuple[Run, bool]:
    """Start a run unless the same Idempotency-Key already did: (run, replayed).

    Concurrent identical requests race on the unique (team, key): one inserts, the other's
    insert waits for that commit, fails, and finds the winner's run.
    """
    if key is None:
        return start(None), False
    earlier = _earlier_run(team_id, key, digest)
    if earlier is not None:
        return earlier, True
    try:
        return start((key, digest)), False
    except IntegrityError:
        earlier = _earlier_run(team_id, key, digest)
        if earlier is None:
            raise
        return earlier, True


def do_clear_cache(team, flow_id: int | None = None) -> int:
    """Throw away the team's node output cache, or one flow's; the entries deleted. The
    caller has checked the team (owners). A flow not of this team is NotFound."""
    from flows.models import Flow

    if flow_id is not None and not Flow.objects.filter(pk=flow_id, team=team).exists():
        raise NotFound("no such flow in this team")
    return cache.clear(team.pk, flow_id)


def do_cancel_run(run: Run, user) -> Run:
    if not cancel_run(str(run.id), by=user.get_username()):
        run.refresh_from_db()
        raise Conflict(f"the run has already ended ({run.status})", status=run.status)
    run.refresh_from_db()
    return run


def check_resume_payload(run: Run, node_id: str, payload: Any) -> None:
    """400 when the waiting node's type says the payload is not one it takes."""
    from flows.nodes import get_node_type

    raw = next((n for n in (run.graph or {}).get("nodes", []) if n.get("id") == node_id), None)
    node_type = get_node_type(raw.get("type", "")) if raw else None
    problem = node_type.check_resume(payload) if node_type is not None else None
    if problem is not None:
        raise Invalid({"error": problem})


def do_resume_node(run: Run, node_id: str, payload: Any) -> None:
    check_resume_payload(run, node_id, payload)
    problem = request_resume(str(run.id), node_id, payload)
    if problem is not None:
        raise Conflict(problem)


def parse_wait(value: str | None) -> float:
    if value in (None, ""):
        return 0.0
    try:
        seconds = float(value)
    except ValueError:
        raise Invalid({"wait": f"must be a number of seconds, not {value!r}"}) from None
    if not 0 <= seconds <= MAX_WAIT_SECONDS:
        raise Invalid({"wait": f"must be between 0 and {MAX_WAIT_SECONDS:g} seconds"})
    return seconds


def wait_for_run(run: Run, timeout: float) -> None:
    """Return when the run has ended, waits for a person (an approval: nothing will happen
    until someone answers), or `timeout` seconds have passed. Holds no database connection
    while it waits, so many waiting requests do not drain the pool."""
    if timeout <= 0 or run.status in engine.TERMINAL_RUN_STATUSES:  # ended inside the request
        return
    run_id = run.pk
    if not _still_going(run_id):
        return
    deadline = time.monotonic() + timeout
    pubsub = shared_redis().pubsub(ignore_subscribe_messages=True)
    try:
        try:
            pubsub.subscribe(finished_channel(str(run_id)))
        except RedisError:
            pubsub = None  # Redis away: look at the database now and then instead
        while True:
            if not _still_going(run_id):
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            store.release_connection()  # back to the pool while we wait
            # Recheck the database now and then as well: a notice can be missed.
            if pubsub is None:
                time.sleep(min(remaining, 0.25))
                continue
            try:
                pubsub.get_message(timeout=min(remaining, 1.0))
            except RedisError:
                pubsub = None
    finally:
        if pubsub is not None:
            pubsub.close()


def _still_going(run_id) -> bool:
    status = Run.objects.filter(pk=run_id).values_list("status", flat=True).first()
    if status == engine.WAITING:
        return not waits_for_people(run_id)
    return status in engine.ACTIVE_RUN_STATUSES


def waits_for_people(run_id) -> bool:
    """The run waits on a node only a person can move on (an approval)."""
    return NodeRun.objects.filter(
        run_id=run_id, status=engine.WAITING, type__in=node_types_waiting_for_people()
    ).exists()
