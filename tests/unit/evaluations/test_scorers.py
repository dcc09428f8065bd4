"""Scorers, one behaviour each, with values worked out by hand."""

from __future__ import annotations

import pytest

from evaluations.scorers import (
    MAX_PATTERN_LENGTH,
    Score,
    check_scorer,
    is_subset,
    parse_judge,
    score,
)


def test_it_compares_exactly_the_only_output():
    assert score({"type": "exact"}, {"result": "Hello, Ada!"}, "Hello, Ada!") == Score(1.0, True)
    missed = score({"type": "exact"}, {"result": "Hello, Ada"}, "Hello, Ada!")
    assert (missed.value, missed.passed) == (0.0, False)
    assert missed.reason == "expected Hello, Ada!, got Hello, Ada"


def test_it_picks_the_named_output_and_compares_numbers_as_numbers():
    outputs = {"a": 1, "b": 2.0}
    assert score({"type": "exact", "output": "b"}, outputs, 2).passed
    assert not score({"type": "exact"}, outputs, 2).passed  # two outputs: the whole object
    assert score({"type": "exact"}, outputs, {"a": 1, "b": 2}).passed


def test_contains_scores_the_share_of_expected_pieces_found():
    found = score({"type": "contains"}, {"r": "the cat sat on the mat"}, ["cat", "dog", "mat", "owl"])
    assert (found.value, found.passed, found.reason) == (0.5, False, "missing dog, owl")
    assert score({"type": "contains", "case_sensitive": False}, {"r": "The CAT"}, "cat").passed
    assert not score({"type": "contains"}, {"r": "The CAT"}, "cat").passed


def test_json_subset_wants_every_expected_key_recursively():
    actual = {"user": {"name": "Ada", "langs": ["en", "fr"]}, "ok": True}
    assert is_subset({"user": {"name": "Ada"}}, actual)
    assert is_subset({"user": {"langs": ["en", "fr"]}, "ok": True}, actual)
    assert not is_subset({"user": {"langs": ["en"]}}, actual)
    assert not is_subset({"ok": 1}, actual)  # true is not 1
    assert score({"type": "json_subset"}, {"r": '{"a": {"b": 2, "c": 3}}'}, {"a": {"b": 2}}).passed
    assert score({"type": "json_subset"}, {"r": "not json"}, {"a": 1}).reason == "the output is not JSON"


def test_regex_searches_the_text_with_a_bounded_pattern():
    assert score({"type": "regex", "pattern": r"^\d{3}-\d{4}$"}, {"r": "555-1234"}, None).passed
    assert not score({"type": "regex", "pattern": r"^\d{3}-\d{4}$"}, {"r": "555-12345"}, None).passed
    assert score({"type": "regex"}, {"r": "order #42 shipped"}, r"#\d+").passed  # the row's pattern
    assert check_scorer({"type": "regex", "pattern": "a" * (MAX_PATTERN_LENGTH + 1)}) == \
        f"pattern is longer than {MAX_PATTERN_LENGTH} characters"
    assert check_scorer({"type": "regex", "pattern": "("}).startswith("pattern is not a regular expression")
    # A pattern that backtracks exponentially in Python's re answers at once here.
    assert not score({"type": "regex", "pattern": "^(a+)+$"}, {"r": "a" * 5000 + "b"}, None).passed


def test_a_scorer_that_cannot_judge_fails_the_row_with_why():
    unresolvable = {"type": "schema", "schema": {"$ref": "https://example.com/schema.json"}}
    failed = score(unresolvable, {"r": 1}, None)
    assert not failed.passed and failed.reason.startswith("the scorer failed: ")
    assert not score({"type": "numeric"}, {"r": 10 ** 400}, 1).passed
    assert check_scorer({"type": "numeric", "tolerance": 10 ** 400}) == "tolerance must be a number ≥ 0"


def test_numeric_passes_within_the_tolerance():
    assert score({"type": "numeric", "tolerance": 0.5}, {"r": "10.4"}, 10).passed
    far = score({"type": "numeric", "tolerance": 0.5}, {"r": 10.6}, 10)
    assert not far.passed and far.reason == "10.6 is 0.6 from 10 (tolerance 0.5)"
    assert score({"type": "numeric"}, {"r": 3}, "3").passed
    assert score({"type": "numeric"}, {"r": "three"}, 3).reason == "the output is not a number: three"
    assert check_scorer({"type": "numeric", "tolerance": -1}) == "tolerance must be a number ≥ 0"


def test_schema_validates_the_output():
    schema = {"type": "object", "required": ["score"], "properties": {"score": {"type": "integer"}}}
    assert score({"type": "schema", "schema": schema}, {"r": {"score": 3}}, None).passed
    bad = score({"type": "schema", "schema": schema}, {"r": '{"score": "high"}'}, None)
    assert not bad.passed and bad.reason == "'high' is not of type 'integer'"
    assert check_scorer({"type": "schema", "schema": {"type": 12}}).startswith("schema is not a valid JSON schema")


def test_a_judges_answer_is_its_first_number_out_of_ten():
    assert parse_judge("8 - clear and polite") == Score(0.8, True)
    low = parse_judge("Score: 6.5/10. Too long.", threshold=0.7)
    assert (low.value, low.passed, low.reason) == (0.65, False, "the judge gave 6.5/10: Score: 6.5/10. Too long.")
    assert parse_judge("12") == Score(1.0, True)
    assert parse_judge("no idea").reason == "the judge gave no score: no idea"


def test_a_judge_needs_a_rubric_a_credential_and_a_model():
    judge = {"type": "judge", "rubric": "Polite and correct", "credential": 3, "model": "gpt-4o-mini"}
    assert check_scorer(judge) is None
    assert check_scorer({**judge, "credential": "3"}) == "credential must be the id of a model credential of the flow's team"
    assert check_scorer({**judge, "threshold": 2}) == "threshold must be a number from 0 to 1"


@pytest.mark.parametrize("scorer, problem", [
    ("exact", "must be an object with a type"),
    ({"type": "fuzzy"}, "type must be one of exact, contains, json_subset, regex, numeric, schema, judge"),
    ({"type": "exact", "output": 3}, "output must be the key of one of the flow's outputs"),
    ({"type": "schema"}, "schema must be a JSON schema (an object)"),
    ({"type": "judge"}, "rubric must say what a good answer is"),
])
def test_it_says_what_is_wrong_with_a_scorer(scorer, problem):
    assert check_scorer(scorer) == problem
