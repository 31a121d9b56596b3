"""The console journal: what it writes whatever LOG_CONSOLE says (the alert metrics count it), and
what a debug request's lines show, warnings included."""

from __future__ import annotations

import io
import json

import pytest

from function.logs.console import ConsoleLog
from function.logs.journal import ConsoleJournal, EventRecord
from function.outcomes import JOURNALED, Outcome
from function.pipeline.field_warnings import FieldWarning

WARNING = FieldWarning("custom_data.currency", "currency is not an ISO 4217 currency code; not sent")


def lines(mode: str, *records: EventRecord) -> list[dict]:
    stream = io.StringIO()
    ConsoleJournal(ConsoleLog(mode, stream=stream)).record(records)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_debug_request_shows_the_events_warnings_on_the_console() -> None:
    [line] = lines("debug", EventRecord(Outcome.RETRYING, event_id="A-1", warnings=(WARNING,), debug=True))
    assert line["warnings"] == [WARNING.as_json()]


def test_an_event_without_warnings_has_none_on_its_line_and_no_debug_means_no_line() -> None:
    [line] = lines("always", EventRecord(Outcome.RETRYING, event_id="A-1"))
    assert line["warnings"] is None
    assert lines("debug", EventRecord(Outcome.RETRYING, event_id="A-1", warnings=(WARNING,))) == []


@pytest.mark.parametrize("outcome", JOURNALED)
def test_with_log_console_no_only_deliveries_and_final_failures_are_written(outcome: Outcome) -> None:
    written = lines("no", EventRecord(outcome=outcome, event_id="A-1", event_name="checkout",
                                      ad_account_id="549000000001",
                                      payload={"event_id": "A-1", "user_data": {"em": ["a" * 64]}}))
    if outcome in (Outcome.DELIVERED, Outcome.FAILED, Outcome.DROPPED):
        [line] = written
        assert (line["outcome"], line["ad_account_id"], line["message"]) == (
            outcome, "549000000001", f"event {outcome}")
        assert ("payload" in line and line["payload"] is not None) == (outcome != Outcome.DELIVERED)
    else:
        assert written == []
