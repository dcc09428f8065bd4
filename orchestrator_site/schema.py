"""OpenAPI schema touches: every operation documents the errors it can answer.

Every error is `{"error": "<sentence>", ...details}` (orchestrator_site.errors); which
status codes an operation can give follows from what it is, so they are added here once
rather than on every view.
"""

from __future__ import annotations

from typing import Any

ERROR_COMPONENT = "Error"
_ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}

_DESCRIPTIONS = {
    "400": "Bad input: the error names the field and the problem",
    "401": "No valid credentials (a missing, unknown, revoked or expired API key)",
    "403": "Your role in the team, or the API key's scopes, do not allow this",
    "404": "No such object, or one of a team you are not in",
    "409": "The object changed meanwhile, or the action does not fit its state",
    "413": "The request body is too large",
    "415": "The request body is not JSON (or a form)",
    "422": "The Idempotency-Key was used with another request",
    "429": "Too many requests with this API key: see Retry-After",
}
_BODY_METHODS = {"post", "put", "patch"}


def _error_response(code: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS[code],
        "content": {"application/json": {"schema": _ERROR_REF}},
    }
    if code == "429":
        response["headers"] = {
            "Retry-After": {
                "schema": {"type": "integer"},
                "description": "Seconds until the key may call again",
            }
        }
    return response


def _untangle_nullable_any(node: Any) -> None:
    """drf-spectacular writes a nullable JSON field in OpenAPI 3.1 as oneOf [{}, null]; null
    matches both branches, so `oneOf` (exactly one) refuses it. `{}` already allows null."""
    if isinstance(node, dict):
        one_of = node.get("oneOf")
        if (
            isinstance(one_of, list)
            and len(one_of) == 2
            and {} in one_of
            and {"type": "null"} in one_of
        ):
            del node["oneOf"]
        for value in node.values():
            _untangle_nullable_any(value)
    elif isinstance(node, list):
        for value in node:
            _untangle_nullable_any(value)


def add_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    _untangle_nullable_any(result)
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_COMPONENT] = {
        "type": "object",
        "properties": {
            "error": {"type": "string", "description": "What went wrong, in a sentence"}
        },
        "required": ["error"],
        "additionalProperties": True,
    }
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            public_operation = operation.get("security") == [{}] or path.startswith("/hooks/")
            codes = ["400", "404", "429"]
            if not public_operation:
                codes += ["401", "403"]
            if method in _BODY_METHODS or method == "delete":
                codes.append("409")
            if method in _BODY_METHODS:
                codes += ["413", "415"]
            if operation.get("operationId") in {"api_flows_runs_create", "hooks_create"}:
                codes.append("422")
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, _error_response(code))
    return result
