"""Golden pairs: GA4 request bodies in tests/golden/<case>-input.json → <case>-output.json.

Each output lists what the data path makes of every event: the exact Pinterest payload, or
why the event is refused. Beside each payload, `preimages` shows what was hashed: for every hashed
key, the normalized value behind each digest, in the same order (null for a digest the caller sent
already hashed), recorded from the pipeline's own normalizers as it builds. Every payload is
validated against Pinterest's OpenAPI file. `python -m tests.unit.test_golden` rewrites the outputs.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from function.delivery.replay import triage
from function.logs.journal import EventRecord
from function.pipeline import normalize, options
from function.pipeline.build import Context
from function.pipeline.fields import FIELDS
from function.pipeline.options import AccountAllowlist
from function.pipeline.request import Built, Refused, build_request
from function.settings import Settings
from tests.pinterest_spec import assert_valid_events_body

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CASES = sorted(p.name.removesuffix("-input.json") for p in GOLDEN.glob("*-input.json"))
# 2025-11-24T16:00:00Z: the golden inputs' timestamps are relative to it.
NOW = 1764000000
SETTINGS = Settings.from_env({"PINTEREST_AD_ACCOUNT_ID": "549000000001"})
HASHED = [row.key for row in FIELDS if row.hashed]


@contextmanager
def recording_preimages() -> Iterator[dict[str, str]]:
    """Digest -> the normalized text it was computed from, as the pipeline hashes it."""
    seen: dict[str, str] = {}
    real = normalize.sha256_hex

    def sha256_hex(value: str) -> str:
        digest = real(value)
        seen[digest] = value
        return digest

    normalize.sha256_hex = sha256_hex
    try:
        yield seen
    finally:
        normalize.sha256_hex = real


def run_case(body: bytes) -> list[dict[str, Any]]:
    """The data path with a fixed clock and numbered event ids, as plain JSON, pre-images included."""
    ids = (f"generated-{n}" for n in itertools.count(1))

    def context(opts: options.Options) -> Context:
        return Context(options=opts, now=NOW, new_event_id=lambda: next(ids))

    with recording_preimages() as seen:
        found = build_request(body, options.defaults(SETTINGS), context)
    return [_warned(item, {"payload": item.payload, "preimages": preimages(item.payload, seen),
                           "test": item.options.test}) if isinstance(item, Built)
            else _warned(item, {"status": item.status, "reason": item.reason, "http_status": item.http_status,
                                "event_id": item.event_id, "event_name": item.event_name,
                                "ga4_event_name": item.ga4_event_name})
            for item in found]


def _warned(item: Built | Refused, entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with the event's warnings, when it has some (most have none)."""
    if item.warnings:
        entry["warnings"] = [warning.as_json() for warning in item.warnings]
    return entry


def preimages(payload: dict[str, Any], seen: dict[str, str]) -> dict[str, list[str | None]]:
    """For each hashed key of the payload, what each digest was computed from (None: sent hashed)."""
    user_data = payload["user_data"]
    return {key: [seen.get(digest) for digest in user_data[key]] for key in HASHED if key in user_data}


@pytest.mark.parametrize("case", CASES)
def test_golden_case_matches_its_expected_output(case: str) -> None:
    actual = run_case((GOLDEN / f"{case}-input.json").read_bytes())
    expected = json.loads((GOLDEN / f"{case}-output.json").read_text(encoding="utf-8"))
    assert actual == expected, f"{case}: output differs from the golden file"


@pytest.mark.parametrize("case", CASES)
def test_every_digest_shown_is_the_sha256_of_the_preimage_shown_beside_it(case: str) -> None:
    expected = json.loads((GOLDEN / f"{case}-output.json").read_text(encoding="utf-8"))
    for entry in (entry for entry in expected if "payload" in entry):
        user_data = entry["payload"]["user_data"]
        assert set(entry["preimages"]) == {key for key in HASHED if key in user_data}
        for key, shown in entry["preimages"].items():
            assert len(shown) == len(user_data[key]), f"{case}: {key}"
            for digest, preimage in zip(user_data[key], shown, strict=True):
                if preimage is not None:
                    assert hashlib.sha256(preimage.encode("utf-8")).hexdigest() == digest, f"{case}: {key}"


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


def write_outputs() -> None:
    """Rewrite every <case>-output.json from the data path as it stands."""
    for case in CASES:
        found = run_case((GOLDEN / f"{case}-input.json").read_bytes())
        (GOLDEN / f"{case}-output.json").write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_outputs()
