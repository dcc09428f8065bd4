"""Jinja2 templates in the sandbox, and JMESPath expressions, as nodes use them.

Templates see `input` (the incoming value) and, when it is an object, its keys as names.
Undefined names are errors, not empty strings: a typo should fail loudly at the node.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import jmespath
import jmespath.exceptions
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .base import FatalNodeError, NodeError

# A rendered template larger than this is almost surely a runaway loop.
MAX_RENDERED_CHARS = 2_000_000


def _fromjson(text: str) -> Any:
    return json.loads(text)


def _tojson(value: Any, indent: int | None = None) -> str:
    # Jinja's own tojson escapes <, >, & for HTML; our templates are not HTML.
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str)


_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_env.filters["tojson"] = _tojson
_env.filters["fromjson"] = _fromjson


@lru_cache(maxsize=512)
def compile_template(source: str):
    return _env.from_string(source)


def check_template(source: str) -> str:
    """For config validators: the template itself, or ValueError naming the syntax error."""
    try:
        compile_template(source)
    except TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error on line {exc.lineno}: {exc.message}") from None
    return source


def template_names(value: Any, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    names: dict[str, Any] = {}
    if isinstance(value, dict):
        names.update({k: v for k, v in value.items() if isinstance(k, str) and k.isidentifier()})
    if extra:
        names.update(extra)
    names["input"] = value
    return names


def render(source: str, value: Any, extra: dict[str, Any] | None = None) -> str:
    try:
        text = compile_template(source).render(template_names(value, extra))
    except TemplateSyntaxError as exc:
        raise FatalNodeError(f"template syntax error on line {exc.lineno}: {exc.message}") from None
    except TemplateError as exc:
        raise NodeError(f"template error: {exc}") from None
    except (ArithmeticError, TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise NodeError(f"template error: {type(exc).__name__}: {exc}") from None
    if len(text) > MAX_RENDERED_CHARS:
        raise NodeError(f"template output is longer than {MAX_RENDERED_CHARS} characters")
    return text


@lru_cache(maxsize=512)
def compile_expression(expression: str):
    return jmespath.compile(expression)


def check_expression(expression: str) -> str:
    try:
        compile_expression(expression)
    except jmespath.exceptions.JMESPathError as exc:
        raise ValueError(f"JMESPath syntax error: {_jmespath_message(exc)}") from None
    return expression


def search(expression: str, value: Any) -> Any:
    try:
        return compile_expression(expression).search(value)
    except jmespath.exceptions.JMESPathError as exc:
        raise NodeError(f"JMESPath error: {_jmespath_message(exc)}") from None


def truthy(value: Any) -> bool:
    """JMESPath's truth: false, null, empty strings, lists and objects are false."""
    return value not in (None, False, "", [], {})


def _jmespath_message(exc: Exception) -> str:
    return " ".join(str(exc).split())
