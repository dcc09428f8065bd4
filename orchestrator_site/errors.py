"""One JSON shape for every API error: {"error": "<sentence>", ...details}."""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

log = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "the object changed meanwhile"

    def __init__(self, message: str, **extra: Any):
        super().__init__(message)
        self.extra = extra


class GraphInvalid(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "the graph is invalid"

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__(self.default_detail)
        self.errors = errors


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


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        return Response({"error": "the request body is too large"}, status=413)
    if isinstance(exc, Http404):
        return Response({"error": str(exc) or "not found"}, status=404)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, GraphInvalid):
        return Response({"error": exc.detail, "errors": exc.errors}, status=400)
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
    if isinstance(exc, Conflict):
        body.update(exc.extra)
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        body["retry_after"] = math.ceil(exc.wait)
    response.data = body
    return response
