"""The core node types on their own, with a context double."""

from dataclasses import dataclass, field
from typing import Any

import pytest

from flows.nodes import get_node_type
from flows.nodes.base import Arrival, Emit, FatalNodeError, NodeError, Suspend


@dataclass
class Context:
    run_inputs: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    run_id: str = "r"
    node_id: str = "n"
    attempt: int = 1
    idempotency_key: str = "test-key"

    def cancelled(self) -> bool:
        return False

    def interruptible(self, call):
        return call()

    def emit_delta(self, text: str) -> None:
        pass

    def set_run_output(self, key: str, value: Any) -> None:
        self.outputs[key] = value


def run(type_name: str, inputs: dict | None = None, ctx: Context | None = None, **config):
    node_type = get_node_type(type_name)
    return node_type.run(ctx or Context(), inputs or {}, node_type.parse_config(config))


def test_input_emits_one_key_a_default_or_everything():
    ctx = Context(run_inputs={"name": "Ada", "age": 36})
    assert run("input", ctx=ctx, key="name") == "Ada"
    assert run("input", ctx=ctx, key="missing", default="x") == "x"
    assert run("input", ctx=ctx) == {"name": "Ada", "age": 36}


def test_output_stores_the_value_under_its_key():
    ctx = Context()
    assert run("output", {"in": [1, 2]}, ctx=ctx, key="numbers") == [1, 2]
    assert ctx.outputs == {"numbers": [1, 2]}


def test_template_sees_input_and_the_keys_of_an_object():
    assert run("template", {"in": {"name": "Ada"}}, template="Hi {{ name }} / {{ input.name }}") == "Hi Ada / Ada"
    assert run("template", {"in": [1, 2]}, template="{{ input | tojson }}") == "[1, 2]"


def test_template_fails_on_undefined_names_and_stays_in_the_sandbox():
    with pytest.raises(NodeError, match="'nme' is undefined"):
        run("template", {"in": {"name": "Ada"}}, template="{{ nme }}")
    with pytest.raises(NodeError, match="template error"):
        run("template", {"in": "x"}, template="{{ input.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(NodeError, match="template error"):
        run("template", {"in": []}, template="{% for i in range(10**9) %}{% endfor %}")


def test_transform_and_condition_use_jmespath():
    value = {"items": [{"n": 1}, {"n": 5}]}
    assert run("transform", {"in": value}, expression="items[?n > `2`].n") == [5]
    assert run("condition", {"in": value}, expression="length(items) > `1`") == Emit(value, ["true"])
    assert run("condition", {"in": value}, expression="missing") == Emit(value, ["false"])


def test_merge_makes_a_list_or_an_object_keyed_by_source():
    arrivals = [Arrival("a", 1), Arrival("b", 2)]
    assert run("merge", {"in": arrivals}) == [1, 2]
    assert run("merge", {"in": arrivals}, mode="object") == {"a": 1, "b": 2}


def test_delay_suspends_with_its_value_and_resumes_with_it():
    delay = get_node_type("delay")
    config = delay.parse_config({"seconds": 5})
    result = delay.run(Context(), {"in": "v"}, config)
    assert isinstance(result, Suspend) and result.state == {"value": "v"} and result.until
    assert delay.resume(Context(), result.state, None, config) == "v"
    assert run("delay", {"in": "v"}, seconds=0) == "v"


def test_http_refuses_loopback_before_sending_anything(settings):
    settings.BATON_HTTP_ALLOW = []
    with pytest.raises(FatalNodeError, match="refusing to connect to 127.0.0.1"):
        run("http", {"in": None}, url="http://127.0.0.1:9/")


def test_every_type_describes_itself_for_the_catalog():
    from flows.nodes import described_catalog

    catalog = {entry["type"]: entry for entry in described_catalog()}
    assert {"input", "output", "template", "transform", "condition", "merge", "http", "delay"} <= set(catalog)
    assert catalog["condition"]["outputs"][0]["name"] == "true"
    assert catalog["merge"]["inputs"][0]["many"] is True
    assert catalog["http"]["execution"] == "queued"
    assert catalog["template"]["config_schema"]["properties"]["template"]["type"] == "string"
    assert catalog["note"]["executable"] is False
