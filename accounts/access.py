"""Who is asking, and what they may touch.

`Access` joins the user's memberships with the limits of the API key they came with (if
any). Views ask it for what they may list and check one object before acting: an object
of a team the caller cannot see is NotFound (404: it does not exist for them), a role or
key that does not allow the action is Forbidden (403).

Objects come in two kinds, and a key limited to some flows sees them differently:
- flow objects (a flow, its runs, versions, triggers, schedules) are visible to it when
  they belong to one of its flows;
- team objects (knowledge bases, credentials) belong to no flow: it sees none of them,
  and it creates nothing (a new flow would be outside its flows by definition).
A key limited to flows that were all deleted is limited to nothing, never to everything.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from orchestrator_site.problems import Forbidden, NotFound

from .models import ApiKey, Membership, Team
from .roles import SCOPES_FOR_CAPABILITY, keys_may, role_allows

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

FLOW_LIMITED_KEY_CREATES = (
    "this API key is limited to some flows: it cannot create flows, knowledge bases or "
    "anything else outside them"
)


@dataclass
class Access:
    user: AbstractBaseUser
    key: ApiKey | None = None
    _roles: dict[int, str] | None = field(default=None, repr=False)
    _flow_ids: frozenset[int] | None = field(default=None, repr=False)

    @property
    def roles(self) -> dict[int, str]:
        """Team id → role, limited to the key's team when the key names one."""
        if self._roles is None:
            memberships = Membership.objects.filter(user=self.user)
            if self.key is not None and self.key.team_id is not None:
                memberships = memberships.filter(team_id=self.key.team_id)
            self._roles = dict(memberships.values_list("team_id", "role"))
        return self._roles

    def forget_roles(self) -> None:
        """Memberships changed in this request: read them again when next asked."""
        self._roles = None

    def team_ids(self, capability: str | None = None) -> list[int]:
        if capability is None:
            return list(self.roles)
        return [team for team, role in self.roles.items() if role_allows(role, capability)]

    def role_in(self, team_id: int) -> str | None:
        return self.roles.get(team_id)

    # --- the key's limits ----------------------------------------------------------------
    def key_allows(self, capability: str) -> bool:
        if self.key is None:
            return True
        allowed = SCOPES_FOR_CAPABILITY.get(capability, frozenset())
        return bool(allowed.intersection(self.key.scopes))

    @property
    def flow_limited(self) -> bool:
        return self.key is not None and self.key.flow_limited

    def key_flow_ids(self) -> frozenset[int] | None:
        """The flows the caller's key is limited to (perhaps none any more), or None when
        nothing limits the caller to particular flows."""
        if not self.flow_limited:
            return None
        if self._flow_ids is None:
            assert self.key is not None  # flow_limited says so
            self._flow_ids = frozenset(self.key.flows.values_list("id", flat=True))
        return self._flow_ids

    def key_allows_flow(self, flow_id: int | None) -> bool:
        limited = self.key_flow_ids()
        return limited is None or flow_id in limited

    def check_key_scope(self, capability: str) -> None:
        if self.key_allows(capability):
            return
        if not keys_may(capability):
            raise Forbidden(
                f"API keys may not do {capability} (members, keys, credentials and team "
                "settings are managed by people signed in to the site)"
            )
        raise Forbidden(f"this API key's scopes do not allow {capability}")

    # --- lists ---------------------------------------------------------------------------
    def visible(self, queryset: QuerySet, capability: str, *, flow_field: str = "flow_id") -> QuerySet:
        """The flow objects of `queryset` in teams where the role allows `capability`,
        narrowed to the key's flows when the key is limited to some. A key whose scopes
        do not allow `capability` is refused, as it is for one object."""
        self.check_key_scope(capability)
        objects = queryset.filter(team_id__in=self.team_ids(capability))
        limited = self.key_flow_ids()
        if limited is not None:
            objects = objects.filter(**{f"{flow_field}__in": limited})
        return objects

    def visible_team_objects(self, queryset: QuerySet, capability: str) -> QuerySet:
        """Team objects (knowledge bases, credentials) the caller may list."""
        self.check_key_scope(capability)
        if self.flow_limited:
            return queryset.none()
        return queryset.filter(team_id__in=self.team_ids(capability))

    # --- one object ----------------------------------------------------------------------
    def check_team(self, team_id: int, capability: str, *, what: str = "object") -> str:
        """Raise 404 when the team is not the caller's, 403 when the role/key forbids."""
        role = self.role_in(team_id)
        if role is None:
            raise NotFound(f"no such {what}")
        if not role_allows(role, capability):
            raise Forbidden(f"your role in this team ({role}) does not allow {capability}")
        self.check_key_scope(capability)
        return role

    def check_member(self, team_id: int, *, what: str = "team") -> str:
        """The caller's role in the team; 404 when they are not in it."""
        role = self.role_in(team_id)
        if role is None:
            raise NotFound(f"no such {what}")
        return role

    def check_flow_object(
        self, team_id: int, flow_id: int | None, capability: str, *, what: str
    ) -> str:
        """A flow or something of a flow (a run, trigger, schedule, version)."""
        role = self.check_team(team_id, capability, what=what)
        if not self.key_allows_flow(flow_id):
            raise NotFound(f"no such {what}")
        return role

    def check_team_object(self, team_id: int, capability: str, *, what: str) -> str:
        """Something of the team that belongs to no flow (a knowledge base, a credential):
        out of sight of a key limited to flows."""
        if self.flow_limited:
            raise NotFound(f"no such {what}")
        return self.check_team(team_id, capability, what=what)

    def check_flow(self, flow: Any, capability: str) -> None:
        self.check_flow_object(flow.team_id, flow.id, capability, what="flow")

    def fetch(
        self, queryset: QuerySet, pk: Any, capability: str | None, *, what: str,
        flow_field: str | None = None,
    ) -> Any:
        """The object of `queryset` with this pk, if the caller may do `capability` to it:
        NotFound when it does not exist for them, Forbidden when their role or key forbids.
        `flow_field` names the object's flow ("id" for a flow, "flow_id" for a run): a flow
        object. Without it, a team object; with no capability, being a member is enough."""
        found = queryset.filter(pk=pk).first()
        if found is None:
            raise NotFound(f"no such {what}")
        team_id = found.pk if what == "team" else found.team_id
        if capability is None:
            self.check_member(team_id, what=what)
        elif flow_field is not None:
            self.check_flow_object(team_id, getattr(found, flow_field), capability, what=what)
        elif what == "team":
            self.check_team(team_id, capability, what=what)
        else:
            self.check_team_object(team_id, capability, what=what)
        return found

    def check_may_create(self, team_id: int, capability: str, *, what: str = "team") -> str:
        """Making something new in a team: a key limited to flows makes nothing."""
        role = self.check_team(team_id, capability, what=what)
        if self.flow_limited:
            raise Forbidden(FLOW_LIMITED_KEY_CREATES)
        return role


def access_for(request: Any) -> Access:
    cached = getattr(request, "_baton_access", None)
    if cached is None:
        key = request.auth if isinstance(request.auth, ApiKey) else None
        cached = Access(user=request.user, key=key)
        request._baton_access = cached
    return cached


def team_for_new_object(request: Any, team_id: int | None, capability: str) -> Team:
    """The team named, else the API key's team, else the caller's personal team; checked."""
    from .services import personal_team

    access = access_for(request)
    if team_id is None:
        if access.key is not None and access.key.team_id is not None:
            team_id = access.key.team_id
        else:
            team_id = personal_team(request.user).id
    access.check_may_create(team_id, capability)
    team: Team = Team.objects.get(pk=team_id)
    return team


def ids_outside_team(queryset: QuerySet, team_id: int, ids: Collection[Any]) -> set[Any]:
    """Of `ids`, those naming no object of `queryset` in the team: what a flow of that team
    may not use. Another team's object and one that does not exist are the same answer,
    so a flow never learns whether another team has an object."""
    wanted = set(ids)
    if not wanted:
        return set()
    found = set(queryset.filter(team_id=team_id, pk__in=wanted).values_list("pk", flat=True))
    return wanted - found
