"""Run callbacks: when a run that was given a `callback_url` ends, POST it there.

The body is the run as `GET /api/runs/<id>/` shows it (without the graph), signed with
`X-Baton-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the team's
webhook secret>` (the time also goes in `X-Baton-Timestamp`). Signing the time with the body
lets a receiver refuse a captured request sent again later: it checks the signature and that
`t` is recent (README shows how, with a tolerance). Any answer but 2xx is retried with exponential backoff, up to
BATON_CALLBACK_MAX_ATTEMPTS attempts. Requests go through the same outbound guard as the
`http` node (no private addresses unless BATON_HTTP_ALLOW says so) and follow no redirects.

Durability: a CallbackDelivery row is made with the run. The run's end makes it due (the
run_finished signal), a Celery task makes each attempt after claiming the row with a
compare-and-set, and the sweeper finds what a lost signal or a lost task left behind.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from flows.nodes.addresses import literal_address
from flows.nodes.base import FatalNodeError
from flows.nodes.outbound import OutboundRefused, allow_rules, is_public, outbound_client
from orchestrator_site.problems import Invalid

from .core import engine
from .effects import DELIVER_CALLBACK, send_after_commit
from .models import CallbackDelivery, Run
from .render import render_run

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Baton-Signature"
MAX_URL_LENGTH = 2000
# A claimed attempt holds its row this much longer than the request may take.
LOCK_MARGIN_SECONDS = 30
MAX_BACKOFF_SECONDS = 3600.0


TIMESTAMP_HEADER = "X-Baton-Timestamp"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The X-Baton-Signature value of a body sent at `timestamp` (Unix seconds)."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def check_callback_url(value: Any) -> str | None:
    """The URL, or a 400 naming what is wrong with it. An address we can tell is private
    without asking DNS is refused now; names are checked at each delivery."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise Invalid({"callback_url": "must be a URL string"})
    if len(value) > MAX_URL_LENGTH:
        raise Invalid({"callback_url": f"must be at most {MAX_URL_LENGTH} characters"})
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise Invalid({"callback_url": f"is not a valid URL ({exc})"}) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid({"callback_url": "must be an http:// or https:// URL with a host"})
    if any(ch.isspace() for ch in value):
        raise Invalid({"callback_url": "must not contain spaces"})
    address = literal_address(parts.hostname)
    if address is None:
        return value
    port = port or (443 if parts.scheme == "https" else 80)
    if not is_public(address) and not any(
        rule.allows(parts.hostname, address, port) for rule in allow_rules()
    ):
        raise Invalid(
            {
                "callback_url": f"{address} is a private or internal address; an administrator "
                "can allow it with BATON_HTTP_ALLOW"
            }
        )
    return value


def backoff(attempts: int) -> float:
    """Seconds before the next attempt, after `attempts` failed ones."""
    base = settings.BATON_CALLBACK_BACKOFF_SECONDS
    return min(base * (2 ** max(attempts - 1, 0)), MAX_BACKOFF_SECONDS)


def run_body(run: Run) -> str:
    data = render_run(run.pk) or {}
    data.pop("graph", None)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


# --- Making deliveries due -------------------------------------------------------------------


def _send(delivery_id: int, countdown: float = 0.0) -> None:
    send_after_commit(DELIVER_CALLBACK, delivery_id, countdown=countdown)


def on_run_finished(sender, run_id: str, has_callback: bool = True, **kwargs) -> None:
    if not has_callback:
        return
    now = timezone.now()
    delivery_id = (
        CallbackDelivery.objects.filter(run_id=run_id, status=CallbackDelivery.WAITING)
        .values_list("pk", flat=True)
        .first()
    )
    if delivery_id is None:
        return
    made_due = CallbackDelivery.objects.filter(
        pk=delivery_id, status=CallbackDelivery.WAITING
    ).update(status=CallbackDelivery.PENDING, next_attempt_at=now)
    if made_due:
        _send(delivery_id)


def sweep_deliveries(now) -> int:
    """Deliveries a lost signal or a lost task left behind. Each is moved on with a
    compare-and-set, so overlapping sweeps send it once."""
    count = 0
    ended = (
        CallbackDelivery.objects.filter(status=CallbackDelivery.WAITING)
        .exclude(run__status__in=engine.ACTIVE_RUN_STATUSES)
        .values_list("pk", flat=True)[:100]
    )
    for pk in list(ended):
        if CallbackDelivery.objects.filter(pk=pk, status=CallbackDelivery.WAITING).update(
            status=CallbackDelivery.PENDING, next_attempt_at=now
        ):
            _send(pk)
            count += 1
    stale = now - timedelta(seconds=settings.BATON_REQUEUE_AFTER_SECONDS)
    overdue = (
        CallbackDelivery.objects.filter(status=CallbackDelivery.PENDING, next_attempt_at__lt=stale)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .values_list("pk", "next_attempt_at")[:100]
    )
    for pk, due in list(overdue):
        if CallbackDelivery.objects.filter(
            pk=pk, status=CallbackDelivery.PENDING, next_attempt_at=due
        ).update(next_attempt_at=now):
            _send(pk)
            count += 1
    return count


# --- One attempt -------------------------------------------------------------------------------


def _claim(delivery_id: int) -> CallbackDelivery | None:
    now = timezone.now()
    hold = settings.BATON_CALLBACK_TIMEOUT_SECONDS + LOCK_MARGIN_SECONDS
    claimed = (
        CallbackDelivery.objects.filter(
            pk=delivery_id,
            status=CallbackDelivery.PENDING,
            next_attempt_at__lte=now + timedelta(seconds=0.5),
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + timedelta(seconds=hold))
    )
    if not claimed:
        return None
    return CallbackDelivery.objects.select_related("run__team").get(pk=delivery_id)


def deliver(delivery_id: int) -> str | None:
    """Make one attempt, if the delivery is due and nobody else is at it. Returns the
    delivery's status afterwards, or None when there was nothing to do."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    if not delivery.body:
        delivery.body = run_body(delivery.run)
        CallbackDelivery.objects.filter(pk=delivery.pk).update(body=delivery.body)
    body = delivery.body.encode()
    attempt = delivery.attempts + 1
    # Each attempt is signed anew with its own time: a retry is not a replay.
    sent_at = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Baton-Callback/1",
        SIGNATURE_HEADER: sign(delivery.run.team.webhook_secret, body, sent_at),
        TIMESTAMP_HEADER: str(sent_at),
        "X-Baton-Event": "run.finished",
        "X-Baton-Delivery": str(delivery.pk),
        "X-Baton-Attempt": str(attempt),
    }
    permanent = False
    response_status = None
    try:
        response = outbound_client().post(
            delivery.url, content=body, headers=headers, follow_redirects=False,
            timeout=settings.BATON_CALLBACK_TIMEOUT_SECONDS,
        )
        response_status = response.status_code
        error = "" if 200 <= response_status < 300 else f"the receiver answered {response_status}"
    except OutboundRefused as exc:
        error, permanent = str(exc), True
    except (httpx.HTTPError, FatalNodeError, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return _record(delivery, attempt, response_status, error, permanent)


def _record(
    delivery: CallbackDelivery,
    attempt: int,
    response_status: int | None,
    error: str,
    permanent: bool,
) -> str:
    now = timezone.now()
    changes: dict[str, Any] = {
        "attempts": attempt,
        "response_status": response_status,
        "last_error": error[:500],
        "locked_until": None,
    }
    if not error:
        changes.update(status=CallbackDelivery.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif permanent or attempt >= settings.BATON_CALLBACK_MAX_ATTEMPTS:
        changes.update(status=CallbackDelivery.FAILED, next_attempt_at=None)
        log.warning("giving up on %s after %d attempts: %s", delivery, attempt, error)
    else:
        delay = backoff(attempt)
        changes.update(next_attempt_at=now + timedelta(seconds=delay))
    CallbackDelivery.objects.filter(pk=delivery.pk).update(**changes)
    if changes.get("next_attempt_at") is not None:
        _send(delivery.pk, countdown=backoff(attempt))
    return changes.get("status", CallbackDelivery.PENDING)
