"""Roles and what each may do. One table, used by every view, websocket and admin action."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    EDITOR = "editor", "Editor"
    RUNNER = "runner", "Runner"
    VIEWER = "viewer", "Viewer"


class Capability:
    FLOWS_READ = "flows.read"
    FLOWS_WRITE = "flows.write"
    RUNS_READ = "runs.read"
    RUNS_START = "runs.start"
    RUNS_CANCEL = "runs.cancel"
    CREDENTIALS_USE = "credentials.use"
    CREDENTIALS_MANAGE = "credentials.manage"
    KNOWLEDGE_WRITE = "knowledge.write"
    # Seeing the team's members; every member may.
    TEAM_READ = "team.read"
    # Creating API keys for oneself in the team (their scopes capped by the role, see
    # SCOPE_NEEDS); every member may.
    API_KEYS_CREATE = "api_keys.create"
    # Members, roles, the team's settings and webhook secret, everyone's keys.
    TEAM_MANAGE = "team.manage"
    # Throwing away the team's node output cache (every flow's runs pay again): owners,
    # signed in; never API keys.
    CACHE_CLEAR = "cache.clear"


_VIEWER = {
    Capability.FLOWS_READ,
    Capability.RUNS_READ,
    Capability.TEAM_READ,
    Capability.API_KEYS_CREATE,
}
_RUNNER = _VIEWER | {Capability.RUNS_START, Capability.RUNS_CANCEL}
_EDITOR = _RUNNER | {
    Capability.FLOWS_WRITE,
    Capability.CREDENTIALS_USE,
    Capability.KNOWLEDGE_WRITE,
}
_OWNER = _EDITOR | {Capability.CREDENTIALS_MANAGE, Capability.TEAM_MANAGE, Capability.CACHE_CLEAR}

# Keyed by the roles' values (Role's choices).
CAPABILITIES: dict[str, frozenset[str]] = {
    "viewer": frozenset(_VIEWER),
    "runner": frozenset(_RUNNER),
    "editor": frozenset(_EDITOR),
    "owner": frozenset(_OWNER),
}


def role_allows(role: str | None, capability: str) -> bool:
    return role is not None and capability in CAPABILITIES.get(role, frozenset())


# The API key scopes that allow a capability; a key with none of them is refused, and a
# capability missing here (team and credential management) is never open to keys.
SCOPES_FOR_CAPABILITY: dict[str, frozenset[str]] = {
    Capability.FLOWS_READ: frozenset({"flows:read", "flows:write"}),
    Capability.RUNS_READ: frozenset({"flows:read", "runs:write"}),
    Capability.FLOWS_WRITE: frozenset({"flows:write"}),
    Capability.KNOWLEDGE_WRITE: frozenset({"flows:write"}),
    Capability.CREDENTIALS_USE: frozenset({"flows:write"}),
    Capability.RUNS_START: frozenset({"runs:write"}),
    Capability.RUNS_CANCEL: frozenset({"runs:write"}),
}

# What a scope lets a key do, as the capability its creator's role must hold to grant it: a
# key never carries more than the role of the person who made it (and since each request
# checks the role again, a key loses what its user's role loses).
SCOPE_NEEDS: dict[str, str] = {
    "flows:read": Capability.FLOWS_READ,
    "runs:write": Capability.RUNS_START,
    "flows:write": Capability.FLOWS_WRITE,
}


def scopes_allowed(role: str | None) -> list[str]:
    return [scope for scope, capability in SCOPE_NEEDS.items() if role_allows(role, capability)]


def keys_may(capability: str) -> bool:
    """Whether any API key may ever do this (team, key and credential management: never)."""
    return capability in SCOPES_FOR_CAPABILITY
