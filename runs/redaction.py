"""Keeping credential values out of everything a node produces.

A node that loads a credential registers its values here; from then on every string it
hands back (output, error, streamed text, details, run outputs, state) passes through
`Redactor`, which replaces each value with REDACTED. Nodes that load no credential pay
nothing: the scheduler only calls in when a redactor has secrets.

Streamed text arrives in pieces, and a secret can be split across two of them, so
`StreamRedactor` holds back a tail that could be the start of a secret until the next
piece (or the end) decides it.
"""

from __future__ import annotations

import json
from typing import Any

REDACTED = "[redacted]"
# Shorter values would redact ordinary words; a key that short is no secret anyway.
MIN_SECRET_CHARS = 4


class Redactor:
    def __init__(self) -> None:
        self.secrets: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def add(self, *values: str) -> None:
        for value in values:
            if not value or len(value) < MIN_SECRET_CHARS:
                continue
            # Also the forms a value takes inside JSON text (escaped quotes, backslashes).
            for form in (value, json.dumps(value)[1:-1]):
                if form not in self.secrets:
                    self.secrets.append(form)
        # Longest first, so a secret containing another is replaced whole.
        self.secrets.sort(key=len, reverse=True)

    def text(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def value(self, value: Any) -> Any:
        """A JSON-like value with every string (keys included) redacted."""
        if not self.secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {
                (self.text(k) if isinstance(k, str) else k): self.value(v) for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [self.value(item) for item in value]
        return value


class StreamRedactor:
    """Redacts text that arrives in pieces."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.held = ""

    def feed(self, text: str) -> str:
        """What may go out now of what has come so far."""
        text = self.redactor.text(self.held + text)
        keep = self._unsafe_tail(text)
        self.held = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep] if keep else text

    def finish(self) -> str:
        text, self.held = self.redactor.text(self.held), ""
        return text

    def _unsafe_tail(self, text: str) -> int:
        """The length of the longest end of `text` that is the beginning of a secret."""
        longest = 0
        for secret in self.redactor.secrets:
            for size in range(min(len(secret) - 1, len(text)), longest, -1):
                if secret.startswith(text[len(text) - size :]):
                    longest = size
                    break
        return longest
