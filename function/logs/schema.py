"""The log table's columns, read from schema.json (which terraform reads too), and row checks.

BigQuery's emulator accepts unknown fields and missing REQUIRED values, and BigQuery itself
refuses a whole insert for one bad value, so every row is checked here before it is queued.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).with_name("schema.json")
# The schema as BigQuery's API spells it: [{"name", "type", "mode", "description"}, ...].
SCHEMA: tuple[dict[str, str], ...] = tuple(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
COLUMNS: tuple[str, ...] = tuple(column["name"] for column in SCHEMA)
TYPES: dict[str, str] = {column["name"]: column["type"] for column in SCHEMA}
REQUIRED: frozenset[str] = frozenset(c["name"] for c in SCHEMA if c.get("mode") == "REQUIRED")
JSON_COLUMNS: tuple[str, ...] = tuple(name for name, kind in TYPES.items() if kind == "JSON")
_JSON_COLUMN_SET = frozenset(JSON_COLUMNS)

# How rows spell a TIMESTAMP: UTC, microseconds, "Z" (sorts as text in SQLite, parses in BigQuery).
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_float(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


# How a JSON column travels, built once: json.dumps(value, separators=...) builds an encoder per call.
# allow_nan=False because BigQuery takes no NaN or Infinity; for any other value the text is the same.
_JSON_TEXT = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
_WIRE_TEXT = json.JSONEncoder(separators=(",", ":")).encode  # to_wire takes rows nobody checked


def _json_text(value: Any) -> str | None:
    """A JSON column's wire text; None when the value is no JSON that BigQuery takes."""
    try:
        return _JSON_TEXT(value)
    except (TypeError, ValueError):
        return None


def _is_json(value: Any) -> bool:
    return _json_text(value) is not None


# BigQuery column type → the check a row value of that type must pass.
_TYPE_CHECKS = {
    "STRING": lambda value: isinstance(value, str),
    "INTEGER": _is_int,
    "FLOAT": _is_float,
    "BOOLEAN": lambda value: isinstance(value, bool),
    "TIMESTAMP": lambda value: isinstance(value, str) and bool(_TIMESTAMP.fullmatch(value)),
    "JSON": _is_json,
}


# Column type → the exact value types that pass its check as they are (most values of a row): any other
# value (a subclass such as an outcome's StrEnum, a float, a timestamp, JSON) takes the full check.
_PLAIN: dict[str, frozenset[type]] = {"STRING": frozenset({str}), "INTEGER": frozenset({int}),
                                      "BOOLEAN": frozenset({bool})}
_NOT_PLAIN: frozenset[type] = frozenset()


def checked(row: Mapping[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """What makes `row` unfit for the table (unknown columns, missing REQUIRED ones, wrong types), and
    `to_wire(row)`, at once: each JSON column is dumped once, for both, in one pass over the row."""
    wire = {name: _json_text(value) if name in _JSON_COLUMN_SET else value
            for name, value in row.items() if value is not None}
    found = ([] if row.keys() <= TYPES.keys()  # one set comparison; the messages only when one is unknown
             else [f"{name}: not a column of the log table" for name in row if name not in TYPES])
    for name, kind in TYPES.items():
        value = row.get(name)
        if value is None:
            if name in REQUIRED:
                found.append(f"{name}: required")
        elif type(value) in _PLAIN.get(kind, _NOT_PLAIN):
            continue
        elif not (wire[name] is not None if kind == "JSON" else _TYPE_CHECKS[kind](value)):
            found.append(f"{name}: not a valid {kind}")
    return found, wire


def to_wire(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row as insertAll (like the client's own insert_rows) and SQLite take it: JSON columns as text."""
    return {
        name: _WIRE_TEXT(value) if name in _JSON_COLUMN_SET else value
        for name, value in row.items() if value is not None
    }
