"""The field table checked as data: against Pinterest's OpenAPI description and the golden cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from function.pipeline import fields
from function.pipeline.build import Context, build_event
from function.pipeline.options import Options
from function.pipeline.paths import EventPath
from tests.pinterest_spec import spec

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
NOW = 1764000000


def _event_properties() -> dict:
    return spec()["components"]["schemas"]["ConversionEvents"]["properties"]["data"]["items"]["properties"]


def _allowed_keys(section: str) -> set[str]:
    schemas = spec()["components"]["schemas"]
    if section == "user_data":
        return set(schemas["ConversionEventsUserDataProperties"]["properties"])
    if section == "custom_data":
        return set(_event_properties()["custom_data"]["properties"])
    return set(_event_properties())


@pytest.mark.parametrize("row", fields.FIELDS, ids=lambda row: f"{row.section}.{row.key}")
def test_every_row_names_a_key_pinterest_allows_in_its_section(row: fields.Field) -> None:
    assert row.key in _allowed_keys(row.section)


@pytest.mark.parametrize("row", fields.FIELDS, ids=lambda row: f"{row.section}.{row.key}")
def test_hashed_rows_are_exactly_pinterests_arrays_of_hashes(row: fields.Field) -> None:
    user_data = spec()["components"]["schemas"]["ConversionEventsUserDataProperties"]["properties"]
    schema = user_data.get(row.key, {})
    is_hash_array = schema.get("type") == "array" and "Sha256" in schema.get("description", "")
    assert row.hashed == is_hash_array


@pytest.mark.parametrize("row", [r for r in fields.FIELDS if r.hashed], ids=lambda row: row.key)
def test_every_hashed_override_becomes_64_hex_digests(row: fields.Field) -> None:
    values = {"em": "a@b.co", "ph": "+14155550100", "ge": "female", "db": "1990-01-02", "st": "CA",
              "country": "US", "zp": "94025"}
    event = {"event_name": "lead", "pinterest": {"user_data": {row.key: values.get(row.key, "Some Value"),
                                                               "em": "a@b.co"}}}
    ctx = Context(Options("inherit", "", "web", False), NOW, lambda: "id-1")
    digests = build_event(event, ctx)["user_data"][row.key]
    assert digests
    assert all(len(d) == 64 and d == d.lower() and int(d, 16) >= 0 for d in digests)


def test_every_override_path_sits_under_the_reserved_object() -> None:
    overrides = {row.override.dotted for row in fields.FIELDS}
    assert all(path.startswith("pinterest.") for path in overrides)
    assert len(overrides) == len(fields.FIELDS)


def test_every_ga4_source_key_appears_in_some_golden_case() -> None:
    golden = " ".join(p.read_text(encoding="utf-8") for p in GOLDEN.glob("*-input.json"))
    missing = []
    for row in fields.FIELDS:
        for source in row.sources:
            if isinstance(source, EventPath):
                leaf = source.parts[-1]
                if f'"{leaf}"' not in golden and f'"{source.flat}"' not in golden:
                    missing.append(source.dotted)
    assert not missing, f"golden inputs never exercise: {missing}"


def test_the_golden_outputs_use_only_keys_from_the_table() -> None:
    table_keys = {row.key for row in fields.FIELDS} | {"event_name", "action_source", "user_data",
                                                     "custom_data", "partner_name"}
    for path in GOLDEN.glob("*-output.json"):
        for entry in json.loads(path.read_text(encoding="utf-8")):
            payload = entry.get("payload", {})
            keys = set(payload) | set(payload.get("user_data", {})) | set(payload.get("custom_data", {}))
            assert keys <= table_keys, path.name
