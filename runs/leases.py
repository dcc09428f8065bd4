"""Leases on queued nodes: a worker claims a node (queued → running, with a lease it keeps
renewing), runs it outside any transaction, and completes it; a node whose worker vanished
is reclaimed — by the next worker its task reaches, or by the sweeper — and run again, up
to MAX_LOST times. Both the worker (runs.worker) and the sweeper use these functions, so
the rule of when a lease is lost exists once.

A lease is lost when it expires — on the database's clock, never a worker's, so a worker
whose clock is off cannot make others' leases look expired — or when its owner is known to
be gone. An owner is one process, named by an id of its own (not its host name or pid,
which two hosts or containers may share), that says it is alive with a heartbeat in Redis
while it holds leases; a process that stops beating is gone.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db.models import BooleanField, DateTimeField, ExpressionWrapper, Q
from django.db.models.functions import Now

from orchestrator_site.redis_client import shared_redis

from . import store
from .core import engine
from .core.engine import CANCELLED, QUEUED, RUNNING
from .core.outcomes import Failed, Outcome
from .events import node_status_event
from .execution import Ticket
from .models import NodeRun
from .step import LEASE, RunStep
from .transitions import advance, finish_if_done, make_ticket, record_outcome, start_attempt

log = logging.getLogger(__name__)

# A node's worker may vanish this many times before the node fails instead of re-running.
MAX_LOST = 3

# --- Who we are ---------------------------------------------------------------------------

# A process that holds leases says so this often; missing for OWNER_TTL_SECONDS, it is gone.
BEAT_SECONDS = 1.0
OWNER_TTL_SECONDS = 6

_identity: tuple[int, str] | None = None
# The Celery worker's name (unique per worker), when this process belongs to one.
_worker_name = ""


def set_worker_name(name: str) -> None:
    global _worker_name, _identity
    _worker_name = name.replace(":", "_")
    _identity = None


def lease_owner() -> str:
    """This process's name as a lease owner: "<worker or host>:<pid>:<id>"; the id (fresh in
    every process, forked children included) is what liveness is checked by, the rest is
    for people reading a node run."""
    global _identity
    if _identity is None or _identity[0] != os.getpid():
        who = _worker_name or socket.gethostname()
        _identity = (os.getpid(), f"{who}:{os.getpid()}:{uuid.uuid4().hex}")
    return _identity[1]


def _owner_key(owner: str) -> str:
    return f"{settings.BATON_CHANNEL_PREFIX}:lease-owner:{owner.rpartition(':')[2]}"


def beat(owner: str) -> None:
    """The owner is alive (called by its lease keeper while it holds leases)."""
    shared_redis().set(_owner_key(owner), "1", ex=OWNER_TTL_SECONDS)


# Redis remembers since when it has kept heartbeats (by its own clock); a Redis that has
# just started empty knows no heartbeat yet, and must not make every owner look dead.
_MEMORY_SCRIPT = """
local created = 0
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], redis.call('TIME')[1])
  created = 1
end
return {tonumber(redis.call('GET', KEYS[1])), tonumber(redis.call('TIME')[1]), created}
"""


def redis_memory() -> tuple[float, bool] | None:
    """(seconds Redis has been keeping heartbeats, whether this call found it had forgotten
    everything — started empty, its queued tasks gone with its data); None if it is away."""
    key = f"{settings.BATON_CHANNEL_PREFIX}:heartbeats-since"
    try:
        since, now, created = shared_redis().eval(_MEMORY_SCRIPT, 1, key)
    except redis.RedisError:
        return None
    return float(now) - float(since), bool(created)


def dead_owners(owners: Iterable[str]) -> set[str]:
    """The owners among these whose heartbeat stopped. When Redis cannot say (away, or
    started too recently to have heard every owner), none: their leases then run out on
    their own."""
    owners = [owner for owner in dict.fromkeys(owners) if owner]
    if not owners:
        return set()
    memory = redis_memory()
    if memory is None or memory[0] < OWNER_TTL_SECONDS:
        return set()
    try:
        with shared_redis().pipeline(transaction=False) as pipe:
            for owner in owners:
                pipe.exists(_owner_key(owner))
            alive = pipe.execute()
    except redis.RedisError:
        return set()
    return {owner for owner, beating in zip(owners, alive, strict=True) if not beating}


def lease_owner_is_dead(owner: str) -> bool:
    return bool(owner) and owner in dead_owners([owner])


# --- Claiming and completing ----------------------------------------------------------------


class Busy(Exception):
    """The node could be claimed, but its type has no free slot in this worker."""


def claim(
    node_pk: int, owner: str, admit: Callable[[str], bool] | None = None
) -> Ticket | None:
    """Take a queued node (or one whose worker is gone) for this worker, or None.
    `admit(node type)` takes a slot for it (runs.worker.slots); Busy when it will not."""
    ref = store.node_ref(node_pk)
    if ref is None:
        return None
    run_id, node_id = ref
    with RunStep(run_id, expect=lambda plan: [node_id, *plan.parents(node_id)]) as step:
        if step.run is None:
            return None
        node = step.node(node_id)
        if step.run.status not in engine.ACTIVE_RUN_STATUSES:
            if node.status in (QUEUED, RUNNING):
                cancel_node(step, node)
            return None
        if node.status == QUEUED:
            if node.next_attempt_at and node.next_attempt_at > step.now + timedelta(seconds=0.5):
                return None  # an early duplicate of a delayed retry; its own task comes later
        elif node.status == RUNNING:
            if not lease_is_lost(node.lease_owner, node.lease_expires_at, now=step.now):
                return None
            if not note_lost(step, node):
                return None
        else:
            return None
        if admit is not None and not admit(node.type):
            raise Busy(node.type)
        return _claim_in_step(step, node, owner)


def lease_is_lost(owner: str, expires_at: datetime | None, *, now: datetime) -> bool:
    if expires_at is None or expires_at < now:
        return True
    return bool(owner) and lease_owner_is_dead(owner)


def note_lost(step: RunStep, node: NodeRun) -> bool:
    """The node's worker vanished mid-run. False when it has vanished too often and the
    node was failed instead of being given another go."""
    node.lost_count += 1
    step.touch(node)
    if node.lost_count > MAX_LOST:
        failure = Failed(
            f"the worker running this node was lost {node.lost_count} times "
            "(killed or out of memory?)",
            type="WorkerLost",
            retryable=False,
        )
        fired = record_outcome(step, node, failure)
        if fired is not None:
            advance(step, finished=[(node.node_id, fired)])
        finish_if_done(step)
        return False
    return True


def _claim_in_step(step: RunStep, node: NodeRun, owner: str) -> Ticket:
    start_attempt(step, node)
    node.status = RUNNING
    node.next_attempt_at = None
    node.lease_owner = owner
    node.worker = owner
    node.lease_expires_at = step.now + timedelta(seconds=settings.BATON_LEASE_SECONDS)
    # A new attempt streams anew: a failed attempt's partial text is not this one's.
    node.stream = ""
    step.touch(node, *LEASE, "stream")
    step.emit(node_status_event(node))
    return make_ticket(step, node, owner, settings.BATON_NODE_TIMEOUT_DEFAULT)


def cancel_node(step: RunStep, node: NodeRun) -> None:
    node.status = CANCELLED
    node.finished_at = step.now
    node.lease_owner = ""
    node.lease_expires_at = None
    step.touch(node, *LEASE)
    step.emit(node_status_event(node))


def complete(
    ticket: Ticket, outcome: Outcome, *, continue_with: bool,
    admit: Callable[[str], bool] | None = None,
) -> Ticket | None:
    """Record a queued node's outcome. When `continue_with`, one queued node made ready by
    it (and admitted, see claim) is claimed for this same worker and returned, saving a
    trip through the broker."""
    node_id = ticket.node_id
    with RunStep(ticket.run_id, expect=lambda plan: [node_id, *plan.children(node_id)]) as step:
        if step.run is None:
            return None
        node = step.node(node_id)
        if node.status != RUNNING or node.lease_owner != ticket.lease_owner:
            log.info("dropping the outcome of %s: another worker took it over", node)
            return None
        if step.run.status not in engine.ACTIVE_RUN_STATUSES:
            cancel_node(step, node)
            return None
        fired = record_outcome(step, node, outcome)
        if fired is not None:
            advance(step, finished=[(node.node_id, fired)])
        next_ticket = None
        if continue_with and step.run.status in engine.ACTIVE_RUN_STATUSES:
            next_ticket = _take_one_dispatch(step, ticket.lease_owner, admit)
        finish_if_done(step)
        return next_ticket


def _take_one_dispatch(
    step: RunStep, owner: str, admit: Callable[[str], bool] | None
) -> Ticket | None:
    for node in list(step.nodes.values()):
        if node.status != QUEUED or not step.would_undispatch(node):
            continue
        if admit is not None and not admit(node.type):
            continue  # its task goes through the broker as sent
        step.undispatch(node)
        # Its "queued" event is dropped: the node goes straight to running here.
        step.events = [
            event for event in step.events
            if not (event.get("node_id") == node.node_id and event.get("status") == QUEUED)
        ]
        return _claim_in_step(step, node, owner)
    return None


def extend_lease(node_pk: int, owner: str) -> bool:
    """Renew the lease on the database's clock; False when it is no longer ours (it ran out
    and another worker took the node over): the attempt must then stop."""
    return bool(
        NodeRun.objects.filter(pk=node_pk, status=RUNNING, lease_owner=owner).update(
            lease_expires_at=ExpressionWrapper(
                Now() + timedelta(seconds=settings.BATON_LEASE_SECONDS),
                output_field=DateTimeField(),
            )
        )
    )




# --- Reclaiming: the sweeper's part -----------------------------------------------------------


def reclaim_lost_nodes() -> int:
    """Running nodes whose worker is gone (the lease ran out on the database's clock, or
    its owner stopped beating): queued again, or failed after MAX_LOST losses."""
    running = list(
        NodeRun.objects.filter(status=RUNNING)
        .annotate(expired=ExpressionWrapper(
            Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=Now()),
            output_field=BooleanField(),
        ))
        .values_list("pk", "lease_owner", "expired")[:1000]
    )
    dead = dead_owners(owner for _pk, owner, _expired in running)
    count = 0
    for pk, owner, expired in running:
        if expired or owner in dead:
            count += reclaim(pk)
    return count


def reclaim(node_pk: int) -> int:
    """Queue a running node again if its lease is lost; 1 when something was done."""
    ref = store.node_ref(node_pk)
    if ref is None:
        return 0
    run_id, node_id = ref
    with RunStep(run_id) as step:
        if step.run is None:
            return 0
        node = step.node(node_id)
        if node.status != RUNNING:
            return 0
        if not lease_is_lost(node.lease_owner, node.lease_expires_at, now=step.now):
            return 0
        if step.run.status not in engine.ACTIVE_RUN_STATUSES:
            cancel_node(step, node)
            return 1
        if not note_lost(step, node):
            return 1
        node.status = QUEUED
        node.lease_owner = ""
        node.lease_expires_at = None
        node.message = "its worker was lost; queued again"
        step.touch(node, *LEASE)
        step.dispatch(node)
        step.emit(node_status_event(node))
        log.warning("re-queued %s: its worker was lost", node)
        return 1
