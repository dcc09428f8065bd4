from django.contrib import admin

from accounts.admin_access import TeamScopedAdmin
from accounts.roles import Capability

from . import services
from .models import Flow, FlowVersion


@admin.register(Flow)
class FlowAdmin(TeamScopedAdmin):
    read_capability = Capability.FLOWS_READ
    write_capability = Capability.FLOWS_WRITE
    list_display = ["name", "team", "revision", "updated_by", "updated_at"]
    search_fields = ["name"]
    fields = ["team", "name", "description", "revision", "graph", "updated_by", "updated_at"]
    # The graph is edited in the editor, where it is validated; a move between teams goes
    # through the API, which checks the role in both.
    readonly_fields = ["team", "revision", "graph", "updated_by", "updated_at"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            return super().save_model(request, obj, form, change)
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if changes:
            services.do_update_flow(obj, user=request.user, changes=changes, based_on_revision=None)


@admin.register(FlowVersion)
class FlowVersionAdmin(TeamScopedAdmin):
    team_lookup = "flow__team"
    read_capability = Capability.FLOWS_READ
    write_capability = Capability.FLOWS_WRITE
    list_display = ["flow", "number", "note", "created_by", "created_at"]
    fields = ["flow", "number", "note", "flow_revision", "graph", "created_by", "created_at"]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # versions are immutable

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)
