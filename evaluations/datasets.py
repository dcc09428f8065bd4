"""A dataset's rows, checked and bounded, from JSON, an uploaded CSV or JSONL file, or runs.

A row is {"inputs": {...}, "expected": <json>}. A dataset holds at most MAX_ROWS rows, each
at most MAX_ROW_BYTES of JSON, nested at most MAX_DEPTH deep; what is over a limit is
refused with a message naming it.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from orchestrator_site.problems import Invalid

MAX_ROWS = 1000
MAX_ROW_BYTES = 64 * 1024
MAX_DEPTH = 20
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_NAME_LENGTH = 200
INPUT_PREFIX = "input."


def _depth(value: Any, limit: int) -> int:
    """How deep `value` nests, counting no further than `limit` + 1 (no recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise Invalid({"name": f"must be a name of 1 to {MAX_NAME_LENGTH} characters"})
    return name.strip()


def check_row(row: Any, where: str, field: str = "rows") -> dict[str, Any]:
    if not isinstance(row, dict):
        raise Invalid({field: f"{where}: must be an object with inputs and expected"})
    unknown = set(row) - {"inputs", "expected"}
    if unknown:
        raise Invalid({field: f"{where}: unknown fields {', '.join(sorted(map(str, unknown)))}"})
    inputs = row.get("inputs", {})
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        raise Invalid({field: f"{where}: inputs must be a JSON object"})
    checked = {"inputs": inputs, "expected": row.get("expected")}
    if _depth(checked, MAX_DEPTH) > MAX_DEPTH:
        raise Invalid({field: f"{where}: nested deeper than {MAX_DEPTH} levels"})
    size = len(json.dumps(checked, ensure_ascii=False).encode())
    if size > MAX_ROW_BYTES:
        raise Invalid({field: f"{where}: {size} bytes of JSON, over the limit of {MAX_ROW_BYTES}"})
    return checked


def check_rows(rows: Any) -> list[dict[str, Any]]:
    if not isinstance(rows, list):
        raise Invalid({"rows": "must be a list of rows"})
    if len(rows) > MAX_ROWS:
        raise Invalid({"rows": f"{len(rows)} rows, over the limit of {MAX_ROWS} rows per dataset"})
    return [check_row(row, f"row {index + 1}") for index, row in enumerate(rows)]


def _text(upload: Any) -> str:
    if upload.size > MAX_FILE_BYTES:
        raise Invalid({"file": f"over the limit of {MAX_FILE_BYTES} bytes"})
    try:
        return str(upload.read().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise Invalid({"file": "must be UTF-8 text"}) from None


def rows_from_file(upload: Any) -> list[dict[str, Any]]:
    """Rows of an uploaded .csv (columns input.<key> and expected) or .jsonl file (one
    {"inputs", "expected"} per line)."""
    name = (getattr(upload, "name", "") or "").lower()
    text = _text(upload)
    if name.endswith(".jsonl") or name.endswith(".ndjson"):
        return rows_from_jsonl(text)
    if name.endswith(".csv"):
        return rows_from_csv(text)
    raise Invalid({"file": "must be a .csv or .jsonl file"})


def rows_from_jsonl(text: str) -> list[dict[str, Any]]:
    rows: list[Any] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(rows) >= MAX_ROWS:
            raise Invalid({"file": f"line {number}: over the limit of {MAX_ROWS} rows per dataset"})
        if len(line) > MAX_ROW_BYTES:
            raise Invalid({"file": f"line {number}: over the limit of {MAX_ROW_BYTES} bytes per row"})
        try:
            row = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise Invalid({"file": f"line {number}: not JSON ({exc})"}) from None
        rows.append(check_row(row, f"line {number}", "file"))
    return rows


def rows_from_csv(text: str) -> list[dict[str, Any]]:
    """Values stay text: `input.name` → inputs["name"], `expected` → expected."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise Invalid({"file": "line 1: the file is empty; it needs a header row"}) from None
    except csv.Error as exc:
        raise Invalid({"file": f"line 1: {exc}"}) from None
    for column in header:
        if column != "expected" and not (column.startswith(INPUT_PREFIX) and len(column) > len(INPUT_PREFIX)):
            raise Invalid({"file": f"line 1: column {column!r} is neither input.<key> nor expected"})
    if len(set(header)) != len(header):
        raise Invalid({"file": "line 1: a column is named twice"})
    rows: list[dict[str, Any]] = []
    try:
        for values in reader:
            number = reader.line_num
            if not values:
                continue
            if len(values) != len(header):
                raise Invalid({"file": f"line {number}: {len(values)} fields, the header has {len(header)}"})
            if len(rows) >= MAX_ROWS:
                raise Invalid({"file": f"line {number}: over the limit of {MAX_ROWS} rows per dataset"})
            row: dict[str, Any] = {"inputs": {}, "expected": None}
            for column, value in zip(header, values, strict=True):
                if column == "expected":
                    row["expected"] = value
                else:
                    row["inputs"][column[len(INPUT_PREFIX):]] = value
            rows.append(check_row(row, f"line {number}", "file"))
    except csv.Error as exc:
        raise Invalid({"file": f"line {reader.line_num}: {exc}"}) from None
    return rows


def expected_of(outputs: dict[str, Any]) -> Any:
    """What a past run's outputs say is expected: its only output, else all of them."""
    if len(outputs) == 1:
        return next(iter(outputs.values()))
    return outputs
