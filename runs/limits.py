"""A team's cap on runs in progress (Team.max_active_runs; 0 means none).

A run over the cap is not refused: it stays `pending`, marked `held_at`, and waits in line.
The line is the order runs were created in. A run may start when the runs in progress
plus the pending runs ahead of it (held or about to begin) leave it a slot; the check runs
in begin_run, once per run, under the team's row lock so two runs cannot take the last
slot together. When a run ends (runs.effects.run_finished) — and on every sweep, in case
that signal was lost with its worker — the oldest held runs get a start task for the
slots that are free.

Child runs (subflow and map nodes) neither count nor wait: their parent already holds a
slot, and holding a child back while its parent waits for it could deadlock the team.

A run that waits without working — for a person (an approval) or for a time (a delay) —
holds no slot: two unanswered approvals must not stall a team whose cap is 1. A run
waiting for its child runs does hold one: its children work for it.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from accounts.models import Team
from flows.nodes import node_types_waiting_for_people

from .core import engine
from .effects import START_RUN, Effects
from .models import NodeRun, Run

# At most this many held runs are sent to start per team in one go.
START_BATCH = 100


def _top_level(team_id: int):
    return Run.objects.filter(team_id=team_id, parent_run__isnull=True)


def active_count(team_id: int) -> int:
    """Top-level runs of the team that are working (or whose child runs are)."""
    waiting_on_work = NodeRun.objects.filter(
        run=OuterRef("pk"), status=engine.WAITING, next_attempt_at__isnull=True
    ).exclude(type__in=node_types_waiting_for_people())
    return (
        _top_level(team_id)
        .filter(Q(status=engine.RUNNING) | (Q(status=engine.WAITING) & Exists(waiting_on_work)))
        .count()
    )


def must_wait_for_slot(run: Run, cap: int | None = None) -> bool:
    """Inside begin_run's step (the run's row locked): whether the run has to wait. `cap`:
    the team's, if the caller read it already."""
    if run.parent_run_id is not None:
        return False
    if cap is None:
        cap = Team.objects.filter(pk=run.team_id).values_list("max_active_runs", flat=True).first()
    if not cap:
        return False
    # Serialize the starts of this team's runs until our transaction ends.
    list(Team.objects.select_for_update().filter(pk=run.team_id).values_list("pk", flat=True))
    ahead = (
        _top_level(run.team_id)
        .filter(status=engine.PENDING)
        .filter(Q(created_at__lt=run.created_at) | Q(created_at=run.created_at, pk__lt=run.pk))
        .count()
    )
    return active_count(run.team_id) + ahead >= cap


def start_held_runs(team_id: int) -> int:
    """Send a start task to as many of the team's held runs as there are free slots (each
    start checks again). Returns how many were sent."""
    held = (
        _top_level(team_id)
        .filter(status=engine.PENDING, held_at__isnull=False)
        .order_by("created_at", "pk")
    )
    cap = Team.objects.filter(pk=team_id).values_list("max_active_runs", flat=True).first()
    if cap:
        free = cap - active_count(team_id)
        if free <= 0:
            return 0
        held = held[: min(free, START_BATCH)]
    else:  # the cap was lifted: everyone waiting may go
        held = held[:START_BATCH]
    run_ids = [str(run_id) for run_id in held.values_list("pk", flat=True)]
    effects = Effects()
    for run_id in run_ids:
        effects.send(START_RUN, run_id)
    effects.perform_after_commit()
    return len(run_ids)


def on_run_finished(
    sender, run_id: str, parent_run_id: str | None = None, team_id: int | None = None,
    team_cap: int | None = None, **kwargs
) -> None:
    """A slot may have freed: let the next in line go. `team_cap` 0 (known to the step that
    ended the run): the team has no cap, so nobody waits in line (on_team_saved released
    them when it was lifted)."""
    if parent_run_id is not None or team_cap == 0:
        return
    if team_id is None:
        team_id = Run.objects.filter(pk=run_id).values_list("team_id", flat=True).first()
        if team_id is None:
            return
    if _top_level(team_id).filter(status=engine.PENDING, held_at__isnull=False).exists():
        start_held_runs(team_id)


def on_team_saved(sender, instance: Team, created: bool = False, **kwargs) -> None:
    if not created:
        transaction.on_commit(lambda: start_held_runs(instance.pk))


def release_held_runs(limit_teams: int = 50) -> int:
    """The sweeper's part: teams with runs in line get another look."""
    teams = (
        Run.objects.filter(status=engine.PENDING, parent_run__isnull=True, held_at__isnull=False)
        .values_list("team_id", flat=True)
        .distinct()[:limit_teams]
    )
    return sum(start_held_runs(team_id) for team_id in list(teams))
