"""Who is asking, and what they may touch.

`Access` joins the user's memberships with the limits of the API key they came with (if
any). Views ask it for the teams they may list and check one object's team before acting:
an object of a team the caller cannot see answers 404 (it does not exist for them), a role
or key that does not allow the action answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from .models import ApiKey, Membership, Team
from .roles import SCOPES_FOR_CAPABILITY, keys_may, role_allows

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass
class Access:
    user: AbstractBaseUser
    key: ApiKey | None = None
    _roles: dict[int, str] | None = field(default=None, repr=False)

    @property
    def roles(self) -> dict[int, str]:
        """Team id → role, limited to the key's team when the key names one."""
        if self._roles is None:
            memberships = Membership.objects.filter(user=self.user)
            if self.key is not None and self.key.team_id is not None:
                memberships = memberships.filter(team_id=self.key.team_id)
            self._roles = dict(memberships.values_list("team_id", "role"))
        return self._roles

    def team_ids(self, capability: str | None = None) -> list[int]:
        if capability is None:
            return list(self.roles)
        return [team for team, role in self.roles.items() if role_allows(role, capability)]

    def role_in(self, team_id: int) -> str | None:
        return self.roles.get(team_id)

    def key_allows(self, capability: str) -> bool:
        if self.key is None:
            return True
        allowed = SCOPES_FOR_CAPABILITY.get(capability, frozenset())
        return bool(allowed.intersection(self.key.scopes))

    def key_flow_ids(self) -> set[int]:
        """The flows the caller's key is limited to; empty when it is not limited."""
        if self.key is None:
            return set()
        limited = getattr(self.key, "_flow_ids", None)
        if limited is None:
            limited = set(self.key.flows.values_list("id", flat=True))
            self.key._flow_ids = limited
        return limited

    def key_allows_flow(self, flow_id: int | None) -> bool:
        if flow_id is None:
            return True
        limited = self.key_flow_ids()
        return not limited or flow_id in limited

    def visible(self, queryset, capability: str, *, flow_field: str = "flow_id"):
        """The objects of `queryset` in teams where the role allows `capability`, narrowed
        to the key's flows when the key is limited to some."""
        objects = queryset.filter(team_id__in=self.team_ids(capability))
        limited = self.key_flow_ids()
        if limited:
            objects = objects.filter(**{f"{flow_field}__in": limited})
        return objects

    def check_team(self, team_id: int, capability: str, *, what: str = "object") -> str:
        """Raise 404 when the team is not the caller's, 403 when the role/key forbids."""
        role = self.role_in(team_id)
        if role is None:
            raise Http404(f"no such {what}")
        if not role_allows(role, capability):
            raise PermissionDenied(f"your role in this team ({role}) does not allow {capability}")
        if not self.key_allows(capability):
            if not keys_may(capability):
                raise PermissionDenied(
                    f"API keys may not do {capability} (members, keys, credentials and team "
                    "settings are managed by people signed in to the site)"
                )
            raise PermissionDenied(f"this API key's scopes do not allow {capability}")
        return role

    def check_member(self, team_id: int, *, what: str = "team") -> str:
        """The caller's role in the team; 404 when they are not in it."""
        role = self.role_in(team_id)
        if role is None:
            raise Http404(f"no such {what}")
        return role

    def check_flow(self, flow, capability: str) -> None:
        self.check_team(flow.team_id, capability, what="flow")
        if not self.key_allows_flow(flow.id):
            raise Http404("no such flow")


def access_for(request) -> Access:
    cached = getattr(request, "_baton_access", None)
    if cached is None:
        key = request.auth if isinstance(request.auth, ApiKey) else None
        cached = Access(user=request.user, key=key)
        request._baton_access = cached
    return cached


def team_for_new_object(request, team_id: int | None, capability: str) -> Team:
    """The team named, else the API key's team, else the caller's personal team; checked."""
    from .services import personal_team

    access = access_for(request)
    if team_id is None:
        if access.key is not None and access.key.team_id is not None:
            team_id = access.key.team_id
        else:
            team_id = personal_team(request.user).id
    access.check_team(team_id, capability, what="team")
    return Team.objects.get(pk=team_id)
