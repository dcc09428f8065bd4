"""Recorded exchanges of runs: keeping a node attempt's, and answering a replay from them.

The outbound door (flows.nodes.recording) records and replays; this module is its storage:
`save` writes an attempt's exchanges with the run (size-capped per run), `Recordings` is the
replay source of a run in replay mode, and `check_replay` validates a run request's
`replay` list. See flows/nodes/recording.py for what a fingerprint is.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db.models import Q, Sum

from flows.nodes.recording import Answer, Fingerprint, Recorded
from orchestrator_site.problems import Invalid

from .core import engine
from .models import Exchange, Run
from .store import release_connection

OVER_RUN_CAP = ("it was {size} bytes, past the run's recording cap "
                "(BATON_RECORDING_MAX_RUN_BYTES)")
# How many recorded requests a miss compares itself with to find the nearest.
NEAREST_SCAN = 500


def check_replay(flow, runs: Sequence[Run]) -> list[str]:
    """The ids a run request's `replay` names, once each. The caller fetched each run
    through accounts.access (runs the caller may read), so they are of the flow's team."""
    if len(runs) > settings.BATON_REPLAY_MAX_RUNS:
        raise Invalid({"replay": f"at most {settings.BATON_REPLAY_MAX_RUNS} runs"})
    ids: list[str] = []
    for run in runs:
        if run.team_id != flow.team_id:
            raise Invalid({"replay": f"run {run.pk} is not a run of this flow's team"})
        if run.status in engine.ACTIVE_RUN_STATUSES:
            raise Invalid({"replay": f"run {run.pk} is still {run.status}: its recording is not complete"})
        if str(run.pk) not in ids:
            ids.append(str(run.pk))
    return ids


# Bytes recorded so far per run, as this process knows them: read from the database the
# first time a run records here, then counted on, so a node's recording costs one INSERT.
_recorded_bytes: OrderedDict[str, int] = OrderedDict()


def save_recording(run_id: str, node_id: str, attempt: int, exchanges: Iterable[Recorded]) -> None:
    """Store an attempt's exchanges with its run. Past the run's cap
    (BATON_RECORDING_MAX_RUN_BYTES) an exchange is kept without its body (truncated).
    Called by the step that records the attempt's outcome, inside its transaction."""
    exchanges = list(exchanges)
    if not exchanges:
        return
    used = _recorded_bytes.get(run_id)
    if used is None:
        used = Exchange.objects.filter(run_id=run_id).aggregate(total=Sum("size"))["total"] or 0
    cap = settings.BATON_RECORDING_MAX_RUN_BYTES
    rows = []
    for recorded in exchanges:
        row: dict[str, Any] = recorded.as_row()
        weight = recorded.size + len(recorded.fingerprint.body)
        if not recorded.truncated and used + weight > cap:
            row.update(truncated=True, body="", body_base64=False, note=OVER_RUN_CAP.format(size=recorded.size))
        elif not recorded.truncated:
            used += weight
        rows.append(Exchange(run_id=run_id, node_id=node_id, attempt=attempt, **row))
    Exchange.objects.bulk_create(rows)
    _recorded_bytes[run_id] = used
    _recorded_bytes.move_to_end(run_id)
    while len(_recorded_bytes) > 4096:
        _recorded_bytes.popitem(last=False)


# The runs a replay answers from: the runs named and the child runs they made (whose
# requests a sub-flow, map or agent node of the replay makes again). Runs named in a
# replay have ended, so their trees no longer change: kept per process.
_scopes: OrderedDict[tuple[str, ...], list[Any]] = OrderedDict()
_scopes_lock = threading.Lock()


def _scope(run_ids: tuple[str, ...]) -> list[Any]:
    with _scopes_lock:
        found = _scopes.get(run_ids)
        if found is not None:
            return found
    found = list(Run.objects.filter(Q(pk__in=run_ids) | Q(root_run_id__in=run_ids)).values_list("pk", flat=True))
    with _scopes_lock:
        _scopes[run_ids] = found
        while len(_scopes) > 256:
            _scopes.popitem(last=False)
    return found


class Recordings:
    """The recorded exchanges of a replay's source runs (flows.nodes.recording.ReplaySource)."""

    def __init__(self, run_ids: Sequence[str]):
        self.run_ids = tuple(run_ids)
        # A named run's own answers before those of its children, then the order named.
        self._rank = {run_id: index for index, run_id in enumerate(self.run_ids)}

    def _exchanges(self):
        return Exchange.objects.filter(run_id__in=_scope(self.run_ids))

    def answers(self, key: str, node_id: str, attempt: int) -> list[Answer]:
        try:
            rows = list(self._exchanges().filter(key=key).values_list(
                "run_id", "node_id", "attempt", "seq", "id", "status", "headers", "body",
                "body_base64", "truncated", "size", "note",
            ))
        finally:
            release_connection()

        # The same node's answers first (a node's second identical call gets its second
        # answer), the same attempt's first among them (a retry gets what the retry got).
        def order(row: tuple) -> tuple:
            run_id, row_node, row_attempt, seq, pk = row[:5]
            return (row_node != node_id, row_attempt != attempt, self._rank.get(str(run_id), len(self._rank)),
                    row_attempt, seq, pk)

        return [
            Answer(run_id=str(r[0]), node_id=r[1], status=r[5], headers=r[6] or {}, body=r[7],
                   body_base64=r[8], truncated=r[9], size=r[10], note=r[11])
            for r in sorted(rows, key=order)
        ]

    def requests(self) -> list[tuple[str, str, Fingerprint]]:
        try:
            rows = self._exchanges().order_by("-id").values_list(
                "run_id", "node_id", "method", "url", "request_body"
            )[:NEAREST_SCAN]
            return [(str(run_id), node_id, Fingerprint(method, url, body))
                    for run_id, node_id, method, url, body in rows]
        finally:
            release_connection()

    def model_endpoint(self, node_id: str) -> tuple[str, str] | None:
        """(provider, base URL) of the model this node called in the recording, so a model
        node without a credential can replay: the requests it then builds are the ones
        recorded. None when the recording has no model call of this node."""
        try:
            urls = list(self._exchanges().filter(node_id=node_id).order_by("id").values_list("url", flat=True)[:50])
        finally:
            release_connection()
        for url in urls:
            for suffix, provider in (("/chat/completions", "openai"), ("/embeddings", "openai"),
                                     ("/v1/messages", "anthropic")):
                if url.endswith(suffix):
                    return provider, url[: -len(suffix)]
        return None


# --- Recordings shipped with the example flows ---------------------------------------------
RECORDING_TRIGGER = "recording"
# The fields of an exchange a shipped recording file holds (examples/recordings/*.json).
SHIPPED_FIELDS = ("node_id", "attempt", "seq", "method", "url", "request_body", "status",
                  "headers", "body", "body_base64")


def has_recording(flow) -> bool:
    return Run.objects.filter(flow=flow, trigger=RECORDING_TRIGGER).exists()


def do_install_recording(flow, user, recording: dict[str, Any]) -> Run:
    """A finished run of `flow` holding a shipped recording ({"inputs", "exchanges"}), to
    replay the flow from with no model credential. It executed nothing here: its exchanges
    were recorded elsewhere (from the tests' model server, in the providers' protocols)."""
    from django.db import transaction
    from django.utils import timezone

    from .core.engine import SUCCEEDED

    now = timezone.now()
    with transaction.atomic():
        run = Run.objects.create(
            team_id=flow.team_id, flow=flow, flow_revision=flow.revision, trigger=RECORDING_TRIGGER,
            status=SUCCEEDED, inputs=recording.get("inputs") or {}, graph=flow.graph,
            graph_digest=flow.graph_digest, created_by=user, started_at=now, finished_at=now,
        )
        rows = []
        for item in recording.get("exchanges", []):
            fields = {name: item[name] for name in SHIPPED_FIELDS if name in item}
            fingerprint = Fingerprint(fields["method"], fields["url"], fields.get("request_body", ""))
            rows.append(Exchange(run=run, key=fingerprint.key, size=len(fields.get("body", "")), **fields))
        Exchange.objects.bulk_create(rows)
    return run


def shipped_form(run_ids: Iterable[Any]) -> list[dict[str, Any]]:
    """The exchanges of these runs and their child runs, as a shipped recording file holds them."""
    ids = tuple(str(run_id) for run_id in run_ids)
    rows = Exchange.objects.filter(run_id__in=_scope(ids)).order_by("id").values(*SHIPPED_FIELDS)
    return [dict(row) for row in rows]
