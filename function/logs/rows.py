"""Turns journal records into rows of the log table (function/logs/schema.json); pure.

One row per event per step. `request_body` is the hashed Pinterest event as sent, never the
raw input; every free text is scrubbed again on the way in.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from function.logs.journal import EventRecord
from function.logs.quality import match_keys
from function.logs.schema import TIMESTAMP_FORMAT
from function.logs.scrub import scrub, scrub_json
from function.outcomes import WITH_ERROR_DETAIL, Outcome

# Query parameters a logged URL keeps; anything else (a token, a key) is cut.
_KEPT_QUERY = frozenset({"test"})
# Characters of a tag name kept: sGTM tag names are short; the header is caller-controlled.
_MAX_TAG_NAME = 100
# Outcome → the row's `message`, a one-line summary for people reading the table.
_MESSAGES = {
    Outcome.DELIVERED: "Pinterest processed the event",
    Outcome.FAILED: "Pinterest did not take the event; no more attempts",
    Outcome.RETRYING: "Pinterest did not take the event; sending again",
    Outcome.SKIPPED: "not sent, on purpose",
    Outcome.INVALID: "not sent: it cannot become a valid Pinterest event",
    Outcome.DROPPED: "not sent before the instance shut down",
    Outcome.PROBE: "scheduled test-mode probe; Pinterest never records it",
}
# The reason of a probe that Pinterest took; a failed one has the failure category every failure has.
PROBE_PASSED = "passed"


class InstanceFacts(NamedTuple):
    """What every row of this instance shares."""

    revision: str | None = None  # K_REVISION


def build_row(record: EventRecord, facts: InstanceFacts, now: datetime) -> dict[str, Any]:
    """The row for one record, written at `now` (an aware UTC datetime)."""
    failure = record.outcome in WITH_ERROR_DETAIL
    return {
        "timestamp": _timestamp(now, now.utcoffset()),
        "type": _type(record),
        "trace_id": record.trace_id,
        "tag_name": scrub(record.tag_name[:_MAX_TAG_NAME]) if record.tag_name else None,
        "event_name": record.event_name,
        "request_method": "POST" if record.request_url else None,
        "request_url": safe_url(record.request_url) if record.request_url else None,
        "request_body": dict(record.payload) if record.payload is not None else None,
        "response_status_code": record.response_status_code,
        "response_body": _json_object(record.response_body),
        "response_headers": _headers(record.response_headers) if record.response_headers else None,
        "message": _MESSAGES[record.outcome],
        "reason": _failure_reason(record) if failure else _text(record.reason),
        "event_id": record.event_id,
        "ad_account_id": record.ad_account_id,
        "ga4_event_name": _text(record.ga4_event_name),
        "action_source": record.action_source or (record.payload or {}).get("action_source"),
        "test_mode": record.test_mode,
        "delivery": record.delivery,
        "attempt": record.attempt,
        "batch_id": record.batch_id,
        "batch_size": record.batch_size,
        "latency_ms": round(record.latency_ms, 1) if record.latency_ms is not None else None,
        "outcome": record.outcome,
        "error": _text(record.reason) if failure else None,
        "function_revision": facts.revision or None,
        "warnings": [warning.as_json() for warning in record.warnings] or None,
        "event_id_source": record.event_id_source,
        "match_keys": match_keys(record.payload) if record.payload is not None else None,
    }


# The rows of one batch of records share their `now`: its text is made once (about 22 K instructions a
# row). The offset is part of the key: equal instants in two offsets compare equal, but read apart.
@functools.lru_cache(maxsize=1)
def _timestamp(now: datetime, _offset: timedelta | None) -> str:
    return now.strftime(TIMESTAMP_FORMAT)


# The rows of one batch share Pinterest's answer headers (rate limits, request id: no personal data), so
# they are scrubbed once a batch, not once a row (about 17 K instructions a row); each row gets its copy.
def _headers(headers: Mapping[str, str]) -> dict[str, Any]:
    return dict(_scrubbed_headers(tuple(headers.items())))


@functools.lru_cache(maxsize=1)
def _scrubbed_headers(items: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    scrubbed: dict[str, Any] = scrub_json(dict(items))
    return scrubbed


def row_id(row: Mapping[str, Any], position: int) -> str:
    """insertAll's de-duplication id: account, event id, attempt and outcome; else a digest of row and place.

    The ad account is part of it: one event id sent to two accounts is two rows, not one.
    """
    if row.get("event_id"):
        attempt, account = row.get("attempt"), row.get("ad_account_id")
        return (f"{account or '-'}:{row['event_id']}:{attempt if attempt is not None else '-'}:"
                f"{row['outcome']}")
    digest = hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()[:24]
    return f"{row['outcome']}:{digest}:{position}"


# Kept for the last few URLs: every row of a batch names the same call URL (one per ad account and
# test mode), and taking it apart again cost each row about 40 K instructions.
@functools.lru_cache(maxsize=64)
def safe_url(url: str) -> str:
    """The URL without credentials, fragment or any query parameter but the kept ones."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    query = urlencode([(key, value) for key, value in parse_qsl(parts.query) if key in _KEPT_QUERY])
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _type(record: EventRecord) -> str:
    """Stape's log types folded into one row: Response when Pinterest answered, Request when it did not."""
    if record.response_status_code is not None:
        return "Response"
    return "Request" if record.request_url else "Message"


def _failure_reason(record: EventRecord) -> str:
    """A short category to group failures by; the full text is in `error`."""
    if record.outcome == Outcome.PROBE and not record.reason:
        return PROBE_PASSED
    if record.outcome == Outcome.DROPPED or (record.outcome == Outcome.PROBE and not record.request_url):
        return "not sent"
    status = record.response_status_code
    if status is None:
        return "no answer"
    body = record.response_body
    if isinstance(body, Mapping) and body.get("status") == "failed":
        return f"event rejected (HTTP {status})"
    return f"HTTP {status}"


def _json_object(value: Any) -> dict[str, Any] | None:
    """Pinterest's answer as a JSON object (anything else is wrapped), scrubbed."""
    if value is None:
        return None
    scrubbed: dict[str, Any] = scrub_json(dict(value) if isinstance(value, Mapping) else {"value": value})
    return scrubbed


def _text(value: str | None) -> str | None:
    return scrub(value) if value else None
