"""Reading query parameters the same way in every view: a bad one is a 400 naming it."""

from __future__ import annotations

from typing import Any

from orchestrator_site.fields import ID_MAX
from orchestrator_site.problems import Invalid


def query_int(request: Any, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise Invalid({name: f"must be a whole number, not {value!r}"}) from None
    if not 0 <= number <= ID_MAX:
        raise Invalid({name: f"must be between 0 and {ID_MAX}"})
    return number


def query_bool(request: Any, name: str) -> bool | None:
    value = request.query_params.get(name, "").lower()
    if value == "":
        return None
    if value not in ("true", "false", "1", "0"):
        raise Invalid({name: "must be true or false"})
    return value in ("true", "1")
