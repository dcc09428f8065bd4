"""The errors domain code raises: what went wrong, in words for the person who asked.

Services, the engine and node catalogs raise these and know nothing of HTTP; the API maps
them to answers in one place (orchestrator_site.errors.api_exception_handler), and other
callers (the schedule tick, the admin, management commands) catch them as plain
exceptions. This module imports no framework.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class Problem(Exception):
    """Something the caller asked for cannot be done; `message` says why."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class Invalid(Problem):
    """Bad input (400). `fields` names the offending fields: {"field": "what is wrong"}."""

    def __init__(self, fields: dict[str, Any] | str) -> None:
        if isinstance(fields, str):
            super().__init__(fields)
            self.fields: dict[str, Any] | None = None
        else:
            field, detail = next(iter(fields.items()))
            super().__init__(f"{field}: {detail}")
            self.fields = fields


class NotFound(Problem):
    """No such object, as far as the caller may know (404)."""


class Forbidden(Problem):
    """The caller may see the object but not do this to it (403)."""


class Conflict(Problem):
    """The object's state does not allow it now (409); `extra` goes into the answer."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.extra = extra


class Unprocessable(Problem):
    """Well-formed but not acceptable with what came before (422)."""


class GraphInvalid(Problem):
    """A graph with problems (400), each naming its node or edge."""

    def __init__(self, errors: Sequence[Mapping[str, object]]) -> None:
        super().__init__("the graph is invalid")
        self.errors = [dict(error) for error in errors]


class Unavailable(Problem):
    """A dependency (the database, the broker) is away or overloaded (503): ask again
    after `retry_after` seconds."""

    def __init__(self, component: str, retry_after: int = 5) -> None:
        super().__init__(f"{component} is unavailable; try again in {retry_after} s")
        self.component = component
        self.retry_after = retry_after
