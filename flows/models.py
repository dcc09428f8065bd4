from __future__ import annotations

from django.conf import settings
from django.db import models

from .graph import EMPTY_GRAPH


def empty_graph() -> dict:
    return {"nodes": [], "edges": []}


class Flow(models.Model):
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="flows")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    graph = models.JSONField(default=empty_graph)
    # Raised by every save; a save based on an older revision is refused (409).
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["team", "-updated_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def node_count(self) -> int:
        return len((self.graph or EMPTY_GRAPH).get("nodes", []))
