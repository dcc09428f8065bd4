"""Jinja2 templates in the sandbox, and JMESPath expressions, as nodes use them.

Templates see `input` (the incoming value) and, when it is an object, its keys as names.
Undefined names are errors, not empty strings: a typo should fail loudly at the node.

Both are written by any team member and run in the web process (checked on save) as well as
in workers, so neither may make a process spend unbounded time or memory: templates compile
and render in `bounded_jinja`'s environment, and JMESPath searches run on the same kind of
per-search budget.
"""

from __future__ import annotations

import contextvars
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jmespath
import jmespath.exceptions
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError
from jmespath import functions as jmespath_functions
from jmespath import visitor as jmespath_visitor

from . import bounded_jinja
from .base import FatalNodeError, NodeError
from .bounded_jinja import TemplateRejected

# A rendered template larger than this is almost surely a runaway loop.
MAX_RENDERED_CHARS = 2_000_000
# Expressions are a line or two; parsing 10,000 characters takes a few ms.
MAX_EXPRESSION_CHARS = 10_000
# One template compiles in at most ~0.2 s, but a request body may hold hundreds of them:
# within check_budget(), all the checks of one graph share this much of the checking
# thread's CPU time.
MAX_GRAPH_CHECK_SECONDS = 3.0

# (deadline, seconds) of the check_budget() in force.
_check_deadline: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar(
    "template_check_deadline", default=None
)


class CheckRefused(ValueError):
    """A template or expression refused before it is understood (too long, too deeply
    nested, over the check's time budget): hostile input, which a graph check treats as
    no graph at all rather than as a draft's problem to save."""


@contextmanager
def check_budget(seconds: float = MAX_GRAPH_CHECK_SECONDS) -> Iterator[None]:
    """Checks of templates and expressions inside this block share `seconds`; once they are
    spent, each further check fails with ValueError (for the graph check: wrap its nodes)."""
    token = _check_deadline.set((time.thread_time() + seconds, seconds))
    try:
        yield
    finally:
        _check_deadline.reset(token)


def _check_time_left() -> None:
    budget = _check_deadline.get()
    if budget is not None and time.thread_time() > budget[0]:
        raise CheckRefused(
            "not checked: the flow's templates and expressions together take more than "
            f"{budget[1]:g} s to check; make them shorter or fewer"
        )


def _fromjson(text: str) -> Any:
    return json.loads(text)


def _tojson(value: Any, indent: int | None = None) -> str:
    # Jinja's own tojson escapes <, >, & for HTML; our templates are not HTML.
    return bounded_jinja.bounded_json(value, indent, ensure_ascii=False, default=str)


_env = bounded_jinja.BoundedEnvironment(undefined=StrictUndefined, autoescape=False)
_env.add_filters({"tojson": _tojson, "fromjson": _fromjson})


@dataclass(frozen=True)
class _Refusal:
    """A failed compile, kept so that checking the same bad template again costs nothing."""

    message: str
    lineno: int | None = None
    syntax: bool = True

    def error(self) -> Exception:
        if self.syntax:
            return TemplateSyntaxError(self.message, self.lineno or 1)
        return TemplateRejected(self.message)


@lru_cache(maxsize=512)
def _compiled(source: str) -> Template | _Refusal:
    try:
        return bounded_jinja.compile_source(_env, source)
    except TemplateSyntaxError as exc:
        return _Refusal(exc.message or str(exc), exc.lineno)
    except TemplateRejected as exc:
        return _Refusal(str(exc), syntax=False)


def compile_template(source: str) -> Template:
    """The compiled template; TemplateSyntaxError, or TemplateRejected when the source is too
    long or too deeply nested to compile within bounds."""
    if len(source) > bounded_jinja.MAX_TEMPLATE_CHARS:
        # Not cached: the cache would keep the long source alive.
        raise TemplateRejected(
            f"the template is longer than {bounded_jinja.MAX_TEMPLATE_CHARS:,} characters"
        )
    result = _compiled(source)
    if isinstance(result, _Refusal):
        raise result.error()
    return result


def check_template(source: str) -> str:
    """For config validators: the template itself, or ValueError naming what is wrong."""
    _check_time_left()
    try:
        compile_template(source)
    except TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error on line {exc.lineno}: {exc.message}") from None
    except TemplateRejected as exc:
        raise CheckRefused(f"template refused: {exc}") from None
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
        template = compile_template(source)
        names = template_names(value, extra)
        return bounded_jinja.render_bounded(template, names, MAX_RENDERED_CHARS)
    except NodeError:
        raise
    except TemplateRejected as exc:
        raise FatalNodeError(f"template refused: {exc}") from None
    except TemplateSyntaxError as exc:
        raise FatalNodeError(f"template syntax error on line {exc.lineno}: {exc.message}") from None
    except TemplateError as exc:
        raise NodeError(f"template error: {exc}") from None
    except RecursionError:
        raise NodeError("template error: it nests or recurses too deeply") from None
    except MemoryError:
        raise NodeError("template error: it ran out of memory") from None
    except (
        ArithmeticError, TypeError, ValueError, KeyError, IndexError, AttributeError,
        AssertionError,
    ) as exc:
        raise NodeError(f"template error: {type(exc).__name__}: {exc}") from None


# --- JMESPath -----------------------------------------------------------------------------


class ExpressionRejected(ValueError):
    """An expression too long or too deeply nested to parse within bounds."""


@lru_cache(maxsize=512)
def compile_expression(expression: str):
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ExpressionRejected(
            f"the JMESPath expression is longer than {MAX_EXPRESSION_CHARS:,} characters"
        )
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError:
        raise
    except RecursionError:
        raise ExpressionRejected("the JMESPath expression is nested too deeply") from None
    except ValueError as exc:  # e.g. an index of 5,000 digits
        raise ExpressionRejected(f"the JMESPath expression cannot be parsed: {exc}") from None


def check_expression(expression: str) -> str:
    _check_time_left()
    try:
        _plan(expression)
    except ExpressionRejected as exc:
        raise CheckRefused(str(exc)) from None
    except jmespath.exceptions.JMESPathError as exc:
        raise ValueError(f"JMESPath syntax error: {_jmespath_message(exc)}") from None
    return expression


def search(expression: str, value: Any) -> Any:
    try:
        plan = _plan(expression)
    except ExpressionRejected as exc:
        raise FatalNodeError(str(exc)) from None
    except jmespath.exceptions.JMESPathError as exc:
        raise NodeError(f"JMESPath error: {_jmespath_message(exc)}") from None
    with bounded_jinja.bounded_run("JMESPath expression") as budget:
        try:
            return _BoundedInterpreter(budget, plan.checked).visit(plan.parsed.parsed, value)
        except jmespath.exceptions.JMESPathError as exc:
            raise NodeError(f"JMESPath error: {_jmespath_message(exc)}") from None
        except RecursionError:
            raise NodeError("JMESPath error: the expression or its data nests too deeply") from None


def truthy(value: Any) -> bool:
    """JMESPath's truth: false, null, empty strings, lists and objects are false."""
    return value not in (None, False, "", [], {})


def _jmespath_message(exc: Exception) -> str:
    return " ".join(str(exc).split())


class _BoundedFunctions(jmespath_functions.Functions):
    """JMESPath's functions; the two that turn a value into one string check its size
    first, since `[@,@]|[@,@]|...` makes a value that is small in memory and huge as text."""

    def call_function(self, function_name: str, resolved_args: list[Any]) -> Any:
        # Array arguments are type-checked item by item in Python, before any function runs.
        items = sum(len(a) for a in resolved_args if isinstance(a, list))
        bounded_jinja.current_budget().tick(items)
        return super().call_function(function_name, resolved_args)

    @jmespath_functions.signature({"types": ["string"]}, {"types": ["array-string"]})
    def _func_join(self, separator: str, array: list[str]) -> str:
        size = sum(map(len, array)) + len(separator) * max(len(array) - 1, 0)
        bounded_jinja.current_budget().check_size(size, "a joined string")
        return separator.join(array)

    @jmespath_functions.signature({"types": []})
    def _func_to_string(self, arg: Any) -> str:
        bounded_jinja.check_value(bounded_jinja.current_budget(), arg, "a string")
        return super()._func_to_string(arg)


# Only a multi-select ([a, b] or {k: a}) can hold one value twice, so only results built
# over one (the multi-select itself, and projections, maps and functions around it) can be
# bigger than the data they came from; those are charged and their expanded size checked,
# which stops `[@,@]|[@,@]|...` (doubling per pipe) and projections over it.
_FAN_OUT_NODES = frozenset({"multi_select_list", "multi_select_dict"})
_BUILDING_NODES = _FAN_OUT_NODES | {
    "projection", "value_projection", "filter_projection", "flatten", "function_expression",
    "slice",
}
# The interpreter recurses once per level of the tree.
MAX_EXPRESSION_DEPTH = 100


@dataclass(frozen=True)
class _Plan:
    parsed: Any
    checked: frozenset[int]  # ids of the AST nodes whose results are checked


@lru_cache(maxsize=512)
def _plan(expression: str) -> _Plan:
    parsed = compile_expression(expression)
    checked: set[int] = set()
    if _mark(parsed.parsed, checked) > MAX_EXPRESSION_DEPTH:
        raise ExpressionRejected("the JMESPath expression is nested too deeply")
    return _Plan(parsed, frozenset(checked))


def _mark(root: dict[str, Any], checked: set[int]) -> int:
    """Adds to `checked` the building nodes with a fan-out at or below them; returns the
    depth of the tree. Iterative, since the tree may be deeper than Python's stack."""
    order: list[tuple[dict[str, Any], int]] = []
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        order.append((node, depth))
        stack.extend((child, depth + 1) for child in _ast_children(node))
    fans: set[int] = set()
    for node, _ in reversed(order):  # children before parents
        if node["type"] in _FAN_OUT_NODES or any(id(c) in fans for c in _ast_children(node)):
            fans.add(id(node))
            if node["type"] in _BUILDING_NODES:
                checked.add(id(node))
    return max(depth for _, depth in order)


def _ast_children(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [child for child in node.get("children", ()) if isinstance(child, dict)]


class _BoundedInterpreter(jmespath_visitor.TreeInterpreter):
    def __init__(self, budget: bounded_jinja.Budget, checked: frozenset[int]) -> None:
        super().__init__(jmespath_visitor.Options(custom_functions=_BoundedFunctions()))
        self._budget = budget
        self._checked = checked

    def visit(self, node: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        # The base class's dispatch, with a step charged: one frame per node, not two.
        budget = self._budget
        budget.steps += 1
        if budget.steps >= budget.next_check:
            budget.check_clock()
        kind = node["type"]
        method = self._method_cache.get(kind)
        if method is None:
            method = self._method_cache[kind] = getattr(self, f"visit_{kind}", self.default_visit)
        result = method(node, *args, **kwargs)
        if kind == "comparator":
            budget.check_clock()  # comparing big values is one C call each
        elif id(node) in self._checked and isinstance(result, (list, dict)):
            budget.build_items(len(result))
            bounded_jinja.check_value(budget, result)
        return result
