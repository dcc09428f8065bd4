"""What running a node's code came to, as the scheduler records it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Succeeded:
    value: Any
    # The output handles the node chose (condition, router); None means all it declares.
    handles: list[str] | None = None
    run_outputs: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, Any] | None = None


@dataclass
class Suspended:
    state: dict[str, Any]
    until: datetime | None
    message: str = ""


@dataclass
class Failed:
    message: str
    type: str = "NodeError"
    retryable: bool = True
    usage: dict[str, Any] | None = None

    def as_error(self, attempts: int) -> dict[str, Any]:
        return {"message": self.message, "type": self.type, "attempts": attempts}


Outcome = Succeeded | Suspended | Failed
