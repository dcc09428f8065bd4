"""Credentials: encrypted at rest, write-only through the API, decrypted only in workers.

`check_*` validates, `do_*` writes. Each field is its own Fernet token (stored together as
JSON), so an update replaces the fields sent without decrypting the others: the web
process never decrypts. `load_secret` is the one function that does; the run engine calls
it from a node's execution context, in the worker, at the moment of the call, and
registers the values for redaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction

from orchestrator_site.problems import Invalid

from .models import Credential, Provider, Team

DATA_FIELDS = ("api_key", "base_url")
MAX_VALUE_CHARS = 4096


@lru_cache(maxsize=4)
def _cipher(key_setting: str) -> MultiFernet:
    keys = [key.strip() for key in key_setting.split(",") if key.strip()]
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            f"BATON_CREDENTIALS_KEY must be one or more comma-separated Fernet keys: {exc}"
        ) from None


def cipher() -> MultiFernet:
    return _cipher(settings.BATON_CREDENTIALS_KEY)


def encrypt(data: dict[str, str]) -> str:
    """The stored form: {"field": "<Fernet token of its value>"} as JSON."""
    box = cipher()
    return json.dumps({name: box.encrypt(value.encode()).decode() for name, value in data.items()})


def decrypt(stored: str) -> dict[str, str]:
    box = cipher()
    try:
        return {name: box.decrypt(token.encode()).decode() for name, token in json.loads(stored).items()}
    except InvalidToken:
        raise CredentialUnreadable(
            "the credential cannot be decrypted: BATON_CREDENTIALS_KEY is not the key it "
            "was saved with"
        ) from None


class CredentialUnreadable(Exception):
    pass


@dataclass(frozen=True)
class Secret:
    """A decrypted credential, as a node's code gets it."""

    id: int
    name: str
    provider: str
    api_key: str
    base_url: str

    def secret_values(self) -> list[str]:
        """What must never appear in outputs, errors, events or logs."""
        values = [self.api_key] if self.api_key else []
        parts = urlsplit(self.base_url) if self.base_url else None
        # A base URL is an address, not a secret, except for a password or token in it.
        if parts is not None:
            if parts.password:
                values.append(parts.password)
            if parts.username:
                values.append(parts.username)
            if parts.query:
                values.append(parts.query)
        return values


def load_secret(team_id: int, credential_id: int) -> Secret:
    """Decrypt a credential of this team; Credential.DoesNotExist when it has none such."""
    row = Credential.objects.filter(pk=credential_id, team_id=team_id).values(
        "id", "name", "provider", "encrypted"
    ).get()
    data = decrypt(row["encrypted"])
    return Secret(
        id=row["id"],
        name=row["name"],
        provider=row["provider"],
        api_key=data.get("api_key") or "",
        base_url=data.get("base_url") or "",
    )


# --- API side ----------------------------------------------------------------------------------


def check_data(data: Any, *, partial: bool) -> dict[str, str | None]:
    """The data fields sent, checked: strings (None removes a field on update)."""
    if not isinstance(data, dict):
        raise Invalid({"data": "must be an object with api_key and/or base_url"})
    unknown = sorted(set(data) - set(DATA_FIELDS))
    if unknown:
        raise Invalid(
            {"data": f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(DATA_FIELDS)}"}
        )
    checked: dict[str, str | None] = {}
    for name, value in data.items():
        if value is None or value == "":
            if not partial:
                continue
            checked[name] = None
            continue
        if not isinstance(value, str):
            raise Invalid({f"data.{name}": "must be a string"})
        value = value.strip()
        if len(value) > MAX_VALUE_CHARS:
            raise Invalid({f"data.{name}": f"must be at most {MAX_VALUE_CHARS} characters"})
        if name == "base_url":
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise Invalid({"data.base_url": "must be an http or https URL"})
        checked[name] = value
    return checked


def check_provider(provider: Any) -> str:
    if provider not in Provider.values:
        raise Invalid({"provider": f"must be one of {', '.join(Provider.values)}"})
    return provider


def _save(credential: Credential) -> Credential:
    try:
        with transaction.atomic():
            credential.save()
    except IntegrityError:
        raise Invalid({"name": "this team already has a credential of that name"}) from None
    return credential


def do_create_credential(
    *, team: Team, user, name: str, provider: str, data: dict[str, str | None]
) -> Credential:
    values = {k: v for k, v in data.items() if v}
    credential = Credential(
        team=team,
        name=name,
        provider=check_provider(provider),
        encrypted=encrypt(values),
        fields=sorted(values),
        created_by=user,
    )
    return _save(credential)


def do_update_credential(credential: Credential, changes: dict[str, Any]) -> Credential:
    """Change name/provider, and merge data: fields sent replace, null removes, others stay."""
    if "name" in changes:
        credential.name = changes["name"]
    if "provider" in changes:
        credential.provider = check_provider(changes["provider"])
    if "data" in changes:
        tokens: dict[str, str] = json.loads(credential.encrypted or "{}")
        for name, value in changes["data"].items():
            if value is None:
                tokens.pop(name, None)
            else:
                tokens.update(json.loads(encrypt({name: value})))
        credential.encrypted = json.dumps(tokens)
        credential.fields = sorted(tokens)
    return _save(credential)


def do_delete_credential(credential: Credential) -> None:
    """Delete it; knowledge bases that embedded with it keep their text search only."""
    credential.delete()
