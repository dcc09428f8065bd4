"""Trigger URLs (secret tokens) and schedules of a flow.

Both belong to the flow (and move with it); they run as the flow's team, recording who
made them. Runs they start use the latest published version unless they name one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models

TOKEN_PREFIX = "bth_"
PREFIX_LENGTH = 16


def hash_token(raw: str) -> str:
    # 256 random bits: a plain SHA-256 is enough, no slow hash needed.
    return hashlib.sha256(raw.encode()).hexdigest()


class TriggerToken(models.Model):
    """A secret URL, `POST /hooks/<token>/`, that starts a run of the flow."""

    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="trigger_tokens")
    name = models.CharField(max_length=100)
    # The first characters of the token, kept in clear to find the row and to show in lists.
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True)
    token_hash = models.CharField(max_length=64)
    # The version its runs use (null: the latest published, else the draft).
    version = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.flow_id}"

    @classmethod
    def issue(
        cls, flow, name: str, *, user, version: int | None = None
    ) -> tuple[TriggerToken, str]:
        """Create a token; the raw token is returned once and never stored."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            flow=flow,
            name=name,
            prefix=raw[:PREFIX_LENGTH],
            token_hash=hash_token(raw),
            version=version,
            created_by=user,
        )
        return token, raw

    def matches(self, raw: str) -> bool:
        return hmac.compare_digest(self.token_hash, hash_token(raw))

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class Schedule(models.Model):
    """Runs the flow at the times a cron expression names, in a time zone.

    `next_fire_at` is the next due time (UTC). A tick of Celery beat fires each schedule
    whose time has come with a compare-and-set on that value and moves it to the next time
    after now, so a firing missed while Baton was down runs once, not once per missed time.
    """

    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="schedules")
    name = models.CharField(max_length=100, blank=True, default="")
    cron = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC")
    inputs = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    next_fire_at = models.DateTimeField(null=True, blank=True)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    last_run = models.ForeignKey(
        "runs.Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Why the last firing did not start a run (an invalid graph, a missing version...).
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_fire_at"], name="schedule_due", condition=models.Q(enabled=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.cron} ({self.timezone}) of {self.flow_id}"
