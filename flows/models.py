from __future__ import annotations

from django.conf import settings
from django.db import models

from .graph import EMPTY_GRAPH, graph_digest


def empty_graph() -> dict:
    return {"nodes": [], "edges": []}


class HasGraph(models.Model):
    """A saved graph and its digest, computed on every save: a run's start finds the
    graph's check and plan under it (runs.plans.checked) instead of checking it again."""

    graph_digest = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self.graph_digest = graph_digest(self.graph)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "graph" in update_fields:
            kwargs["update_fields"] = {*update_fields, "graph_digest"}
        super().save(*args, **kwargs)


class Flow(HasGraph):
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


class FlowVersion(HasGraph):
    """A published, numbered and immutable copy of a flow's graph.

    API and webhook runs use the latest one unless told otherwise; the draft (Flow.graph)
    keeps changing in the editor without touching what programs run.
    """

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    note = models.TextField(blank=True, default="")
    graph = models.JSONField()
    # The draft's revision this version was published from.
    flow_revision = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["flow", "number"], name="one_version_number_per_flow")
        ]
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.flow} v{self.number}"

    @property
    def node_count(self) -> int:
        return len((self.graph or EMPTY_GRAPH).get("nodes", []))
