"""A Jinja sandbox whose templates cannot make a process spend unbounded time or memory.

Templates are written by any member of a team and compiled in the web process (the graph
check on save, validate and run start) and rendered in workers. Jinja's sandbox stops them
from reaching Python internals, but not from asking for work: `9**9**9`, `'x'*10**9`, a
filter folded at compile time, three nested loops, or a list that holds itself twice thirty
times over. This module closes those doors in three places:

- Compile time does no work on values: no optimizer, no folding of output expressions, and
  every arithmetic operator goes through the environment (which also stops Jinja's own
  `BinExpr.as_const`). Long or deeply nested sources are refused before they cost much.
- Render time runs against a per-render `Budget`: a count of steps, a deadline on the
  rendering thread's own CPU time (what the template costs: a busy machine or a thread
  waiting for the GIL does not cut a legitimate render short), and a count of what was built. Operators, calls, filters, loops, literals, comparisons,
  slices, `~` and printing all charge it, and everything that could build a big value
  checks the size it would have *before* building it.
- Sizes are "expanded": a list holding the same 1 MB string a thousand times is 1 GB as soon
  as something prints, compares or hashes it, so that is the size that is limited.

Limits raise `LimitExceeded`, a FatalNodeError whose message names the limit.

Why one module of this size: every hook of the environment shares the one `Budget` and the
one notion of an expanded size; split across modules, a new hook would too easily miss a
check the others make. The sections below go limits, budget, sizes, operators, calls and
formatting, filters, then the environment that wires them.
"""

from __future__ import annotations

import contextvars
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import update_wrapper, wraps
from itertools import chain
from types import BuiltinMethodType, MappingProxyType, MethodType
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import Template
from jinja2.exceptions import TemplateSyntaxError
from jinja2.ext import Extension
from jinja2.filters import make_attrgetter, sync_do_join, sync_do_sum
from jinja2.nodes import EvalContext
from jinja2.runtime import LoopContext, Macro, Namespace, markup_join
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
    safe_range,
)
from jinja2.utils import (
    Cycler,
    _PassArg,
    generate_lorem_ipsum,
    pass_context,
    pass_environment,
    pass_eval_context,
)
from markupsafe import Markup

from .base import FatalNodeError

# --- Limits -------------------------------------------------------------------------------
# A source longer than this is refused before it is lexed.
MAX_TEMPLATE_CHARS = 100_000
# Compiling costs up to ~60 µs per token (a long comparison chain, the slowest construct seen),
# so 5,000 tokens stay near 0.2 s — a fifth of the ~1 s budget, leaving room for a busy core —
# while static text (one token per run of text) stays cheap up to the char limit.
MAX_TEMPLATE_TOKENS = 5_000
# 4,096 bits is 1,234 decimal digits; CPython refuses to print ints past 4,300 digits anyway.
MAX_INT_BITS = 4096
# The expanded size (characters or items) of any one value a template builds. Twice the
# rendered-output cap, so intermediate values may be larger than what is printed.
MAX_VALUE_SIZE = 4_000_000
# Characters built during one render, in all, an item of a list or dict counting as
# ITEM_CHARS (a reference is 8 bytes, a character 1 to 4). Bounds memory to tens of MB,
# since nothing a template keeps can outgrow what it built.
MAX_BUILT_SIZE = 20_000_000
ITEM_CHARS = 4
# Steps per render: a loop iteration, a call, a filter, an operator each cost one; building
# costs one more per BUILD_CHARS_PER_STEP characters.
MAX_STEPS = 2_000_000
BUILD_CHARS_PER_STEP = 4096
RENDER_SECONDS = 1.0
# The clock is read every CLOCK_EVERY steps, so one check costs a few ns per step.
CLOCK_EVERY = 64
MAX_MACRO_DEPTH = 50
# round()'s precision: 10**precision is computed for 'ceil' and 'floor', and for ints.
MAX_ROUND_DIGITS = 1000
MAX_JSON_INDENT = 64
MAX_LIPSUM_WORDS = 100_000

CONTAINERS = (list, tuple, dict, set, frozenset)
# Views print (and compare) as the whole dict they look at.
_VIEWS: tuple[type, ...] = (type({}.keys()), type({}.values()), type({}.items()), MappingProxyType)
_WALKED = CONTAINERS + _VIEWS
_SCALARS = frozenset({str, int, float, bool, type(None), Markup})
_ARITHMETIC = frozenset({"+", "-", "*", "/", "//", "%", "**"})


class LimitExceeded(FatalNodeError):
    """A template or expression asked for more work than one render may do."""


class TemplateRejected(Exception):
    """A template source that is refused before it is compiled (too long, too deep)."""


# --- The per-render budget ----------------------------------------------------------------


class Budget:
    __slots__ = ("built", "deadline", "depth", "next_check", "steps", "subject", "weights")

    def __init__(self, subject: str) -> None:
        self.subject = subject
        self.steps = 0
        self.built = 0
        self.deadline = time.thread_time() + RENDER_SECONDS
        self.next_check = CLOCK_EVERY
        # id -> (container, expanded size); holding the container keeps its id from being
        # reused for another object during the render.
        self.weights: dict[int, tuple[Any, int]] = {}
        self.depth = 0

    def tick(self, cost: int = 1) -> None:
        self.steps += cost
        if self.steps >= self.next_check:
            self.check_clock()

    def check_clock(self) -> None:
        if self.steps > MAX_STEPS:
            self.stop(f"it would take more than {MAX_STEPS:,} steps")
        if time.thread_time() > self.deadline:
            self.stop(f"it ran for more than {RENDER_SECONDS:g} s")
        self.next_check = self.steps + CLOCK_EVERY

    def build(self, size: int) -> None:
        """Charge `size` new characters, already known to fit MAX_VALUE_SIZE."""
        self.built += size
        if self.built > MAX_BUILT_SIZE:
            self.stop(f"it would build more than {MAX_BUILT_SIZE:,} characters in all")
        self.steps += 1 + size // BUILD_CHARS_PER_STEP
        if self.steps >= self.next_check:
            self.check_clock()

    def build_items(self, count: int) -> None:
        self.build(count * ITEM_CHARS)

    def stop(self, reason: str) -> None:
        raise LimitExceeded(f"{self.subject} stopped: {reason}")

    def check_size(self, size: int, what: str = "a value") -> None:
        if size > MAX_VALUE_SIZE:
            self.stop(f"it would build {what} of more than {MAX_VALUE_SIZE:,} characters or items")

    def check_int(self, bits: float) -> None:
        if bits > MAX_INT_BITS:
            self.stop(f"it would compute a number of more than {MAX_INT_BITS} bits")


_budget: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "bounded_budget", default=None
)


@contextmanager
def bounded_run(subject: str) -> Iterator[Budget]:
    """The budget of the render in progress, or a new one for `subject` if there is none."""
    active = _budget.get()
    if active is not None:
        yield active
        return
    budget = Budget(subject)
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def current_budget() -> Budget:
    budget = _budget.get()
    if budget is None:
        raise RuntimeError("a bounded template hook ran outside bounded_run()")
    return budget


# --- Expanded sizes -----------------------------------------------------------------------


def weight(value: Any, budget: Budget) -> int:
    """How many characters or items printing, comparing or hashing `value` walks through."""
    if isinstance(value, (str, bytes, bytearray)):
        return len(value)
    if isinstance(value, int):
        return 1 + value.bit_length() // 3
    if isinstance(value, _WALKED):
        known = budget.weights.get(id(value))
        return known[1] if known is not None else _walk(value, budget)
    if isinstance(value, BoundedNamespace):
        return namespace_weight(value)
    if isinstance(value, range):
        return len(value)
    return 1


def _children(value: Any) -> Iterable[Any]:
    if isinstance(value, (dict, MappingProxyType)):
        return chain.from_iterable(value.items())
    if isinstance(value, _VIEWS[2]):  # items: (key, value) pairs
        return chain.from_iterable(value)  # type: ignore[arg-type]
    return value


# Containers this long, or this big expanded, keep their size for the rest of the render;
# smaller ones are cheap to walk again, and not holding them keeps short-lived values
# collectable. The memo is only a cache: past _MEMO_MAX entries it starts over.
_MEMO_MIN_ITEMS = 16
_MEMO_MIN_SIZE = 64
_MEMO_MAX = 50_000


def _walk(root: Any, budget: Budget) -> int:
    """Post-order walk: a part shared many times is visited once but counted each time it
    appears, which is what printing or comparing would see. Every edge adds at least one,
    so the walk stops after at most MAX_VALUE_SIZE edges."""
    shared = budget.weights
    if len(shared) > _MEMO_MAX:
        shared.clear()
    local: dict[int, int] = {}
    open_ids = {id(root)}
    stack: list[list[Any]] = [[root, iter(_children(root)), len(root)]]
    visited = 0
    while stack:
        frame = stack[-1]
        for child in frame[1]:
            visited += 1
            if not visited & 1023:
                budget.tick(256)
            if isinstance(child, _WALKED):
                size = _known_size(child, local, shared, open_ids)
                if size is None:
                    open_ids.add(id(child))
                    stack.append([child, iter(_children(child)), len(child)])  # type: ignore[arg-type]
                    break
                frame[2] += size
            else:
                frame[2] += weight(child, budget)
            if frame[2] > MAX_VALUE_SIZE:
                return frame[2]
        else:
            stack.pop()
            node, size = frame[0], frame[2]
            open_ids.discard(id(node))
            local[id(node)] = size
            remember(budget, node, size)
            if stack:
                stack[-1][2] += size
                if stack[-1][2] > MAX_VALUE_SIZE:
                    return stack[-1][2]
    budget.tick((visited & 1023) // 4)
    return local[id(root)]


def _known_size(
    child: Any, local: dict[int, int], shared: dict[int, tuple[Any, int]], open_ids: set[int]
) -> int | None:
    size = local.get(id(child))
    if size is not None:
        return size
    known = shared.get(id(child))
    if known is not None:
        return known[1]
    # A container inside itself prints as [...].
    return 1 if id(child) in open_ids else None


def remember(budget: Budget, value: Any, size: int) -> None:
    """Keep the expanded size of a container just built, so that whatever holds it next
    need not walk it again."""
    if len(value) >= _MEMO_MIN_ITEMS or size >= _MEMO_MIN_SIZE:
        budget.weights[id(value)] = (value, size)


def check_value(budget: Budget, value: Any, what: str = "a value") -> int:
    size = weight(value, budget)
    budget.check_size(size, what)
    return size


def checked_result(budget: Budget, result: Any, fans_out: bool = False) -> Any:
    """Charge a value just built by a call or filter. Its expanded size is checked only if
    it `fans_out`, i.e. may hold one value many times: every other container is made of
    parts of existing values, each once, and existing values are either input data (a tree)
    or were checked when built. Lazy results are wrapped so that consumers pay per item."""
    kind = type(result)
    if kind is float or kind is bool or result is None:
        pass
    elif isinstance(result, (str, bytes, bytearray)):
        budget.check_size(len(result), _kind(result))
        budget.build(len(result))
    elif isinstance(result, CONTAINERS):
        budget.build_items(len(result))
        if fans_out:
            check_value(budget, result, _kind(result))
    elif isinstance(result, int):
        budget.check_int(result.bit_length())
    elif isinstance(result, Iterator):
        return FanOutItems(result, budget) if fans_out else counted(result, budget)
    return result


def counted(items: Iterable[Any], budget: Budget) -> Iterator[Any]:
    for item in items:
        # Budget.tick, inlined: this runs once per loop iteration.
        budget.steps += 1
        if budget.steps >= budget.next_check:
            budget.check_clock()
        yield item


class FanOutItems:
    """A lazy result that may yield one value many times (map with arguments, batch with a
    fill value): whatever collects it into a container checks that container's size."""

    __slots__ = ("_budget", "_items")

    def __init__(self, items: Iterator[Any], budget: Budget) -> None:
        self._items = items
        self._budget = budget

    def __iter__(self) -> FanOutItems:
        return self

    def __next__(self) -> Any:
        self._budget.tick()
        return next(self._items)


class CountedIterable:
    """What `{% for %}` iterates: the same items, one step each; sized if the source is."""

    __slots__ = ("_budget", "_items")

    def __init__(self, items: Any, budget: Budget) -> None:
        self._items = items
        self._budget = budget

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return counted(self._items, self._budget)


# --- Operators ----------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def _check_power(budget: Budget, base: Any, exponent: Any) -> None:
    if _is_int(base) and _is_int(exponent) and exponent > 1 and abs(base) > 1:
        budget.check_int(exponent * math.log2(abs(base)))


# Each check raises before an operator builds too much; for a list or tuple result it
# returns the result's expanded size.


def _check_product(budget: Budget, left: Any, right: Any) -> int | None:
    if _is_int(left) and _is_int(right):
        budget.check_int(left.bit_length() + right.bit_length())
        return None
    sequence, times = (left, right) if _is_int(right) else (right, left)
    if not (_is_int(times) and isinstance(sequence, (str, bytes, list, tuple))) or times <= 0:
        return None
    what = _kind(sequence)
    budget.check_size(len(sequence) * times, what)
    if not isinstance(sequence, (list, tuple)):
        budget.build(len(sequence) * times)
        return None
    budget.build_items(len(sequence) * times)
    size = weight(sequence, budget) * times
    budget.check_size(size, what)
    return size


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (bytes, bytearray)):
        return "a bytes value"
    return f"a {type(value).__name__}"


def _check_sum(budget: Budget, left: Any, right: Any) -> int | None:
    if isinstance(left, (str, bytes)) and isinstance(right, (str, bytes)):
        budget.check_size(len(left) + len(right), "a string")
        budget.build(len(left) + len(right))
    elif isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        size = weight(left, budget) + weight(right, budget)
        budget.check_size(size, _kind(left))
        budget.build_items(len(left) + len(right))
        return size
    return None


def _check_modulo(budget: Budget, left: Any, right: Any) -> None:
    if isinstance(left, str):
        check_printf(budget, left, right)
    elif isinstance(left, (bytes, bytearray)):  # b'%9999999d' formats the same way
        check_printf(budget, left.decode("latin-1"), right)


_BINOP_CHECKS: dict[str, Callable[[Budget, Any, Any], int | None]] = {
    "**": _check_power,
    "*": _check_product,
    "+": _check_sum,
    "%": _check_modulo,
}

# %[(key)][flags][width][.precision][length]conversion
_PRINTF = re.compile(r"%(?:\(([^)]*)\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.?)", re.DOTALL)


def check_printf(budget: Budget, template: str, args: Any) -> None:
    """`template % args`: refuse huge widths and precisions, and bound the result, which
    repeats any argument as often as the template names it."""
    positional = list(args) if isinstance(args, tuple) else [args]
    mapping = args if isinstance(args, Mapping) else {}
    total = len(template)
    index = 0
    for match in _PRINTF.finditer(template):
        budget.tick()
        key, width, precision, conversion = match.groups()
        if conversion == "%":
            continue
        pads = []
        for part in (width, precision):
            if part == "*":
                pads.append(positional[index] if index < len(positional) else 0)
                index += 1
            elif part:
                pads.append(int(part) if len(part) < 10 else MAX_VALUE_SIZE + 1)
        if key is not None:
            argument = mapping.get(key)
        else:
            argument = positional[index] if index < len(positional) else None
            index += 1
        pad = max((p for p in pads if _is_int(p)), default=0)
        budget.check_size(pad, "a formatted field")
        total += max(pad, weight(argument, budget))
        budget.check_size(total, "a formatted string")
    budget.build(total)


_SPEC_NUMBERS = re.compile(r"\d+")


def _check_format_spec(budget: Budget, spec: str) -> int:
    """The widest field a format spec asks for (fill, width and precision are its only
    numbers)."""
    widest = 0
    for number in _SPEC_NUMBERS.findall(spec):
        widest = max(widest, int(number) if len(number) < 10 else MAX_VALUE_SIZE + 1)
    budget.check_size(widest, "a formatted field")
    return widest


class _FormatCounting:
    """str.format through the sandbox: each field is charged before it is formatted."""

    _total = 0

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        self._total = len(format_string)
        return super().vformat(format_string, args, kwargs)  # type: ignore[misc]

    def _account(self, size: int) -> None:
        budget = current_budget()
        budget.tick()
        self._total += size
        budget.check_size(self._total, "a formatted string")

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion is not None:
            self._account(weight(value, current_budget()))
        return super().convert_field(value, conversion)  # type: ignore[misc]

    def format_field(self, value: Any, format_spec: str) -> Any:
        budget = current_budget()
        self._account(max(_check_format_spec(budget, format_spec), weight(value, budget)))
        return super().format_field(value, format_spec)  # type: ignore[misc]


class BoundedFormatter(_FormatCounting, SandboxedFormatter):
    pass


class BoundedEscapeFormatter(_FormatCounting, SandboxedEscapeFormatter):
    pass


# --- Methods called from templates --------------------------------------------------------


def _arg(args: tuple, kwargs: dict, position: int, name: str, default: Any) -> Any:
    return args[position] if len(args) > position else kwargs.get(name, default)


def _check_width(budget: Budget, owner: Any, args: tuple, kwargs: dict) -> None:
    width = _arg(args, kwargs, 0, "width", 0)
    if _is_int(width):
        budget.check_size(width, "a padded string")


def _check_expandtabs(budget: Budget, owner: Any, args: tuple, kwargs: dict) -> None:
    size = _arg(args, kwargs, 0, "tabsize", 8)
    if _is_int(size):
        tab = "\t" if isinstance(owner, str) else b"\t"
        budget.check_size(len(owner) + owner.count(tab) * max(size, 0), "a string")


def estimate_replace(owner: Any, old: Any, new: Any, count: Any) -> int:
    """An upper bound on len(owner.replace(old, new, count))."""
    if not isinstance(old, (str, bytes)) or not isinstance(new, (str, bytes)):
        return len(owner)
    try:
        found = len(owner) + 1 if not old else owner.count(old)
    except TypeError:  # str and bytes mixed: replace() will refuse it too
        return len(owner)
    if _is_int(count) and count >= 0:
        found = min(found, count)
    return len(owner) + found * max(len(new) - len(old), 0)


def _check_replace(budget: Budget, owner: Any, args: tuple, kwargs: dict) -> None:
    old, new = _arg(args, kwargs, 0, "old", ""), _arg(args, kwargs, 1, "new", "")
    count = _arg(args, kwargs, 2, "count", -1)
    budget.check_size(estimate_replace(owner, old, new, count), "a string")


def _check_translate(budget: Budget, owner: Any, args: tuple, kwargs: dict) -> None:
    table = _arg(args, kwargs, 0, "table", None)
    if isinstance(table, Mapping):
        budget.tick(len(table))
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        budget.check_size(len(owner) * max(longest, 1), "a string")


def _check_text_loop(budget: Budget, owner: Any, args: tuple, kwargs: dict) -> None:
    # Markup.striptags and unescape loop over tags and entities in Python.
    budget.tick(len(owner) // 4)


def _check_to_bytes(budget: Budget, owner: Any, args: tuple, kwargs: dict) -> None:
    length = _arg(args, kwargs, 0, "length", 1)
    if _is_int(length):
        budget.check_size(length, "a bytes value")


# Methods of str, bytes and int whose result can be far larger than their input.
_METHOD_CHECKS: dict[str, Callable[[Budget, Any, tuple, dict], None]] = {
    "center": _check_width,
    "ljust": _check_width,
    "rjust": _check_width,
    "zfill": _check_width,
    "expandtabs": _check_expandtabs,
    "replace": _check_replace,
    "translate": _check_translate,
    "to_bytes": _check_to_bytes,
    "striptags": _check_text_loop,
    "unescape": _check_text_loop,
}


def _joined_items(budget: Budget, separator: Any, items: Any) -> list[Any]:
    """`separator.join(items)`: the items, listed, once their total is known to fit."""
    items = list(counted(items, budget))
    size = sum(len(i) for i in items if isinstance(i, (str, bytes, bytearray)))
    budget.check_size(size + len(separator) * max(len(items) - 1, 0), "a joined string")
    return items


def _checked_method_args(budget: Budget, method: Any, args: tuple, kwargs: dict) -> tuple:
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, (str, bytes, bytearray, int)):
        return args
    name = getattr(method, "__name__", "")
    if name == "join" and args and not isinstance(owner, int):
        return (_joined_items(budget, owner, args[0]), *args[1:])
    check = _METHOD_CHECKS.get(name)
    if check is not None:
        check(budget, owner, args, kwargs)
    return args


def _call_may_fan_out(function: Any) -> bool:
    """Methods of values return parts of them (keys, items, split pieces), except
    dict.fromkeys, which gives one value to every key; dict() and other callables may
    repeat their arguments."""
    owner = getattr(function, "__self__", None)
    if isinstance(owner, (dict, list, tuple, str, bytes, set, frozenset)):
        return getattr(function, "__name__", "") == "fromkeys"
    return True


# --- Filters and tests --------------------------------------------------------------------
# Each check takes the filter's own arguments (after any context) and raises before the
# filter builds something too big or loops too long in Python.


def _pre_width(budget: Budget, value: Any = "", width: Any = 80, *rest: Any, **kw: Any) -> None:
    if _is_int(width):
        budget.check_size(max(width, weight(value, budget)), "a padded string")


def _pre_indent(budget: Budget, s: Any = "", width: Any = 4, *rest: Any, **kw: Any) -> None:
    unit = len(width) if isinstance(width, str) else width if _is_int(width) else 0
    lines = len(s.splitlines()) + 2 if isinstance(s, str) else 2
    budget.check_size(weight(s, budget) + lines * max(unit, 0), "an indented string")
    budget.tick(lines)


_BREAKS = re.compile(r"[\s-]")


def _pre_wordwrap(
    budget: Budget, s: Any = "", width: Any = 79, break_long_words: Any = True,
    wrapstring: Any = None, *rest: Any, **kw: Any,
) -> None:
    check_value(budget, s, "a string")
    text = s if isinstance(s, str) else ""
    # Every line ends at a break or after `width` characters; textwrap handles each chunk
    # in Python, so the chunks are charged up front.
    breaks = len(_BREAKS.findall(text))
    lines = breaks + len(text) // max(width if _is_int(width) else 1, 1) + 1
    budget.tick(lines + len(text) // 16)
    joint = len(wrapstring) if isinstance(wrapstring, str) else 1
    budget.check_size(len(text) + lines * joint, "a wrapped string")


def _pre_format(budget: Budget, value: Any = "", *args: Any, **kwargs: Any) -> None:
    if isinstance(value, str):
        check_printf(budget, value, kwargs or args)


def _pre_replace(
    budget: Budget, s: Any = "", old: Any = None, new: Any = None, count: Any = None, **kw: Any
) -> None:
    check_value(budget, s, "a string")
    if isinstance(s, str) and old is not None and new is not None:
        estimate = estimate_replace(s, str(old), str(new), -1 if count is None else count)
        budget.check_size(estimate, "a string")


def _pre_batch(
    budget: Budget, value: Any = (), count: Any = 1, fill_with: Any = None, **kw: Any
) -> None:
    _pre_per_item(budget, value)
    if _is_int(count):
        budget.check_size(count, "a batch")
        if fill_with is not None:
            budget.check_size(weight(fill_with, budget) * count, "a batch")


def _pre_slice(
    budget: Budget, value: Any = (), slices: Any = 1, fill_with: Any = None, **kw: Any
) -> None:
    _pre_batch(budget, value, slices, fill_with)
    if _is_int(slices):
        budget.tick(max(slices, 0))


def _pre_round(budget: Budget, value: Any = 0, precision: Any = 0, *rest: Any, **kw: Any) -> None:
    if _is_int(precision) and abs(precision) > MAX_ROUND_DIGITS:
        budget.stop(f"it would round to more than {MAX_ROUND_DIGITS} digits")


def _pre_urlize(budget: Budget, value: Any = "", *args: Any, **kwargs: Any) -> None:
    check_value(budget, value, "a string")
    text = value if isinstance(value, str) else ""
    budget.tick(len(text) // 4)
    # Each word may become a link carrying the target and rel attributes.
    extras = sum(len(v) for v in chain(args, kwargs.values()) if isinstance(v, str))
    words = len(_BREAKS.findall(text)) + 1
    budget.check_size(3 * len(text) + words * (extras + 64), "a string")


def _pre_stringify(budget: Budget, value: Any = "", *args: Any, **kwargs: Any) -> None:
    # Escaping, quoting and case mapping may multiply a string a few times: refuse the
    # input before the multiple is built.
    if isinstance(value, str):
        budget.check_size(len(value), "a string")


def _pre_text_loop(budget: Budget, value: Any = "", *args: Any, **kwargs: Any) -> None:
    # These work word by word, tag by tag or character by character in Python.
    _pre_stringify(budget, value)
    if isinstance(value, str):
        budget.tick(len(value) // 4)
    else:
        _pre_per_item(budget, value)


def _pre_pprint(budget: Budget, value: Any = None, *args: Any, **kwargs: Any) -> None:
    # pprint walks in Python, several steps per item.
    budget.tick(check_value(budget, value, "a string"))


def _pre_per_item(budget: Budget, value: Any = (), *args: Any, **kwargs: Any) -> None:
    # These filters loop over their input in Python: one step per item, up front. Lazy
    # inputs come from filters that charge per item already.
    if isinstance(value, (list, tuple, dict, set, frozenset, range)):
        budget.tick(len(value))


_FILTER_CHECKS: dict[str, Callable[..., None]] = {
    "center": _pre_width,
    "indent": _pre_indent,
    "wordwrap": _pre_wordwrap,
    "format": _pre_format,
    "replace": _pre_replace,
    "batch": _pre_batch,
    "slice": _pre_slice,
    "round": _pre_round,
    "urlize": _pre_urlize,
    "pprint": _pre_pprint,
}
for _name in (
    "string", "safe", "e", "escape", "forceescape", "capitalize", "upper", "lower", "trim",
    "wordcount", "truncate", "tojson",
):
    _FILTER_CHECKS[_name] = _pre_stringify
for _name in ("title", "striptags", "urlencode", "xmlattr"):
    _FILTER_CHECKS[_name] = _pre_text_loop
for _name in (
    "map", "select", "reject", "selectattr", "rejectattr", "sort", "unique", "groupby",
    "dictsort", "items", "min", "max", "join", "list", "sum",
):
    _FILTER_CHECKS[_name] = _pre_per_item


def _fills(args: tuple, kwargs: dict) -> bool:  # batch, slice: (value, count, fill_with)
    return _arg(args, kwargs, 2, "fill_with", None) is not None


def _maps_with_arguments(args: tuple, kwargs: dict) -> bool:
    # map('upper') and map(attribute='x') give each item's own parts; map('default', v),
    # map('batch', 2, v) or map(attribute='x', default=v) may give `v` for every item.
    if len(args) > 1:
        return len(args) > 2 or bool(kwargs)
    return bool(set(kwargs) - {"attribute"})


# Filters whose result may hold one value many times: a group's key also sits in each of
# its items, and sum(start=[...]) concatenates whatever it is given.
_FAN_OUT_FILTERS: dict[str, Callable[[tuple, dict], bool]] = {
    "groupby": lambda args, kwargs: True,
    "sum": lambda args, kwargs: True,
    "batch": _fills,
    "slice": _fills,
    "map": _maps_with_arguments,
}


def guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    check = _FILTER_CHECKS.get(name)
    fan_out = _FAN_OUT_FILTERS.get(name)
    skip = 1 if _PassArg.from_obj(func) is not None else 0

    @wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = current_budget()
        budget.tick()
        own = args[skip:]
        if check is not None:
            check(budget, *own, **kwargs)
        result = func(*args, **kwargs)
        if type(result) in _SCALARS:  # most filters: skip the container questions
            return checked_result(budget, result)
        fans_out = (fan_out is not None and fan_out(own, kwargs)) or (
            bool(own) and isinstance(own[0], FanOutItems)  # collecting a fan-out
        )
        return checked_result(budget, result, fans_out)

    return guarded


def guard_test(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        current_budget().tick()
        return func(*args, **kwargs)

    return guarded


@pass_eval_context
def bounded_join(eval_ctx: EvalContext, value: Any, d: Any = "", attribute: Any = None) -> str:
    """Jinja's join, with the total known before the string is built: `[s]*1000|join` is
    small as a list and huge as a string."""
    budget = current_budget()
    items = list(value) if isinstance(value, (list, tuple)) else list(counted(value, budget))
    if attribute is not None:
        items = list(map(make_attrgetter(eval_ctx.environment, attribute), items))
    size = sum(weight(item, budget) for item in items)
    size += weight(d, budget) * max(len(items) - 1, 0)
    budget.check_size(size, "a joined string")
    return sync_do_join(eval_ctx, items, d)


@pass_environment
def bounded_sum(environment: Any, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    """Jinja's sum; lists and tuples are concatenated once instead of copied per item."""
    if not isinstance(start, (list, tuple)):
        return sync_do_sum(environment, iterable, attribute, start)
    if attribute is not None:
        iterable = map(make_attrgetter(environment, attribute), iterable)
    parts = [start, *counted(iterable, current_budget())]
    for part in parts:
        if not isinstance(part, type(start)):
            raise TypeError(
                f"can only concatenate {type(start).__name__} "
                f"(not {type(part).__name__!r}) to {type(start).__name__}"
            )
    current_budget().check_size(sum(len(part) for part in parts), f"a {type(start).__name__}")
    return type(start)(chain.from_iterable(parts))


def bounded_json(value: Any, indent: Any = None, **options: Any) -> str:
    """json.dumps for templates: an indented dump, whose size grows with depth times
    indent rather than with the value, is cut off as it grows."""
    budget = current_budget()
    if indent is None:
        return json.dumps(value, **options)  # as big as the value printed: bounded
    width = len(indent) if isinstance(indent, str) else indent if _is_int(indent) else 0
    if width > MAX_JSON_INDENT:
        budget.stop(f"it would indent JSON by more than {MAX_JSON_INDENT} characters")
    parts, size = [], 0
    for part in json.JSONEncoder(indent=indent, **options).iterencode(value):
        size += len(part)
        budget.check_size(size, "a JSON text")
        budget.tick()
        parts.append(part)
    return "".join(parts)


# --- Globals ------------------------------------------------------------------------------


def bounded_range(*args: Any) -> range:
    """The sandbox's range (at most 100,000 items), charged its length when created, so
    nested loops run out of steps whatever their bodies do."""
    numbers = safe_range(*args)
    current_budget().tick(len(numbers))
    return numbers


def bounded_cycler(*items: Any) -> Cycler:
    check_value(current_budget(), items, "a cycler")
    return Cycler(*items)


def bounded_lipsum(n: Any = 5, html: Any = True, min: Any = 20, max: Any = 100) -> str:
    budget = current_budget()
    if _is_int(n) and _is_int(max):
        words = n * max
        if words > MAX_LIPSUM_WORDS:
            budget.stop(f"it would generate more than {MAX_LIPSUM_WORDS:,} words")
        budget.tick(words)
    return generate_lorem_ipsum(n, html, min, max)


class BoundedNamespace(Namespace):
    """`namespace()`, whose attributes together stay within MAX_VALUE_SIZE: printing a
    namespace prints all of them, and `{% set ns.x = ... %}` has no other hook."""

    def __init__(*args: Any, **kwargs: Any) -> None:  # noqa: B902 - as Namespace does
        self = args[0]
        Namespace.__init__(*args, **kwargs)
        budget = current_budget()
        attrs = object.__getattribute__(self, "_Namespace__attrs")
        sizes = {name: weight(value, budget) for name, value in attrs.items()}
        object.__setattr__(self, "_bounded_sizes", sizes)
        budget.check_size(namespace_weight(self), "a namespace")

    def __setitem__(self, name: str, value: Any) -> None:
        budget = current_budget()
        sizes = object.__getattribute__(self, "_bounded_sizes")
        previous = sizes.get(name)
        sizes[name] = weight(value, budget)
        if namespace_weight(self) > MAX_VALUE_SIZE:
            if previous is None:
                del sizes[name]
            else:
                sizes[name] = previous
            budget.check_size(MAX_VALUE_SIZE + 1, "a namespace")
        Namespace.__setitem__(self, name, value)


def namespace_weight(namespace: BoundedNamespace) -> int:
    # Namespace answers every attribute lookup from its items, hence object.__getattribute__.
    sizes = object.__getattribute__(namespace, "_bounded_sizes")
    return sum(sizes.values()) + len(sizes)


@pass_context
def _finalize(context: Any, value: Any) -> str:
    """Every `{{ ... }}` passes here, also inside macros and `{% set %}` blocks, whose
    buffers grow without reaching the output cap: what they print is charged."""
    budget = current_budget()
    if not isinstance(value, str):
        value = str(value)  # bounded: every value a template builds was checked
    budget.build(len(value))
    return value


def bounded_concat(parts: Iterable[str]) -> str:
    """`environment.concat`, which joins macro bodies, blocks and `{% set %}` blocks."""
    parts = parts if isinstance(parts, list) else list(parts)
    budget = current_budget()
    size = sum(map(len, parts))
    budget.check_size(size, "a string")
    budget.build(size)
    return "".join(parts)


# --- Compiling ----------------------------------------------------------------------------


def _constant(items: Iterable[nodes.Node]) -> bool:
    return all(isinstance(item, nodes.Const) for item in items)


class BoundedCodeGenerator(CodeGenerator):
    """Compiles without evaluating anything, and routes the operations that can do a lot of
    work at render time through the environment's hooks."""

    def _output_child_to_const(self, node: nodes.Expr, frame: Frame, finalize: Any) -> str:
        # Folding an output expression runs it, here in the web process; only text is folded.
        if not isinstance(node, nodes.TemplateData):
            raise nodes.Impossible()
        return super()._output_child_to_const(node, frame, finalize)

    def visit_EvalContextModifier(self, node: nodes.EvalContextModifier, frame: Frame) -> None:
        # As Jinja's, but `{% autoescape expr %}` is evaluated at compile time only when the
        # expression is a literal: as_const would run filters such as center(10**9).
        for keyword in node.options:
            self.writeline(f"context.eval_ctx.{keyword.key} = ")
            self.visit(keyword.value, frame)
            if isinstance(keyword.value, nodes.Const):
                setattr(frame.eval_ctx, keyword.key, keyword.value.value)
            else:
                frame.eval_ctx.volatile = True

    def _hooked(
        self, hook: str, visit: Callable[..., None], node: nodes.Node, frame: Frame
    ) -> None:
        self.write(f"environment.{hook}(")
        visit(node, frame)
        self.write(")")

    def visit_Compare(self, node: nodes.Compare, frame: Frame) -> None:
        self._hooked("bounded_compared", super().visit_Compare, node, frame)

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        if _constant(node.items):
            super().visit_List(node, frame)
        else:
            self._hooked("bounded_literal", super().visit_List, node, frame)

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load" or _constant(node.items):
            super().visit_Tuple(node, frame)
        else:
            self._hooked("bounded_literal", super().visit_Tuple, node, frame)

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        if _constant(chain.from_iterable((pair.key, pair.value) for pair in node.items)):
            super().visit_Dict(node, frame)
        else:
            self._hooked("bounded_literal", super().visit_Dict, node, frame)

    def visit_Getitem(self, node: nodes.Getitem, frame: Frame) -> None:
        if isinstance(node.arg, nodes.Slice):  # slices bypass environment.getitem
            self._hooked("bounded_slice", super().visit_Getitem, node, frame)
        else:
            super().visit_Getitem(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_join((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("), context.eval_ctx.autoescape)")


class TokenLimit(Extension):
    """Counts tokens as the parser pulls them, so an over-long template stops early."""

    def filter_stream(self, stream: Any) -> Iterator[Any]:
        for count, token in enumerate(stream, 1):
            if count > MAX_TEMPLATE_TOKENS:
                raise TemplateRejected(
                    f"the template has more than {MAX_TEMPLATE_TOKENS:,} tags, names and "
                    f"operators (it stopped on line {token.lineno})"
                )
            yield token


class BoundedTemplate(Template):
    """Every render of a bounded template runs against a budget."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        with bounded_run("template"):
            return super().render(*args, **kwargs)

    def generate(self, *args: Any, **kwargs: Any) -> Iterator[str]:
        with bounded_run("template"):
            yield from super().generate(*args, **kwargs)


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    code_generator_class = BoundedCodeGenerator
    template_class = BoundedTemplate
    # Intercepted operators are never folded at compile time (BinExpr.as_const).
    intercepted_binops = _ARITHMETIC
    intercepted_unops = frozenset({"+", "-"})
    concat = staticmethod(bounded_concat)

    def __init__(self, **options: Any) -> None:
        options["optimized"] = False
        options["finalize"] = _finalize
        options["extensions"] = [*options.get("extensions", ()), TokenLimit]
        super().__init__(**options)
        self.globals.update(
            range=bounded_range, namespace=BoundedNamespace, cycler=bounded_cycler,
            lipsum=bounded_lipsum,
        )
        self.filters.update(join=bounded_join, sum=bounded_sum)
        self.filters = {name: guard_filter(name, f) for name, f in self.filters.items()}
        self.tests = {name: guard_test(test) for name, test in self.tests.items()}  # type: ignore[arg-type]

    def add_filters(self, filters: Mapping[str, Callable[..., Any]]) -> None:
        for name, func in filters.items():
            self.filters[name] = guard_filter(name, func)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        # `{% for x in it %}` becomes `for x in environment.bounded_iterate(it)`.
        for loop in list(tree.find_all(nodes.For)):
            hook = nodes.EnvironmentAttribute("bounded_iterate", lineno=loop.lineno)
            loop.iter = nodes.Call(hook, [loop.iter], [], None, None, lineno=loop.lineno)
            loop.iter.set_environment(self)
        return tree

    # Hooks the generated code calls (templates cannot reach `environment` themselves).

    def bounded_iterate(self, items: Any) -> CountedIterable:
        return CountedIterable(items, current_budget())

    def bounded_compared(self, result: Any) -> Any:
        # Comparing big values is one C call each; read the clock after every one.
        budget = current_budget()
        budget.steps += 1
        budget.check_clock()
        return result

    def bounded_literal(self, value: Any) -> Any:
        # A new literal holds only existing values: sum them rather than walk it.
        budget = current_budget()
        budget.build_items(len(value))
        size = len(value) + sum(weight(item, budget) for item in _children(value))
        budget.check_size(size, _kind(value))
        remember(budget, value, size)
        return value

    def bounded_slice(self, value: Any) -> Any:
        budget = current_budget()
        if isinstance(value, (str, bytes)):
            budget.build(len(value))
        elif isinstance(value, (list, tuple)):
            budget.build_items(len(value))
        else:
            budget.tick()
        return value

    def bounded_join(self, values: tuple, autoescape: bool) -> str:
        """`a ~ b`: each operand as a string is bounded already; their total is checked
        before it is built."""
        budget = current_budget()
        if autoescape:
            budget.check_size(sum(weight(value, budget) for value in values), "a string")
            joined = markup_join(values)
            budget.build(len(joined))
            return joined
        parts = [value if isinstance(value, str) else str(value) for value in values]
        size = sum(map(len, parts))
        budget.check_size(size, "a string")
        budget.build(size)
        return "".join(parts)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        budget = current_budget()
        budget.tick()
        check = _BINOP_CHECKS.get(operator)
        size = check(budget, left, right) if check is not None else None
        result = self.binop_table[operator](left, right)
        if isinstance(result, int):
            budget.check_int(result.bit_length())
        elif size is not None:
            remember(budget, result, size)
        return result

    def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
        current_budget().tick()
        return self.unop_table[operator](arg)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        budget = current_budget()
        budget.tick()
        if isinstance(obj, LoopContext) and args:  # loop(children) in a recursive loop
            args = (CountedIterable(args[0], budget), *args[1:])
        args = _checked_method_args(budget, obj, args, kwargs)
        if not isinstance(obj, Macro):
            result = super().call(context, obj, *args, **kwargs)
            return checked_result(budget, result, _call_may_fan_out(obj))
        budget.depth += 1
        try:
            if budget.depth > MAX_MACRO_DEPTH:
                budget.stop(f"macros call each other more than {MAX_MACRO_DEPTH} deep")
            return checked_result(budget, super().call(context, obj, *args, **kwargs))
        finally:
            budget.depth -= 1

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """As the sandbox's, with formatters that charge each field before formatting it."""
        if not isinstance(value, (MethodType, BuiltinMethodType)) or value.__name__ not in (
            "format", "format_map",
        ):
            return None
        owner = value.__self__
        if not isinstance(owner, str):
            return None
        formatter: SandboxedFormatter
        if isinstance(owner, Markup):
            formatter = BoundedEscapeFormatter(self, escape=owner.escape)
        else:
            formatter = BoundedFormatter(self)
        is_format_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs:
                    raise TypeError("format_map() takes no keyword arguments")
                if len(args) != 1:
                    raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
                kwargs, args = args[0], ()
            return type(owner)(formatter.vformat(owner, args, kwargs))

        return update_wrapper(wrapper, value)


def compile_source(environment: BoundedEnvironment, source: str) -> Template:
    """The compiled template, TemplateSyntaxError, or TemplateRejected with a reason."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateRejected(f"the template is longer than {MAX_TEMPLATE_CHARS:,} characters")
    try:
        return environment.from_string(source)
    except (TemplateSyntaxError, TemplateRejected):
        raise
    except RecursionError:
        raise TemplateRejected("the template is nested too deeply") from None
    except MemoryError:
        raise TemplateRejected("the template is too complex to compile") from None
    except SyntaxError as exc:  # Python's, on the generated code: too many nested blocks
        raise TemplateRejected(f"the template is nested too deeply ({exc.msg})") from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer literal of 5,000 digits
        raise TemplateRejected(f"the template cannot be compiled: {exc}") from None


def render_bounded(template: Template, names: dict[str, Any], max_chars: int) -> str:
    """Renders chunk by chunk and stops as soon as the output passes `max_chars`."""
    with bounded_run("template") as budget:
        stream: Any = template.generate(names)
        chunks: list[str] = []
        size = 0
        try:
            for chunk in stream:
                size += len(chunk)
                if size > max_chars:
                    budget.stop(f"its output would be longer than {max_chars:,} characters")
                chunks.append(chunk)
        finally:
            stream.close()
        return "".join(chunks)
