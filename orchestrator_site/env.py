"""Typed readers for settings that come from the environment.

Each reader names the variable in its error, so a malformed value stops start-up with a
message saying which one and why, rather than failing later somewhere unrelated.
"""

from __future__ import annotations

import json
import os
from typing import Any, overload

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@overload
def env_str(name: str) -> str | None: ...
@overload
def env_str(name: str, default: str) -> str: ...
@overload
def env_str(name: str, default: None) -> str | None: ...


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_json(name: str, default: Any) -> Any:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be JSON: {exc}") from None
    if isinstance(default, dict) and not isinstance(parsed, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object")
    return parsed


def env_counts(name: str) -> dict[str, int]:
    """"http=40,llm=32" → {"http": 40, "llm": 32}."""
    counts: dict[str, int] = {}
    for item in env_list(name):
        key, _, number = item.partition("=")
        try:
            counts[key.strip()] = int(number)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must look like http=40,llm=32, not {item!r}") from None
        if not key.strip() or counts[key.strip()] < 1:
            raise ImproperlyConfigured(f"{name}: each entry needs a name and a count of at least 1")
    return counts


_PERIODS = {
    "s": 1, "sec": 1, "second": 1,
    "m": 60, "min": 60, "minute": 60,
    "h": 3600, "hour": 3600,
    "d": 86400, "day": 86400,
}


def parse_rate(text: str) -> tuple[int, int]:
    """"600/minute" → (600, 60): requests allowed per period of seconds."""
    count, _, period = text.strip().partition("/")
    number = int(count)
    unit = period.strip().lower()
    seconds = _PERIODS[unit] if unit in _PERIODS else _PERIODS[unit.removesuffix("s")]
    if number < 1:
        raise ValueError("the count must be at least 1")
    return number, seconds


def env_rate(name: str, default: str) -> tuple[int, int]:
    value = os.environ.get(name) or default
    try:
        return parse_rate(value)
    except (ValueError, KeyError):
        raise ImproperlyConfigured(
            f"{name} must look like 600/minute (a number, then second, minute, hour or day), "
            f"not {value!r}"
        ) from None
