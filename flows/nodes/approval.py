"""`approval`: a person decides. The run waits (status `waiting`), holding no worker and
surviving restarts (the node's state is in the database), until someone posts
{"approved": bool, "comment": str} to /api/runs/<id>/nodes/<node_id>/resume/."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from . import templating
from .base import Emit, Handle, NodeConfig, NodeContext, NodeType, Suspend


class ApprovalNode(NodeType):
    type = "approval"
    label = "Approval"
    cacheable = False
    category = "Flows"
    description = (
        "Waits for a person to approve or reject; the input goes out unchanged on "
        "'approved' or 'rejected'."
    )
    inputs = (Handle("in"),)
    waits_for_people = True
    outputs = (Handle("approved"), Handle("rejected"))

    class Config(NodeConfig):
        message: str = Field(
            "Please review: {{ input }}",
            description="What the reviewer is asked; a template over the input",
        )

        _check = field_validator("message")(lambda cls, v: templating.check_template(v))

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Suspend:
        value = inputs.get("in")
        text = templating.render(config.message, value)
        ctx.set_details({"message": text})
        return Suspend(state={"value": value, "message": text}, message=text[:500])

    def check_resume(self, payload: Any) -> str | None:
        if not isinstance(payload, dict) or not isinstance(payload.get("approved"), bool):
            return 'send {"approved": true or false, "comment": "..."}'
        if not isinstance(payload.get("comment", ""), str):
            return "comment must be a string"
        return None

    def resume(self, ctx: NodeContext, state: dict[str, Any], payload: Any, config: Config) -> Any:
        if self.check_resume(payload) is not None:
            # Not a decision (nothing else resumes approvals): keep waiting.
            return Suspend(state=state, message=state.get("message", "")[:500])
        approved = payload["approved"]
        ctx.set_details({
            "message": state.get("message", ""),
            "approved": approved,
            "comment": payload.get("comment", ""),
            "by": payload.get("by", ""),
        })
        return Emit(value=state.get("value"), handles=["approved" if approved else "rejected"])


NODE_TYPES: list[type[NodeType]] = [ApprovalNode]
