"""API key actions: issuing, changing, revoking, and who sees which keys.

Who may create keys: every member of a team, for themselves, with scopes no wider than
their role there (SCOPE_NEEDS): a viewer's key can only read, a runner's can read and run,
an editor's and an owner's can also write flows. Keys never manage members, keys, team
settings or credentials (the capability table gives them no scope), so creating, changing
and revoking keys needs a person signed in to the site. Owners see and may revoke every key
of their team, so a key does not outlive its author's welcome.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from orchestrator_site.problems import Invalid

from .models import ALL_SCOPES, ApiKey, Team
from .roles import scopes_allowed

log = logging.getLogger(__name__)


def check_scopes(role: str | None, scopes: Any, *, team_name: str) -> list[str]:
    """The scopes as a sorted list; refuses unknown ones and those beyond the role."""
    if scopes is None:
        allowed = scopes_allowed(role) if role is not None else ALL_SCOPES
        return [scope for scope in ALL_SCOPES if scope in allowed]
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise Invalid({"scopes": f"must be a list of: {', '.join(ALL_SCOPES)}"})
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise Invalid(
            {"scopes": f"unknown scope {unknown[0]!r}; the scopes are {', '.join(ALL_SCOPES)}"}
        )
    if not scopes:
        raise Invalid({"scopes": "a key needs at least one scope"})
    if role is not None:
        beyond = [s for s in scopes if s not in scopes_allowed(role)]
        if beyond:
            raise Invalid(
                {"scopes": f"your role in {team_name} ({role}) does not allow {beyond[0]}"}
            )
    return sorted(set(scopes), key=ALL_SCOPES.index)


def check_flows(team: Team | None, flow_ids: Any) -> list[int]:
    from flows.models import Flow

    if flow_ids is None:
        return []
    if not isinstance(flow_ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in flow_ids
    ):
        raise Invalid({"flows": "must be a list of flow ids"})
    if team is None and flow_ids:
        raise Invalid({"flows": "only a key for one team can be limited to flows"})
    found = set(Flow.objects.filter(team=team, id__in=flow_ids).values_list("id", flat=True))
    missing = [i for i in flow_ids if i not in found]
    if missing:
        raise Invalid({"flows": f"the team has no flow {missing[0]}"})
    return sorted(found)


def check_expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is not None and expires_at <= timezone.now():
        raise Invalid({"expires_at": "must be in the future"})
    return expires_at


def do_issue_api_key(
    *,
    user,
    team: Team | None,
    name: str,
    scopes: list[str],
    flows: list[int],
    expires_at: datetime | None,
) -> tuple[ApiKey, str]:
    with transaction.atomic():
        key, raw = ApiKey.issue(user, name, team=team, scopes=scopes, expires_at=expires_at)
        if flows:
            key.flow_limited = True
            key.save(update_fields=["flow_limited"])
            key.flows.set(flows)
    return key, raw


def do_update_api_key(key: ApiKey, changes: dict[str, Any]) -> ApiKey:
    with transaction.atomic():
        fields = [f for f in ("name", "scopes", "expires_at") if f in changes]
        for field in fields:
            setattr(key, field, changes[field])
        if fields:
            key.save(update_fields=fields)
        if "flows" in changes:
            # [] lifts the limit: the key then reaches every flow of its team.
            key.flow_limited = bool(changes["flows"])
            key.save(update_fields=["flow_limited"])
            key.flows.set(changes["flows"])
    return key


def do_revoke_api_key(key: ApiKey) -> ApiKey:
    """Revoke now (the next request with it fails); revoking twice changes nothing."""
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db(fields=["revoked_at"])
    transaction.on_commit(lambda: _close_sockets_of(key.pk))
    return key


def api_key_group(key_id: int) -> str:
    """Every websocket opened with this key listens here, so revoking it closes them at once."""
    return f"api-key.{key_id}"


def _close_sockets_of(key_id: int) -> None:
    """Websockets opened with the key close now, not at their next access check."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(api_key_group(key_id), {"type": "api.key.revoked"})
    except Exception:  # noqa: BLE001 - Redis away: the periodic access check still closes them
        log.warning("could not tell open websockets that API key %s was revoked", key_id)


def visible_api_keys(user, owned_team_ids: list[int]) -> QuerySet[ApiKey]:
    """The user's own keys, and every key of the teams they own."""
    return ApiKey.objects.filter(Q(user=user) | Q(team_id__in=owned_team_ids))


def role_of_key_user(key: ApiKey) -> str | None:
    """The key's user's role in its team (None for keys that span all their teams)."""
    from .models import Membership

    if key.team_id is None:
        return None
    role = (
        Membership.objects.filter(team_id=key.team_id, user_id=key.user_id)
        .values_list("role", flat=True)
        .first()
    )
    # A user no longer in the team: the key is dead anyway, and may be given no scope.
    return role or ""
