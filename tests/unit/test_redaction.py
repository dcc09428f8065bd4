"""Secrets are replaced wherever a node hands text back, also when split across pieces."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from runs.redaction import REDACTED, Redactor, StreamRedactor

SECRET = "sk-canary-9f8e7d6c5b4a"


def redactor() -> Redactor:
    r = Redactor()
    r.add(SECRET, "", "abc")  # empty and too-short values are ignored
    return r


def test_it_redacts_every_string_of_a_json_value_keys_included():
    value = {"a": [f"x{SECRET}y", 3, None], SECRET: {"deep": SECRET}}
    assert redactor().value(value) == {"a": [f"x{REDACTED}y", 3, None], REDACTED: {"deep": REDACTED}}


def test_it_ignores_values_too_short_to_be_secrets():
    assert redactor().text("abc and abcdef") == "abc and abcdef"
    assert not Redactor()


def test_it_redacts_the_json_escaped_form_too():
    r = Redactor()
    r.add('pa"ss\\word')
    assert r.text('{"k": "pa\\"ss\\\\word"}') == '{"k": "[redacted]"}'


@given(st.lists(st.integers(min_value=1, max_value=len(SECRET) + 5), min_size=1, max_size=40))
def test_a_secret_split_across_streamed_pieces_never_goes_out(cuts):
    text = f"before {SECRET} middle {SECRET[:5]} {SECRET}{SECRET} end {SECRET[:-1]}"
    stream = StreamRedactor(redactor())
    out, position = [], 0
    for size in cuts * 10:
        if position >= len(text):
            break
        out.append(stream.feed(text[position : position + size]))
        position += size
    out.append(stream.feed(text[position:]))
    out.append(stream.finish())
    joined = "".join(out)
    assert SECRET not in joined
    assert joined == redactor().text(text)
