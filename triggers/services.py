"""Trigger URLs and schedules: `check_*` validates, `do_*` writes, `fire_*` starts runs."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter
from django.db import transaction
from django.utils import timezone

from flows.models import Flow
from flows.services import get_version
from orchestrator_site.problems import GraphInvalid, Invalid, Problem
from runs import services as run_services
from runs.models import Run

from .models import PREFIX_LENGTH, TOKEN_PREFIX, Schedule, TriggerToken

log = logging.getLogger(__name__)

# last_used_at is for people reading a list: minute precision saves a write per call.
_LAST_USED_GRANULARITY = timedelta(minutes=1)
CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
# At most this many schedules are fired per tick; the rest are still due at the next one.
FIRE_BATCH = 200


def check_version_number(flow: Flow, number: int | None) -> int | None:
    if number is not None and get_version(flow, number) is None:
        raise Invalid({"version": f"the flow has no version {number}"})
    return number


# --- Trigger URLs -------------------------------------------------------------------------------


def do_create_trigger(
    flow: Flow, *, user, name: str, version: int | None
) -> tuple[TriggerToken, str]:
    return TriggerToken.issue(flow, name, user=user, version=check_version_number(flow, version))


def do_revoke_trigger(token: TriggerToken) -> TriggerToken:
    TriggerToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db(fields=["revoked_at"])
    return token


def find_token(raw: str) -> TriggerToken | None:
    """The live token for this secret, or None (unknown, revoked, malformed)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) < PREFIX_LENGTH + 8 or len(raw) > 200:
        return None
    token = (
        TriggerToken.objects.select_related("flow", "created_by")
        .filter(prefix=raw[:PREFIX_LENGTH], revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.matches(raw):
        return None
    return token


def do_fire_trigger(
    token: TriggerToken,
    *,
    inputs: dict[str, Any],
    version_choice: int | str | None,
    idempotency_key: str | None,
) -> tuple[Run, bool]:
    """Start a run of the token's flow with `inputs`: (run, replayed)."""
    flow = token.flow
    version = run_services.check_version(flow, version_choice)
    run, replayed = run_services.start_once(
        team_id=flow.team_id,
        key=idempotency_key,
        digest=run_services.request_hash(trigger=token.pk, version=version_choice, inputs=inputs),
        start=lambda idempotency: run_services.do_start_run(
            flow=flow,
            user=token.created_by,
            inputs=inputs,
            version=version,
            trigger="webhook",
            idempotency=idempotency,
        ),
    )
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_GRANULARITY:
        TriggerToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return run, replayed


# --- Schedules ----------------------------------------------------------------------------------


MAX_CRON_CHARS = 200


def check_cron(expression: Any) -> str:
    if not isinstance(expression, str) or not expression.strip():
        raise Invalid({"cron": "must be a cron expression such as '*/15 * * * *'"})
    if len(expression) > MAX_CRON_CHARS:
        # croniter's time grows with the length; nothing useful is this long.
        raise Invalid({"cron": f"must be at most {MAX_CRON_CHARS} characters"})
    expression = " ".join(expression.split())
    if expression.startswith("@"):
        if expression not in CRON_MACROS:
            raise Invalid(
                {
                    "cron": f"unknown macro {expression!r}; use one of "
                    + ", ".join(sorted(CRON_MACROS))
                }
            )
    elif len(expression.split(" ")) != 5:
        raise Invalid(
            {"cron": "must have 5 fields: minute hour day-of-month month day-of-week"}
        )
    if not croniter.is_valid(expression):
        raise Invalid({"cron": f"{expression!r} is not a valid cron expression"})
    try:
        croniter(expression, timezone.now()).get_next(datetime)
    except CroniterBadDateError:
        raise Invalid({"cron": f"{expression!r} never fires"}) from None
    return expression


def check_timezone(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise Invalid({"timezone": "must be an IANA time zone name such as 'Europe/Paris'"})
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            {"timezone": f"unknown time zone {name!r}; use an IANA name such as 'Europe/Paris'"}
        ) from None
    return name


def next_fire_time(cron: str, tz_name: str, after: datetime) -> datetime:
    """The first time after `after` that the expression names, in its zone, as UTC."""
    local = after.astimezone(ZoneInfo(tz_name))
    return croniter(cron, local).get_next(datetime).astimezone(ZoneInfo("UTC"))


def do_create_schedule(flow: Flow, *, user, data: dict[str, Any]) -> Schedule:
    cron = check_cron(data["cron"])
    tz_name = check_timezone(data.get("timezone", "UTC"))
    enabled = data.get("enabled", True)
    return Schedule.objects.create(
        flow=flow,
        name=data.get("name", ""),
        cron=cron,
        timezone=tz_name,
        inputs=run_services.check_inputs(data.get("inputs")),
        version=check_version_number(flow, data.get("version")),
        enabled=enabled,
        next_fire_at=next_fire_time(cron, tz_name, timezone.now()) if enabled else None,
        created_by=user,
    )


def do_update_schedule(schedule: Schedule, changes: dict[str, Any]) -> Schedule:
    if "cron" in changes:
        changes["cron"] = check_cron(changes["cron"])
    if "timezone" in changes:
        changes["timezone"] = check_timezone(changes["timezone"])
    if "inputs" in changes:
        changes["inputs"] = run_services.check_inputs(changes["inputs"])
    if "version" in changes:
        changes["version"] = check_version_number(schedule.flow, changes["version"])
    with transaction.atomic():
        current = Schedule.objects.select_for_update().get(pk=schedule.pk)
        for field, value in changes.items():
            setattr(current, field, value)
        if {"cron", "timezone", "enabled"} & set(changes):
            current.next_fire_at = (
                next_fire_time(current.cron, current.timezone, timezone.now())
                if current.enabled
                else None
            )
        current.save()
    return current


def fire_due_schedules(now: datetime | None = None) -> int:
    """Start a run for every schedule whose time has come (the beat task). Returns how
    many fired."""
    now = now or timezone.now()
    due = (
        Schedule.objects.filter(enabled=True, next_fire_at__lte=now)
        .order_by("next_fire_at")
        .values_list("pk", "next_fire_at")[:FIRE_BATCH]
    )
    return sum(1 for pk, when in list(due) if fire_schedule(pk, when, now) is not None)


def fire_schedule(pk: int, due: datetime, now: datetime) -> Schedule | None:
    """Fire one schedule, if nobody else fired it for this due time: the compare-and-set
    on next_fire_at and the run's creation commit together, so a firing is neither lost
    nor doubled. Missed times are skipped: the next time is the first one after now."""
    with transaction.atomic():
        schedule = Schedule.objects.select_related("flow", "created_by").filter(pk=pk).first()
        if schedule is None:
            return None
        following = next_fire_time(schedule.cron, schedule.timezone, now)
        taken = Schedule.objects.filter(pk=pk, enabled=True, next_fire_at=due).update(
            next_fire_at=following, last_fired_at=now
        )
        if not taken:
            return None
        run, error = None, ""
        try:
            with transaction.atomic():
                run = run_services.do_start_run(
                    flow=schedule.flow,
                    user=schedule.created_by,
                    inputs=schedule.inputs,
                    version=run_services.check_version(schedule.flow, schedule.version),
                    trigger="schedule",
                )
        except Problem as exc:
            error = _message(exc)
            log.warning("schedule %s did not start a run: %s", schedule, error)
        if run is not None:
            Schedule.objects.filter(pk=pk).update(last_run=run, last_error="")
        else:
            Schedule.objects.filter(pk=pk).update(last_error=error[:500])
    return schedule


def _message(exc: Problem) -> str:
    if isinstance(exc, GraphInvalid) and exc.errors:
        return f"{exc.message}: {exc.errors[0].get('message', '')}"
    return exc.message
