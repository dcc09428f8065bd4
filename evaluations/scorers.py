"""Scorers: how a row's outputs compare with what was expected. Plain Python, no framework.

A scorer is a dict from the evaluation request (`{"type": "exact", ...}`); `check_scorer`
says what is wrong with one (a message naming the field) and `score` gives a `Score`:
a number in [0, 1] and whether it passes, with a short reason when it does not.

Which output a scorer looks at: `"output": "<key>"` names one of the run's outputs; without
it, the only output when the run has one, else all the outputs (a JSON object).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

TYPES = ("exact", "contains", "json_subset", "regex", "numeric", "schema", "judge")
MAX_PATTERN_LENGTH = 500
# A regex is matched against at most this much text, so a pattern with heavy
# backtracking stays bounded in what it can cost.
MAX_REGEX_SUBJECT = 10_000
MAX_SCORERS = 10
MAX_RUBRIC_LENGTH = 4000
DEFAULT_THRESHOLD = 0.7
JUDGE_SYSTEM = ("You grade an answer against a rubric. Reply with a score from 0 to 10 first "
                "(10: fully meets the rubric), then one sentence why.")
JUDGE_PROMPT = ("Rubric:\n{{ input.rubric }}\n\nExpected (may be empty):\n{{ input.expected }}\n\n"
                "Answer to grade:\n{{ input.output }}")


@dataclass(frozen=True)
class Score:
    value: float
    passed: bool
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"score": self.value, "pass": self.passed, "reason": self.reason}


def check_scorer(scorer: Any) -> str | None:
    """None when the scorer is one we can run, else what is wrong with it."""
    if not isinstance(scorer, dict):
        return "must be an object with a type"
    kind = scorer.get("type")
    if kind not in TYPES:
        return f"type must be one of {', '.join(TYPES)}"
    output = scorer.get("output")
    if output is not None and not isinstance(output, str):
        return "output must be the key of one of the flow's outputs"
    if kind == "regex":
        pattern = scorer.get("pattern", None)
        if pattern is None:
            return None  # the row's expected value is the pattern
        return _check_pattern(pattern)
    if kind == "numeric":
        tolerance = _number(scorer.get("tolerance", 0))
        if isinstance(scorer.get("tolerance"), (bool, str)) or tolerance is None or tolerance < 0:
            return "tolerance must be a number ≥ 0"
    if kind == "schema":
        schema = scorer.get("schema")
        if not isinstance(schema, dict):
            return "schema must be a JSON schema (an object)"
        problem = _check_schema(schema)
        if problem:
            return problem
    if kind == "judge":
        return _check_judge(scorer)
    return None


def _check_judge(scorer: dict[str, Any]) -> str | None:
    rubric = scorer.get("rubric")
    if not isinstance(rubric, str) or not rubric.strip():
        return "rubric must say what a good answer is"
    if len(rubric) > MAX_RUBRIC_LENGTH:
        return f"rubric is longer than {MAX_RUBRIC_LENGTH} characters"
    credential = scorer.get("credential")
    if isinstance(credential, bool) or not isinstance(credential, int):
        return "credential must be the id of a model credential of the flow's team"
    if not isinstance(scorer.get("model"), str) or not scorer["model"]:
        return "model must name the judge's model"
    threshold = scorer.get("threshold", DEFAULT_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        return "threshold must be a number from 0 to 1"
    return None


def judge_graph(scorer: dict[str, Any]) -> dict[str, Any]:
    """The run that judges one row: input → an llm node asked the rubric → output. The row's
    output, what was expected and the rubric reach the prompt as inputs (data, never
    template text)."""
    def node(node_id: str, type_: str, **config: Any) -> dict[str, Any]:
        return {"id": node_id, "type": type_, "position": {"x": 0, "y": 0},
                "data": {"label": node_id, "config": config}}

    def edge(source: str, target: str) -> dict[str, Any]:
        return {"id": f"{source}.out->{target}.in", "source": source, "sourceHandle": "out",
                "target": target, "targetHandle": "in"}

    return {
        "nodes": [
            node("in", "input"),
            node("judge", "llm", credential=scorer["credential"], model=scorer["model"], temperature=0,
                 system=JUDGE_SYSTEM, prompt=JUDGE_PROMPT),
            node("verdict", "output", key="verdict"),
        ],
        "edges": [edge("in", "judge"), edge("judge", "verdict")],
    }


def judge_inputs(scorer: dict[str, Any], outputs: dict[str, Any], expected: Any) -> dict[str, Any]:
    return {"rubric": scorer["rubric"], "expected": as_text(expected),
            "output": as_text(actual_output(outputs, scorer))}


def parse_judge(answer: Any, threshold: float = DEFAULT_THRESHOLD) -> Score:
    """The judge's answer: the first number in it, out of 10."""
    text = as_text(answer)
    found = re.search(r"-?\d+(?:\.\d+)?", text[:MAX_REGEX_SUBJECT])
    if found is None:
        return Score(0.0, False, f"the judge gave no score: {text[:200]}")
    value = min(max(float(found.group()) / 10, 0.0), 1.0)
    passed = value >= threshold
    return Score(value, passed, "" if passed else f"the judge gave {found.group()}/10: {text[:200]}")


def _check_pattern(pattern: Any) -> str | None:
    if not isinstance(pattern, str):
        return "pattern must be a regular expression"
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"pattern is longer than {MAX_PATTERN_LENGTH} characters"
    try:
        _pattern_validator(pattern)
    except (ValueError, jsonschema_rs.ValidationError):
        return "pattern is not a regular expression (ECMA 262, as in JSON schema)"
    return None


def _pattern_validator(pattern: str) -> Any:
    """Patterns run on the regex engine of jsonschema_rs (Rust's regex, and fancy-regex with
    a backtracking limit for lookarounds and backreferences): no pattern can take
    exponential time, as Python's re can."""
    return jsonschema_rs.validator_for({"type": "string", "pattern": pattern})


def regex_search(pattern: str, text: str) -> bool:
    return bool(_pattern_validator(pattern).is_valid(text[:MAX_REGEX_SUBJECT]))


def _check_schema(schema: dict[str, Any]) -> str | None:
    try:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError
    except ImportError:  # pragma: no cover - installed with the app
        return "schema scorers need the jsonschema package"
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return f"schema is not a valid JSON schema: {exc.message}"
    return None


def actual_output(outputs: dict[str, Any], scorer: dict[str, Any]) -> Any:
    key = scorer.get("output")
    if key is not None:
        return outputs.get(key)
    if len(outputs) == 1:
        return next(iter(outputs.values()))
    return outputs


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def is_subset(expected: Any, actual: Any) -> bool:
    """Every key of `expected` (recursively) is in `actual` with the same value; lists must
    be equal in length, item by item subsets."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and is_subset(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(
            is_subset(e, a) for e, a in zip(expected, actual, strict=True)
        )
    return bool(expected == actual and type(expected) is type(actual)) or _same_number(expected, actual)


def _same_number(a: Any, b: Any) -> bool:
    numbers = (int, float)
    return (isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool)
            and not isinstance(b, bool) and a == b)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)):
            number = float(value)
        elif isinstance(value, str):
            number = float(value.strip())
        else:
            return None
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _passed(ok: bool, reason: str) -> Score:
    return Score(1.0, True) if ok else Score(0.0, False, reason)


def score(scorer: dict[str, Any], outputs: dict[str, Any], expected: Any) -> Score:
    """The score of one row's outputs (a run that succeeded) under one checked scorer. A
    scorer that cannot judge this output (a schema naming a $ref it cannot resolve) fails
    the row with why, never the evaluation."""
    try:
        return _score(scorer, outputs, expected)
    except Exception as exc:  # noqa: BLE001 - told in the row
        return Score(0.0, False, f"the scorer failed: {exc}"[:300])


def _score(scorer: dict[str, Any], outputs: dict[str, Any], expected: Any) -> Score:
    kind = scorer["type"]
    actual = actual_output(outputs, scorer)
    if kind == "exact":
        ok = actual == expected or _same_number(actual, expected)
        if not ok and isinstance(expected, str) and not isinstance(actual, str):
            ok = as_text(actual) == expected
        return _passed(ok, f"expected {as_text(expected)[:200]}, got {as_text(actual)[:200]}")
    if kind == "contains":
        needles = expected if isinstance(expected, list) else [expected]
        text = as_text(actual)
        if not scorer.get("case_sensitive", True):
            text = text.lower()
            needles = [as_text(n).lower() for n in needles]
        missing = [as_text(n) for n in needles if as_text(n) not in text]
        if not needles:
            return Score(1.0, True)
        value = (len(needles) - len(missing)) / len(needles)
        return Score(value, not missing, f"missing {', '.join(missing)[:200]}" if missing else "")
    if kind == "json_subset":
        if isinstance(actual, str):
            try:
                actual = json.loads(actual)
            except ValueError:
                return Score(0.0, False, "the output is not JSON")
        return _passed(is_subset(expected, actual), "the output does not hold the expected values")
    if kind == "regex":
        pattern = scorer.get("pattern", expected)
        problem = _check_pattern(pattern)
        if problem:
            return Score(0.0, False, problem)
        return _passed(regex_search(pattern, as_text(actual)), f"no match for {pattern[:100]}")
    if kind == "numeric":
        got, want = _number(actual), _number(expected)
        if want is None:
            return Score(0.0, False, "the expected value is not a number")
        if got is None:
            return Score(0.0, False, f"the output is not a number: {as_text(actual)[:100]}")
        tolerance = float(scorer.get("tolerance", 0))
        difference = abs(got - want)
        return _passed(difference <= tolerance + 1e-12,
                       f"{got:g} is {difference:g} from {want:g} (tolerance {tolerance:g})")
    if kind == "schema":
        from jsonschema import Draft202012Validator

        if isinstance(actual, str):
            try:
                actual = json.loads(actual)
            except ValueError:
                pass
        errors = sorted(Draft202012Validator(scorer["schema"]).iter_errors(actual), key=str)
        return _passed(not errors, errors[0].message[:200] if errors else "")
    raise ValueError(f"cannot score with {kind} here")  # judge: a run of its own (services)
