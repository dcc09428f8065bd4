"""One JSON shape for every API error: {"error": "<sentence>", ...details}.

Domain code raises orchestrator_site.problems (no HTTP in them); this is the one place
they become answers, beside DRF's own exceptions (parse errors, authentication, throttling).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from . import problems

log = logging.getLogger(__name__)


def _first_message(detail: Any, path: str = "") -> str:
    """The first human message of DRF's nested error detail, with the field it concerns."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            where = key if key != "non_field_errors" else ""
            return _first_message(value, f"{path}.{where}".strip(".") if where else path)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0], path)
    text = str(detail)
    return f"{path}: {text}" if path else text


PROBLEM_STATUS: dict[type[problems.Problem], int] = {
    problems.Invalid: status.HTTP_400_BAD_REQUEST,
    problems.GraphInvalid: status.HTTP_400_BAD_REQUEST,
    problems.NotFound: status.HTTP_404_NOT_FOUND,
    problems.Forbidden: status.HTTP_403_FORBIDDEN,
    problems.Conflict: status.HTTP_409_CONFLICT,
    problems.Unprocessable: status.HTTP_422_UNPROCESSABLE_ENTITY,
    problems.Unavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
}


def problem_response(problem: problems.Problem) -> Response:
    code = next(
        (code for kind, code in PROBLEM_STATUS.items() if isinstance(problem, kind)),
        status.HTTP_400_BAD_REQUEST,
    )
    body: dict[str, Any] = {"error": problem.message or "not possible"}
    headers: dict[str, str] = {}
    if isinstance(problem, problems.Invalid) and problem.fields is not None:
        body["fields"] = problem.fields
    elif isinstance(problem, problems.GraphInvalid):
        body["errors"] = problem.errors
    elif isinstance(problem, problems.Conflict):
        body.update(problem.extra)
    elif isinstance(problem, problems.Unavailable):
        body["component"] = problem.component
        body["retry_after"] = problem.retry_after
        headers["Retry-After"] = str(problem.retry_after)
    return Response(body, status=code, headers=headers)


# Seconds a client is asked to wait when a dependency is away or saturated.
UNAVAILABLE_RETRY_AFTER = 5


def unavailable_component(exc: BaseException) -> str | None:
    """"database" or "broker" when `exc` says that dependency is away, saturated or busy
    (nothing the request did wrong), else None."""
    import redis.exceptions
    from django.db import InterfaceError, OperationalError

    # (A pool with no connection to spare within its timeout is an OperationalError too.)
    if isinstance(exc, (OperationalError, InterfaceError)):
        return "database"

    if isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
        return "broker"
    from kombu.exceptions import OperationalError as BrokerError

    if isinstance(exc, BrokerError):
        return "broker"
    return None


def unavailable_body(component: str) -> dict[str, Any]:
    return {
        "error": f"the {component} is unavailable or saturated; try again in "
        f"{UNAVAILABLE_RETRY_AFTER} s (nothing was lost)",
        "component": component,
        "retry_after": UNAVAILABLE_RETRY_AFTER,
    }


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, problems.Problem):
        return problem_response(exc)
    component = unavailable_component(exc)
    if component is not None:
        log.warning("answering 503: the %s is unavailable (%s: %s)", component, type(exc).__name__, exc)
        return Response(
            unavailable_body(component), status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        )
    if isinstance(exc, RequestDataTooBig):
        return Response({"error": "the request body is too large"}, status=413)
    if isinstance(exc, Http404):
        return Response({"error": str(exc) or "not found"}, status=404)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        body = {"error": _first_message(detail), "fields": detail}
    elif isinstance(detail, dict) and "detail" in detail:
        body = {"error": str(detail["detail"])}
    else:
        body = {"error": _first_message(detail)}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        body["retry_after"] = math.ceil(exc.wait)
    response.data = body
    return response
