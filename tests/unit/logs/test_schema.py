"""The log table schema: one JSON file read by code and terraform; rows are checked against it."""

from __future__ import annotations

import json
from typing import Any

from function.logs.schema import COLUMNS, JSON_COLUMNS, REQUIRED, SCHEMA_PATH, checked, to_wire


def problems(row: dict[str, Any]) -> list[str]:
    """What the table journal refuses a row for."""
    return checked(row)[0]


def good_row() -> dict:
    return {"timestamp": "2026-05-01T12:00:00.000001Z", "outcome": "delivered", "attempt": 1,
            "latency_ms": 12,
            "test_mode": False, "request_body": {"event_id": "e1"}, "event_id": "e1"}


def test_the_schema_file_declares_the_partition_and_clustering_columns_terraform_relies_on() -> None:
    names = [column["name"] for column in json.loads(SCHEMA_PATH.read_text())]
    assert tuple(names) == COLUMNS
    assert {"timestamp", "outcome", "event_name"} <= set(names)
    assert {"timestamp", "outcome"} == REQUIRED
    assert set(JSON_COLUMNS) == {"request_body", "response_body", "response_headers", "warnings",
                                 "match_keys"}


def test_a_row_of_the_right_types_has_no_problems() -> None:
    assert problems(good_row()) == []


def test_unknown_columns_missing_required_values_and_wrong_types_are_each_named() -> None:
    row = {**good_row(), "outcome": None, "attempt": "1", "test_mode": 1, "latency_ms": float("nan"),
           "timestamp": "2026-05-01 12:00:00", "payload": {}, "request_body": {"x": object()}}
    assert sorted(problems(row)) == sorted([
        "payload: not a column of the log table", "outcome: required", "attempt: not a valid INTEGER",
        "test_mode: not a valid BOOLEAN", "latency_ms: not a valid FLOAT", "timestamp: not a valid TIMESTAMP",
        "request_body: not a valid JSON",
    ])


def test_a_boolean_is_not_an_integer() -> None:
    assert problems({**good_row(), "attempt": True}) == ["attempt: not a valid INTEGER"]


def test_the_wire_form_sends_json_columns_as_text_and_leaves_empty_columns_out() -> None:
    wire = to_wire({**good_row(), "reason": None})
    assert wire["request_body"] == '{"event_id":"e1"}'
    assert "reason" not in wire
    assert wire["attempt"] == 1
