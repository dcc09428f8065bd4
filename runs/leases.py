"""Leases on queued nodes: a worker claims a node (queued → running, with a lease it keeps
renewing), runs it outside any transaction, and completes it; a node whose worker vanished
is reclaimed — by the next worker its task reaches, or by the sweeper — and run again, up
to MAX_LOST times. Both the worker (runs.worker) and the sweeper use these functions, so
the rule of when a lease is lost exists once.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

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

_HOST = socket.gethostname()
_NONCE = uuid.uuid4().hex[:8]


def lease_owner() -> str:
    return f"{_HOST}:{os.getpid()}:{_NONCE}"


def lease_owner_is_dead(owner: str) -> bool:
    """True only when we can tell: the owner was a process on this host that is gone."""
    host, _, rest = owner.partition(":")
    if host != _HOST:
        return False
    pid_text = rest.partition(":")[0]
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except (ValueError, PermissionError):
        return False
    return False


# --- Claiming and completing ----------------------------------------------------------------


def claim(node_pk: int, owner: str) -> Ticket | None:
    """Take a queued node (or one whose worker is gone) for this worker, or None."""
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
    node.lease_expires_at = step.now + timedelta(seconds=settings.BATON_LEASE_SECONDS)
    step.touch(node, *LEASE)
    step.emit(node_status_event(node))
    return make_ticket(step, node, owner, settings.BATON_NODE_TIMEOUT_DEFAULT)


def cancel_node(step: RunStep, node: NodeRun) -> None:
    node.status = CANCELLED
    node.finished_at = step.now
    node.lease_owner = ""
    node.lease_expires_at = None
    step.touch(node, *LEASE)
    step.emit(node_status_event(node))


def complete(ticket: Ticket, outcome: Outcome, *, continue_with: bool) -> Ticket | None:
    """Record a queued node's outcome. When `continue_with`, one queued node made ready by
    it is claimed for this same worker and returned, saving a trip through the broker."""
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
            next_ticket = _take_one_dispatch(step, ticket.lease_owner)
        finish_if_done(step)
        return next_ticket


def _take_one_dispatch(step: RunStep, owner: str) -> Ticket | None:
    for node in list(step.nodes.values()):
        if node.status != QUEUED or not step.undispatch(node):
            continue
        # Its "queued" event is dropped: the node goes straight to running here.
        step.events = [
            event for event in step.events
            if not (event.get("node_id") == node.node_id and event.get("status") == QUEUED)
        ]
        return _claim_in_step(step, node, owner)
    return None


def extend_lease(node_pk: int, owner: str) -> None:
    NodeRun.objects.filter(pk=node_pk, status=RUNNING, lease_owner=owner).update(
        lease_expires_at=timezone.now() + timedelta(seconds=settings.BATON_LEASE_SECONDS)
    )




# --- Reclaiming: the sweeper's part -----------------------------------------------------------


def reclaim_lost_nodes(now: datetime) -> int:
    """Running nodes whose worker is gone (the lease ran out, or the owner process on this
    host no longer exists): queued again, or failed after MAX_LOST losses."""
    candidates = NodeRun.objects.filter(status=RUNNING).filter(
        Q(lease_expires_at__lt=now) | Q(lease_owner__startswith=f"{_HOST}:")
    )
    count = 0
    for pk, owner, expires_at in candidates.values_list("pk", "lease_owner", "lease_expires_at"):
        if expires_at is None or expires_at < now or lease_owner_is_dead(owner):
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
