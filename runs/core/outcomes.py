"""What running a node's code came to, as the scheduler records it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# `details` on each outcome: what the node keeps beside its output (None: leave as is).


@dataclass
class ChildIntent:
    """A child run a node asked for; created in the step that records the node's outcome."""

    run_id: str
    flow_id: int
    flow_revision: int
    key: str
    inputs: dict[str, Any]
    graph: dict[str, Any]
    trigger: str


@dataclass
class _Attempt:
    # The outbound exchanges the attempt recorded (runs.recordings): written in the step
    # that records the outcome, in its transaction, rather than in a commit of their own.
    exchanges: list[Any] = field(default_factory=list, kw_only=True)


@dataclass
class Succeeded(_Attempt):
    value: Any
    # The output handles the node chose (condition, router); None means all it declares.
    handles: list[str] | None = None
    run_outputs: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, Any] | None = None
    details: Any = None
    # Every request the attempt made was answered from the recording of this run (replay).
    replayed_from: str | None = None


@dataclass
class Suspended(_Attempt):
    state: dict[str, Any]
    until: datetime | None
    message: str = ""
    usage: dict[str, Any] | None = None
    details: Any = None
    children: list[ChildIntent] = field(default_factory=list)


@dataclass
class Continued(_Attempt):
    """Run the node's code again in a worker, with this state (flows.nodes.base.Continue)."""

    state: dict[str, Any]
    message: str = ""
    usage: dict[str, Any] | None = None
    details: Any = None


@dataclass
class Failed(_Attempt):
    message: str
    type: str = "NodeError"
    retryable: bool = True
    usage: dict[str, Any] | None = None
    details: Any = None
    # The earliest a retry makes sense, in seconds, when the other side said so.
    retry_after: float | None = None

    def as_error(self, attempts: int) -> dict[str, Any]:
        return {"message": self.message, "type": self.type, "attempts": attempts}


Outcome = Succeeded | Suspended | Continued | Failed
