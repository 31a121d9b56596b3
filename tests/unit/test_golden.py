"""Golden pairs: GA4 request bodies in tests/golden/<case>-input.json → <case>-output.json.

Each output lists what the data path makes of every event: the exact Pinterest payload, or
why the event is refused. Every payload is validated against Pinterest's OpenAPI file.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from function.delivery.replay import triage
from function.logs.journal import EventRecord
from function.pipeline import options
from function.pipeline.build import Context
from function.pipeline.options import AccountAllowlist
from function.pipeline.request import Built, build_request
from function.settings import Settings
from tests.pinterest_spec import assert_valid_events_body

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CASES = sorted(p.name.removesuffix("-input.json") for p in GOLDEN.glob("*-input.json"))
# 2025-11-24T16:00:00Z: the golden inputs' timestamps are relative to it.
NOW = 1764000000
SETTINGS = Settings.from_env({"PINTEREST_AD_ACCOUNT_ID": "549000000001"})


def run_case(body: bytes) -> list[dict[str, Any]]:
    """The data path with a fixed clock and numbered event ids, as plain JSON."""
    ids = (f"generated-{n}" for n in itertools.count(1))

    def context(opts: options.Options) -> Context:
        return Context(options=opts, now=NOW, new_event_id=lambda: next(ids))

    found = build_request(body, options.defaults(SETTINGS), context)
    return [
        {"payload": item.payload, "test": item.options.test} if isinstance(item, Built)
        else {"status": item.status, "reason": item.reason, "http_status": item.http_status,
              "event_id": item.event_id, "event_name": item.event_name, "ga4_event_name": item.ga4_event_name}
        for item in found
    ]


@pytest.mark.parametrize("case", CASES)
def test_golden_case_matches_its_expected_output(case: str) -> None:
    actual = run_case((GOLDEN / f"{case}-input.json").read_bytes())
    expected = json.loads((GOLDEN / f"{case}-output.json").read_text(encoding="utf-8"))
    assert actual == expected, f"{case}: output differs from the golden file"


@pytest.mark.parametrize("case", CASES)
def test_golden_payloads_follow_pinterest_openapi(case: str) -> None:
    payloads = [entry["payload"] for entry in run_case((GOLDEN / f"{case}-input.json").read_bytes())
                if "payload" in entry]
    if payloads:
        assert_valid_events_body({"data": payloads})


def test_flattened_keys_build_the_same_event_as_nested_keys() -> None:
    nested = run_case((GOLDEN / "purchase-input.json").read_bytes())
    flat = run_case((GOLDEN / "purchase_flattened-input.json").read_bytes())
    assert flat == nested


@pytest.mark.parametrize("case", CASES)
def test_replay_takes_back_every_built_payload_as_the_logs_keep_it(case: str) -> None:
    """What the function builds and logs passes replay's checks: only tampered rows are refused."""
    built = [entry["payload"] for entry in run_case((GOLDEN / f"{case}-input.json").read_bytes())
             if "payload" in entry]
    rows = [{"event_id": payload["event_id"], "ad_account_id": "549000000001",
             "request_body": EventRecord(outcome="failed", payload=payload).payload} for payload in built]
    chosen = triage(rows, NOW + 60, AccountAllowlist("549000000001"))
    matchable = [p for p in built if p["user_data"].get("em") or p["user_data"].get("hashed_maids")]
    assert [item.payload["event_id"] for item, _ in chosen.send] == [p["event_id"] for p in matchable]
    assert all(r.detail.startswith("no em or hashed_maids") for r in chosen.refused)
