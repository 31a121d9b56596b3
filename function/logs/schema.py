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

# How rows spell a TIMESTAMP: UTC, microseconds, "Z" (sorts as text in SQLite, parses in BigQuery).
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_float(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


# BigQuery column type → the check a row value of that type must pass.
_TYPE_CHECKS = {
    "STRING": lambda value: isinstance(value, str),
    "INTEGER": _is_int,
    "FLOAT": _is_float,
    "BOOLEAN": lambda value: isinstance(value, bool),
    "TIMESTAMP": lambda value: isinstance(value, str) and bool(_TIMESTAMP.fullmatch(value)),
    "JSON": _is_json,
}


def problems(row: Mapping[str, Any]) -> list[str]:
    """What makes `row` unfit for the table: unknown columns, missing REQUIRED ones, wrong types."""
    found = [f"{name}: not a column of the log table" for name in row if name not in TYPES]
    for name, kind in TYPES.items():
        value = row.get(name)
        if value is None:
            if name in REQUIRED:
                found.append(f"{name}: required")
        elif not _TYPE_CHECKS[kind](value):
            found.append(f"{name}: not a valid {kind}")
    return found


def to_wire(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row as insertAll (like the client's own insert_rows) and SQLite take it: JSON columns as text."""
    return {
        name: json.dumps(value, separators=(",", ":")) if name in JSON_COLUMNS else value
        for name, value in row.items() if value is not None
    }
