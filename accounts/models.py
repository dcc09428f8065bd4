"""Teams, memberships with roles, and API keys.

Every object users create belongs to a team; what a user may do with it follows from their
role in that team (see accounts.roles).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from .roles import Role


class Team(models.Model):
    name = models.CharField(max_length=100)
    # Every user gets one team of their own when they sign up; it stays theirs even when
    # they invite others into it.
    personal_for = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="personal_team",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )
    # Signs run callbacks (X-Baton-Signature); generated, never shown after creation.
    webhook_secret = models.CharField(max_length=64, default="", blank=True)
    max_active_runs = models.PositiveIntegerField(default=0)  # 0 = no cap
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @property
    def personal(self) -> bool:
        return self.personal_for_id is not None

    def save(self, *args, **kwargs) -> None:
        if not self.webhook_secret:
            self.webhook_secret = secrets.token_hex(32)
        super().save(*args, **kwargs)


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} as {self.role}"


class Scope(models.TextChoices):
    RUNS_WRITE = "runs:write", "Start and cancel runs"
    FLOWS_READ = "flows:read", "Read flows and runs"
    FLOWS_WRITE = "flows:write", "Create and change flows"


ALL_SCOPES: list[str] = [scope.value for scope in Scope]  # type: ignore[attr-defined]
KEY_PREFIX = "bt_"


def hash_key(raw_key: str) -> str:
    # Keys are 256 random bits: a plain SHA-256 is enough, no slow hash needed.
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def usable(self) -> ApiKeyQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiKey(models.Model):
    """A secret that lets a program act as its user, limited by team, scopes and flows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    # None: every team of the user (keys made on the command line); else only this team.
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    # The first characters of the key, kept in clear to find the row and to show in lists.
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    # The flows a flow-limited key may touch. `flow_limited` says whether the key is limited
    # at all, so that deleting the flows it names leaves it limited to nothing, not to
    # everything.
    flows = models.ManyToManyField("flows.Flow", blank=True, related_name="api_keys")
    flow_limited = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ApiKeyQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(
        cls,
        user,
        name: str,
        *,
        team: Team | None = None,
        scopes: list[str] | None = None,
        expires_at=None,
    ) -> tuple[ApiKey, str]:
        """Create a key; the raw key is returned once and never stored."""
        raw = KEY_PREFIX + secrets.token_urlsafe(32)
        key = cls.objects.create(
            user=user,
            team=team,
            name=name,
            prefix=raw[:12],
            key_hash=hash_key(raw),
            scopes=list(scopes if scopes is not None else ALL_SCOPES),
            expires_at=expires_at,
        )
        return key, raw

    def matches(self, raw_key: str) -> bool:
        return hmac.compare_digest(self.key_hash, hash_key(raw_key))

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class Provider(models.TextChoices):
    # "openai" is any OpenAI-compatible API: OpenAI, Ollama, vLLM, llama.cpp, OpenRouter...
    OPENAI = "openai", "OpenAI-compatible"
    ANTHROPIC = "anthropic", "Anthropic"


class Credential(models.Model):
    """A team's secret for a model provider. Its values are stored encrypted (Fernet, key
    from settings) and are decrypted only in a worker, at the moment of a call; the API
    never answers them (see accounts.credentials)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="credentials")
    name = models.CharField(max_length=100)
    provider = models.CharField(max_length=20, choices=Provider.choices)
    # {"api_key": "<Fernet token>", "base_url": "<Fernet token>"}: a token per field, so an
    # update replaces fields without decrypting the others (accounts.credentials).
    encrypted = models.TextField()
    # The names of the fields set, in clear, so lists can say what is there.
    fields = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="one_credential_name_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.provider})"
