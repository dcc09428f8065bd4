from django.contrib import admin, messages
from django.core.exceptions import ValidationError as DjangoValidationError

from orchestrator_site.problems import Problem

from . import api_keys, services
from .admin_access import TeamScopedAdmin
from .models import ApiKey, Membership, Team
from .roles import Capability


class MembershipInline(admin.TabularInline):
    """Shown on the team page; changed on the membership pages, through the services."""

    model = Membership
    fields = ["user", "role", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Team)
class TeamAdmin(TeamScopedAdmin):
    team_lookup = "pk"
    read_capability = Capability.TEAM_READ
    write_capability = Capability.TEAM_MANAGE
    list_display = ["name", "personal_for", "max_active_runs", "created_at"]
    search_fields = ["name"]
    # The webhook secret is never shown here: owners read and rotate it through the API.
    fields = ["name", "personal_for", "max_active_runs", "created_at"]
    readonly_fields = ["personal_for", "created_at"]
    inlines = [MembershipInline]

    def team_id_of(self, obj) -> int | None:
        return obj.pk

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        from .admin_access import roles_of

        return queryset.filter(pk__in=list(roles_of(request.user)))

    def save_model(self, request, obj, form, change) -> None:
        if change:
            services.do_update_team(
                obj, {name: form.cleaned_data[name] for name in form.changed_data}
            )
        else:
            super().save_model(request, obj, form, change)

    def delete_model(self, request, obj) -> None:
        services.do_delete_team(obj)


@admin.register(Membership)
class MembershipAdmin(TeamScopedAdmin):
    read_capability = Capability.TEAM_READ
    write_capability = Capability.TEAM_MANAGE
    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "team__name"]
    fields = ["team", "user", "role"]

    def get_readonly_fields(self, request, obj=None):
        return ["team", "user"] if obj is not None else []

    def save_model(self, request, obj, form, change) -> None:
        try:
            if change:
                services.do_change_role(obj.team, obj, obj.role)
            else:
                services.do_add_member(obj.team, obj.user, obj.role)
        except Problem as exc:
            raise DjangoValidationError(exc.message) from None

    def delete_model(self, request, obj) -> None:
        try:
            services.do_remove_member(obj.team, obj)
        except Problem as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def delete_queryset(self, request, queryset) -> None:
        for membership in queryset:
            self.delete_model(request, membership)

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except DjangoValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(request.path)


@admin.register(ApiKey)
class ApiKeyAdmin(TeamScopedAdmin):
    read_capability = Capability.TEAM_MANAGE
    write_capability = Capability.TEAM_MANAGE
    list_display = ["name", "prefix", "user", "team", "scopes", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    # Never the hash; keys are made on the site (the secret is shown once, there).
    fields = [
        "name",
        "prefix",
        "user",
        "team",
        "scopes",
        "flows",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "created_at",
    ]
    readonly_fields = fields
    actions = ["revoke"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        # Besides the keys of teams they own, everyone sees their own.
        return queryset | ApiKey.objects.filter(user=request.user)

    def allows(self, request, obj, capability: str) -> bool:
        if obj is not None and obj.user_id == request.user.pk:
            return True
        return super().allows(request, obj, capability)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # keys change through the API; revoking is an action here

    @admin.action(description="Revoke the selected keys (they stop working at once)")
    def revoke(self, request, queryset) -> None:
        keys = self.allowed_in_action(request, queryset, Capability.TEAM_MANAGE)
        for key in keys:
            api_keys.do_revoke_api_key(key)
        self.message_user(request, f"{len(keys)} key(s) revoked")
