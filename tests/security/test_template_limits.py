"""Templates and JMESPath expressions cannot make a process spend unbounded time or memory.
(One module: every attack on the one bounded sandbox, flows/nodes/bounded_jinja.py.)

A template is checked in the web process on every save, validate and run start, and
rendered in workers (and, for inline nodes, in the web request). Before these limits one
`{% set x = 9**(3*9**7) %}` took 14 s to *compile*, since Jinja folds constants; `9**(9**9)`
would take hours. Each attack below runs in a forked child that is killed after
CHILD_TIMEOUT, so that an unbounded template fails the test instead of hanging the run; the
times asserted are bounds on an attack, not speed targets.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from flows.nodes import bounded_jinja, templating
from tests.conftest import api_client, join
from tests.helpers import edge, graph, make_flow, node

CHILD_TIMEOUT = 20.0
CHECK_SECONDS = 1.0
# Renders stop at a deadline of about a second; the rest is room for a loaded CI machine.
RENDER_SECONDS = 2.0


def in_child(function: Callable[..., Any], *args: Any) -> tuple[list[str], str, float]:
    """Runs `function(*args)` in a forked child: (the exception's class names, or
    ["returned"]; its message or the value's repr; CPU seconds the call took)."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        # CPU time, not wall time: what the call costs, whatever else the machine is doing.
        start = time.process_time()
        try:
            value = function(*args)
            outcome, detail = ["returned"], repr(value)[:300]
        except BaseException as exc:  # noqa: BLE001 - reported to the parent as it is
            outcome, detail = [c.__name__ for c in type(exc).__mro__], str(exc)[:300]
        sender.send((outcome, detail, time.process_time() - start))

    process = context.Process(target=child, daemon=True)
    process.start()
    try:
        if not receiver.poll(CHILD_TIMEOUT):
            pytest.fail(f"still running after {CHILD_TIMEOUT:g} s: {args[0][:80]!r}")
        return receiver.recv()
    finally:
        process.kill()
        process.join()


def fresh(source: str) -> str:
    """The same template with a unique comment, so no compile cache answers for it."""
    return f"{source}{{# {uuid.uuid4().hex} #}}"


def assert_render_stops(source: str, *phrases: str, value: Any = None) -> str:
    outcome, message, seconds = in_child(templating.render, source, value)
    assert "NodeError" in outcome, (outcome, message)
    assert any(phrase in message for phrase in phrases), message
    assert seconds < RENDER_SECONDS, (seconds, message)
    return message


# --- Compile time: no folding, so the check is quick; the render names the limit ---------

FOLDED_BEFORE = [
    "{% set x = 9**(3*9**7) %}ok",
    "{{ 9**(9**9) }}",
    "{{ 'x'*(10**9) }}",
    "{{ 'x'|center(10**9) }}",
    "{{ 'x'|center(1000000000) }}",
    "{{ 'x' * 1000000000 }}",
    "{% autoescape 'x'|center(1000000000) %}x{% endautoescape %}",
    "{{ [1] * 1000000000 }}",
]


@pytest.mark.parametrize("source", FOLDED_BEFORE)
def test_constant_expressions_are_not_computed_when_checking(source):
    outcome, detail, seconds = in_child(templating.check_template, fresh(source))
    assert outcome == ["returned"], detail
    assert seconds < CHECK_SECONDS


@pytest.mark.parametrize(
    "source, phrase",
    [
        ("{% set x = 9**(3*9**7) %}ok", "a number of more than 4096 bits"),
        ("{{ 9**(9**9) }}", "a number of more than 4096 bits"),
        ("{{ 2**5000 }}", "a number of more than 4096 bits"),
        ("{{ (2**4000) * (2**4000) }}", "a number of more than 4096 bits"),
        ("{{ 'x'*(10**9) }}", "a string of more than 4,000,000"),
        ("{{ [1, 2] * 10**9 }}", "a list of more than 4,000,000"),
        ("{{ 'x'|center(10**9) }}", "a padded string of more than 4,000,000"),
        ("{% autoescape 'x'|center(1000000000) %}x{% endautoescape %}", "a padded string"),
    ],
)
def test_big_numbers_and_repeats_stop_at_render_naming_the_limit(source, phrase):
    message = assert_render_stops(source, phrase)
    assert message.startswith("template stopped: it would")


# --- Render time: loops, recursion, growth, formatting --------------------------------------

BIG = "{% set s = 'x' * 1000000 %}"


@pytest.mark.parametrize(
    "source, phrases",
    [
        pytest.param(
            "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
            ("steps", "ran for more than"), id="nested-range-loops",
        ),
        pytest.param(
            "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
            "{% endfor %}{% endfor %}{% endfor %}",
            ("steps", "ran for more than"), id="three-nested-loops",
        ),
        pytest.param(
            "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
            "{{ f(40) }}",
            ("steps", "ran for more than"), id="exponential-recursive-macro",
        ),
        pytest.param(
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
            ("macros call each other more than 50 deep",), id="endless-recursive-macro",
        ),
        pytest.param(
            "{% set ns = namespace(s='x') %}{% for i in range(64) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
            ("a string of more than 4,000,000",), id="doubling-concatenation",
        ),
        pytest.param(
            "{% set ns = namespace(s='x') %}{% for i in range(64) %}"
            "{% set ns.s = ns.s + ns.s %}{% endfor %}",
            ("a string of more than 4,000,000",), id="doubling-plus",
        ),
        pytest.param(BIG + "{{ ([s] * 1000)|join }}", ("more than 4,000,000",), id="join-repeats"),
        pytest.param(BIG + "{{ ''.join([s] * 1000) }}", ("more than 4,000,000",), id="str-join"),
        pytest.param(BIG + "{{ [s] * 1000 }}", ("a list of more than",), id="print-repeats"),
        pytest.param(
            "{% set a = 'xxxxxxxx' %}" + "{% set a = [a, a] %}" * 40 + "{{ a == a }}",
            ("a list of more than",), id="shared-list-doubling",
        ),
        pytest.param(
            BIG + "{{ {}.fromkeys(range(100000), s) }}", ("more than 4,000,000",), id="fromkeys"
        ),
        pytest.param(
            BIG + "{{ ([none] * 1000)|map('default', s, true)|list }}",
            ("more than 4,000,000", "in all"), id="map-repeating-an-argument",
        ),
        pytest.param("{{ '%1000000000d' % 1 }}", ("a formatted field",), id="percent-width"),
        pytest.param("{{ '%*d' % (10**9, 1) }}", ("a formatted field",), id="percent-star"),
        pytest.param("{{ '%.900000000f' % 1.5 }}", ("a formatted field",), id="percent-precision"),
        pytest.param(
            "{{ '%1000000000d'.encode() % 1 }}", ("a formatted field",), id="bytes-percent"
        ),
        pytest.param(
            "{{ '%1000000000s'|format('x') }}", ("a formatted field",), id="format-filter"
        ),
        pytest.param("{{ '{:>1000000000}'.format(1) }}", ("a formatted field",), id="str-format"),
        pytest.param("{{ '{:{}}'.format(1, 10**9) }}", ("a formatted field",), id="nested-spec"),
        pytest.param("{{ 'x'.ljust(10**9) }}", ("a padded string",), id="ljust"),
        pytest.param("{{ 'x'.zfill(10**9) }}", ("a padded string",), id="zfill"),
        pytest.param("{{ ('\t' * 1000).expandtabs(10**6) }}", ("a string of",), id="expandtabs"),
        pytest.param(
            "{{ ('x' * 100000).replace('x', 'y' * 100000) }}", ("a string of",), id="replace"
        ),
        pytest.param("{{ 'x'|indent(10**9, true) }}", ("an indented string",), id="indent"),
        pytest.param(
            "{{ ('a ' * 100000)|wordwrap(1, wrapstring='y' * 100000) }}",
            ("a wrapped string",), id="wordwrap",
        ),
        pytest.param("{{ [1]|batch(10**9, 'x')|list }}", ("a batch",), id="batch"),
        pytest.param("{{ [1]|slice(10**9)|list }}", ("a batch",), id="slice"),
        pytest.param("{{ 1.5|round(10**9, 'floor') }}", ("round to more than",), id="round"),
        pytest.param("{{ (1).to_bytes(10**9, 'big') }}", ("a bytes value",), id="to-bytes"),
        pytest.param("{{ lipsum(10**9) }}", ("words",), id="lipsum"),
        pytest.param(
            "{% set x %}{% for i in range(100000) %}{{ 'y' * 1000 }}{% endfor %}{% endset %}",
            ("in all",), id="set-block-buffer",
        ),
        pytest.param(
            "{% set ns = namespace(x=1) %}{% for i in range(900) %}{% set ns.x = [ns.x] %}"
            "{% endfor %}{{ ns.x|tojson(indent=64) }}",
            ("a JSON text",), id="deep-indented-json",
        ),
        pytest.param(
            "{% set a = ['x' * 1000] * 3000 %}{% set b = ['x' * 1000] * 3000 %}"
            "{% for i in range(100000) %}{% if a == b %}{% endif %}{% endfor %}",
            ("steps", "ran for more than"), id="comparing-big-values",
        ),
    ],
)
def test_runaway_renders_stop_quickly_with_a_clear_error(source, phrases):
    message = assert_render_stops(source, *phrases)
    assert message.startswith("template stopped: ")


def test_the_output_cap_stops_a_big_output_early():
    # 100 million characters if it ran to the end; it stops after two million.
    source = "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}"
    outcome, message, seconds = in_child(templating.render, source, None)
    assert "NodeError" in outcome
    assert message == "template stopped: its output would be longer than 2,000,000 characters"
    assert seconds < 0.5


def test_work_on_the_input_data_counts_too():
    # Not an amplification, but a loop over a big input still runs against the deadline.
    source = "{% for r in input %}{% for s in input %}{% endfor %}{% endfor %}"
    assert_render_stops(source, "steps", "ran for more than", value=list(range(5000)))


# --- Check time: what cannot be compiled within bounds is a validation error --------------


@pytest.mark.parametrize(
    "source, phrase",
    [
        ("{{ " + "(" * 1000 + "1" + ")" * 1000 + " }}", "nested too deeply"),
        ("{{ " + "[" * 1000 + "]" * 1000 + " }}", "nested too deeply"),
        ("{{ " + "+".join(["a"] * 1500) + " }}", "nested too deeply"),
        ("{% if a %}" * 200 + "{% endif %}" * 200, "nested too deeply"),
        ("{% for a in b %}" * 30 + "{% endfor %}" * 30, "nested too deeply"),
        ("x" * 100_001, "longer than 100,000 characters"),
        ("{{ a }}" * 2500, "more than 5,000 tags, names and operators"),
        ("{{ " + "9" * 5000 + " }}", "cannot be compiled"),
    ],
)
def test_templates_too_deep_or_too_long_are_refused_when_checked(source, phrase):
    outcome, message, seconds = in_child(templating.check_template, fresh(source))
    assert outcome[:2] == ["CheckRefused", "ValueError"], (outcome, message)
    assert message.startswith("template refused: ") and phrase in message, message
    assert seconds < CHECK_SECONDS
    outcome, message, _ = in_child(templating.render, fresh(source), None)
    assert "FatalNodeError" in outcome and phrase in message


def test_the_largest_accepted_template_compiles_quickly():
    # The token limit, spent on the construct that compiles slowest, plus static text up to
    # the character limit.
    names = (bounded_jinja.MAX_TEMPLATE_TOKENS - 10) // 2
    chain = "{{ " + " < ".join(["a"] * names) + " }}"
    source = chain + "x" * (100_000 - len(chain) - 60)
    outcome, detail, seconds = in_child(templating.check_template, fresh(source))
    assert outcome == ["returned"], detail
    assert seconds < CHECK_SECONDS


def test_ordinary_templates_render_as_before():
    value = {"rows": [{"n": 1, "ok": True}, {"n": 2, "ok": False}], "name": "Ada"}
    source = (
        "{% set ns = namespace(total=0) %}{% for r in rows if r.ok %}{% set ns.total = "
        "ns.total + r.n %}{% endfor %}{{ name|upper }} {{ ns.total }} "
        "{{ rows|map(attribute='n')|join(',') }} {{ '%s-%03d' % ('a', 7) }} "
        "{{ '{:>4}'.format('x') }} {{ [1, 2] + [3] }} {{ 2 ** 10 }} {{ input|tojson }}"
    )
    expected = (
        'ADA 1 1,2 a-007    x [1, 2, 3] 1024 {"rows": [{"n": 1, "ok": true}, '
        '{"n": 2, "ok": false}], "name": "Ada"}'
    )
    assert templating.render(source, value) == expected


def test_building_a_list_item_by_item_still_works_for_thousands_of_items():
    # The immutable sandbox has no append: `ns.items + [x]` copies, so the total built grows
    # with the square of the length; a few thousand items stay within the budget.
    source = (
        "{% set ns = namespace(items=[]) %}{% for r in input %}"
        "{% set ns.items = ns.items + [r.n] %}{% endfor %}{{ ns.items|length }}"
    )
    assert templating.render(source, [{"n": i} for i in range(2500)]) == "2500"


def test_a_graph_check_can_share_one_time_budget_among_its_templates():
    # A request body may hold hundreds of templates that each compile within bounds.
    with templating.check_budget(0.0):
        with pytest.raises(ValueError, match="together take more than 0 s to check"):
            templating.check_template(fresh("{{ a }}"))
        with pytest.raises(ValueError, match="together take more than 0 s to check"):
            templating.check_expression("a.b")
    assert templating.check_template("{{ a }}") == "{{ a }}"


# --- JMESPath ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression, phrase",
    [
        ("(" * 1000 + "a" + ")" * 1000, "nested too deeply"),
        ("!" * 5000 + "a", "nested too deeply"),
        ("|".join(["a"] * 4000), "nested too deeply"),
        ("a" + ".b" * 6000, "longer than 10,000 characters"),
        ("a[" + "9" * 5000 + "]", "cannot be parsed"),
    ],
)
def test_expressions_too_deep_or_too_long_are_refused(expression, phrase):
    outcome, message, seconds = in_child(templating.check_expression, expression)
    assert outcome[:2] == ["CheckRefused", "ValueError"] and phrase in message, (outcome, message)
    assert seconds < CHECK_SECONDS
    outcome, message, _ = in_child(templating.search, expression, {})
    assert "FatalNodeError" in outcome and phrase in message


@pytest.mark.parametrize(
    "expression",
    [
        "|".join(["[@,@]"] * 30) + "|to_string(@)",
        "|".join(["[@,@]"] * 30),
        "|".join(["{a: @, b: @}"] * 30),
        "|".join(["[*].[@,@]"] * 30),
        "|".join(["map(&[@,@], @)"] * 30),
        "|".join(["merge({a: @}, {b: @})"] * 30),
    ],
)
def test_expressions_that_double_a_value_stop_quickly(expression):
    outcome, message, seconds = in_child(templating.search, expression, ["x" * 16])
    assert "NodeError" in outcome, (outcome, message)
    assert message.startswith("JMESPath expression stopped: it would build a value of more than")
    assert seconds < RENDER_SECONDS


def test_ordinary_expressions_search_as_before():
    data = {"items": [{"ok": True, "n": 1}, {"ok": False, "n": 2}], "a": {"b": "c"}}
    assert templating.search("items[?ok].n", data) == [1]
    assert templating.search("{first: items[0].n, pair: [a.b, a.b]}", data) == {
        "first": 1, "pair": ["c", "c"],
    }
    assert templating.search("join(',', items[*].to_string(n))", data) == "1,2"
    assert templating.search("sort_by(items, &n)[-1].n", data) == 2


# --- Through the API ------------------------------------------------------------------------

SIMPLE = graph([node("in", "input"), node("out", "output")], [edge("in", "out")])
HOSTILE = graph(
    [
        node("in", "input"),
        node("power", "template", template="{% set x = 9**(3*9**7) %}ok"),
        node("deep", "template", template="{{ " + "(" * 1000 + "1" + ")" * 1000 + " }}"),
        node("out", "output"),
    ],
    [edge("in", "power"), edge("power", "deep"), edge("deep", "out")],
)


@pytest.mark.django_db
def test_a_viewer_validating_a_hostile_graph_gets_a_quick_answer_naming_the_node(
    alice, alice_team, carol
):
    flow = make_flow(alice, SIMPLE)
    join(carol, alice_team, "viewer")
    start = time.monotonic()
    response = api_client(carol).post(
        f"/api/flows/{flow.id}/validate/", {"graph": HOSTILE}, format="json"
    )
    seconds = time.monotonic() - start
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["valid"] is False
    refused = [e for e in body["errors"] if e.get("node_id") == "deep"]
    assert len(refused) == 1 and "template refused: the template is nested too deeply" in (
        refused[0]["message"]
    ), body
    # The power template compiles (nothing is computed); it fails only when rendered.
    assert not [e for e in body["errors"] if e.get("node_id") == "power"]
    assert seconds < 2 * CHECK_SECONDS


@pytest.mark.django_db
def test_saving_a_hostile_graph_answers_400_naming_the_node(alice):
    flow = make_flow(alice, SIMPLE)
    start = time.monotonic()
    response = api_client(alice).patch(f"/api/flows/{flow.id}/", {"graph": HOSTILE}, format="json")
    seconds = time.monotonic() - start
    assert response.status_code == 400, response.content[:300]
    errors = response.json()["errors"]
    assert any(e.get("node_id") == "deep" and "nested too deeply" in e["message"] for e in errors)
    assert seconds < 2 * CHECK_SECONDS
    flow.refresh_from_db()
    assert flow.graph == SIMPLE


def test_the_code_nodes_check_does_not_compile_to_bytecode():
    """CPython's compiler is quadratic on many identical bodies; the check must stay fast."""
    from flows.nodes.code import CodeNode

    source = "x = [\n" + "lambda: 1,\n" * 18_000 + "]\ndef main(input):\n    return input\n"
    assert len(source) < 200_000
    began = time.thread_time()
    CodeNode().parse_config({"code": source})
    assert time.thread_time() - began < 1.5
    with pytest.raises(Exception, match="syntax error on line 2"):
        CodeNode().parse_config({"code": "def main(input):\n    return (\n"})


def test_cron_expressions_are_bounded_before_parsing():
    from orchestrator_site.problems import Invalid
    from triggers.services import check_cron

    with pytest.raises(Invalid):
        check_cron("*/5 " + "1," * 200_000 + "1 * * *")


@pytest.mark.django_db
def test_a_graph_of_many_costly_templates_is_checked_within_a_bounded_time(alice):
    from tests.conftest import api_client
    from tests.helpers import graph, make_flow, node

    costly = "{{ " + " ~ ".join(f"a{n}" for n in range(2500)) + " }}"
    nodes = [node(f"t{n}", "template", template=costly + f"{n}") for n in range(60)]
    flow = make_flow(alice, graph([], []))
    began = time.monotonic()
    answer = api_client(alice).post(
        f"/api/flows/{flow.id}/validate/", {"graph": graph(nodes, [])}, format="json"
    )
    elapsed = time.monotonic() - began
    assert answer.status_code == 200
    assert elapsed < 6, elapsed
    assert any("not checked" in error["message"] for error in answer.json()["errors"])
