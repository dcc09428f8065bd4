"""Whether someone may watch a run live, asked when a stream opens and again while it stays
open — the one question the websocket and the SSE stream both ask (a removed member, a
deactivated user, a revoked or expired key loses the stream)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from accounts.access import Access
from accounts.models import ApiKey
from accounts.roles import Capability
from orchestrator_site.problems import Forbidden, NotFound

from ..models import Run

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404


def may_watch(user: Any, key: ApiKey | None, run_id: Any) -> bool | None:
    """True if allowed, None if the run does not exist for them, False if forbidden."""
    run = Run.objects.filter(pk=run_id).values("team_id", "flow_id").first()
    if run is None:
        return None
    access = Access(user=user, key=key)
    try:
        access.check_flow_object(run["team_id"], run["flow_id"], Capability.RUNS_READ, what="run")
    except NotFound:
        return None
    except Forbidden:
        return False
    return True


def lost_access(user_id: int, key_id: int | None, run_id: Any) -> int | None:
    """The close code for a stream whose access went since it opened (a revoked or expired
    key, a deactivated user, a lost membership), or None while it may still watch."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    key = None
    if key_id is not None:
        key = ApiKey.objects.usable().filter(pk=key_id).first()
    if user is None or (key_id is not None and key is None):
        return CLOSE_NOT_SIGNED_IN
    allowed = may_watch(user, key, run_id)
    if allowed:
        return None
    return CLOSE_NOT_FOUND if allowed is None else CLOSE_FORBIDDEN
