"""The Django admin under the same role table as the API (accounts.roles).

Superusers see everything. Other staff see only the objects of teams they belong to, may
change or delete them only where their role allows the capability the API would ask for,
and add nothing: objects are created through the site, where the services' rules apply.
Changes made in the admin go through the same services as the API (admin actions call
`do_*` functions), and secrets (key hashes, webhook secrets) are never shown.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet

from .models import Membership
from .roles import role_allows


def roles_of(user) -> dict[int, str]:
    cached = getattr(user, "_baton_admin_roles", None)
    if cached is None:
        cached = dict(Membership.objects.filter(user=user).values_list("team_id", "role"))
        user._baton_admin_roles = cached
    return cached


class TeamScopedAdmin(admin.ModelAdmin):
    # How to reach the object's team from the model, as a lookup ("team", "flow__team").
    team_lookup = "team"
    read_capability = "flows.read"
    write_capability = "flows.write"

    def team_id_of(self, obj) -> int | None:
        target = obj
        for part in self.team_lookup.split("__"):
            target = getattr(target, part, None)
            if target is None:
                return None
        return target.pk

    def allows(self, request, obj, capability: str) -> bool:
        if request.user.is_superuser:
            return True
        if obj is None:
            return True  # list pages: the queryset is already limited
        team_id = self.team_id_of(obj)
        return team_id is not None and role_allows(roles_of(request.user).get(team_id), capability)

    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        teams = [
            team
            for team, role in roles_of(request.user).items()
            if role_allows(role, self.read_capability)
        ]
        return queryset.filter(**{f"{self.team_lookup}__in": teams})

    def has_add_permission(self, request, *args) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) and self.allows(
            request, obj, self.read_capability
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self.allows(
            request, obj, self.write_capability
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self.allows(
            request, obj, self.write_capability
        )

    def allowed_in_action(self, request, queryset, capability: str) -> list:
        """The selected objects the user may act on; tells them about the others."""
        allowed = [obj for obj in queryset if self.allows(request, obj, capability)]
        refused = len(queryset) - len(allowed)
        if refused:
            self.message_user(
                request,
                f"{refused} selected object(s) skipped: your role does not allow {capability}",
                messages.WARNING,
            )
        return allowed
